"""The API server's rules for the writes the emulated store takes, each from the Kubernetes source.

A write goes through what the real server runs, in its order: decoding
(`decode`: quantities as the server stores them), defaulting, mutating
admission (`admit_create`: the default StorageClass of a new claim), the
registry's validation (`create_errors` or `update_errors`, each with
`object_errors`: node ports, a Job's restartPolicy, immutable fields, a
claim's resize rules) and validating admission (`update_refusal`: growing a
claim needs a StorageClass that allows expansion). Errors read as the API
server writes them ("<field>: Forbidden: <detail>").
"""

import copy
import json

from hooks.quantity import canonical_quantity, parse_quantity

BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
# pkg/features/kube_features.go: RecoverVolumeExpansionFailure is on by default from 1.32.
RECOVER_EXPANSION_FAILURE_FROM = (1, 32)


NODE_PORTS = range(30000, 32768)  # the API server's default --service-node-port-range
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def decode(obj: dict) -> None:
    """Store every quantity as the API server does: the text `Quantity.String()` prints.

    The server decodes each quantity of a request through resource.Quantity's
    UnmarshalJSON -> ParseQuantity and encodes it back with String()
    (k8s.io/apimachinery pkg/api/resource/quantity.go), so `0.5` is stored as
    `500m` and `1024Mi` as `1Gi`. hooks/quantity.py ports that code, and
    tests/test_quantity.py holds it to the Go source's cases.
    """
    spec = obj.get("spec", {})
    for quantities in (
        *_container_quantities(spec.get("template", {}).get("spec", {})),
        *(spec.get("resources", {}).get(kind) for kind in ("requests", "limits")),
        obj.get("status", {}).get("capacity") if obj["kind"] == "PersistentVolumeClaim" else None,
    ):
        for name, value in (quantities or {}).items():
            quantities[name] = canonical_quantity(value)


def _container_quantities(pod: dict) -> list[dict | None]:
    containers = pod.get("initContainers", []) + pod.get("containers", [])
    return [c.get("resources", {}).get(kind) for c in containers for kind in ("requests", "limits")]


def create_errors(store, obj: dict) -> list[str]:
    """Return the field errors a create meets in the registry; [] if none (allocations made)."""
    ports = _node_port_errors(store, None, obj) if obj["kind"] == "Service" else []
    return object_errors(obj) + ports


def _node_port_errors(store, old: dict | None, new: dict) -> list[str]:
    """pkg/registry/core/service/storage/alloc.go: allocServiceNodePorts, txnUpdateNodePorts.

    A node port belongs to one Service in the whole cluster: a port asked for
    that another Service holds is refused; a NodePort or LoadBalancer port
    that asks for none gets a free one (the real allocator picks at random;
    this takes the lowest, so that tests stay deterministic). On update, a
    port the Service already held stays its own (patchAllocatedValues).
    """
    spec = new["spec"]
    if spec.get("type") not in NODE_PORT_TYPES:
        return []
    held = {
        port.get("nodePort")
        for service in store.list("Service")
        if (service["metadata"]["namespace"], service["metadata"]["name"])
        != (new["metadata"].get("namespace", "default"), new["metadata"]["name"])
        for port in service["spec"].get("ports", [])
    }
    previous = {
        p.get("port"): p.get("nodePort") for p in (old or {}).get("spec", {}).get("ports", [])
    }
    errors = []
    for index, port in enumerate(spec.get("ports", [])):
        if "nodePort" not in port and previous.get(port.get("port")) is not None:
            port["nodePort"] = previous[port.get("port")]
        if "nodePort" not in port:
            port["nodePort"] = next(p for p in NODE_PORTS if p not in held)
        elif port["nodePort"] in held:
            errors.append(
                f"spec.ports[{index}].nodePort: Invalid value: {port['nodePort']}: "
                "provided port is already allocated"
            )
        held.add(port["nodePort"])
    return errors


def admit_create(store, obj: dict) -> None:
    """Run the mutating admission a create goes through, changing `obj` in place."""
    if obj["kind"] == "PersistentVolumeClaim":
        _default_storage_class(store, obj)


def _default_storage_class(store, claim: dict) -> None:
    """plugin/pkg/admission/storage/storageclass/setdefault/admission.go: Admit.

    A claim that names no class (helper.PersistentVolumeClaimHasClass: neither
    spec.storageClassName, even "", nor the beta annotation) gets the default.
    """
    if "storageClassName" in claim["spec"] or BETA_CLASS in annotations(claim):
        return
    default = default_class(store)
    if default is not None:
        claim["spec"]["storageClassName"] = default["metadata"]["name"]


def default_class(store) -> dict | None:
    """Return the cluster's default StorageClass, or None.

    pkg/volume/util/storageclass.go GetDefaultClass: of several defaults, the
    newest wins, then the first by name.
    """
    defaults = [c for c in store.list("StorageClass") if _is_default(c)]
    defaults.sort(key=lambda c: c["metadata"]["name"])
    defaults.sort(key=lambda c: c["metadata"]["creationTimestamp"], reverse=True)
    return defaults[0] if defaults else None


def _is_default(storage_class: dict) -> bool:
    """pkg/volume/util/storageclass.go IsDefaultAnnotation: either annotation says "true"."""
    found = annotations(storage_class)
    return "true" in (found.get(DEFAULT_CLASS), found.get(BETA_DEFAULT_CLASS))


def object_errors(obj: dict) -> list[str]:
    """Return the field errors the strategy's validation of any write finds; [] if none."""
    if obj["kind"] == "Job":
        return _job_pod_errors(obj)
    return []


def _job_pod_errors(job: dict) -> list[str]:
    """pkg/apis/batch/validation/validation.go validateJobSpec: a Job's pods never restart.

    restartPolicy is defaulted to Always in a pod template, hence "Required".
    """
    policy = job["spec"]["template"]["spec"].get("restartPolicy", "Always")
    field = "spec.template.spec.restartPolicy"
    if policy == "Always":
        return [f'{field}: Required value: valid values: "OnFailure", "Never"']
    if policy not in ("OnFailure", "Never"):
        return [f'{field}: Unsupported value: "{policy}": supported values: "OnFailure", "Never"']
    if "podFailurePolicy" in job["spec"] and policy != "Never":
        return [f'{field}: Invalid value: {json.dumps(policy)}: only "Never" is supported']
    return []


def update_errors(store, old: dict, new: dict) -> list[str]:
    """Return the field errors the strategy's update validation finds; [] if none."""
    check = _UPDATE_CHECKS.get(new["kind"])
    return object_errors(new) + (check(store, old, new) if check else [])


def _service_errors(store, old: dict, new: dict) -> list[str]:
    return _node_port_errors(store, old, new)


def update_refusal(store, old: dict, new: dict) -> str | None:
    """Return why validating admission forbids the update, or None."""
    if new["kind"] == "PersistentVolumeClaim":
        return _resize_refusal(store, old, new)
    return None


def _deployment_errors(store, old: dict, new: dict) -> list[str]:
    """pkg/apis/apps/validation/validation.go ValidateDeploymentUpdate: an immutable selector."""
    return _immutable(old["spec"], new["spec"], "spec", ("selector",))


def _job_errors(store, old: dict, new: dict) -> list[str]:
    """pkg/apis/batch/validation/validation.go ValidateJobSpecUpdate.

    The template may change only in a suspended Job that never started
    (validatePodTemplateUpdate with AllowMutableSchedulingDirectives, and
    then only its scheduling directives): not modelled, so it never may.
    """
    fields = (
        "completions",
        "selector",
        "template",
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    )
    return _immutable(old["spec"], new["spec"], "spec", fields)


def _claim_errors(store, old: dict, new: dict) -> list[str]:
    """pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaimUpdate.

    The spec is immutable except: volumeName may be set once; storageClassName
    may go from unset to set (validateStorageClassUpgradeFromNil, when the
    beta annotation is absent or names the same class); requests.storage may
    change while the claim is Bound (the status is the stored one:
    PrepareForUpdate keeps it). A smaller request is refused, unless the
    RecoverVolumeExpansionFailure gate is on (1.32+): then it may shrink back
    toward, but not to or below, status.capacity. (The beta class
    annotation's own immutability is left out: nothing here writes it.)
    """
    old_spec, new_spec = copy.deepcopy(old["spec"]), copy.deepcopy(new["spec"])
    if not old_spec.get("volumeName"):
        _copy_field(new_spec, old_spec, "volumeName")
    old_beta = annotations(old).get(BETA_CLASS)
    new_class = new_spec.get("storageClassName")
    from_nil = "storageClassName" not in old_spec and new_class is not None
    if from_nil and old_beta in (None, new_class):
        _copy_field(old_spec, new_spec, "storageClassName")
    bound = old.get("status", {}).get("phase") == "Bound"
    if bound:
        new_spec.setdefault("resources", {}).setdefault("requests", {})
        new_spec["resources"]["requests"]["storage"] = _request(old)
        if "volumeAttributesClassName" in new_spec:
            _copy_field(old_spec, new_spec, "volumeAttributesClassName")
    errors = []
    if new_spec != old_spec:
        errors.append(
            "spec: Forbidden: spec is immutable after creation except resources.requests "
            "and volumeAttributesClassName for bound claims"
        )
    errors += _shrink_errors(store, old, new)
    return errors


def _shrink_errors(store, old: dict, new: dict) -> list[str]:
    field = "spec.resources.requests.storage"
    if parse_quantity(_request(new)) >= parse_quantity(_request(old)):
        return []
    if store.version_tuple < RECOVER_EXPANSION_FAILURE_FROM:
        return [f"{field}: Forbidden: field can not be less than previous value"]
    capacity = old.get("status", {}).get("capacity", {}).get("storage", "0")
    if parse_quantity(_request(new)) <= parse_quantity(capacity):
        return [f"{field}: Forbidden: field can not be less than status.capacity"]
    return []


def _resize_refusal(store, old: dict, new: dict) -> str | None:
    """plugin/pkg/admission/storage/persistentvolume/resize/admission.go: Validate.

    Only growth is checked: it needs a Bound claim, and a class, unchanged,
    that exists and has allowVolumeExpansion: true (allowResize).
    """
    if parse_quantity(_request(new)) <= parse_quantity(_request(old)):
        return None
    if old.get("status", {}).get("phase") != "Bound":
        return "Only bound persistent volume claims can be expanded"
    name = class_of(new)
    storage_class = store.get("StorageClass", "", name) if name else None
    if name != class_of(old) or storage_class is None or not expands(storage_class):
        return (
            "only dynamically provisioned pvc can be resized and "
            "the storageclass that provisions the pvc must support resize"
        )
    return None


def expands(storage_class: dict) -> bool:
    """Whether a StorageClass allows volume expansion (unset means no)."""
    return storage_class.get("allowVolumeExpansion") is True


def class_of(claim: dict) -> str:
    """pkg/apis/core/helper GetPersistentVolumeClaimClass: the beta annotation first."""
    beta = annotations(claim).get(BETA_CLASS)
    return beta if beta is not None else claim["spec"].get("storageClassName") or ""


def _request(claim: dict) -> str:
    return claim["spec"].get("resources", {}).get("requests", {}).get("storage", "0")


def _immutable(old: dict, new: dict, path: str, fields: tuple[str, ...]) -> list[str]:
    """apimachinery ValidateImmutableField, for each field that changed."""
    return [
        f"{path}.{field}: Invalid value: {json.dumps(new.get(field))}: field is immutable"
        for field in fields
        if new.get(field) != old.get(field)
    ]


def _copy_field(source: dict, target: dict, field: str) -> None:
    if field in source:
        target[field] = source[field]
    else:
        target.pop(field, None)


def annotations(obj: dict) -> dict:
    """Return an object's annotations, {} when it has none."""
    return obj["metadata"].get("annotations") or {}


_UPDATE_CHECKS = {
    "Service": _service_errors,
    "Deployment": _deployment_errors,
    "Job": _job_errors,
    "PersistentVolumeClaim": _claim_errors,
}
