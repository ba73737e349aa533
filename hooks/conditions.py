"""The kstatus conditions of a Guestbook: which hold, and when each last changed.

Ready, Reconciling and Stalled follow the kstatus convention that `kubectl
wait`, Flux and Argo CD read. A condition's lastTransitionTime is carried over
from the parent's current status while its status is unchanged, so the same
observed state always yields the same conditions and Metacontroller never loops
on status writes.
"""

from dataclasses import dataclass
from typing import NamedTuple

from hooks.spec import PAUSED_ANNOTATION

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"
PAUSED = "Paused"

ALL_TIERS_READY = "AllTiersReady"
TIERS_NOT_READY = "TiersNotReady"
PROGRESSING = "Progressing"
INVALID_SPEC = "InvalidSpec"
PAUSED_BY_ANNOTATION = "PausedByAnnotation"
DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"
TERMINATING = "Terminating"
READY_MESSAGE = "Every child is applied as asked, every tier has all its replicas updated and ready"


class Stall(NamedTuple):
    """Something that cannot progress without a human: its reason and what to do."""

    reason: str
    message: str


class Condition(NamedTuple):
    """A condition before it is stamped with times and generations."""

    type: str
    true: bool
    reason: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """What this sync decided, before the observed state is judged."""

    problem: str | None = None  # an invalid spec's message
    paused: bool = False
    terminating: bool = False


def decide(verdict: Verdict, waiting: list[str], stalls: list[Stall]) -> list[Condition]:
    """Return every condition, in a fixed order, from the verdict and the children's progress.

    `waiting` names each child the cluster does not yet run as asked, and why;
    `stalls`, what cannot progress without a human.
    """
    if verdict.terminating:
        gone = "The guestbook is being deleted"
        return [
            Condition(READY, False, TERMINATING, gone),
            Condition(RECONCILING, True, TERMINATING, gone),
            Condition(STALLED, False, TERMINATING, gone),
        ]
    if verdict.problem is not None:
        message = f"Invalid spec, every child is held as last applied: {verdict.problem}"
        conditions = [
            Condition(READY, False, INVALID_SPEC, message),
            Condition(RECONCILING, False, INVALID_SPEC, message),
            Condition(STALLED, True, INVALID_SPEC, message),
        ]
    else:
        ready = _ready(waiting, stalls)
        conditions = [
            ready,
            _reconciling(verdict, ready, stalls),
            _stalled(verdict, ready, stalls),
        ]
    if verdict.paused:
        conditions.append(
            Condition(
                PAUSED,
                True,
                PAUSED_BY_ANNOTATION,
                f"Paused by the annotation {PAUSED_ANNOTATION}; remove it to resume",
            )
        )
    return conditions


def _ready(waiting: list[str], stalls: list[Stall]) -> Condition:
    if stalls:
        return Condition(READY, False, stalls[0].reason, _stall_message(stalls))
    if waiting:
        return Condition(READY, False, TIERS_NOT_READY, f"Waiting for {', '.join(waiting)}")
    return Condition(READY, True, ALL_TIERS_READY, READY_MESSAGE)


def _reconciling(verdict: Verdict, ready: Condition, stalls: list[Stall]) -> Condition:
    if verdict.paused:
        return Condition(RECONCILING, False, PAUSED, "Paused: children are held as they are")
    if stalls:
        return Condition(RECONCILING, False, stalls[0].reason, _stall_message(stalls))
    if ready.true:
        return Condition(RECONCILING, False, ALL_TIERS_READY, ready.message)
    return Condition(RECONCILING, True, PROGRESSING, ready.message)


def _stalled(verdict: Verdict, ready: Condition, stalls: list[Stall]) -> Condition:
    if stalls:
        return Condition(STALLED, True, stalls[0].reason, _stall_message(stalls))
    if verdict.paused:
        return Condition(STALLED, False, PAUSED, "Paused: children are held as they are")
    return Condition(
        STALLED, False, ALL_TIERS_READY if ready.true else PROGRESSING, "Nothing is stuck"
    )


def _stall_message(stalls: list[Stall]) -> str:
    return "; ".join(stall.message for stall in stalls)


def stamp(conditions: list[Condition], parent: dict, now: str) -> list[dict]:
    """Return the conditions as written, with the parent's generation and transition times."""
    previous = _previous_conditions(parent)
    generation = parent["metadata"].get("generation")
    return [_stamp(c, previous.get(c.type), generation, now) for c in conditions]


def _stamp(condition: Condition, previous: dict | None, generation: int | None, now: str) -> dict:
    """Return the condition as written, its transition time carried over while unchanged."""
    status = "True" if condition.true else "False"
    since = (
        previous.get("lastTransitionTime")
        if previous and previous.get("status") == status
        else None
    )
    stamped = {
        "type": condition.type,
        "status": status,
        "reason": condition.reason,
        "message": condition.message,
        "lastTransitionTime": since if isinstance(since, str) and since else now,
    }
    if generation is not None:
        stamped["observedGeneration"] = generation
    return stamped


def _previous_conditions(parent: dict) -> dict[str, dict]:
    status = parent.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if not isinstance(conditions, list):
        return {}
    return {
        c["type"]: c for c in conditions if isinstance(c, dict) and isinstance(c.get("type"), str)
    }
