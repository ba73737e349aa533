"""A built-in Deployment controller that moves each Deployment's status toward its spec.

Each tick it observes the latest generation, starts a new ReplicaSet when the
pod template changed (with the Recreate strategy, the old pods go first),
brings one new pod up per tick while old pods go as new ones become ready,
and reports replicas, updated, ready and available counts with the Available
and Progressing conditions, zero counts left out as the real controller
leaves them out. Pods of an image that cannot start, or that mount a claim
that is not Bound, are not ready; once progressDeadlineSeconds has passed
without progress, Progressing turns False with reason ProgressDeadlineExceeded.
It tells the data model (`data`) when a Deployment's pods start and stop.

Written from pkg/controller/deployment: sync.go (syncDeploymentStatus and
calculateStatus: the counts, observedGeneration), rolling.go and recreate.go
(the two strategies), progress.go with util/deployment_util.go
(DeploymentTimedOut: Progressing False, reason ProgressDeadlineExceeded) and
util's MinimumReplicasAvailable/NewReplicaSetAvailable condition reasons.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from tests.emulator.data import Data, claims_of

PODS_PER_TICK = 1
MAX_UNAVAILABLE = 0.25  # the RollingUpdate default


@dataclass
class Rollout:
    """What the controller knows of one Deployment's pods between ticks (its ReplicaSets)."""

    template: str  # the pod template of the newest ReplicaSet
    new: int = 0  # pods of the newest template, ready unless their image cannot start
    old: int = 0  # ready pods of earlier templates
    stuck_for: float = 0.0  # seconds without progress while not complete
    starts: bool = False  # whether pods of the newest template can become ready
    serving: bool = False  # whether some of them were ready at the last tick


class DeploymentController:
    """Move every Deployment's status toward its spec, a pod per tick."""

    def __init__(self, store, clock: Callable[[], str], unstartable: set[str], data: Data) -> None:
        self._store = store
        self._clock = clock
        self._unstartable = unstartable  # images whose pods never become ready
        self._data = data
        self._rollouts: dict[str, Rollout] = {}

    def tick(self, seconds: float) -> None:
        """Let `seconds` pass for every Deployment, writing each status that changed."""
        for deployment in self._store.list("Deployment"):
            status = self._status(deployment, self._step(deployment, seconds))
            if status != deployment.get("status"):
                self._store.update_status(deployment, status, by="deployment-controller")

    def reschedule(self, deployment: dict) -> None:
        """Take every pod of the Deployment away at once, as a drained or lost node does."""
        rollout = self._rollouts.get(deployment["metadata"]["uid"])
        if rollout is not None:
            rollout.new = rollout.old = 0
            rollout.serving = False
        self._data.stopped(deployment)

    def _step(self, deployment: dict, seconds: float) -> Rollout:
        """Move the pods one tick toward the spec and return where they are."""
        wanted = deployment["spec"].get("replicas", 1)
        rollout = self._rollout(deployment)
        rollout.starts = self._starts(deployment, rollout.template)
        before = (rollout.new, rollout.old)
        if rollout.starts:
            rollout.new = min(wanted, rollout.new + PODS_PER_TICK)
        else:
            rollout.new = wanted  # created, but never ready
        rollout.old = min(rollout.old, max(0, wanted - self._ready_new(rollout)))
        progressed = rollout.starts and (rollout.new, rollout.old) != before
        complete = self._complete(rollout, wanted)
        rollout.stuck_for = 0.0 if complete or progressed else rollout.stuck_for + seconds
        self._report(deployment, rollout)
        return rollout

    def _report(self, deployment: dict, rollout: Rollout) -> None:
        """Tell the data model which pods serve now."""
        serving = self._ready_new(rollout) > 0
        if serving and not rollout.serving:
            self._data.started(self._store, deployment)
        elif not serving and not rollout.old:
            self._data.stopped(deployment)
        rollout.serving = serving

    def _rollout(self, deployment: dict) -> Rollout:
        uid = deployment["metadata"]["uid"]
        template = json.dumps(deployment["spec"]["template"], sort_keys=True)
        rollout = self._rollouts.setdefault(uid, Rollout(template))
        if rollout.template != template:
            # A new ReplicaSet: the ready pods so far all belong to old ones,
            # unless Recreate takes them all down before any new pod starts.
            recreate = deployment["spec"].get("strategy", {}).get("type") == "Recreate"
            rollout.old = 0 if recreate else rollout.old + self._ready_new(rollout)
            rollout.new, rollout.template, rollout.stuck_for = 0, template, 0.0
            rollout.serving = False
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
        return rollout.starts and rollout.new == wanted and rollout.old == 0

    def _ready_new(self, rollout: Rollout) -> int:
        return rollout.new if rollout.starts else 0

    def _starts(self, deployment: dict, template: str) -> bool:
        """Whether pods of the template can become ready: startable images, Bound claims."""
        pod = json.loads(template)
        if any(c["image"] in self._unstartable for c in pod["spec"]["containers"]):
            return False
        namespace = deployment["metadata"]["namespace"]
        return all(claim_phase(self._store, namespace, name) == "Bound" for name in claims_of(pod))


def claim_phase(store, namespace: str, name: str) -> str | None:
    """Return the phase of a claim, or None if there is no such claim."""
    claim = store.get("PersistentVolumeClaim", namespace, name)
    return None if claim is None else claim.get("status", {}).get("phase")


def _available(available: bool) -> tuple[str, str]:
    if available:
        return "True", "MinimumReplicasAvailable"
    return "False", "MinimumReplicasUnavailable"
