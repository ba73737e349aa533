"""One builder per child object, each returning the manifest a person would write.

Every call returns fresh objects that the caller may change. Children carry
only the fields we own: no status, no nulls, nothing the API
server fills in, and no ownerReferences (Metacontroller adds those). Anything
else would make Metacontroller's three-way merge see a difference on every sync.
"""

from collections.abc import Callable

from hooks.migration import (
    COPY_SCRIPT,
    NOTHING_OBSERVED,
    Migration,
    held_job,
    held_leader,
    plan,
)
from hooks.names import (
    COMPONENT_LABEL,
    FOLLOWER,
    FRONTEND,
    LEADER,
    MIGRATE,
    REDIS,
    child_name,
    instance_labels,
    labels,
    selector_labels,
)
from hooks.placement import pod_placement
from hooks.spec import DEFAULT_RESOURCES, GuestbookSpec, Tier
from hooks.storage import Claim, claim_name, claim_spec

REDIS_PORT = 6379
REDIS_PORT_NAME = "redis"
HTTP_PORT = 80
HTTP_PORT_NAME = "http"
PDB_MIN_REPLICAS = 2  # below two replicas, maxUnavailable 1 would block every drain
TLS_SUFFIX = "-tls"  # the default certificate Secret: <base>-frontend-tls
DATA_VOLUME = "data"
DATA_PATH = "/data"  # the official redis images' working directory
# A failed copy is retried a few times (a leader that was briefly unreachable),
# then left for a person to read its logs.
MIGRATION_BACKOFF_LIMIT = 3


def build_children(
    base: str,
    spec: GuestbookSpec,
    claim: Claim | None = None,
    migration: Migration = NOTHING_OBSERVED,
) -> list[dict]:
    """Return every desired child, in the order of DESIGN.md's table.

    `claim` and `migration` are the observed facts of the leader's claim,
    Deployment and Job (hooks/storage.py, hooks/migration.py); a new guestbook has none.
    """
    # A claim once observed is kept, and the leader on it, whatever a request says.
    on_claim = spec.storage.enabled or claim is not None
    steps = plan(migration) if on_claim else None
    children = []
    if on_claim:
        children.append(leader_claim(base, claim_spec(spec.storage, claim)))
    if steps is not None and steps.hold_leader:
        children.append(held_leader(base, migration))
    else:
        children.append(redis_leader_deployment(base, spec, on_claim=on_claim))
    children += [
        redis_service(base, LEADER),
        redis_follower_deployment(base, spec.follower),
        redis_service(base, FOLLOWER),
        frontend_deployment(base, spec),
        frontend_service(base, spec),
    ]
    if spec.ingress is not None and spec.ingress.enabled:
        children.append(frontend_ingress(base, spec))
    if spec.frontend.replicas >= PDB_MIN_REPLICAS:
        children.append(frontend_disruption_budget(base))
    job = steps.job if steps is not None else "none"
    children.append(redis_network_policy(base, migrating=job != "none"))
    if job == "new":
        children.append(migration_job(base, spec.leader))
    elif job == "held":
        children.append(held_job(base, migration))
    return children


def leader_claim(base: str, spec: dict) -> dict:
    """Return the leader's PersistentVolumeClaim with the spec the claim rules chose."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim_name(base), "labels": labels(base, LEADER)},
        "spec": spec,
    }


def redis_leader_deployment(base: str, spec: GuestbookSpec, *, on_claim: bool) -> dict:
    """Return the single-replica Redis leader; Recreate, so two leaders never run at once."""
    container = _container("leader", spec.leader, _redis_port(), _redis_probes())
    # Every write is appended to the AOF, fsynced as the spec says: on a claim,
    # a rescheduled pod loses at most that last interval.
    container["args"] = ["redis-server", "--appendonly", "yes", "--appendfsync", spec.append_fsync]
    container["volumeMounts"] = [{"name": DATA_VOLUME, "mountPath": DATA_PATH}]
    deployment = _deployment(base, LEADER, spec.leader, container)
    deployment["spec"]["strategy"] = {"type": "Recreate"}
    # Without a claim the data outlives a container restart (a failed liveness probe), not the pod.
    source = (
        {"persistentVolumeClaim": {"claimName": claim_name(base)}} if on_claim else {"emptyDir": {}}
    )
    deployment["spec"]["template"]["spec"]["volumes"] = [{"name": DATA_VOLUME, **source}]
    return deployment


def redis_follower_deployment(base: str, tier: Tier) -> dict:
    """Return the Redis followers, replicating from this guestbook's leader."""
    container = _container("follower", tier, _redis_port(), _redis_probes())
    container["env"] = _host_env(base, leader=LEADER)
    return _deployment(base, FOLLOWER, tier, container)


def frontend_deployment(base: str, spec: GuestbookSpec) -> dict:
    """Return the PHP frontend, wired to this guestbook's own Redis Services."""
    # Without followers, reads go to the leader so the guestbook still works.
    readers = FOLLOWER if spec.follower.replicas > 0 else LEADER
    container = _container("php-redis", spec.frontend, _http_port(), _http_probes())
    container["env"] = _host_env(base, leader=LEADER, follower=readers)
    return _deployment(base, FRONTEND, spec.frontend, container)


def redis_service(base: str, component: str) -> dict:
    """Return the ClusterIP Service in front of one Redis tier."""
    port = {"name": REDIS_PORT_NAME, "port": REDIS_PORT, "targetPort": REDIS_PORT_NAME}
    return _service(base, component, {"type": "ClusterIP", "ports": [port]})


def frontend_service(base: str, spec: GuestbookSpec) -> dict:
    """Return the frontend Service, shaped by spec.frontend.service."""
    wanted = spec.service
    port = {"name": HTTP_PORT_NAME, "port": wanted.port, "targetPort": HTTP_PORT_NAME}
    if wanted.node_port is not None:
        port["nodePort"] = wanted.node_port
    service = _service(base, FRONTEND, {"type": wanted.type, "ports": [port]})
    # Always present, even empty: were the map dropped, Metacontroller's three-way
    # merge would delete every key in it, including those that others wrote.
    service["metadata"]["annotations"] = dict(wanted.annotations)
    return service


def frontend_ingress(base: str, spec: GuestbookSpec) -> dict:
    """Return the Ingress that routes spec.frontend.ingress's host and path to the frontend."""
    wanted = spec.ingress
    service = child_name(base, FRONTEND)
    # The port by name, so that a change of spec.frontend.service.port never breaks it.
    backend = {"service": {"name": service, "port": {"name": HTTP_PORT_NAME}}}
    rule = {
        "http": {"paths": [{"path": wanted.path, "pathType": wanted.path_type, "backend": backend}]}
    }
    if wanted.host is not None:
        rule["host"] = wanted.host
    ingress_spec = {"rules": [rule]}
    if wanted.class_name is not None:
        ingress_spec["ingressClassName"] = wanted.class_name
    if wanted.tls is not None and wanted.tls.enabled:
        secret = wanted.tls.secret_name or f"{service}{TLS_SUFFIX}"
        ingress_spec["tls"] = [{"hosts": [wanted.host], "secretName": secret}]
    metadata = _metadata(base, FRONTEND)
    # Always present, so that removing our last annotation never wipes those others wrote.
    metadata["annotations"] = dict(wanted.annotations)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": ingress_spec,
    }


def frontend_disruption_budget(base: str) -> dict:
    """Return the budget that lets a node drain take at most one frontend pod at a time."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(base, FRONTEND),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(base, FRONTEND)}},
    }


def redis_network_policy(base: str, *, migrating: bool = False) -> dict:
    """Return the policy that lets only this guestbook's frontend and followers reach Redis.

    While the migration Job is returned, its pods may reach the leader too.
    """
    clients = (FRONTEND, FOLLOWER, MIGRATE) if migrating else (FRONTEND, FOLLOWER)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(base, REDIS),
        "spec": {
            "podSelector": _pods_of(base, (LEADER, FOLLOWER)),
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": _pods_of(base, clients)}],
                    "ports": [{"protocol": "TCP", "port": REDIS_PORT}],
                }
            ],
        },
    }


def migration_job(base: str, leader: Tier) -> dict:
    """Return the Job that copies the running leader's data onto its claim (hooks/migration.py)."""
    container = {
        "name": "migrate",
        "image": leader.image,  # its redis-cli speaks the leader's protocol
        "command": ["sh", "-c", COPY_SCRIPT],
        "env": [
            {"name": "REDIS_LEADER_SERVICE_HOST", "value": child_name(base, LEADER)},
            {"name": "REDIS_LEADER_SERVICE_PORT", "value": str(REDIS_PORT)},
            {"name": "REDIS_DATA_DIR", "value": DATA_PATH},
        ],
        "resources": {kind: dict(values) for kind, values in DEFAULT_RESOURCES.items()},
        "volumeMounts": [{"name": DATA_VOLUME, "mountPath": DATA_PATH}],
        "securityContext": _container_security(),
    }
    pod = {
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,  # it never calls the API
        "securityContext": _pod_security(),
        "containers": [container],
        "volumes": [
            {"name": DATA_VOLUME, "persistentVolumeClaim": {"claimName": claim_name(base)}}
        ],
        # Where the leader may run, so may its copy: the same nodes, taints and pull secrets.
        **pod_placement(leader.placement, selector_labels(base, MIGRATE)),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(base, MIGRATE),
        "spec": {
            "backoffLimit": MIGRATION_BACKOFF_LIMIT,
            "template": {"metadata": {"labels": labels(base, MIGRATE)}, "spec": pod},
        },
    }


def _deployment(base: str, component: str, tier: Tier, container: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(base, component),
        "spec": {
            "replicas": tier.replicas,
            "selector": {"matchLabels": selector_labels(base, component)},
            "template": {
                "metadata": {"labels": labels(base, component)},
                "spec": {
                    "enableServiceLinks": False,
                    "securityContext": _pod_security(),
                    "containers": [container],
                    **pod_placement(tier.placement, selector_labels(base, component)),
                },
            },
        },
    }


def _service(base: str, component: str, spec: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(base, component),
        "spec": {**spec, "selector": selector_labels(base, component)},
    }


def _metadata(base: str, component: str) -> dict:
    return {"name": child_name(base, component), "labels": labels(base, component)}


def _pods_of(base: str, components: tuple[str, ...]) -> dict:
    """Select this guestbook's pods of the given tiers."""
    return {
        "matchLabels": instance_labels(base),
        "matchExpressions": [
            {"key": COMPONENT_LABEL, "operator": "In", "values": sorted(components)}
        ],
    }


def _container(name: str, tier: Tier, port: dict, probes: dict) -> dict:
    return {
        "name": name,
        "image": tier.image,
        "ports": [port],
        "resources": {kind: dict(values) for kind, values in tier.resources.items()},
        **probes,
        "securityContext": _container_security(),
    }


def _pod_security() -> dict:
    # The upstream images start as root and drop privileges themselves, so the
    # restricted profile is not claimed for them.
    return {"seccompProfile": {"type": "RuntimeDefault"}}


def _container_security() -> dict:
    return {"allowPrivilegeEscalation": False}


def _host_env(base: str, **hosts: str) -> list[dict]:
    # The upstream images look for the fixed hosts "redis-leader" and "redis-follower"
    # unless GET_HOSTS_FROM=env; pointing them at this guestbook's own Services is
    # what lets many guestbooks share a namespace.
    env = [{"name": "GET_HOSTS_FROM", "value": "env"}]
    for role, component in hosts.items():
        env.append(
            {"name": f"REDIS_{role.upper()}_SERVICE_HOST", "value": child_name(base, component)}
        )
    return env


def _redis_port() -> dict:
    return {"name": REDIS_PORT_NAME, "containerPort": REDIS_PORT, "protocol": "TCP"}


def _http_port() -> dict:
    return {"name": HTTP_PORT_NAME, "containerPort": HTTP_PORT, "protocol": "TCP"}


def _redis_probes() -> dict:
    # A TCP check works for any Redis image; an exec of redis-cli would tie us to one.
    return _probes(lambda: {"tcpSocket": {"port": REDIS_PORT_NAME}})


def _http_probes() -> dict:
    return _probes(lambda: {"httpGet": {"path": "/", "port": HTTP_PORT_NAME}})


def _probes(check: Callable[[], dict]) -> dict:
    return {
        "readinessProbe": {**check(), "periodSeconds": 5},
        "livenessProbe": {**check(), "initialDelaySeconds": 15, "periodSeconds": 10},
    }
