"""What the API server fills in on every write of a built-in object, kind by kind.

Each defaulter follows the Kubernetes defaulting functions named in its
comment (`SetDefaults_*` in pkg/apis/<group>/v1/defaults.go, plus what a
registry strategy adds on create), filling only what is absent, so that
writing an object twice gives the same object.
"""

from collections.abc import Callable


def fill_server_defaults(live: dict) -> None:
    """Fill in, in place, what the API server defaults on every write of the object."""
    _DEFAULTERS.get(live["kind"], lambda _: None)(live)


def _deployment(live: dict) -> None:
    """pkg/apis/apps/v1/defaults.go: SetDefaults_Deployment."""
    spec = live["spec"]
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("revisionHistoryLimit", 10)
    _pod_template(spec["template"])


def _pod_template(template: dict) -> None:
    """pkg/apis/core/v1/defaults.go: SetDefaults_PodSpec and SetDefaults_Container."""
    pod = template["spec"]
    for field, value in (
        ("dnsPolicy", "ClusterFirst"),
        ("restartPolicy", "Always"),
        ("schedulerName", "default-scheduler"),
        ("terminationGracePeriodSeconds", 30),
    ):
        pod.setdefault(field, value)
    for container in pod.get("initContainers", []) + pod["containers"]:
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


def _service(live: dict) -> None:
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


def _claim(live: dict) -> None:
    """pkg/apis/core/v1/defaults.go: SetDefaults_PersistentVolumeClaim(Spec)."""
    live["spec"].setdefault("volumeMode", "Filesystem")
    live.setdefault("status", {}).setdefault("phase", "Pending")


def _job(live: dict) -> None:
    """pkg/apis/batch/v1/defaults.go SetDefaults_Job, then the selector the strategy generates.

    pkg/registry/batch/job/strategy.go generateSelector (PrepareForCreate):
    without manualSelector, the template gets the job-name and controller-uid
    labels (legacy and batch.kubernetes.io/ forms) and the selector matches
    batch.kubernetes.io/controller-uid = the Job's uid.
    """
    spec, metadata = live["spec"], live["metadata"]
    if "completions" not in spec and "parallelism" not in spec:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    template_labels = spec["template"].setdefault("metadata", {}).get("labels")
    if template_labels and not metadata.get("labels"):
        metadata["labels"] = dict(template_labels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    replacement = "Failed" if "podFailurePolicy" in spec else "TerminatingOrFailed"
    spec.setdefault("podReplacementPolicy", replacement)
    spec.setdefault("manualSelector", False)
    if not spec["manualSelector"]:
        labels = spec["template"]["metadata"].setdefault("labels", {})
        for key in ("job-name", "batch.kubernetes.io/job-name"):
            labels.setdefault(key, metadata["name"])
        for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
            labels.setdefault(key, metadata["uid"])
        selector = spec.setdefault("selector", {}).setdefault("matchLabels", {})
        selector.setdefault("batch.kubernetes.io/controller-uid", metadata["uid"])
    _pod_template(spec["template"])


def _storage_class(live: dict) -> None:
    """pkg/apis/storage/v1/defaults.go: SetDefaults_StorageClass."""
    live.setdefault("reclaimPolicy", "Delete")
    live.setdefault("volumeBindingMode", "Immediate")


_DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Deployment": _deployment,
    "Service": _service,
    "PersistentVolumeClaim": _claim,
    "Job": _job,
    "StorageClass": _storage_class,
}
