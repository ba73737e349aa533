"""The restricted Pod Security Standard, one check per rule of the profile (baseline included).

Each check takes a pod spec and returns a message for every violation, naming
the field; the rules and allowed values follow the Kubernetes documentation of
the Pod Security Standards.
"""

from collections.abc import Callable, Iterator

BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def contexts(pod: dict) -> Iterator[tuple[str, dict]]:
    """Yield (path, securityContext) of the pod and of every container."""
    yield "securityContext", pod.get("securityContext", {})
    for path, container in containers(pod):
        yield f"{path}.securityContext", container.get("securityContext", {})


def containers(pod: dict) -> Iterator[tuple[str, dict]]:
    """Yield (path, container) for every container, init and ephemeral ones included."""
    for field in CONTAINER_LISTS:
        for i, container in enumerate(pod.get(field, [])):
            yield f"{field}[{i}]", container


def host_process(pod: dict) -> list[str]:
    return [
        f"{path}.windowsOptions.hostProcess"
        for path, context in contexts(pod)
        if context.get("windowsOptions", {}).get("hostProcess")
    ]


def host_namespaces(pod: dict) -> list[str]:
    return [field for field in ("hostNetwork", "hostPID", "hostIPC") if pod.get(field)]


def privileged(pod: dict) -> list[str]:
    return [f"{path}.privileged" for path, context in contexts(pod) if context.get("privileged")]


def baseline_capabilities(pod: dict) -> list[str]:
    return [
        f"{path}.capabilities.add: {added}"
        for path, context in contexts(pod)
        for added in context.get("capabilities", {}).get("add", [])
        if added not in BASELINE_CAPABILITIES
    ]


def host_path_volumes(pod: dict) -> list[str]:
    return [f"volumes[{v['name']}].hostPath" for v in pod.get("volumes", []) if "hostPath" in v]


def host_ports(pod: dict) -> list[str]:
    return [
        f"{path}.ports[{port.get('name', i)}].hostPort"
        for path, container in containers(pod)
        for i, port in enumerate(container.get("ports", []))
        if port.get("hostPort", 0) != 0
    ]


def app_armor(pod: dict) -> list[str]:
    return [
        f"{path}.appArmorProfile.type"
        for path, context in contexts(pod)
        if context.get("appArmorProfile", {}).get("type", "RuntimeDefault")
        not in ("RuntimeDefault", "Localhost")
    ]


def selinux(pod: dict) -> list[str]:
    problems = []
    for path, context in contexts(pod):
        options = context.get("seLinuxOptions", {})
        if options.get("type", "") not in SELINUX_TYPES:
            problems.append(f"{path}.seLinuxOptions.type")
        problems += [f"{path}.seLinuxOptions.{key}" for key in ("user", "role") if key in options]
    return problems


def proc_mount(pod: dict) -> list[str]:
    return [
        f"{path}.procMount"
        for path, context in contexts(pod)
        if context.get("procMount", "Default") != "Default"
    ]


def sysctls(pod: dict) -> list[str]:
    return [
        f"securityContext.sysctls: {s['name']}"
        for s in pod.get("securityContext", {}).get("sysctls", [])
        if s["name"] not in SAFE_SYSCTLS
    ]


def volume_types(pod: dict) -> list[str]:
    return [
        f"volumes[{volume['name']}]: {kind}"
        for volume in pod.get("volumes", [])
        for kind in volume
        if kind != "name" and kind not in RESTRICTED_VOLUMES
    ]


def privilege_escalation(pod: dict) -> list[str]:
    return [
        f"{path}.securityContext.allowPrivilegeEscalation"
        for path, container in containers(pod)
        if container.get("securityContext", {}).get("allowPrivilegeEscalation") is not False
    ]


def non_root(pod: dict) -> list[str]:
    at_pod = pod.get("securityContext", {}).get("runAsNonRoot")
    problems = [
        f"{path}.runAsNonRoot" for path, c in contexts(pod) if c.get("runAsNonRoot") is False
    ]
    if at_pod is not True:
        problems += [
            f"{path}.securityContext.runAsNonRoot"
            for path, container in containers(pod)
            if container.get("securityContext", {}).get("runAsNonRoot") is not True
        ]
    return problems


def non_root_user(pod: dict) -> list[str]:
    return [f"{path}.runAsUser" for path, c in contexts(pod) if c.get("runAsUser") == 0]


def seccomp(pod: dict) -> list[str]:
    def profile(context: dict) -> str | None:
        return context.get("seccompProfile", {}).get("type")

    allowed = ("RuntimeDefault", "Localhost")
    problems = [
        f"{path}.seccompProfile.type"
        for path, context in contexts(pod)
        if profile(context) is not None and profile(context) not in allowed
    ]
    if profile(pod.get("securityContext", {})) is None:
        problems += [
            f"{path}.securityContext.seccompProfile"
            for path, container in containers(pod)
            if profile(container.get("securityContext", {})) is None
        ]
    return problems


def restricted_capabilities(pod: dict) -> list[str]:
    problems = []
    for path, container in containers(pod):
        capabilities = container.get("securityContext", {}).get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{path}.securityContext.capabilities.drop")
        problems += [
            f"{path}.securityContext.capabilities.add: {added}"
            for added in capabilities.get("add", [])
            if added != "NET_BIND_SERVICE"
        ]
    return problems


RULES: dict[str, Callable[[dict], list[str]]] = {
    "host-process": host_process,
    "host-namespaces": host_namespaces,
    "privileged-containers": privileged,
    "baseline-capabilities": baseline_capabilities,
    "host-path-volumes": host_path_volumes,
    "host-ports": host_ports,
    "app-armor": app_armor,
    "selinux": selinux,
    "proc-mount": proc_mount,
    "sysctls": sysctls,
    "volume-types": volume_types,
    "privilege-escalation": privilege_escalation,
    "running-as-non-root": non_root,
    "running-as-non-root-user": non_root_user,
    "seccomp": seccomp,
    "restricted-capabilities": restricted_capabilities,
}
