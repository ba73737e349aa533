"""Read one field of a spec: its default when absent, its type and bounds checked.

Every error is a SpecError that names the field by its path and says what was
wrong with the value, so a user knows exactly what to change.
"""

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hooks.describe import describe, shorten
from hooks.observed import MAX_NAME_LENGTH, OBJECT_NAME
from hooks.resources import is_qualified_name


class SpecError(ValueError):
    """A Guestbook spec that cannot be built; `path` names the offending field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Bounds:
    """An integer field's default and inclusive range."""

    default: int | None
    minimum: int
    maximum: int


def object_of(raw: Any, path: str, fields: tuple[str, ...]) -> dict:
    """Return an object field ({} when absent); an unknown key is an error naming it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object, got {describe(raw)}")
    for key in raw:
        if key not in fields:
            raise SpecError(f"{path}.{key}", f"unknown field (known fields: {', '.join(fields)})")
    return raw


def value_of(parent: dict, key: str, default: Any) -> Any:
    """Return the field's value; absent and null both mean the default."""
    # The API server prunes a null before defaulting: the two read the same.
    value = parent.get(key)
    return default if value is None else value


def integer(parent: dict, key: str, path: str, bounds: Bounds) -> int | None:
    """Return an integer field within its bounds."""
    value = parent.get(key)
    if value is None:
        return bounds.default
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{path}.{key}", f"must be an integer, got {describe(value)}")
    if not bounds.minimum <= value <= bounds.maximum:
        raise SpecError(
            f"{path}.{key}", f"must be between {bounds.minimum} and {bounds.maximum}, got {value}"
        )
    return value


def boolean(parent: dict, key: str, path: str, default: bool = False) -> bool:
    """Return a true-or-false field."""
    value = value_of(parent, key, default)
    if not isinstance(value, bool):
        raise SpecError(f"{path}.{key}", f"must be true or false, got {describe(value)}")
    return value


def choice(parent: dict, key: str, path: str, choices: tuple[str, ...], default: str) -> str:
    """Return an enum field, one of `choices`."""
    value = value_of(parent, key, default)
    if value not in choices:
        raise SpecError(
            f"{path}.{key}", f"must be one of {', '.join(choices)}, got {shorten(value)}"
        )
    return value


def dns_name(
    parent: dict,
    key: str,
    path: str,
    pattern: re.Pattern = OBJECT_NAME,
    what: str = "a DNS name",
) -> str | None:
    """Return a DNS-name field (an object name by default), or None when it is absent."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH or not pattern.fullmatch(value):
        raise SpecError(
            f"{path}.{key}",
            f"must be {what} (lowercase letters, digits, '-' and '.', at most "
            f"{MAX_NAME_LENGTH} characters), got {describe(value)}",
        )
    return value


def annotations(raw: Any, path: str) -> MappingProxyType:
    """Return an annotations field: qualified keys, string values."""
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object, got {describe(raw)}")
    for key, value in raw.items():
        if not is_qualified_name(key):
            raise SpecError(f"{path}[{key}]", "is not a valid annotation key")
        if not isinstance(value, str):
            raise SpecError(f"{path}[{key}]", f"must be a string, got {describe(value)}")
    return MappingProxyType(dict(raw))
