"""Whether NetworkPolicies let one pod reach another, as a CNI that enforces them decides.

The semantics of k8s.io/api/networking/v1 types.go (NetworkPolicySpec and
its peers): a pod that no policy with policyTypes Ingress selects accepts
every connection; a selected pod accepts one only if some rule of a policy
that selects it lists a peer matching the client pod (podSelector within the
policy's namespace, or namespaceSelector by the namespace's automatic
kubernetes.io/metadata.name label, both when both are given; an ipBlock
matches no pod here) and the port (by number or by the pod's port name;
no ports means every port). Egress policies are not modelled.
"""

NAMESPACE_LABEL = "kubernetes.io/metadata.name"


def admits(store, namespace: str, client: dict, server: dict, port: int) -> bool:
    """Whether a pod of template `client` may open `port` on a pod of template `server`."""
    policies = [
        policy
        for policy in store.list("NetworkPolicy", namespace)
        if "Ingress" in policy["spec"].get("policyTypes", ["Ingress"])
        and selects(policy["spec"]["podSelector"], _labels(server))
    ]
    return not policies or any(
        _peer_matches(rule.get("from"), namespace, client)
        and _port_matches(rule.get("ports"), server, port)
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
    )


def selects(selector: dict, labels: dict) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects these labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for requirement in selector.get("matchExpressions", []):
        key, values = requirement["key"], requirement.get("values", [])
        holds = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[requirement["operator"]]
        if not holds:
            return False
    return True


def _peer_matches(peers: list | None, namespace: str, client: dict) -> bool:
    if not peers:
        return True  # no `from`: every source
    for peer in peers:
        if "ipBlock" in peer:
            continue
        namespaces = peer.get("namespaceSelector")
        in_namespace = (
            selects(namespaces, {NAMESPACE_LABEL: namespace}) if namespaces is not None else True
        )
        if in_namespace and selects(peer.get("podSelector", {}), _labels(client)):
            return True
    return False


def _port_matches(ports: list | None, server: dict, port: int) -> bool:
    if not ports:
        return True
    names = {
        entry.get("name")
        for container in server["spec"]["containers"]
        for entry in container.get("ports", [])
        if entry["containerPort"] == port
    }
    return any(entry.get("port") in (None, port, *names - {None}) for entry in ports)


def _labels(template: dict) -> dict:
    return template.get("metadata", {}).get("labels", {})
