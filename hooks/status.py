"""The Guestbook status: counts, selector and URL computed only from what was observed.

The conditions come from hooks/conditions.py, fed with each tier's progress
as read here from the observed Deployments.
"""

from datetime import datetime
from typing import NamedTuple

from hooks.conditions import DEADLINE_EXCEEDED, Verdict, decide, stamp
from hooks.names import FOLLOWER, FRONTEND, LEADER, child_name, selector
from hooks.observed import Observed
from hooks.url import frontend_url

# The status key of each tier, in the order messages list them.
TIERS = {"redisLeader": LEADER, "redisFollower": FOLLOWER, "frontend": FRONTEND}


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
    url = frontend_url(observed, base, metadata.get("namespace"))
    if url is not None:
        status["url"] = url
    wanted = {c["metadata"]["name"]: c for c in desired if c["kind"] == "Deployment"}
    waiting = [
        f"{component} ({reason})"
        for component, rollout in rollouts.items()
        if (reason := _waiting_for(rollout, wanted.get(child_name(base, component)))) is not None
    ]
    stalled = [r.name for r in rollouts.values() if r is not None and r.deadline_exceeded]
    status["conditions"] = stamp(decide(verdict, waiting, stalled), parent, _rfc3339(now))
    return status


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
