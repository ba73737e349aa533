"""Hold every observed child exactly as Metacontroller last applied it.

A sync answer is law: any observed child missing from it is deleted. When the
hook must not change anything (an invalid spec, a pause) it therefore returns
each observed child as last applied, which Metacontroller's three-way merge
turns into no change at all.
"""

from hooks.applied import LAST_APPLIED, UnreadableError, annotation, last_applied
from hooks.observed import Observed


class HoldError(Exception):
    """An observed child whose last-applied state is unknown, so no 200 answer is safe."""


def held_children(observed: Observed) -> list[dict]:
    """Return every observed child as last applied, or raise HoldError naming one that is not."""
    return [_held(child) for child in observed]


def _held(child: dict) -> dict:
    return applied_object(child["kind"], child["metadata"]["name"], annotation(child))


def applied_object(kind: str, name: str, text: str | None) -> dict:
    """Return the object a child's last-applied annotation text holds, or raise HoldError."""
    if text is None:
        raise HoldError(
            f"{kind} {name} has no {LAST_APPLIED} annotation "
            "(server-side apply, or an adopted object), so it cannot be held as it is"
        )
    try:
        return last_applied({"kind": kind, "metadata": {"name": name}}, text)
    except UnreadableError as err:
        raise HoldError(str(err)) from None
