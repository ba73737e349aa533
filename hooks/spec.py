"""Parse a Guestbook spec: apply the defaults, validate, return frozen dataclasses.

The CRD schema carries the same defaults, bounds and enums (a test keeps the two
equal); this module applies them again because a hook request need not have
passed through that schema (an older CRD, a unit test, a hand-written request).
"""

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hooks.describe import describe, shorten
from hooks.fields import (
    Bounds,
    SpecError,
    annotations,
    boolean,
    choice,
    dns_name,
    integer,
    object_of,
    value_of,
)
from hooks.ingress import IngressSpec, parse_ingress
from hooks.placement import FIELDS as PLACEMENT_FIELDS
from hooks.placement import SOFT_SPREAD, SPREAD, frozen, placement_error
from hooks.quantity import canonical_quantity
from hooks.resources import KINDS as RESOURCE_KINDS
from hooks.resources import ResourceError, container_resources

FRONTEND_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"
LEADER_IMAGE = "docker.io/redis:6.0.5"
FOLLOWER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
DEFAULT_RESOURCES = MappingProxyType(
    {"requests": MappingProxyType({"cpu": "100m", "memory": "100Mi"})}
)
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")
GROUP = "webapp.my.domain"
API_VERSION = f"{GROUP}/v1"
PAUSED_ANNOTATION = f"{GROUP}/paused"
PAUSE_VALUES = {"true": True, "false": False}

IMAGE_PATTERN = re.compile(r"\S+")
IMAGE_MAX_LENGTH = 512
# Redis's appendfsync policies: fsync on every write, once a second, or never.
APPEND_FSYNC = ("always", "everysec", "no")
DEFAULT_APPEND_FSYNC = "everysec"
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod")
DEFAULT_STORAGE_SIZE = "1Gi"
# A positive whole number of Mi, Gi or Ti; six digits keep 999999Ti within the
# API server's 64-bit quantities.
STORAGE_SIZE = re.compile(r"[1-9][0-9]{0,5}(Mi|Gi|Ti)")


FRONTEND_REPLICAS = Bounds(default=3, minimum=0, maximum=100)
FOLLOWER_REPLICAS = Bounds(default=2, minimum=0, maximum=10)
SERVICE_PORT = Bounds(default=80, minimum=1, maximum=65535)
NODE_PORT = Bounds(default=None, minimum=30000, maximum=32767)


@dataclass(frozen=True)
class Tier:
    """One Deployment's worth of spec: image, replicas, container resources, pod placement."""

    image: str
    replicas: int
    resources: MappingProxyType
    placement: MappingProxyType  # the PodSpec placement fields set, defaults included


@dataclass(frozen=True)
class ServiceSpec:
    """How the frontend is exposed."""

    type: str
    port: int
    node_port: int | None
    annotations: MappingProxyType


@dataclass(frozen=True)
class Storage:
    """The leader's volume claim; `size` is in the form the API server stores."""

    enabled: bool
    size: str
    storage_class: str | None
    access_mode: str


@dataclass(frozen=True)
class GuestbookSpec:
    """A fully defaulted, validated Guestbook spec."""

    frontend: Tier
    service: ServiceSpec
    leader: Tier
    follower: Tier
    storage: Storage
    append_fsync: str
    ingress: IngressSpec | None = None  # None: spec.frontend.ingress is absent


def parse_spec(raw: Any) -> GuestbookSpec:
    """Return the defaulted spec, or raise SpecError naming the first bad field."""
    spec = object_of(raw, "spec", ("frontend", "redis"))
    frontend = object_of(
        spec.get("frontend"),
        "spec.frontend",
        ("image", "replicas", "resources", "service", "ingress", *PLACEMENT_FIELDS),
    )
    redis = object_of(spec.get("redis"), "spec.redis", ("leader", "follower"))
    leader = object_of(
        redis.get("leader"),
        "spec.redis.leader",
        ("image", "resources", "appendFsync", "storage", *PLACEMENT_FIELDS),
    )
    follower = object_of(
        redis.get("follower"),
        "spec.redis.follower",
        ("image", "replicas", "resources", *PLACEMENT_FIELDS),
    )
    return GuestbookSpec(
        frontend=Tier(
            image=_image(frontend, "spec.frontend", FRONTEND_IMAGE),
            replicas=integer(frontend, "replicas", "spec.frontend", FRONTEND_REPLICAS),
            resources=_resources(frontend, "spec.frontend"),
            placement=_placement(frontend, "spec.frontend", spread=True),
        ),
        service=_service(frontend.get("service")),
        ingress=parse_ingress(frontend.get("ingress")),
        leader=Tier(
            image=_image(leader, "spec.redis.leader", LEADER_IMAGE),
            replicas=1,
            resources=_resources(leader, "spec.redis.leader"),
            # One pod has nothing to spread.
            placement=_placement(leader, "spec.redis.leader", spread=False),
        ),
        follower=Tier(
            image=_image(follower, "spec.redis.follower", FOLLOWER_IMAGE),
            replicas=integer(follower, "replicas", "spec.redis.follower", FOLLOWER_REPLICAS),
            resources=_resources(follower, "spec.redis.follower"),
            placement=_placement(follower, "spec.redis.follower", spread=True),
        ),
        storage=_storage(leader.get("storage")),
        append_fsync=choice(
            leader, "appendFsync", "spec.redis.leader", APPEND_FSYNC, DEFAULT_APPEND_FSYNC
        ),
    )


def is_paused(metadata: dict) -> bool:
    """Whether the pause annotation says "true"; absent or "false" runs, anything else errs."""
    annotations = metadata.get("annotations") or {}
    value = annotations.get(PAUSED_ANNOTATION, "false")
    if value not in PAUSE_VALUES:
        # A typo must neither resume nor change anything: the guestbook is held.
        raise SpecError(
            f"metadata.annotations[{PAUSED_ANNOTATION}]",
            f'must be "true" to pause or "false" to run, got {shorten(value)}',
        )
    return PAUSE_VALUES[value]


def _service(raw: Any) -> ServiceSpec:
    path = "spec.frontend.service"
    service = object_of(raw, path, ("type", "port", "nodePort", "annotations"))
    service_type = service.get("type", SERVICE_TYPES[0])
    if service_type not in SERVICE_TYPES:
        raise SpecError(
            f"{path}.type",
            f"must be one of {', '.join(SERVICE_TYPES)}, got {shorten(service_type)}",
        )
    node_port = integer(service, "nodePort", path, NODE_PORT)
    if node_port is not None and service_type not in NODE_PORT_TYPES:
        raise SpecError(
            f"{path}.nodePort",
            f"is only allowed with type NodePort or LoadBalancer, not {service_type}",
        )
    return ServiceSpec(
        type=service_type,
        port=integer(service, "port", path, SERVICE_PORT),
        node_port=node_port,
        annotations=annotations(service.get("annotations"), f"{path}.annotations"),
    )


def _storage(raw: Any) -> Storage:
    path = "spec.redis.leader.storage"
    storage = object_of(raw, path, ("enabled", "size", "storageClassName", "accessMode"))
    size = value_of(storage, "size", DEFAULT_STORAGE_SIZE)
    if not isinstance(size, str) or not STORAGE_SIZE.fullmatch(size):
        raise SpecError(
            f"{path}.size",
            "must be a positive whole number of Mi, Gi or Ti (at most six digits), "
            f"got {describe(size) if not isinstance(size, str) else shorten(size)}",
        )
    return Storage(
        enabled=boolean(storage, "enabled", path, default=True),
        size=canonical_quantity(size),
        storage_class=dns_name(storage, "storageClassName", path, what="a StorageClass name"),
        access_mode=choice(storage, "accessMode", path, ACCESS_MODES, ACCESS_MODES[0]),
    )


def _image(parent: dict, path: str, default: str) -> str:
    value = parent.get("image")
    if value is None:
        return default
    if not isinstance(value, str):
        raise SpecError(f"{path}.image", f"must be a string, got {describe(value)}")
    if not IMAGE_PATTERN.fullmatch(value) or len(value) > IMAGE_MAX_LENGTH:
        raise SpecError(
            f"{path}.image",
            f"must be a non-empty image reference without spaces, at most {IMAGE_MAX_LENGTH} "
            f"characters, got {shorten(value)}",
        )
    return value


def _resources(parent: dict, path: str) -> MappingProxyType:
    path = f"{path}.resources"
    raw = parent.get("resources")
    if raw is None:
        return DEFAULT_RESOURCES
    try:
        return container_resources(object_of(raw, path, RESOURCE_KINDS), path)
    except ResourceError as err:
        raise SpecError(err.path, err.problem) from None


def _placement(tier: dict, path: str, *, spread: bool) -> MappingProxyType:
    """Return the tier's placement fields that are set, checked; `spread` adds the default."""
    given = {field: tier[field] for field in PLACEMENT_FIELDS if tier.get(field) is not None}
    error = placement_error(given) if given else None
    if error is not None:
        raise SpecError(f"{path}.{error[0]}", error[1])
    placement = frozen(given)
    if spread and SPREAD not in placement:
        placement = MappingProxyType({**placement, SPREAD: SOFT_SPREAD})
    return placement
