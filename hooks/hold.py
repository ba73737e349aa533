"""Hold every observed child exactly as Metacontroller last applied it.

A sync answer is law: any observed child missing from it is deleted. When the
hook must not change anything (an invalid spec, a pause) it therefore returns
each observed child as last applied, which Metacontroller's three-way merge
turns into no change at all.
"""

import orjson

from hooks.observed import Observed

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"


class HoldError(Exception):
    """An observed child whose last-applied state is unknown, so no 200 answer is safe."""


def held_children(observed: Observed) -> list[dict]:
    """Return every observed child as last applied, or raise HoldError naming one that is not."""
    return [_last_applied(child) for child in observed]


def _last_applied(child: dict) -> dict:
    kind, name = child["kind"], child["metadata"]["name"]
    annotations = child["metadata"].get("annotations")
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    return applied_object(kind, name, text)


def applied_object(kind: str, name: str, text: object) -> dict:
    """Return the object a last-applied annotation holds, or raise HoldError saying why not."""
    if not isinstance(text, str):
        raise HoldError(
            f"{kind} {name} has no {LAST_APPLIED} annotation (server-side apply, or an adopted "
            "object), so it cannot be held as it is"
        )
    try:
        # orjson refuses NaN and Infinity, which no answer may carry back to Metacontroller.
        applied = orjson.loads(text)
    except orjson.JSONDecodeError:
        applied = None
    if (
        not isinstance(applied, dict)
        or applied.get("kind") != kind
        or not isinstance(applied.get("metadata"), dict)
        or applied["metadata"].get("name") != name
    ):
        raise HoldError(f"{kind} {name} has a {LAST_APPLIED} annotation that is not its own object")
    return applied
