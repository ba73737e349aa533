"""The golden cases: each builds a sync request; `make golden` records the hooks' answers."""

from collections.abc import Callable
from datetime import UTC, datetime

from hooks import sync
from hooks.children import build_children
from hooks.names import base_name
from hooks.spec import PAUSED_ANNOTATION, parse_spec
from tests.apiserver import CREATED, converged, guestbook, job_status, observe, sync_request

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LONG_NAME = ".".join(["guestbook-with-a-very-long-dotted-name"] * 6)[:253].rstrip(".-")
FULL_SPEC = {
    "frontend": {
        "image": "registry.example.com/guestbook/frontend:v6",
        "replicas": 4,
        "resources": {
            "requests": {"cpu": "200m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "service": {
            "type": "LoadBalancer",
            "port": 8080,
            "nodePort": 30080,
            "annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
        },
        "ingress": {
            "enabled": True,
            "ingressClassName": "nginx",
            "host": "shop.example.com",
            "path": "/guestbook",
            "pathType": "Prefix",
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
            "tls": {"enabled": True},
        },
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "example.com/pool", "operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "shop-web",
        "imagePullSecrets": [{"name": "registry-credentials"}],
    },
    "redis": {
        "leader": {
            "image": "docker.io/redis:6.2.14",
            "resources": {"requests": {"cpu": "250m"}},
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [
                                {"key": "example.com/disk", "operator": "In", "values": ["ssd"]}
                            ]}
                        ]
                    }
                }
            },
        },
        "follower": {
            "replicas": 3,
            "topologySpreadConstraints": [
                {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                 "whenUnsatisfiable": "DoNotSchedule"}
            ],
        },
    },
}  # fmt: skip
# A load balancer's address, as an ingress controller publishes it.
INGRESS_ADDRESS = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}


def settled_status(parent: dict, observed: list[dict]) -> dict:
    """Return the status a previous sync wrote for this observed state."""
    status = sync(parent, sync_request(parent, observed)["children"], now=NOW)["status"]
    return {**status, "observedGeneration": parent["metadata"]["generation"]}


def new_guestbook() -> dict:
    return sync_request(guestbook(), [])


def all_ready(version: str = "v1") -> dict:
    parent = guestbook(generation=2)
    observed = converged(parent)
    parent["status"] = settled_status(parent, observed)
    return sync_request(parent, observed, version=version)


def v2_keys() -> dict:
    return all_ready(version="v2")


def rolling_out() -> dict:
    parent = guestbook()
    return sync_request(parent, converged(parent, ready=False))


def scaled_up() -> dict:
    parent = guestbook(spec={"frontend": {"replicas": 5}}, generation=3)
    return sync_request(parent, converged(parent, {}))


def scaled_to_one() -> dict:
    parent = guestbook(spec={"frontend": {"replicas": 1}}, generation=3)
    return sync_request(parent, converged(parent, {}))


def image_changed() -> dict:
    image = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v6"
    parent = guestbook(spec={"frontend": {"image": image}}, generation=4)
    return sync_request(parent, converged(parent, {}))


def no_followers() -> dict:
    parent = guestbook(spec={"redis": {"follower": {"replicas": 0}}})
    return sync_request(parent, converged(parent))


def long_name() -> dict:
    parent = guestbook(name=LONG_NAME)
    return sync_request(parent, converged(parent))


def every_field_set() -> dict:
    parent = guestbook(name="shop-guestbook", namespace="shop", spec=FULL_SPEC)
    return sync_request(parent, converged(parent))


def ingress_address() -> dict:
    parent = guestbook(spec={"frontend": {"ingress": {"enabled": True}}}, generation=2)
    observed = converged(parent)
    ingress = next(c for c in observed if c["kind"] == "Ingress")
    ingress["status"] = INGRESS_ADDRESS
    return sync_request(parent, observed)


def invalid_spec_held() -> dict:
    parent = guestbook(spec={"frontend": {"replicas": -1}}, generation=5)
    return sync_request(parent, converged(parent, {}))


def paused() -> dict:
    parent = guestbook(
        spec={"frontend": {"replicas": 7}}, generation=6, annotations={PAUSED_ANNOTATION: "true"}
    )
    return sync_request(parent, converged(parent, {}))


def deadline_exceeded() -> dict:
    parent = guestbook(spec={"frontend": {"image": "example.com/missing:v1"}}, generation=2)
    observed = converged(parent, ready=False)
    frontend = next(c for c in observed if c["metadata"]["name"] == "gb1-frontend")
    frontend["status"]["conditions"][1].update(
        status="False",
        reason="ProgressDeadlineExceeded",
        message="ReplicaSet has timed out progressing.",
    )
    return sync_request(parent, observed)


def storage_disabled() -> dict:
    parent = guestbook(spec={"redis": {"leader": {"storage": {"enabled": False}}}})
    return sync_request(parent, converged(parent))


def claim_pending() -> dict:
    parent = guestbook()
    observed = converged(parent)
    claim(observed)["status"] = {"phase": "Pending"}
    return sync_request(parent, observed)


def no_storage_class() -> dict:
    parent = guestbook()
    observed = converged(parent)
    claim(observed)["status"] = {"phase": "Pending"}
    del claim(observed)["spec"]["storageClassName"]  # no default class to admit it into
    return sync_request(parent, observed)


def growing() -> dict:
    parent = guestbook(spec={"redis": {"leader": {"storage": {"size": "2Gi"}}}}, generation=2)
    return sync_request(parent, converged(parent, {}))


def before_storage(parent: dict) -> list[dict]:
    """Return the children that an operator without storage left: the leader on an emptyDir."""
    older = {"redis": {"leader": {"storage": {"enabled": False}}}}
    desired = build_children(base_name(parent["metadata"]["name"]), parse_spec(older))
    leader = next(c for c in desired if c["kind"] == "Deployment")
    del leader["spec"]["template"]["spec"]["containers"][0]["args"]
    return [observe(child, parent) for child in desired]


def migrating(parent: dict, outcome: str) -> list[dict]:
    """Return the children once the migration began, its Job "running", "succeeded" or "failed"."""
    started = sync(parent, sync_request(parent, before_storage(parent))["children"], now=NOW)
    observed = [observe(child, parent) for child in started["children"]]
    job = next(c for c in observed if c["kind"] == "Job")
    job["status"] = job_status(
        outcome, started=CREATED, now=CREATED, backoff_limit=job["spec"]["backoffLimit"]
    )
    return observed


def migration_starts() -> dict:
    parent = guestbook(generation=2)
    return sync_request(parent, before_storage(parent))


def migration_copying() -> dict:
    parent = guestbook(generation=2)
    return sync_request(parent, migrating(parent, "running"))


def migration_failed() -> dict:
    parent = guestbook(generation=2)
    return sync_request(parent, migrating(parent, "failed"))


def migration_switches() -> dict:
    parent = guestbook(generation=2)
    return sync_request(parent, migrating(parent, "succeeded"))


def migration_done() -> dict:
    parent = guestbook(generation=2)
    job = next(c for c in migrating(parent, "succeeded") if c["kind"] == "Job")
    return sync_request(parent, [*converged(parent), job])


def claim(observed: list[dict]) -> dict:
    """Return the leader's claim among observed children."""
    return next(c for c in observed if c["kind"] == "PersistentVolumeClaim")


CASES: dict[str, Callable[[], dict]] = {
    "new-guestbook": new_guestbook,
    "rolling-out": rolling_out,
    "all-ready": all_ready,
    "v2-keys": v2_keys,
    "scaled-up": scaled_up,
    "scaled-to-one": scaled_to_one,
    "image-changed": image_changed,
    "no-followers": no_followers,
    "long-name": long_name,
    "every-field-set": every_field_set,
    "ingress-address": ingress_address,
    "invalid-spec-held": invalid_spec_held,
    "paused": paused,
    "deadline-exceeded": deadline_exceeded,
    "storage-disabled": storage_disabled,
    "claim-pending": claim_pending,
    "no-storage-class": no_storage_class,
    "growing": growing,
    "migration-starts": migration_starts,
    "migration-copying": migration_copying,
    "migration-failed": migration_failed,
    "migration-switches": migration_switches,
    "migration-done": migration_done,
}
# Cases whose answer is another case's, byte for byte: recorded once, asserted for both.
SAME_ANSWER = {"v2-keys": "all-ready"}
