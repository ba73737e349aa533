"""What Metacontroller last applied to a child, read from the annotation it writes with every write.

Metacontroller's dynamic apply stores the hook's child, plus the namespace and
(with generateSelector) the `controller-uid` label, in the
`metacontroller.k8s.io/last-applied-configuration` annotation, and only when the
create or update succeeds (pkg/controller/common/manage_children.go). So an
annotation equal to this sync's child means the cluster holds what is asked;
a different one means the write is still to come, or was refused.
"""

import functools

import orjson

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
CONTROLLER_UID = "controller-uid"  # the label Metacontroller's generateSelector adds
# Annotations decoded and kept per worker: a guestbook's children, for many guestbooks.
CACHE_SIZE = 1024


class UnreadableError(ValueError):
    """An annotation that is not the child's own object."""


def annotation(child: dict) -> str | None:
    """Return the child's last-applied annotation text, or None when it has none."""
    annotations = child["metadata"].get("annotations")
    text = annotations.get(LAST_APPLIED) if type(annotations) is dict else None
    return text if type(text) is str else None


def last_applied(child: dict, text: str) -> dict:
    """Return the object the annotation holds; UnreadableError when it is not this child's."""
    try:
        # orjson refuses NaN and Infinity, which no answer may carry back to Metacontroller.
        applied = orjson.loads(text)
    except orjson.JSONDecodeError:
        applied = None
    if (
        type(applied) is not dict
        or applied.get("kind") != child["kind"]
        or type(applied.get("metadata")) is not dict
        or applied["metadata"].get("name") != child["metadata"]["name"]
    ):
        raise UnreadableError(
            f"{child['kind']} {child['metadata']['name']} has a {LAST_APPLIED} annotation "
            "that is not its own object"
        )
    return applied


def is_applied(live: dict, desired: dict, desired_json: bytes | None = None) -> bool:
    """Whether the observed child was last applied exactly as `desired` asks.

    `desired_json`, when given, is `sent_json(desired)`, computed once per
    built child rather than on every sync. Without the annotation (an
    adopted object, server-side apply) nothing but existence can be judged,
    so the child counts as applied.
    """
    text = annotation(live)
    if text is None:
        return True
    try:
        applied_json = _as_sent(live["kind"], live["metadata"]["name"], text)
    except UnreadableError:
        return False
    # As JSON, not as Python objects: to Python True == 1, to the API server they differ.
    return applied_json == (sent_json(desired) if desired_json is None else desired_json)


def sent_json(child: dict) -> bytes:
    """Return the child as the hook sends it, less what Metacontroller adds, as sorted JSON."""
    return orjson.dumps(_without_additions(child), option=orjson.OPT_SORT_KEYS)


def applied_view(child: dict) -> dict | None:
    """Return what the child's annotation holds, to read only (it is shared); None if unknown."""
    text = annotation(child)
    if text is None:
        return None
    try:
        return _decoded(child["kind"], child["metadata"]["name"], text)
    except UnreadableError:
        return None


@functools.lru_cache(maxsize=CACHE_SIZE)
def _decoded(kind: str, name: str, text: str) -> dict:
    return last_applied({"kind": kind, "metadata": {"name": name}}, text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _as_sent(kind: str, name: str, text: str) -> bytes:
    """Return sent_json() of what the annotation says the hook sent."""
    return sent_json(_decoded(kind, name, text))


def _without_additions(child: dict) -> dict:
    """Return the child without what Metacontroller adds: its namespace and controller-uid label."""
    metadata = child.get("metadata")
    if type(metadata) is not dict:
        return child
    labels = metadata.get("labels")
    if "namespace" not in metadata and not (type(labels) is dict and CONTROLLER_UID in labels):
        return child
    metadata = {key: value for key, value in metadata.items() if key != "namespace"}
    if type(labels) is dict and CONTROLLER_UID in labels:
        labels = {key: value for key, value in labels.items() if key != CONTROLLER_UID}
        metadata["labels"] = labels
    return {**child, "metadata": metadata}
