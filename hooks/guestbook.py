"""The sync and finalize hooks: decide, delegate to the builders, return the response body."""

from datetime import UTC, datetime

from hooks.conditions import Verdict
from hooks.desired import Desired, desired_children
from hooks.hold import HoldError, held_children
from hooks.names import base_name
from hooks.observed import check_parent, read_children
from hooks.spec import SpecError, is_paused
from hooks.status import compute_status

__all__ = ["HoldError", "finalize", "sync", "sync_parts"]


def sync(parent: dict, children: dict, *, now: datetime | None = None) -> dict:
    """Return the sync response `{"status", "children"}` for a Guestbook and its observed children.

    An invalid spec or a pause holds every observed child as last applied; if one
    cannot be held, HoldError is raised (the HTTP edge answers 422) so that
    Metacontroller changes nothing. A malformed request raises RequestError.
    Every call returns fresh objects that the caller may change.
    """
    status, desired = sync_parts(parent, children, now=now)
    return {"status": status, "children": desired.fresh()}


def sync_parts(
    parent: dict, children: dict, *, now: datetime | None = None
) -> tuple[dict, Desired]:
    """Return sync()'s status, and its children as Desired: serialised once, copied on demand."""
    check_parent(parent)
    observed = read_children(children)
    base = base_name(parent["metadata"]["name"])
    now = _utc(now)
    try:
        paused = is_paused(parent["metadata"])
        desired = desired_children(base, parent.get("spec"), observed)
    except SpecError as err:
        return _hold(
            parent, base, observed, Verdict(problem=str(err), paused=_pause_asked(parent)), now
        )
    if paused:
        return _hold(parent, base, observed, Verdict(paused=True), now)
    status = compute_status(
        parent,
        base=base,
        desired=desired.children,
        observed=observed,
        verdict=Verdict(),
        now=now,
        sent=desired.sent,
    )
    return status, desired


def finalize(parent: dict, children: dict, *, now: datetime | None = None) -> dict:
    """Return the finalize response: nothing lives outside the cluster, so finalized at once."""
    check_parent(parent)
    observed = read_children(children)
    base = base_name(parent["metadata"]["name"])
    status = compute_status(
        parent,
        base=base,
        desired=[],
        observed=observed,
        verdict=Verdict(terminating=True),
        now=_utc(now),
    )
    return {"status": status, "children": [], "finalized": True}


def _hold(
    parent: dict, base: str, observed, verdict: Verdict, now: datetime
) -> tuple[dict, Desired]:
    try:
        held = Desired.of(held_children(observed))
    except HoldError as err:
        raise HoldError(f"{verdict.problem or 'paused'}; {err}") from None
    status = compute_status(
        parent,
        base=base,
        desired=held.children,
        observed=observed,
        verdict=verdict,
        now=now,
        sent=held.sent,
    )
    return status, held


def _pause_asked(parent: dict) -> bool:
    try:
        return is_paused(parent["metadata"])
    except SpecError:
        return False


def _utc(now: datetime | None) -> datetime:
    # The only clock read of the core, and only when the caller injected no time.
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
