"""A built-in Deployment controller that moves each Deployment's status toward its spec.

Each tick it observes the latest generation, starts a new ReplicaSet when the
pod template changed, brings one new pod up per tick while old pods go as new
ones become ready, and reports replicas, updated, ready and available counts
with the Available and Progressing conditions, zero counts left out as the
real controller leaves them out. Pods of an image that cannot start never
become ready; once progressDeadlineSeconds has passed without progress,
Progressing turns False with reason ProgressDeadlineExceeded.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

PODS_PER_TICK = 1
MAX_UNAVAILABLE = 0.25  # the RollingUpdate default


@dataclass
class Rollout:
    """What the controller knows of one Deployment's pods between ticks (its ReplicaSets)."""

    template: str  # the pod template of the newest ReplicaSet
    new: int = 0  # pods of the newest template, ready unless their image cannot start
    old: int = 0  # ready pods of earlier templates
    stuck_for: float = 0.0  # seconds without progress while not complete


class DeploymentController:
    """Move every Deployment's status toward its spec, a pod per tick."""

    def __init__(self, store, clock: Callable[[], str], unstartable: set[str]) -> None:
        self._store = store
        self._clock = clock
        self._unstartable = unstartable  # images whose pods never become ready
        self._rollouts: dict[str, Rollout] = {}

    def tick(self, seconds: float) -> None:
        """Let `seconds` pass for every Deployment, writing each status that changed."""
        for deployment in self._store.list("Deployment"):
            status = self._status(deployment, self._step(deployment, seconds))
            if status != deployment.get("status"):
                self._store.update_status(deployment, status, by="deployment-controller")

    def _step(self, deployment: dict, seconds: float) -> Rollout:
        """Move the pods one tick toward the spec and return where they are."""
        wanted = deployment["spec"].get("replicas", 1)
        rollout = self._rollout(deployment)
        before = (rollout.new, rollout.old)
        if self._starts(rollout.template):
            rollout.new = min(wanted, rollout.new + PODS_PER_TICK)
        else:
            rollout.new = wanted  # created, but never ready
        rollout.old = min(rollout.old, max(0, wanted - self._ready_new(rollout)))
        progressed = self._starts(rollout.template) and (rollout.new, rollout.old) != before
        complete = self._complete(rollout, wanted)
        rollout.stuck_for = 0.0 if complete or progressed else rollout.stuck_for + seconds
        return rollout

    def _rollout(self, deployment: dict) -> Rollout:
        uid = deployment["metadata"]["uid"]
        template = json.dumps(deployment["spec"]["template"], sort_keys=True)
        rollout = self._rollouts.setdefault(uid, Rollout(template))
        if rollout.template != template:
            # A new ReplicaSet: the ready pods so far all belong to old ones.
            rollout.old += self._ready_new(rollout)
            rollout.new, rollout.template, rollout.stuck_for = 0, template, 0.0
        return rollout

    def _status(self, deployment: dict, rollout: Rollout) -> dict:
        spec = deployment["spec"]
        wanted = spec.get("replicas", 1)
        ready = self._ready_new(rollout) + rollout.old
        counts = {
            "replicas": rollout.new + rollout.old,
            "updatedReplicas": rollout.new,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, wanted - ready),
        }
        status = {"observedGeneration": deployment["metadata"]["generation"]}
        status.update({field: count for field, count in counts.items() if count})
        available = ready >= wanted - int(wanted * MAX_UNAVAILABLE)
        if self._complete(rollout, wanted):
            progressing = ("True", "NewReplicaSetAvailable")
        elif rollout.stuck_for > spec.get("progressDeadlineSeconds", 600):
            progressing = ("False", "ProgressDeadlineExceeded")
        else:
            progressing = ("True", "ReplicaSetUpdated")
        previous = {c["type"]: c for c in deployment.get("status", {}).get("conditions", [])}
        status["conditions"] = [
            self._condition(previous, "Available", *_available(available)),
            self._condition(previous, "Progressing", *progressing),
        ]
        return status

    def _condition(self, previous: dict, kind: str, status: str, reason: str) -> dict:
        before = previous.get(kind, {})
        unchanged = (before.get("status"), before.get("reason")) == (status, reason)
        since = before["lastTransitionTime"] if unchanged else self._clock()
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": f"Deployment {reason}",
            "lastUpdateTime": since,
            "lastTransitionTime": since,
        }

    def _complete(self, rollout: Rollout, wanted: int) -> bool:
        return self._starts(rollout.template) and rollout.new == wanted and rollout.old == 0

    def _ready_new(self, rollout: Rollout) -> int:
        return rollout.new if self._starts(rollout.template) else 0

    def _starts(self, template: str) -> bool:
        containers = json.loads(template)["spec"]["containers"]
        return not any(c["image"] in self._unstartable for c in containers)


def _available(available: bool) -> tuple[str, str]:
    if available:
        return "True", "MinimumReplicasAvailable"
    return "False", "MinimumReplicasUnavailable"
