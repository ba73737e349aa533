"""The volume controllers and a provisioner: claims bound, expanded and defaulted, a step per tick.

Each tick, for every claim (pkg/controller/volume/persistentvolume/pv_controller.go
syncUnboundClaim and syncBoundClaim, with an external provisioner and resizer):
- Pending, naming no class: gets the default class once there is one
  (assignDefaultStorageClass, the retroactive default of Kubernetes 1.28+);
- Pending, with a class that exists: provisioned and bound, at once for
  volumeBindingMode Immediate, for WaitForFirstConsumer only once a pod
  (a Deployment's with replicas, or an unfinished Job's) mounts it; a class
  that is "" or does not exist leaves it Pending;
- Bound, requesting more than its capacity: expanded, if its class allows
  volume expansion (otherwise it stays as it is);
- Lost (only `lose` makes one): stays Lost, its data gone.
"""

from hooks.quantity import parse_quantity
from tests.apiserver import bind_claim
from tests.emulator import rules
from tests.emulator.data import Data, claims_of

BY = "persistentvolume-controller"


class VolumeController:
    """Move every claim one step toward Bound at the size it requests."""

    def __init__(self, store, data: Data) -> None:
        self._store = store
        self._data = data

    def tick(self) -> None:
        """Let one step happen to every claim."""
        for claim in self._store.list("PersistentVolumeClaim"):
            phase = claim.get("status", {}).get("phase")
            if phase == "Pending":
                self._provision(claim)
            elif phase == "Bound":
                self._expand(claim)

    def lose(self, namespace: str, name: str) -> None:
        """Mark a claim Lost, as when its volume disappears; its data goes with it.

        updateClaimStatus with no volume resets accessModes and capacity.
        """
        claim = self._store.get("PersistentVolumeClaim", namespace, name)
        self._store.update_status(claim, {"phase": "Lost"}, by=BY)
        self._data.lost(claim)

    def _provision(self, claim: dict) -> None:
        spec = claim["spec"]
        if "storageClassName" not in spec and rules.BETA_CLASS not in rules.annotations(claim):
            default = rules.default_class(self._store)
            if default is not None:
                spec["storageClassName"] = default["metadata"]["name"]
                self._store.update(claim, by=BY)
            return
        name = rules.class_of(claim)
        storage_class = self._store.get("StorageClass", "", name) if name else None
        if storage_class is None:
            return
        if storage_class["volumeBindingMode"] == "WaitForFirstConsumer" and not self._used(claim):
            return
        bind_claim(claim, storage_class["provisioner"])
        status = claim.pop("status")
        self._store.update_status(self._store.update(claim, by=BY), status, by=BY)

    def _expand(self, claim: dict) -> None:
        request = claim["spec"]["resources"]["requests"]["storage"]
        capacity = claim["status"]["capacity"]["storage"]
        if parse_quantity(request) <= parse_quantity(capacity):
            return
        storage_class = self._store.get("StorageClass", "", rules.class_of(claim))
        if storage_class is None or not rules.expands(storage_class):
            return
        status = {**claim["status"], "capacity": {"storage": request}}
        self._store.update_status(claim, status, by=BY)

    def _used(self, claim: dict) -> bool:
        """Whether a pod that mounts the claim waits to be scheduled."""
        namespace, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        deployments = [
            d for d in self._store.list("Deployment", namespace) if d["spec"].get("replicas", 1)
        ]
        jobs = [j for j in self._store.list("Job", namespace) if not finished(j)]
        return any(name in claims_of(o["spec"]["template"]) for o in deployments + jobs)


def finished(job: dict) -> bool:
    """Whether a Job is Complete or Failed (IsJobFinished)."""
    return any(
        c["type"] in ("Complete", "Failed") and c["status"] == "True"
        for c in job.get("status", {}).get("conditions", [])
    )
