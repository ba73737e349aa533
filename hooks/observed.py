"""Read a hook request: check its shape and index the observed children by kind and name.

Children are found by their own `kind` and `metadata.name`, never by the map keys
Metacontroller puts around them, so v1 (`name`) and v2 (`namespace/name`) hook
requests read the same.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hooks.describe import describe, shorten

MAX_GENERATION = 2**63 - 1
# Kubernetes' rules for object names (a DNS-1123 subdomain) and namespaces (a
# DNS-1123 label): the API server stores no other, so a request that carries one
# was not written by Metacontroller, and no answer to it can be trusted.
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
OBJECT_NAME = re.compile(rf"{DNS_LABEL}(\.{DNS_LABEL})*")
NAMESPACE = re.compile(DNS_LABEL)
MAX_NAME_LENGTH = 253
MAX_NAMESPACE_LENGTH = 63


class RequestError(ValueError):
    """A hook request that is malformed; the message names what is wrong."""


@dataclass(frozen=True)
class HookRequest:
    """The top-level parts of a sync or finalize request; the hooks check the rest."""

    parent: Any
    children: Any
    finalizing: bool


class Observed:
    """The observed children of one parent, looked up by (kind, name)."""

    def __init__(self, objects: dict[tuple[str, str], dict]) -> None:
        self._objects = objects

    def get(self, kind: str, name: str) -> dict | None:
        """Return the observed object of that kind and name, or None."""
        return self._objects.get((kind, name))

    def __iter__(self) -> Iterator[dict]:
        """Yield every observed object, ordered by kind and name."""
        for key in sorted(self._objects):
            yield self._objects[key]

    def __len__(self) -> int:
        return len(self._objects)


def read_request(body: Any) -> HookRequest:
    """Check a decoded request body's top level and return its parts, or raise RequestError."""
    if not isinstance(body, dict):
        raise RequestError(f"request body must be a JSON object, got {describe(body)}")
    if "parent" not in body:
        raise RequestError("request has no parent")
    if "children" not in body:
        raise RequestError("request has no children map")
    finalizing = body.get("finalizing", False)
    if not isinstance(finalizing, bool):
        raise RequestError(f"finalizing must be a boolean, got {describe(finalizing)}")
    return HookRequest(body["parent"], body["children"], finalizing)


def check_parent(parent: Any) -> dict:
    """Return the parent if it has the fields the hooks rely on, else raise RequestError."""
    if not isinstance(parent, dict):
        raise RequestError(f"parent must be an object, got {describe(parent)}")
    metadata = parent.get("metadata")
    if not isinstance(metadata, dict):
        raise RequestError("parent has no metadata object")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise RequestError("parent.metadata.name is missing or not a non-empty string")
    if not _is_object_name(name):
        raise RequestError(f"parent.metadata.name {_NOT_A_NAME}, got {shorten(name)}")
    generation = metadata.get("generation")
    if generation is not None and not _is_generation(generation):
        raise RequestError(
            "parent.metadata.generation must be an integer from 0 to 2^63-1, "
            f"got {describe(generation)}"
        )
    namespace = metadata.get("namespace", "default")
    if not isinstance(namespace, str):
        raise RequestError(f"parent.metadata.namespace must be a string, got {describe(namespace)}")
    # An empty namespace reads as "default", as the status URL does.
    if namespace and (len(namespace) > MAX_NAMESPACE_LENGTH or not NAMESPACE.fullmatch(namespace)):
        raise RequestError(
            "parent.metadata.namespace must be a DNS-1123 label (lowercase letters, digits "
            f"and '-', at most {MAX_NAMESPACE_LENGTH} characters), got {shorten(namespace)}"
        )
    annotations = metadata.get("annotations", {})
    if not isinstance(annotations, dict) or not all(
        isinstance(v, str) for v in annotations.values()
    ):
        raise RequestError("parent.metadata.annotations must be a map of strings")
    return parent


def read_children(children: Any) -> Observed:
    """Index the request's `children` map of maps, or raise RequestError."""
    if not isinstance(children, dict):
        raise RequestError(f"children must be a map of child types, got {describe(children)}")
    objects: dict[tuple[str, str], dict] = {}
    for type_key, members in children.items():
        if not isinstance(members, dict):
            raise RequestError(
                f"children[{type_key!r}] must be a map of objects, got {describe(members)}"
            )
        for key, child in members.items():
            kind, name = _identify(child, type_key, key)
            if (kind, name) in objects:
                raise RequestError(f"children holds two {kind} objects named {name!r}")
            objects[kind, name] = child
    return Observed(objects)


def _identify(child: Any, type_key: str, key: str) -> tuple[str, str]:
    """Return an observed object's kind and name, or raise RequestError saying what is wrong."""
    if type(child) is dict:
        kind, metadata = child.get("kind"), child.get("metadata")
        name = metadata.get("name") if type(metadata) is dict else None
        if type(kind) is str and kind and type(name) is str and _is_object_name(name):
            return kind, name
    raise RequestError(_unidentified(child, f"children[{type_key!r}][{key!r}]"))


def _unidentified(child: Any, where: str) -> str:
    """Return why an observed object cannot be identified; only built for a bad one."""
    if not isinstance(child, dict):
        return f"{where} must be an object, got {describe(child)}"
    kind = child.get("kind")
    if not isinstance(kind, str) or not kind:
        return f"{where} has no kind"
    metadata = child.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return f"{where} has no metadata.name"
    return f"{where} metadata.name {_NOT_A_NAME}, got {shorten(name)}"


_NOT_A_NAME = (
    "must be a Kubernetes object name (a DNS-1123 subdomain: lowercase letters, digits, "
    f"'-' and '.', at most {MAX_NAME_LENGTH} characters)"
)


def _is_object_name(name: str) -> bool:
    # The length first: it bounds the regular expression's work on a hostile name.
    return len(name) <= MAX_NAME_LENGTH and OBJECT_NAME.fullmatch(name) is not None


def _is_generation(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_GENERATION


# Observed objects come from the API server, but a hook must survive a request
# that lies about their shape: a wrong type reads as absent. Decoded JSON holds
# only plain types, so exact type checks suffice (and keep booleans out of ints).
def as_dict(value: Any) -> dict:
    """Return the value if it is an object, else an empty one."""
    return value if type(value) is dict else {}


def as_list(value: Any) -> list:
    """Return the value if it is a list, else an empty one."""
    return value if type(value) is list else []


def as_int(value: Any, default: int = 0) -> int:
    """Return the value if it is an integer (never a boolean), else the default."""
    return value if type(value) is int else default
