"""The Guestbook status: counts, selector and URL computed only from what was observed.

Ready is judged child by child: every desired child must be observed, last
applied exactly as this sync returns it (hooks/applied.py), and each
Deployment rolled out. The conditions come from hooks/conditions.py, fed with
the children still waited for and anything stalled.
"""

from datetime import datetime
from typing import NamedTuple

from hooks.applied import is_applied
from hooks.conditions import DEADLINE_EXCEEDED, Stall, Verdict, decide, stamp
from hooks.migration import JOB_KIND, job_progress, job_stalls
from hooks.names import FOLLOWER, FRONTEND, LEADER, child_name, selector
from hooks.observed import Observed, as_dict, as_int, as_list
from hooks.storage import (
    CLAIM_KIND,
    claim_growth,
    claim_phase,
    claim_stalls,
    observed_claim,
    storage_status,
)
from hooks.url import frontend_url

# The status key of each tier, in the order messages list them.
TIERS = {"redisLeader": LEADER, "redisFollower": FOLLOWER, "frontend": FRONTEND}


class Rollout(NamedTuple):
    """What one observed Deployment says about its rollout, read once."""

    name: str
    generation: int
    observed_generation: int
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
    sent: tuple[bytes, ...] | None = None,
) -> dict:
    """Return the status to write for what was observed and what this sync returns.

    `sent`, when given, holds each desired child's sent_json() (hooks/applied.py).
    """
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
    claim = observed_claim(base, observed)
    if claim is not None:
        status["redisLeader"]["storage"] = storage_status(base, claim)
    url = frontend_url(observed, base, metadata.get("namespace"))
    if url is not None:
        status["url"] = url
    by_name = {r.name: r for r in rollouts.values() if r is not None}
    waiting = [
        f"{child['kind']} {child['metadata']['name']} ({reason})"
        for child, child_json in zip(desired, sent or (None,) * len(desired), strict=True)
        if (reason := _waiting_for(child, child_json, observed, by_name)) is not None
    ]
    # A claim that cannot bind, or a failed copy, comes first: a leader waiting
    # for either also passes its progress deadline in the end.
    stalls = _storage_stalls(desired, observed) + [
        Stall(DEADLINE_EXCEEDED, f"Deployment {r.name} exceeded its progress deadline")
        for r in rollouts.values()
        if r is not None and r.deadline_exceeded
    ]
    status["conditions"] = stamp(decide(verdict, waiting, stalls), parent, _rfc3339(now))
    return status


def _waiting_for(
    child: dict, child_json: bytes | None, observed: Observed, rollouts: dict[str, "Rollout"]
) -> str | None:
    """Return why the cluster does not yet run this desired child, or None if it does."""
    kind, name = child["kind"], child["metadata"]["name"]
    live = observed.get(kind, name)
    if live is None:
        return "not created yet"
    # A claim that has not grown says so, whether the resize runs or was refused.
    if kind == CLAIM_KIND and (growth := claim_growth(live, child)) is not None:
        return growth
    if not is_applied(live, child, child_json):
        return "update not yet applied"
    if kind == CLAIM_KIND:
        return claim_phase(live)
    if kind == JOB_KIND:
        return job_progress(live)
    rollout = rollouts.get(name) if kind == "Deployment" else None
    return None if rollout is None else _rolling_out(rollout, child)


def _storage_stalls(desired: list[dict] | tuple[dict, ...], observed: Observed) -> list[Stall]:
    """Return the stalls of the claim and the migration Job this sync returns, as observed."""
    stalls = []
    for child in desired:
        live = observed.get(child["kind"], child["metadata"]["name"])
        if live is not None and child["kind"] == CLAIM_KIND:
            stalls += claim_stalls(live)
        elif live is not None and child["kind"] == JOB_KIND:
            stalls += job_stalls(live)
    return stalls


def _rolling_out(rollout: "Rollout", desired: dict) -> str | None:
    """Return how far a Deployment's rollout still has to go, or None once it is complete."""
    replicas = as_int(as_dict(desired.get("spec")).get("replicas"), 1)
    if rollout.observed_generation < rollout.generation:
        return "rollout not yet observed"
    if not rollout.updated == rollout.ready == rollout.available == rollout.replicas == replicas:
        return f"{rollout.ready}/{replicas} ready, {rollout.updated}/{replicas} updated"
    return None


def _rollout(live: dict | None) -> Rollout | None:
    """Read an observed Deployment once; a field of the wrong type reads as absent."""
    if live is None:
        return None
    status = as_dict(live.get("status"))
    return Rollout(
        name=live["metadata"]["name"],
        generation=as_int(live["metadata"].get("generation")),
        observed_generation=as_int(status.get("observedGeneration")),
        replicas=as_int(status.get("replicas")),
        ready=as_int(status.get("readyReplicas")),
        updated=as_int(status.get("updatedReplicas")),
        available=as_int(status.get("availableReplicas")),
        deadline_exceeded=any(
            isinstance(c, dict)
            and c.get("type") == "Progressing"
            and c.get("status") == "False"
            and c.get("reason") == DEADLINE_EXCEEDED
            for c in as_list(status.get("conditions"))
        ),
    )


def _rfc3339(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")
