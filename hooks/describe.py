"""Name a decoded JSON value in an error message the way its author would recognise it."""

from typing import Any

SHOWN_LENGTH = 64


def describe(value: Any) -> str:
    """Return e.g. `null`, `a boolean`, `the number 3`, `the string 'x'`, `a list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {shorten(value)}"
    return "a list" if isinstance(value, list) else "an object"


def shorten(value: Any) -> str:
    """Return repr(value), cut to a length that fits in one log line."""
    text = repr(value)
    return text if len(text) <= SHOWN_LENGTH else f"{text[: SHOWN_LENGTH - 3]}..."
