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
from hooks.observed import MAX_NAME_LENGTH, OBJECT_NAME
from hooks.placement import FIELDS as PLACEMENT_FIELDS
from hooks.placement import SOFT_SPREAD, SPREAD, frozen, placement_error
from hooks.quantity import canonical_quantity
from hooks.resources import KINDS as RESOURCE_KINDS
from hooks.resources import ResourceError, container_resources, is_qualified_name

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
# Kubernetes' DNS-1123 subdomain, the rule for object names and Ingress hosts;
# an Ingress host may also be a wildcard "*.<subdomain>", but never an IP address.
HOST = re.compile(rf"(\*\.)?{OBJECT_NAME.pattern}")
# What Go's net.ParseIP reads as IPv4 (leading zeros allowed); IPv6 has colons, no host does.
IPV4 = re.compile(r"(0*(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                  r"0*(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")  # fmt: skip
PATH_TYPES = ("Prefix", "ImplementationSpecific")
INGRESS_PATH = "/"
# The API server refuses these in a Prefix path (networking validation, validateHTTPIngressPath).
BAD_PREFIX_PARTS = ("//", "/./", "/../", "%2f", "%2F")
BAD_PREFIX_ENDS = ("/..", "/.")
# Redis's appendfsync policies: fsync on every write, once a second, or never.
APPEND_FSYNC = ("always", "everysec", "no")
DEFAULT_APPEND_FSYNC = "everysec"
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod")
DEFAULT_STORAGE_SIZE = "1Gi"
# A positive whole number of Mi, Gi or Ti; six digits keep 999999Ti within the
# API server's 64-bit quantities.
STORAGE_SIZE = re.compile(r"[1-9][0-9]{0,5}(Mi|Gi|Ti)")


@dataclass(frozen=True)
class Bounds:
    """An integer field's default and inclusive range."""

    default: int | None
    minimum: int
    maximum: int


FRONTEND_REPLICAS = Bounds(default=3, minimum=0, maximum=100)
FOLLOWER_REPLICAS = Bounds(default=2, minimum=0, maximum=10)
SERVICE_PORT = Bounds(default=80, minimum=1, maximum=65535)
NODE_PORT = Bounds(default=None, minimum=30000, maximum=32767)


class SpecError(ValueError):
    """A Guestbook spec that cannot be built; `path` names the offending field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


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
class TlsSpec:
    """Whether the Ingress serves HTTPS, and from which Secret (None: the default name)."""

    enabled: bool
    secret_name: str | None


@dataclass(frozen=True)
class IngressSpec:
    """The Ingress in front of the frontend Service, as spec.frontend.ingress asks."""

    enabled: bool
    class_name: str | None
    host: str | None
    path: str
    path_type: str
    annotations: MappingProxyType
    tls: TlsSpec | None


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
    spec = _object(raw, "spec", ("frontend", "redis"))
    frontend = _object(
        spec.get("frontend"),
        "spec.frontend",
        ("image", "replicas", "resources", "service", "ingress", *PLACEMENT_FIELDS),
    )
    redis = _object(spec.get("redis"), "spec.redis", ("leader", "follower"))
    leader = _object(
        redis.get("leader"),
        "spec.redis.leader",
        ("image", "resources", "appendFsync", "storage", *PLACEMENT_FIELDS),
    )
    follower = _object(
        redis.get("follower"),
        "spec.redis.follower",
        ("image", "replicas", "resources", *PLACEMENT_FIELDS),
    )
    return GuestbookSpec(
        frontend=Tier(
            image=_image(frontend, "spec.frontend", FRONTEND_IMAGE),
            replicas=_integer(frontend, "replicas", "spec.frontend", FRONTEND_REPLICAS),
            resources=_resources(frontend, "spec.frontend"),
            placement=_placement(frontend, "spec.frontend", spread=True),
        ),
        service=_service(frontend.get("service")),
        ingress=_ingress(frontend.get("ingress")),
        leader=Tier(
            image=_image(leader, "spec.redis.leader", LEADER_IMAGE),
            replicas=1,
            resources=_resources(leader, "spec.redis.leader"),
            # One pod has nothing to spread.
            placement=_placement(leader, "spec.redis.leader", spread=False),
        ),
        follower=Tier(
            image=_image(follower, "spec.redis.follower", FOLLOWER_IMAGE),
            replicas=_integer(follower, "replicas", "spec.redis.follower", FOLLOWER_REPLICAS),
            resources=_resources(follower, "spec.redis.follower"),
            placement=_placement(follower, "spec.redis.follower", spread=True),
        ),
        storage=_storage(leader.get("storage")),
        append_fsync=_choice(
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
    service = _object(raw, path, ("type", "port", "nodePort", "annotations"))
    service_type = service.get("type", SERVICE_TYPES[0])
    if service_type not in SERVICE_TYPES:
        raise SpecError(
            f"{path}.type",
            f"must be one of {', '.join(SERVICE_TYPES)}, got {shorten(service_type)}",
        )
    node_port = _integer(service, "nodePort", path, NODE_PORT)
    if node_port is not None and service_type not in NODE_PORT_TYPES:
        raise SpecError(
            f"{path}.nodePort",
            f"is only allowed with type NodePort or LoadBalancer, not {service_type}",
        )
    return ServiceSpec(
        type=service_type,
        port=_integer(service, "port", path, SERVICE_PORT),
        node_port=node_port,
        annotations=_annotations(service.get("annotations"), f"{path}.annotations"),
    )


def _storage(raw: Any) -> Storage:
    path = "spec.redis.leader.storage"
    storage = _object(raw, path, ("enabled", "size", "storageClassName", "accessMode"))
    enabled = _given(storage, "enabled", True)
    if not isinstance(enabled, bool):
        raise SpecError(f"{path}.enabled", f"must be true or false, got {describe(enabled)}")
    size = _given(storage, "size", DEFAULT_STORAGE_SIZE)
    if not isinstance(size, str) or not STORAGE_SIZE.fullmatch(size):
        raise SpecError(
            f"{path}.size",
            "must be a positive whole number of Mi, Gi or Ti (at most six digits), "
            f"got {describe(size) if not isinstance(size, str) else shorten(size)}",
        )
    storage_class = storage.get("storageClassName")
    if storage_class is not None and not _is_class_name(storage_class):
        raise SpecError(
            f"{path}.storageClassName",
            "must be a StorageClass name (lowercase letters, digits, '-' and '.', at most "
            f"{MAX_NAME_LENGTH} characters), got {shorten(storage_class)}",
        )
    return Storage(
        enabled=enabled,
        size=canonical_quantity(size),
        storage_class=storage_class,
        access_mode=_choice(storage, "accessMode", path, ACCESS_MODES, ACCESS_MODES[0]),
    )


def _is_class_name(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_NAME_LENGTH
        and OBJECT_NAME.fullmatch(value) is not None
    )


def _choice(parent: dict, key: str, path: str, choices: tuple[str, ...], default: str) -> str:
    value = _given(parent, key, default)
    if value not in choices:
        raise SpecError(
            f"{path}.{key}", f"must be one of {', '.join(choices)}, got {shorten(value)}"
        )
    return value


def _given(parent: dict, key: str, default: Any) -> Any:
    """Return the field's value; absent and null both mean the default."""
    value = parent.get(key)
    return default if value is None else value


def _object(raw: Any, path: str, fields: tuple[str, ...]) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object, got {describe(raw)}")
    for key in raw:
        if key not in fields:
            raise SpecError(f"{path}.{key}", f"unknown field (known fields: {', '.join(fields)})")
    return raw


def _integer(parent: dict, key: str, path: str, bounds: Bounds) -> int | None:
    value = parent.get(key)
    if value is None:
        return bounds.default
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{path}.{key}", f"must be an integer, got {describe(value)}")
    if not bounds.minimum <= value <= bounds.maximum:
        raise SpecError(
            f"{path}.{key}", f"must be between {bounds.minimum} and {bounds.maximum}, got {value}"
        )
    return value


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
        return container_resources(_object(raw, path, RESOURCE_KINDS), path)
    except ResourceError as err:
        raise SpecError(err.path, err.problem) from None


def _annotations(raw: Any, path: str) -> MappingProxyType:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object, got {describe(raw)}")
    for key, value in raw.items():
        if not is_qualified_name(key):
            raise SpecError(f"{path}[{key}]", "is not a valid annotation key")
        if not isinstance(value, str):
            raise SpecError(f"{path}[{key}]", f"must be a string, got {describe(value)}")
    return MappingProxyType(dict(raw))


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


def _ingress(raw: Any) -> IngressSpec | None:
    path = "spec.frontend.ingress"
    if raw is None:
        return None
    fields = ("enabled", "ingressClassName", "host", "path", "pathType", "annotations", "tls")
    ingress = _object(raw, path, fields)
    host = _name(ingress, "host", path, HOST)
    if host is not None and IPV4.fullmatch(host):
        raise SpecError(f"{path}.host", f"must be a DNS name, not an IP address, got {host!r}")
    tls = _tls(ingress.get("tls"))
    if tls is not None and tls.enabled and host is None:
        raise SpecError(f"{path}.host", "is required when tls.enabled is true")
    path_type = _or_default(ingress, "pathType", PATH_TYPES[0])
    if path_type not in PATH_TYPES:
        raise SpecError(
            f"{path}.pathType", f"must be one of {', '.join(PATH_TYPES)}, got {shorten(path_type)}"
        )
    return IngressSpec(
        enabled=_boolean(ingress, "enabled", path),
        class_name=_name(ingress, "ingressClassName", path, OBJECT_NAME),
        host=host,
        path=_http_path(_or_default(ingress, "path", INGRESS_PATH), path_type, f"{path}.path"),
        path_type=path_type,
        annotations=_annotations(ingress.get("annotations"), f"{path}.annotations"),
        tls=tls,
    )


def _tls(raw: Any) -> TlsSpec | None:
    path = "spec.frontend.ingress.tls"
    if raw is None:
        return None
    tls = _object(raw, path, ("enabled", "secretName"))
    return TlsSpec(
        enabled=_boolean(tls, "enabled", path),
        secret_name=_name(tls, "secretName", path, OBJECT_NAME),
    )


def _http_path(value: Any, path_type: str, path: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise SpecError(path, f'must be a string that starts with "/", got {describe(value)}')
    if path_type == "Prefix":
        for part in BAD_PREFIX_PARTS:
            if part in value:
                raise SpecError(path, f"must not contain {part!r} with pathType Prefix")
        for end in BAD_PREFIX_ENDS:
            if value.endswith(end):
                raise SpecError(path, f"must not end with {end!r} with pathType Prefix")
    return value


def _name(parent: dict, key: str, path: str, pattern: re.Pattern) -> str | None:
    """Return a DNS name field, or None when it is absent."""
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH or not pattern.fullmatch(value):
        raise SpecError(
            f"{path}.{key}",
            "must be a DNS name (lowercase letters, digits, '-' and '.', at most "
            f"{MAX_NAME_LENGTH} characters), got {describe(value)}",
        )
    return value


def _boolean(parent: dict, key: str, path: str) -> bool:
    value = _or_default(parent, key, False)
    if not isinstance(value, bool):
        raise SpecError(f"{path}.{key}", f"must be true or false, got {describe(value)}")
    return value


def _or_default(parent: dict, key: str, default: Any) -> Any:
    # Absent and null read the same: the API server prunes a null before defaulting.
    value = parent.get(key)
    return default if value is None else value
