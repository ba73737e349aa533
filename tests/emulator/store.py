"""An in-memory API server: objects, resource versions, generations, defaults, writes counted.

Only what the Guestbook's story needs: create, update, status update and
delete with the API server's rules (uid and resourceVersion assigned, the
generation bumped when anything but metadata and status changes, server-side
defaults filled on every write, admission and update validation as `rules`
has them, background garbage collection through ownerReferences), every
built-in object checked against the strict Kubernetes schema of the version
it emulates, and every write recorded with who made it.
"""

import copy
import itertools
from dataclasses import dataclass

from tests.apiserver import API_VERSION, CONTROLLER_UID, managed_fields, uid_of
from tests.emulator import rules
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors
from tests.server_defaults import fill_server_defaults

API_VERSIONS = {
    "Guestbook": API_VERSION,
    "PersistentVolumeClaim": "v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "Ingress": "networking.k8s.io/v1",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Job": "batch/v1",
    "StorageClass": "storage.k8s.io/v1",
}
CLUSTER_SCOPED = {"StorageClass"}
NEWEST = KUBERNETES_VERSIONS[-1]


class APIError(Exception):
    """A write the API server refuses; `code` is the HTTP status it would answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Write:
    """One successful write: its verb, the object it touched, and who made it."""

    verb: str  # create, update, status, delete
    kind: str
    namespace: str
    name: str
    by: str
    owner: str | None  # the uid of the parent a write enqueues (see owner_of)


class Store:
    """The objects of one emulated cluster, keyed by (kind, namespace, name)."""

    def __init__(self, clock, kubernetes_version: str = NEWEST) -> None:
        self._objects: dict[tuple[str, str, str], dict] = {}
        self._versions = itertools.count(1000)
        self._clock = clock
        self.kubernetes_version = kubernetes_version
        self.version_tuple = tuple(int(part) for part in kubernetes_version.split("."))
        self.writes: list[Write] = []

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        """Return a copy of the object (namespace "" for cluster-scoped kinds), or None."""
        found = self._objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def list(self, kind: str, namespace: str | None = None) -> list[dict]:
        """Return copies of every object of a kind, in one namespace or all, sorted by name."""
        return [
            copy.deepcopy(obj)
            for (k, ns, _), obj in sorted(self._objects.items())
            if k == kind and namespace in (None, ns)
        ]

    def create(self, obj: dict, *, by: str) -> dict:
        """Store a new object as the API server would; 409 if the name is taken."""
        obj = copy.deepcopy(obj)
        rules.decode(obj)
        key = _key(obj)
        if key in self._objects:
            raise APIError(409, f"{key[0]} {key[2]} already exists")
        metadata = obj["metadata"]
        metadata.update(
            uid=uid_of(*key, str(next(self._versions))),
            generation=1,
            creationTimestamp=self._clock(),
            managedFields=[managed_fields(by, obj["apiVersion"], obj)],
        )
        fill_server_defaults(obj)
        rules.admit_create(self, obj)
        _refuse_invalid(obj, rules.create_errors(self, obj))
        return self._write("create", obj, by)

    def update(self, obj: dict, *, by: str) -> dict:
        """Replace an object (status excluded), like a PUT; 404 or 409 as the API server says."""
        obj = copy.deepcopy(obj)
        rules.decode(obj)
        stored = self._stored(obj)
        if obj["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"]:
            raise APIError(409, f"{obj['kind']} {obj['metadata']['name']} was modified")
        for field in ("uid", "creationTimestamp", "generation"):
            obj["metadata"][field] = stored["metadata"][field]
        if "status" in stored:
            obj["status"] = stored["status"]
        else:
            obj.pop("status", None)
        fill_server_defaults(obj)
        _check_update(self, stored, obj)
        if _spec_of(obj) != _spec_of(stored):
            obj["metadata"]["generation"] += 1
        return self._write("update", obj, by)

    def update_status(self, obj: dict, status: dict, *, by: str) -> dict:
        """Replace the status subresource only."""
        stored = self._stored(obj)
        stored["status"] = copy.deepcopy(status)
        rules.decode(stored)
        return self._write("status", stored, by)

    def delete(self, kind: str, namespace: str, name: str, *, by: str) -> None:
        """Delete an object, then (as the garbage collector does) everything it owns."""
        gone = self._objects.pop((kind, namespace, name), None)
        if gone is None:
            raise APIError(404, f"{kind} {name} not found")
        self.writes.append(Write("delete", kind, namespace, name, by, owner_of(gone)))
        uid = gone["metadata"]["uid"]
        for key, obj in list(self._objects.items()):
            if any(ref["uid"] == uid for ref in obj["metadata"].get("ownerReferences", [])):
                self.delete(*key, by="garbage-collector")

    def _stored(self, obj: dict) -> dict:
        key = _key(obj)
        if key not in self._objects:
            raise APIError(404, f"{key[0]} {key[2]} not found")
        return copy.deepcopy(self._objects[key])

    def _write(self, verb: str, obj: dict, by: str) -> dict:
        if API_VERSIONS.get(obj["kind"]) != obj["apiVersion"]:
            # What the API server answers for a kind or version it does not serve.
            raise APIError(404, f"the server could not find {obj['apiVersion']} {obj['kind']}")
        obj["metadata"]["resourceVersion"] = str(next(self._versions))
        if obj["kind"] != "Guestbook":
            fill_server_defaults(obj)
            errors = schema_errors(obj, self.kubernetes_version)
            if errors:
                raise APIError(422, f"{obj['kind']} {obj['metadata']['name']} is invalid: {errors}")
        key = _key(obj)
        self._objects[key] = obj
        self.writes.append(Write(verb, *key, by, owner_of(obj)))
        return copy.deepcopy(obj)


def owner_of(obj: dict) -> str | None:
    """Return the uid of the parent a change to `obj` enqueues: its controller, or its label."""
    refs = obj["metadata"].get("ownerReferences", [])
    controller = next((ref["uid"] for ref in refs if ref.get("controller")), None)
    return controller or obj["metadata"].get("labels", {}).get(CONTROLLER_UID)


def _key(obj: dict) -> tuple[str, str, str]:
    metadata = obj["metadata"]
    if obj["kind"] in CLUSTER_SCOPED:
        return obj["kind"], "", metadata["name"]
    return obj["kind"], metadata.get("namespace", "default"), metadata["name"]


def _spec_of(obj: dict) -> dict:
    """Return what the generation counts: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _check_update(store: Store, stored: dict, obj: dict) -> None:
    """Refuse an update as validation (422 Invalid), then validating admission (403), would."""
    _refuse_invalid(obj, rules.update_errors(store, stored, obj))
    name = obj["metadata"]["name"]
    refusal = rules.update_refusal(store, stored, obj)
    if refusal:
        resource = f"{obj['kind'].lower()}s"
        raise APIError(403, f'{resource} "{name}" is forbidden: {refusal}')


def _refuse_invalid(obj: dict, errors: list[str]) -> None:
    """Answer 422 Invalid as the API server words it, when validation found errors."""
    if errors:
        group = obj["apiVersion"].rpartition("/")[0].split(".")[0]
        kind = f"{obj['kind']}.{group}" if group else obj["kind"]
        found = errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"
        raise APIError(422, f'{kind} "{obj["metadata"]["name"]}" is invalid: {found}')
