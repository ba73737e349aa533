"""The Guestbook status, computed only from what was observed.

Conditions follow the kstatus convention (Ready, Reconciling, Stalled) that
`kubectl wait`, Flux and Argo CD read. A condition's lastTransitionTime is carried
over from the parent's current status while its status is unchanged, so the same
observed state always yields the same status and Metacontroller never loops on
status writes.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from hooks.names import FOLLOWER, FRONTEND, LEADER, child_name, selector
from hooks.observed import Observed
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

# The status key of each tier, in the order messages list them.
TIERS = {"redisLeader": LEADER, "redisFollower": FOLLOWER, "frontend": FRONTEND}


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


class Rollout(NamedTuple):
    """What one observed Deployment says about its rollout, read once."""

    name: str
    generation: int
    observed_generation: int
    spec_replicas: int
    images: tuple
    replicas: int
    ready: int
    updated: int
    available: int
    deadline_exceeded: bool

    def counts(self) -> dict:
        """Return the tier's counts as the status reports them."""
        return {
            "replicas": self.replicas,
            "readyReplicas": self.ready,
            "updatedReplicas": self.updated,
        }


NO_COUNTS = {"replicas": 0, "readyReplicas": 0, "updatedReplicas": 0}


def compute_status(
    parent: dict,
    *,
    base: str,
    desired: list[dict] | tuple[dict, ...],
    observed: Observed,
    verdict: Verdict,
    now: datetime,
) -> dict:
    """Return the status to write for what was observed and what this sync returns."""
    metadata = parent["metadata"]
    rollouts = {
        component: _rollout(observed.get("Deployment", child_name(base, component)))
        for component in TIERS.values()
    }
    frontend = rollouts[FRONTEND]
    status = {
        "replicas": frontend.replicas if frontend else 0,
        "selector": selector(base, FRONTEND),
    }
    for key, component in TIERS.items():
        rollout = rollouts[component]
        status[key] = rollout.counts() if rollout else dict(NO_COUNTS)
    url = _url(observed.get("Service", child_name(base, FRONTEND)), metadata.get("namespace"))
    if url is not None:
        status["url"] = url
    wanted = {c["metadata"]["name"]: c for c in desired if c["kind"] == "Deployment"}
    waiting = [
        f"{component} ({reason})"
        for component, rollout in rollouts.items()
        if (reason := _waiting_for(rollout, wanted.get(child_name(base, component)))) is not None
    ]
    stalled = [r.name for r in rollouts.values() if r is not None and r.deadline_exceeded]
    conditions = _conditions(verdict, waiting, stalled)
    previous = _previous_conditions(parent)
    generation = metadata.get("generation")
    stamp = _rfc3339(now)
    status["conditions"] = [
        _stamp(condition, previous.get(condition.type), generation, stamp)
        for condition in conditions
    ]
    return status


def _conditions(verdict: Verdict, waiting: list[str], stalled: list[str]) -> list[Condition]:
    """Return every condition, in a fixed order."""
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
        ready = _ready(waiting, stalled)
        conditions = [
            ready,
            _reconciling(verdict, ready, stalled),
            _stalled(verdict, ready, stalled),
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


def _ready(waiting: list[str], stalled: list[str]) -> Condition:
    if stalled:
        return Condition(READY, False, DEADLINE_EXCEEDED, _deadline_message(stalled))
    if waiting:
        return Condition(READY, False, TIERS_NOT_READY, f"Waiting for {', '.join(waiting)}")
    return Condition(
        READY, True, ALL_TIERS_READY, "Every tier has all its replicas updated and ready"
    )


def _reconciling(verdict: Verdict, ready: tuple, stalled: list[str]) -> Condition:
    if verdict.paused:
        return Condition(RECONCILING, False, PAUSED, "Paused: children are held as they are")
    if stalled:
        return Condition(RECONCILING, False, DEADLINE_EXCEEDED, _deadline_message(stalled))
    if ready.true:
        return Condition(RECONCILING, False, ALL_TIERS_READY, ready.message)
    return Condition(RECONCILING, True, PROGRESSING, ready.message)


def _stalled(verdict: Verdict, ready: Condition, stalled: list[str]) -> Condition:
    if stalled:
        return Condition(STALLED, True, DEADLINE_EXCEEDED, _deadline_message(stalled))
    if verdict.paused:
        return Condition(STALLED, False, PAUSED, "Paused: children are held as they are")
    return Condition(
        STALLED, False, ALL_TIERS_READY if ready.true else PROGRESSING, "No rollout is stuck"
    )


def _deadline_message(stalled: list[str]) -> str:
    return f"Deployment {', '.join(stalled)} exceeded its progress deadline"


def _waiting_for(rollout: Rollout | None, desired: dict | None) -> str | None:
    """Return why the tier's Deployment is not yet ready, or None if it is."""
    if desired is None or rollout is None:
        return "not created yet"
    spec = desired.get("spec", {})
    replicas = _int(spec.get("replicas"), 1)
    if rollout.spec_replicas != replicas or rollout.images != _images(spec):
        return "update not yet applied"
    if rollout.observed_generation < rollout.generation:
        return "rollout not yet observed"
    if not rollout.updated == rollout.ready == rollout.available == rollout.replicas == replicas:
        return f"{rollout.ready}/{replicas} ready, {rollout.updated}/{replicas} updated"
    return None


def _rollout(live: dict | None) -> Rollout | None:
    """Read an observed Deployment once; a field of the wrong type reads as absent."""
    if live is None:
        return None
    spec = _dict(live.get("spec"))
    status = _dict(live.get("status"))
    return Rollout(
        name=live["metadata"]["name"],
        generation=_int(live["metadata"].get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
        spec_replicas=_int(spec.get("replicas"), 1),
        images=_images(spec),
        replicas=_int(status.get("replicas")),
        ready=_int(status.get("readyReplicas")),
        updated=_int(status.get("updatedReplicas")),
        available=_int(status.get("availableReplicas")),
        deadline_exceeded=any(
            isinstance(c, dict)
            and c.get("type") == "Progressing"
            and c.get("status") == "False"
            and c.get("reason") == DEADLINE_EXCEEDED
            for c in _list(status.get("conditions"))
        ),
    )


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
    conditions = _list(_dict(parent.get("status")).get("conditions"))
    return {
        c["type"]: c for c in conditions if isinstance(c, dict) and isinstance(c.get("type"), str)
    }


def _url(service: dict | None, namespace: str | None) -> str | None:
    if service is None:
        return None
    ports = _list(_dict(service.get("spec")).get("ports"))
    port = _int(_dict(ports[0]).get("port")) if ports else 0
    if port <= 0:
        return None
    return f"http://{service['metadata']['name']}.{namespace or 'default'}.svc:{port}"


def _images(spec: dict) -> tuple:
    pod = _dict(_dict(spec.get("template")).get("spec"))
    return tuple(c.get("image") if type(c) is dict else None for c in _list(pod.get("containers")))


def _rfc3339(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


# Observed objects come from the API server, but a hook must survive a request
# that lies about their shape: a wrong type reads as absent. Decoded JSON holds
# only plain types, so exact type checks suffice (and keep booleans out of ints).
def _dict(value) -> dict:
    return value if type(value) is dict else {}


def _list(value) -> list:
    return value if type(value) is list else []


def _int(value, default: int = 0) -> int:
    return value if type(value) is int else default
