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
from pathlib import Path

import yaml

from hooks.applied import CONTROLLER_UID, LAST_APPLIED
from hooks.children import build_children
from hooks.names import base_name
from hooks.spec import API_VERSION, parse_spec

CREATED = "2026-01-01T00:00:00Z"
# The child types of the CompositeController, as Metacontroller keys them.
CHILD_TYPES = {
    "PersistentVolumeClaim": "PersistentVolumeClaim.v1",
    "Deployment": "Deployment.apps/v1",
    "Service": "Service.v1",
    "PodDisruptionBudget": "PodDisruptionBudget.policy/v1",
    "NetworkPolicy": "NetworkPolicy.networking.k8s.io/v1",
    "Job": "Job.batch/v1",
}
# The class the DefaultStorageClass admission plugin gives a claim that names none.
DEFAULT_STORAGE_CLASS = "standard"
# The CompositeController the project ships, as Metacontroller's informer holds it.
CONTROLLER_MANIFEST = Path(__file__).parent.parent / "metacontroller" / "compositecontroller.yaml"


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
        live["spec"].setdefault("storageClassName", DEFAULT_STORAGE_CLASS)
    fill_server_defaults(live)
    status = _STATUS.get(desired["kind"])
    if status is not None:
        live["status"] = status(live, ready)
    return live


def encode_last_applied(applied: dict) -> str:
    """Return the last-applied annotation's value, as compact and key-sorted as Go writes it."""
    return json.dumps(applied, separators=(",", ":"), sort_keys=True)


def fill_server_defaults(live: dict) -> None:
    """Fill in, in place, what the API server defaults on every write of a child."""
    _SERVER_DEFAULTS.get(live["kind"], lambda _: None)(live)


def converged(parent: dict, spec: dict | None = None, *, ready: bool = True) -> list[dict]:
    """Return the children of `spec` (default: the parent's) as observed once applied."""
    base = base_name(parent["metadata"]["name"])
    desired = build_children(base, parse_spec(parent["spec"] if spec is None else spec))
    return [observe(child, parent, ready=ready) for child in desired]


def sync_request(parent: dict, observed: list[dict], *, version: str = "v1") -> dict:
    """Return the body Metacontroller POSTs to the sync hook (v1 or v2 inner keys)."""
    children = {type_key: {} for type_key in CHILD_TYPES.values()}
    for child in observed:
        metadata = child["metadata"]
        key = metadata["name"] if version == "v1" else f"{metadata['namespace']}/{metadata['name']}"
        children[CHILD_TYPES[child["kind"]]][key] = child
    return {
        "controller": CONTROLLER,
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


def _default_deployment(live: dict) -> None:
    spec = live["spec"]
    spec.setdefault("strategy", {"type": "RollingUpdate"})
    if spec["strategy"]["type"] == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": "25%", "maxUnavailable": "25%"}
    spec.update(progressDeadlineSeconds=600, revisionHistoryLimit=10)
    pod = spec["template"]["spec"]
    pod.update(
        dnsPolicy="ClusterFirst",
        restartPolicy="Always",
        schedulerName="default-scheduler",
        terminationGracePeriodSeconds=30,
    )
    for container in pod["containers"]:
        container.update(
            imagePullPolicy="IfNotPresent",
            terminationMessagePath="/dev/termination-log",
            terminationMessagePolicy="File",
        )
        for probe in ("readinessProbe", "livenessProbe"):
            if probe in container:
                container[probe] = {
                    "timeoutSeconds": 1,
                    "successThreshold": 1,
                    "failureThreshold": 3,
                    **container[probe],
                }


def _default_service(live: dict) -> None:
    spec = live["spec"]
    address = "10.96.0." + str(sum(live["metadata"]["name"].encode()) % 250 + 2)
    spec.update(
        clusterIP=address,
        clusterIPs=[address],
        internalTrafficPolicy="Cluster",
        ipFamilies=["IPv4"],
        ipFamilyPolicy="SingleStack",
        sessionAffinity="None",
    )
    for port in spec["ports"]:
        port.setdefault("protocol", "TCP")


def _default_claim(live: dict) -> None:
    live["spec"].setdefault("volumeMode", "Filesystem")


def claim_status(live: dict, ready: bool) -> dict:
    """Return a claim's status: Bound to a volume of its size when ready, Pending otherwise."""
    if not ready:
        return {"phase": "Pending"}
    live["spec"].setdefault("volumeName", f"pvc-{live['metadata']['uid']}")
    return {
        "phase": "Bound",
        "accessModes": live["spec"]["accessModes"],
        "capacity": {"storage": live["spec"]["resources"]["requests"]["storage"]},
    }


def _default_job(live: dict) -> None:
    spec = live["spec"]
    uid = live["metadata"]["uid"]
    selector = {"batch.kubernetes.io/controller-uid": uid}
    spec.update(completionMode="NonIndexed", completions=1, parallelism=1, suspend=False)
    spec.update(manualSelector=False, podReplacementPolicy="TerminatingOrFailed")
    spec["selector"] = {"matchLabels": selector}
    spec["template"]["metadata"]["labels"].update(
        {
            **selector,
            "controller-uid": uid,
            "batch.kubernetes.io/job-name": live["metadata"]["name"],
        }
    )
    pod = spec["template"]["spec"]
    pod.update(dnsPolicy="ClusterFirst", schedulerName="default-scheduler")
    pod["terminationGracePeriodSeconds"] = 30


def job_status(live: dict, ready: bool) -> dict:
    """Return a Job's status: Complete when ready, one pod running otherwise."""
    if not ready:
        return {"active": 1, "ready": 0, "startTime": CREATED}
    return {
        "succeeded": 1,
        "ready": 0,
        "startTime": CREATED,
        "completionTime": CREATED,
        "conditions": [
            {
                "type": "Complete",
                "status": "True",
                "lastProbeTime": CREATED,
                "lastTransitionTime": CREATED,
            }
        ],
    }


_SERVER_DEFAULTS = {
    "Deployment": _default_deployment,
    "Service": _default_service,
    "PersistentVolumeClaim": _default_claim,
    "Job": _default_job,
}
_STATUS = {
    "Deployment": deployment_status,
    "Service": lambda live, ready: {"loadBalancer": {}},
    "PodDisruptionBudget": _disruption_status,
    "PersistentVolumeClaim": claim_status,
    "Job": job_status,
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
