"""An emulated cluster: the API store, the built-in controllers and Metacontroller, in ticks.

A tick lets a minute pass: the volume controller binds and grows claims, the
Deployment controller moves pods and the Job controller runs Jobs, each
writing statuses; then Metacontroller syncs every guestbook that a write
touched (its own object, or a child it owns or whose labels select it), again
and again until no write touches one. A hook and a Metacontroller that never
agree would sync forever; that is caught and reported as a sync loop.

The cluster starts with one StorageClass, the default (`standard`, which
allows volume expansion) unless told otherwise, and keeps a model of where
each Redis leader's entries live (`tests.emulator.data`): tests write
entries through a Deployment's pod and read them back after whatever
happened in between.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.apiserver import API_VERSION, CONTROLLER, DEFAULT_STORAGE_CLASS, PROVISIONER
from tests.emulator.controllers import DeploymentController
from tests.emulator.data import Data
from tests.emulator.jobs import JobController
from tests.emulator.metacontroller import CompositeController, Hook
from tests.emulator.rules import DEFAULT_CLASS
from tests.emulator.store import NEWEST, Store, Write
from tests.emulator.volumes import VolumeController

SECONDS_PER_TICK = 60
SYNC_ROUNDS_PER_TICK = 5  # more means the hook and Metacontroller never agree
START = datetime(2026, 1, 1, tzinfo=UTC)
USER = "user"


class SyncLoopError(AssertionError):
    """Syncs that keep writing: the hot loop Metacontroller users dread."""


class Cluster:
    """One namespace-agnostic emulated cluster running the guestbook CompositeController."""

    def __init__(
        self,
        hook: Hook,
        *,
        version: str = "v1",
        controller: dict = CONTROLLER,
        default_storage_class: str | None = DEFAULT_STORAGE_CLASS,
        allow_expansion: bool = True,
        kubernetes_version: str = NEWEST,
    ) -> None:
        """Start a cluster whose Metacontroller calls `hook` with that hook API version.

        `controller` is the CompositeController it runs; `default_storage_class`
        names the default StorageClass it starts with (None: no class at all),
        which allows volume expansion when `allow_expansion`; the API server
        follows the rules and schemas of `kubernetes_version`.
        """
        self.seconds = 0
        self.store = Store(self.timestamp, kubernetes_version)
        self.data = Data()
        self.unstartable: set[str] = set()  # images whose pods never become ready
        self.failing_jobs: set[str] = set()  # names of Jobs whose pods fail
        self.volumes = VolumeController(self.store, self.data)
        self.deployments = DeploymentController(
            self.store, self.timestamp, self.unstartable, self.data
        )
        self.jobs = JobController(self.store, self.timestamp, self.data, self.failing_jobs)
        self.metacontroller = CompositeController(
            self.store, hook, version=version, controller=controller
        )
        self._seen = 0  # writes already turned into syncs
        if default_storage_class is not None:
            self.add_storage_class(
                default_storage_class, default=True, allow_expansion=allow_expansion
            )

    def timestamp(self) -> str:
        """Return the emulated time, as the API server writes it."""
        return (START + timedelta(seconds=self.seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # What a person does with kubectl.

    def apply(
        self,
        name: str,
        spec: dict | None = None,
        *,
        namespace: str = "demo",
        annotations: dict | None = None,
    ) -> dict:
        """Create or replace a Guestbook's spec and annotations, as `kubectl apply` does."""
        live = self.store.get("Guestbook", namespace, name)
        if live is None:
            metadata = {"name": name, "namespace": namespace}
            if annotations:
                metadata["annotations"] = annotations
            guestbook = {"apiVersion": API_VERSION, "kind": "Guestbook", "metadata": metadata}
            return self.store.create({**guestbook, "spec": spec or {}}, by=USER)
        live["spec"] = spec or {}
        if annotations:
            live["metadata"]["annotations"] = annotations
        else:
            live["metadata"].pop("annotations", None)
        return self.store.update(live, by=USER)

    def edit(self, kind: str, name: str, change: Callable[[dict], None], namespace="demo") -> None:
        """Change an object in place, as `kubectl edit` does."""
        live = self.store.get(kind, namespace, name)
        change(live)
        self.store.update(live, by=USER)

    def delete(self, kind: str, name: str, namespace: str = "demo") -> None:
        """Delete an object, as `kubectl delete` does."""
        self.store.delete(kind, namespace, name, by=USER)

    # What a cluster administrator does.

    def add_storage_class(
        self,
        name: str,
        *,
        default: bool = False,
        allow_expansion: bool = False,
        wait_for_first_consumer: bool = False,
    ) -> dict:
        """Create a StorageClass: the default or not, expandable or not, binding at once or not."""
        storage_class = {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": name},
            "provisioner": PROVISIONER,
            "allowVolumeExpansion": allow_expansion,
            "volumeBindingMode": "WaitForFirstConsumer" if wait_for_first_consumer else "Immediate",
        }
        if default:
            storage_class["metadata"]["annotations"] = {DEFAULT_CLASS: "true"}
        return self.store.create(storage_class, by=USER)

    # What happens to a cluster.

    def reschedule(self, deployment: str, namespace: str = "demo") -> None:
        """Take a Deployment's pods away, as a node drain or loss does; new ones follow."""
        self.deployments.reschedule(self.store.get("Deployment", namespace, deployment))

    def lose_claim(self, claim: str, namespace: str = "demo") -> None:
        """Mark a claim Lost, as when its volume disappears with its data."""
        self.volumes.lose(namespace, claim)

    # What an app does with its data.

    def write(self, deployment: str, *entries: str, namespace: str = "demo") -> None:
        """Write entries through the Deployment's ready pod, into the volume at /data."""
        self.data.write(self.store.get("Deployment", namespace, deployment), entries)

    def entries(self, deployment: str, namespace: str = "demo") -> list[str]:
        """Return the entries the Deployment's ready pod serves."""
        return self.data.entries(self.store.get("Deployment", namespace, deployment))

    def claim_entries(self, claim: str, namespace: str = "demo") -> list[str] | None:
        """Return the entries on a claim's volume; None while it holds no Redis data."""
        return self.data.claim_entries(self.store.get("PersistentVolumeClaim", namespace, claim))

    # Time passing.

    def tick(self) -> list[Write]:
        """Let a minute pass; return every write it brought."""
        start = len(self.store.writes)
        self.seconds += SECONDS_PER_TICK
        self.volumes.tick()
        self.deployments.tick(SECONDS_PER_TICK)
        self.jobs.tick()
        # A failed sync is requeued with backoff: a tick later, it runs again.
        retry, self.metacontroller.retry = self.metacontroller.retry, set()
        for namespace, name in sorted(retry):
            self.metacontroller.sync(namespace, name)
        self._sync_touched()
        return self.store.writes[start:]

    def settle(self, max_ticks: int) -> int:
        """Tick until a tick writes nothing; return how many ticks that took."""
        for ticks in range(1, max_ticks + 1):
            if not self.tick():
                return ticks
        raise AssertionError(f"still writing after {max_ticks} ticks")

    def resync(self) -> list[Write]:
        """Sync every guestbook once, as a periodic resync does; return the writes it made."""
        start = len(self.store.writes)
        for guestbook in self.store.list("Guestbook"):
            self.metacontroller.sync(
                guestbook["metadata"]["namespace"], guestbook["metadata"]["name"]
            )
        self._sync_touched()
        return self.store.writes[start:]

    def _sync_touched(self) -> None:
        for _ in range(SYNC_ROUNDS_PER_TICK):
            touched = self._touched()
            if not touched:
                return
            for namespace, name in sorted(touched):
                self.metacontroller.sync(namespace, name)
        if self._touched():
            raise SyncLoopError(f"syncs still write after {SYNC_ROUNDS_PER_TICK} rounds")

    def _touched(self) -> set[tuple[str, str]]:
        """Return the guestbooks that the writes since the last call would enqueue."""
        writes, self._seen = self.store.writes[self._seen :], len(self.store.writes)
        parents = {g["metadata"]["uid"]: g for g in self.store.list("Guestbook")}
        touched = set()
        for write in writes:
            if write.kind == "Guestbook":
                touched.add((write.namespace, write.name))
            elif write.owner in parents:
                metadata = parents[write.owner]["metadata"]
                touched.add((metadata["namespace"], metadata["name"]))
        return {key for key in touched if self.store.get("Guestbook", *key) is not None}

    # What a person reads with kubectl get.

    def guestbook(self, name: str, namespace: str = "demo") -> dict:
        return self.store.get("Guestbook", namespace, name)

    def condition(self, name: str, kind: str, namespace: str = "demo") -> dict:
        """Return one condition of a guestbook's status."""
        conditions = self.guestbook(name, namespace).get("status", {}).get("conditions", [])
        return next(c for c in conditions if c["type"] == kind)

    def children(self, name: str, namespace: str = "demo") -> dict[tuple[str, str], dict]:
        """Return the objects a guestbook controls, keyed by kind and name."""
        uid = self.guestbook(name, namespace)["metadata"]["uid"]
        return {
            (obj["kind"], obj["metadata"]["name"]): obj
            for kind in self.metacontroller.child_kinds
            for obj in self.store.list(kind, namespace)
            if any(ref["uid"] == uid for ref in obj["metadata"].get("ownerReferences", []))
        }
