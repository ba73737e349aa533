"""spec.frontend.ingress: the optional Ingress in front of the frontend Service, parsed and checked.

The checks are those the API server applies to an Ingress (a DNS host, never
an IP address; a Prefix path without `//`, `/./` or `/../`), so a spec the
hooks accept never yields an Ingress the API server refuses.
"""

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hooks.describe import describe
from hooks.fields import SpecError, annotations, boolean, choice, dns_name, object_of, value_of
from hooks.observed import OBJECT_NAME

PATH = "spec.frontend.ingress"
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
FIELDS = ("enabled", "ingressClassName", "host", "path", "pathType", "annotations", "tls")


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


def parse_ingress(raw: Any) -> IngressSpec | None:
    """Return the ingress the spec asks for, None when the field is absent; SpecError if bad."""
    if raw is None:
        return None
    ingress = object_of(raw, PATH, FIELDS)
    host = dns_name(ingress, "host", PATH, HOST)
    if host is not None and IPV4.fullmatch(host):
        raise SpecError(f"{PATH}.host", f"must be a DNS name, not an IP address, got {host!r}")
    tls = _tls(ingress.get("tls"))
    if tls is not None and tls.enabled and host is None:
        raise SpecError(f"{PATH}.host", "is required when tls.enabled is true")
    path_type = choice(ingress, "pathType", PATH, PATH_TYPES, PATH_TYPES[0])
    return IngressSpec(
        enabled=boolean(ingress, "enabled", PATH),
        class_name=dns_name(ingress, "ingressClassName", PATH),
        host=host,
        path=_http_path(value_of(ingress, "path", INGRESS_PATH), path_type, f"{PATH}.path"),
        path_type=path_type,
        annotations=annotations(ingress.get("annotations"), f"{PATH}.annotations"),
        tls=tls,
    )


def _tls(raw: Any) -> TlsSpec | None:
    path = f"{PATH}.tls"
    if raw is None:
        return None
    tls = object_of(raw, path, ("enabled", "secretName"))
    return TlsSpec(
        enabled=boolean(tls, "enabled", path), secret_name=dns_name(tls, "secretName", path)
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
