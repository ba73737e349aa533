"""Objects and hook requests shaped the way the API server and Metacontroller produce them.

Test code, not product code: it turns the hooks' desired children into what
Metacontroller would observe after creating them (uid, resourceVersion,
generation, managedFields, server-filled defaults, the last-applied annotation,
the controller-uid label, an ownerReference and a status), and wraps a parent
and its observed children into a sync request.
"""

import copy
import json
import uuid

import yaml

from hooks.applied import CONTROLLER_UID, LAST_APPLIED
from hooks.children import build_children
from hooks.names import base_name
from hooks.spec import API_VERSION, parse_spec
from tests import ROOT
from tests.server_defaults import fill_server_defaults

CREATED = "2026-01-01T00:00:00Z"
# The built-in kinds a CompositeController may list, by the resource that
# discovery names them with.
KINDS = {
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "deployments": "Deployment",
    "services": "Service",
    "ingresses": "Ingress",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "networkpolicies": "NetworkPolicy",
    "jobs": "Job",
}
# kind's default StorageClass, which the emulated cluster also has unless told otherwise.
DEFAULT_STORAGE_CLASS = "standard"
PROVISIONER = "rancher.io/local-path"
# The CompositeController the project ships, as Metacontroller's informer holds it.
CONTROLLER_MANIFEST = ROOT / "metacontroller" / "compositecontroller.yaml"


def uid_of(*parts: str) -> str:
    """Return a stable uid for an object, as the API server would assign one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _controller() -> dict:
    """Return the shipped CompositeController with what the API server adds to it."""
    controller = yaml.safe_load(CONTROLLER_MANIFEST.read_text())
    controller["metadata"].update(
        uid=uid_of(controller["apiVersion"], controller["metadata"]["name"]),
        resourceVersion="1",
        generation=1,
        creationTimestamp=CREATED,
    )
    controller["status"] = {}
    return controller


CONTROLLER = _controller()


def child_types(controller: dict) -> dict[str, str]:
    """Return the controller's child kinds and the keys Metacontroller files them under."""
    return {
        KINDS[child["resource"]]: f"{KINDS[child['resource']]}.{child['apiVersion']}"
        for child in controller["spec"]["childResources"]
    }


def update_methods(controller: dict) -> dict[str, str]:
    """Return each child kind's update method; OnDelete when none is given, as Metacontroller."""
    return {
        KINDS[child["resource"]]: child.get("updateStrategy", {}).get("method", "OnDelete")
        for child in controller["spec"]["childResources"]
    }


# The child types of the shipped CompositeController, as Metacontroller keys them.
CHILD_TYPES = child_types(CONTROLLER)


def guestbook(
    name: str = "gb1",
    namespace: str = "demo",
    spec: dict | None = None,
    *,
    generation: int = 1,
    status: dict | None = None,
    annotations: dict | None = None,
) -> dict:
    """Return a Guestbook as the API server returns it to Metacontroller."""
    metadata = {
        "name": name,
        "namespace": namespace,
        "uid": uid_of(API_VERSION, namespace, name),
        "resourceVersion": str(1000 + generation),
        "generation": generation,
        "creationTimestamp": CREATED,
        "managedFields": [managed_fields("kubectl-client-side-apply", API_VERSION, {"spec": {}})],
    }
    if annotations:
        metadata["annotations"] = annotations
    parent = {"apiVersion": API_VERSION, "kind": "Guestbook", "metadata": metadata}
    parent["spec"] = {} if spec is None else spec
    if status is not None:
        parent["status"] = status
    return parent


def observe(desired: dict, parent: dict, *, ready: bool = True, generation: int = 1) -> dict:
    """Return the desired child as Metacontroller observes it after creating it."""
    applied = copy.deepcopy(desired)
    applied["metadata"].setdefault("labels", {})[CONTROLLER_UID] = parent["metadata"]["uid"]
    live = copy.deepcopy(applied)
    metadata = live["metadata"]
    namespace = parent["metadata"]["namespace"]
    metadata.update(
        namespace=namespace,
        uid=uid_of(desired["kind"], namespace, metadata["name"]),
        resourceVersion=str(2000 + generation),
        generation=generation,
        creationTimestamp=CREATED,
        ownerReferences=[owner_reference(parent)],
        managedFields=[managed_fields("metacontroller", desired["apiVersion"], desired)],
    )
    metadata.setdefault("annotations", {})[LAST_APPLIED] = encode_last_applied(applied)
    if desired["kind"] == "PersistentVolumeClaim":
        # The admission plugin gives a claim without a class the cluster's default.
        live["spec"].setdefault("storageClassName", DEFAULT_STORAGE_CLASS)
    fill_server_defaults(live)
    status = _STATUS.get(desired["kind"])
    if status is not None:
        live["status"] = status(live, ready)
    return live


def encode_last_applied(applied: dict) -> str:
    """Return the last-applied annotation's value, as compact and key-sorted as Go writes it."""
    return json.dumps(applied, separators=(",", ":"), sort_keys=True)


def converged(parent: dict, spec: dict | None = None, *, ready: bool = True) -> list[dict]:
    """Return the children of `spec` (default: the parent's) as observed once applied."""
    base = base_name(parent["metadata"]["name"])
    desired = build_children(base, parse_spec(parent["spec"] if spec is None else spec))
    return [observe(child, parent, ready=ready) for child in desired]


def sync_request(
    parent: dict, observed: list[dict], *, version: str = "v1", controller: dict = CONTROLLER
) -> dict:
    """Return the body Metacontroller POSTs to the sync hook (v1 or v2 inner keys)."""
    types = child_types(controller)
    children = {type_key: {} for type_key in types.values()}
    for child in observed:
        metadata = child["metadata"]
        key = metadata["name"] if version == "v1" else f"{metadata['namespace']}/{metadata['name']}"
        children[types[child["kind"]]][key] = child
    return {
        "controller": controller,
        "parent": parent,
        "children": children,
        "related": {},
        "finalizing": False,
    }


def deployment_status(live: dict, ready: bool) -> dict:
    """Return a Deployment's status: rolled out when ready, just created otherwise."""
    replicas = live["spec"]["replicas"]
    generation = live["metadata"]["generation"]
    if not ready:
        return {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "unavailableReplicas": replicas,
            "conditions": [
                _deployment_condition("Available", "False", "MinimumReplicasUnavailable"),
                _deployment_condition("Progressing", "True", "ReplicaSetUpdated"),
            ],
        }
    status = {"observedGeneration": generation}
    if replicas:
        status.update(
            replicas=replicas,
            updatedReplicas=replicas,
            readyReplicas=replicas,
            availableReplicas=replicas,
        )
    status["conditions"] = [
        _deployment_condition("Available", "True", "MinimumReplicasAvailable"),
        _deployment_condition("Progressing", "True", "NewReplicaSetAvailable"),
    ]
    return status


def _deployment_condition(kind: str, status: str, reason: str) -> dict:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": f"Deployment condition {reason}",
        "lastUpdateTime": CREATED,
        "lastTransitionTime": CREATED,
    }


def _disruption_status(live: dict, ready: bool) -> dict:
    generation = live["metadata"]["generation"]
    return {
        "observedGeneration": generation,
        "currentHealthy": 3 if ready else 0,
        "desiredHealthy": 2,
        "expectedPods": 3,
        "disruptionsAllowed": 1 if ready else 0,
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": "True" if ready else "False",
                "reason": "SufficientPods" if ready else "InsufficientPods",
                "message": "",
                "observedGeneration": generation,
                "lastTransitionTime": CREATED,
            }
        ],
    }


def bind_claim(live: dict, provisioner: str) -> None:
    """Bind a claim, in place, to a new volume of the size it requests.

    As pkg/controller/volume/persistentvolume/pv_controller.go does it:
    bindClaimToVolume sets spec.volumeName and the bind-completed and
    bound-by-controller annotations (names in its util/util.go), the
    provisioner annotations name who provisioned the volume, and
    updateClaimStatus copies the volume's access modes and capacity.
    """
    metadata, spec = live["metadata"], live["spec"]
    spec["volumeName"] = f"pvc-{metadata['uid']}"
    metadata.setdefault("annotations", {}).update(
        {
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": provisioner,
            "volume.kubernetes.io/storage-provisioner": provisioner,
        }
    )
    live["status"] = {
        "phase": "Bound",
        "accessModes": list(spec["accessModes"]),
        "capacity": {"storage": spec["resources"]["requests"]["storage"]},
    }


def _claim_status(live: dict, ready: bool) -> dict:
    if not ready:
        return {"phase": "Pending"}
    bind_claim(live, PROVISIONER)
    return live["status"]


def job_status(outcome: str, *, started: str, now: str, backoff_limit: int = 6) -> dict:
    """Return a Job's status once its one pod runs ("running"), "succeeded" or "failed".

    The shapes pkg/controller/job/job_controller.go writes since Kubernetes
    1.31: a finished Job first gets SuccessCriteriaMet or FailureTarget, then
    Complete (reason CompletionsReached) or Failed (BackoffLimitExceeded, after
    backoffLimit + 1 failed pods).
    """
    status = {"startTime": started, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    if outcome == "running":
        return {**status, "active": 1}
    if outcome == "succeeded":
        status.update(succeeded=1, completionTime=now)
        kinds, reason = ("SuccessCriteriaMet", "Complete"), "CompletionsReached"
        message = "Reached expected number of succeeded pods"
    else:
        status.update(failed=backoff_limit + 1)
        kinds, reason = ("FailureTarget", "Failed"), "BackoffLimitExceeded"
        message = "Job has reached the specified backoff limit"
    status["conditions"] = [
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastProbeTime": now,
            "lastTransitionTime": now,
        }
        for kind in kinds
    ]
    return status


def _job_status(live: dict, ready: bool) -> dict:
    outcome = "succeeded" if ready else "running"
    limit = live["spec"]["backoffLimit"]
    return job_status(outcome, started=CREATED, now=CREATED, backoff_limit=limit)


_STATUS = {
    "Deployment": deployment_status,
    "Service": lambda live, ready: {"loadBalancer": {}},
    # IngressStatus.LoadBalancer is a struct, which JSON never leaves out
    # (k8s.io/api networking/v1 types.go, IngressStatus): {} until a controller fills it.
    "Ingress": lambda live, ready: {"loadBalancer": {}},
    "PodDisruptionBudget": _disruption_status,
    "PersistentVolumeClaim": _claim_status,
    "Job": _job_status,
}


def owner_reference(parent: dict) -> dict:
    """Return the controller reference Metacontroller puts on every child it creates."""
    return {
        "apiVersion": parent["apiVersion"],
        "kind": parent["kind"],
        "name": parent["metadata"]["name"],
        "uid": parent["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def managed_fields(manager: str, api_version: str, written: dict) -> dict:
    """Return the managedFields entry of a manager that wrote every field of `written`."""
    return {
        "manager": manager,
        "operation": "Update",
        "apiVersion": api_version,
        "time": CREATED,
        "fieldsType": "FieldsV1",
        "fieldsV1": _fields_of(written),
    }


def _fields_of(value: object) -> dict:
    """Return a FieldsV1 set naming every field of the object, as managedFields does."""
    if not isinstance(value, dict):
        return {}
    return {f"f:{key}": _fields_of(child) for key, child in value.items() if key != "status"}
