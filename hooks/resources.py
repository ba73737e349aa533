"""Container resources checked by the API server's own rules, and carried in its stored form.

The rules are those of Kubernetes' pkg/apis/core/validation/validation.go
(`validateResourceRequirements`, `validateContainerResourceName`,
`ValidateResourceQuantityValue`, `validateResourceQuantityHugePageValue`) and
pkg/apis/core/helper/helpers.go (`IsNativeResource`, `IsExtendedResourceName`,
`IsOvercommitAllowed`, `IsHugePageResourceValueDivisible`), which a
Deployment's pod template meets in full. A spec that breaks one would make
every write of its Deployment fail; the hooks refuse it first, naming the field.
"""

import math
import re
from types import MappingProxyType
from typing import Any

from hooks.describe import describe
from hooks.quantity import QuantityError, canonical_quantity, parse_quantity

KINDS = ("requests", "limits")
STANDARD = ("cpu", "memory", "ephemeral-storage")
HUGEPAGES_PREFIX = "hugepages-"
NATIVE_DOMAIN = "kubernetes.io/"  # helpers.go IsNativeResource: contained anywhere, not a prefix
QUOTA_PREFIX = "requests."  # IsExtendedResourceName: the name must also be valid behind it
# validation.IsQualifiedName: an optional DNS-1123 subdomain prefix, then a name part.
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_PREFIX = re.compile(_DNS_SUBDOMAIN)
MAX_RESOURCES = 16  # the CRD's maxProperties, which keeps its CEL rule on the names cheap
MAX_PREFIX_LENGTH = 253
MAX_NAME_PART_LENGTH = 63


class ResourceError(ValueError):
    """A resources field the API server would refuse; `path` names it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def container_resources(raw: dict, path: str) -> MappingProxyType:
    """Return requests and limits as the API server stores them, or raise ResourceError."""
    parsed = {kind: _quantities(raw[kind], f"{path}.{kind}") for kind in KINDS if kind in raw}
    requests, limits = parsed.get("requests", {}), parsed.get("limits", {})
    for name, request in requests.items():
        _check_request(name, request, limits.get(name), path)
    names = {*requests, *limits}
    if any(n.startswith(HUGEPAGES_PREFIX) for n in names) and not names & {"cpu", "memory"}:
        raise ResourceError(path, "hugepages need a cpu or memory request or limit beside them")
    return MappingProxyType(
        {
            kind: MappingProxyType({name: text for name, (_, text) in values.items()})
            for kind, values in parsed.items()
        }
    )


def _quantities(raw: Any, path: str) -> dict[str, tuple]:
    """Return each resource's exact value and stored text, checking name and value."""
    if not isinstance(raw, dict):
        raise ResourceError(path, f"must be an object, got {describe(raw)}")
    if len(raw) > MAX_RESOURCES:
        raise ResourceError(path, f"must name at most {MAX_RESOURCES} resources, got {len(raw)}")
    checked = {}
    for name, value in raw.items():
        field = f"{path}.{name}"
        _check_name(name, field)
        try:
            amount, text = parse_quantity(value), canonical_quantity(value)
        except QuantityError as err:
            raise ResourceError(field, str(err)) from None
        _check_value(name, amount, text, field)
        checked[name] = (amount, text)
    return checked


def _check_name(name: str, field: str) -> None:
    if not is_qualified_name(name):
        raise ResourceError(field, "is not a valid resource name")
    if "/" not in name:
        if name not in STANDARD and not name.startswith(HUGEPAGES_PREFIX):
            raise ResourceError(
                field,
                f"must be one of {', '.join(STANDARD)}, hugepages-<size>, or a domain-prefixed "
                "extended resource such as example.com/gpu",
            )
    elif not _is_native(name) and not _is_extended(name):
        raise ResourceError(field, "is not a valid extended resource name")


def _check_value(name: str, amount, text: str, field: str) -> None:
    if _is_extended(name) and math.ceil(amount * 1000) % 1000:
        raise ResourceError(field, f"must be a whole number for an extended resource, got {text}")
    if name.startswith(HUGEPAGES_PREFIX):
        page = _page_size(name)
        if page is None or math.ceil(amount) % page:
            raise ResourceError(field, f"{text} is not a whole multiple of the page size of {name}")


def _check_request(name: str, request: tuple, limit: tuple | None, path: str) -> None:
    field = f"{path}.requests.{name}"
    if not _overcommit_allowed(name):
        # Extended resources and hugepages cannot be overcommitted: limit == request.
        if limit is None:
            raise ResourceError(field, f"needs a limit of the same amount for {name}")
        if request[0] != limit[0]:
            raise ResourceError(field, f"must equal the limit {limit[1]}, got {request[1]}")
    elif limit is not None and request[0] > limit[0]:
        raise ResourceError(field, f"must not exceed the limit {limit[1]}, got {request[1]}")


def _page_size(name: str) -> int | None:
    """Return the page size a hugepages name carries, when it is a positive whole number."""
    try:
        size = parse_quantity(name.removeprefix(HUGEPAGES_PREFIX))
    except QuantityError:
        return None
    return int(size) if size > 0 and size.denominator == 1 else None


def _is_native(name: str) -> bool:
    return "/" not in name or NATIVE_DOMAIN in name


def _is_extended(name: str) -> bool:
    return (
        not _is_native(name)
        and not name.startswith(QUOTA_PREFIX)
        and is_qualified_name(QUOTA_PREFIX + name)
    )


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not name.startswith(HUGEPAGES_PREFIX)


def is_qualified_name(key: str) -> bool:
    """Kubernetes' qualified-name rule (resource names, annotation and label keys)."""
    prefix, slash, name = key.rpartition("/")
    if slash and not (len(prefix) <= MAX_PREFIX_LENGTH and _PREFIX.fullmatch(prefix)):
        return False
    return len(name) <= MAX_NAME_PART_LENGTH and _NAME_PART.fullmatch(name) is not None
