"""Where a tier's pods run: the six PodSpec placement fields, checked by Kubernetes' own schemas.

`placement_schemas.json` holds the schemas of these fields as Kubernetes 1.30
defines them; `make crd` generates it together with the CRD's copies, so the
hooks refuse exactly what the API server refuses for a guestbook. The check is
the API server's: JSON Schema with every undeclared field an error (pruning),
32- and 64-bit integer formats, and unique keys in lists of list-type map or set.
"""

import functools
import json
from collections.abc import Iterator
from importlib import resources
from types import MappingProxyType
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from hooks.describe import describe, shorten

FIELDS = (
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "priorityClassName",
    "imagePullSecrets",
)
SPREAD = "topologySpreadConstraints"
SCHEMA_FILE = "placement_schemas.json"
# Two soft constraints: spread over nodes and zones where the scheduler can,
# never leaving a pod pending for it. They select the tier's own pods.
SOFT_SPREAD = tuple(
    MappingProxyType({"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway"})
    for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
)
INT_RANGES = {"int32": 2**31, "int64": 2**63}
TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "object": "an object",
    "array": "a list",
    "boolean": "a boolean",
}
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -INT_RANGES["int32"] <= value < INT_RANGES["int32"]


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -INT_RANGES["int64"] <= value < INT_RANGES["int64"]


def placement_error(values: dict) -> tuple[str, str] | None:
    """Return (path, problem) for the first bad placement value of a tier, or None.

    `values` holds the tier's placement fields that are set; the path is
    relative to the tier, e.g. `tolerations[0].operator`.
    """
    error = best_match(_validator().iter_errors(values))
    if error is not None:
        return _explain(error)
    return next(_duplicates(values, _schema(), ()), None)


def frozen(value: Any) -> Any:
    """Return a JSON value that cannot be changed: mappings read-only, lists as tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value


def pod_placement(placement: MappingProxyType, selector: dict[str, str]) -> dict:
    """Return the PodSpec fields of a tier's placement, as the API server stores them.

    A spread constraint without a labelSelector selects the tier's own pods.
    """
    pod = {}
    for field, value in placement.items():
        stored = _as_stored(value, _schema()["properties"][field])
        if field == SPREAD:
            stored = [{"labelSelector": {"matchLabels": dict(selector)}, **c} for c in stored]
        if stored not in ({}, [], ""):
            pod[field] = stored
    return pod


def _as_stored(value: Any, schema: dict) -> Any:
    """Return a fresh copy without the empty fields that the API server leaves out.

    Kubernetes drops a struct field that is an empty string, list or map
    (`omitempty`); sending one anyway would make every sync an update. A map's
    own entries and an empty struct (`labelSelector: {}` selects everything) stay.
    """
    if isinstance(value, MappingProxyType | dict):
        properties = schema.get("properties")
        if properties is None:
            return dict(value)
        stored = {}
        for key, item in value.items():
            field = properties[key]
            kept = _as_stored(item, field)
            if kept in ("", []) or (kept == {} and "additionalProperties" in field):
                continue
            stored[key] = kept
        return stored
    if isinstance(value, tuple | list):
        return [_as_stored(item, schema["items"]) for item in value]
    return value


@functools.cache
def _schema() -> dict:
    """The placement fields as one object schema, each field as the CRD declares it."""
    text = resources.files("hooks").joinpath(SCHEMA_FILE).read_text()
    return {"type": "object", "properties": json.loads(text)}


@functools.cache
def _validator() -> jsonschema.Draft7Validator:
    # Compiled once per process: it is the same for every tier and every spec.
    return jsonschema.Draft7Validator(_strict(_schema()), format_checker=FORMATS)


def _strict(schema: dict) -> dict:
    """Return the schema with undeclared fields made errors, as pruning makes them."""
    strict = dict(schema)
    if "properties" in schema:
        strict["properties"] = {key: _strict(item) for key, item in schema["properties"].items()}
        strict["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        strict["additionalProperties"] = _strict(schema["additionalProperties"])
    if "items" in schema:
        strict["items"] = _strict(schema["items"])
    return strict


def _explain(error: ValidationError) -> tuple[str, str]:
    """Return the field an error is about and a sentence saying what is wrong with it."""
    path = _path(error.absolute_path)
    value, rule = error.instance, error.validator_value
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        unknown = next(key for key in value if key not in known)
        return _join(path, unknown), f"unknown field (known fields: {', '.join(known)})"
    if error.validator == "required":
        missing = next(key for key in rule if key not in value)
        return _join(path, missing), "is required"
    problems = {
        "type": lambda: f"must be {TYPE_NAMES.get(rule, rule)}, got {describe(value)}",
        "enum": lambda: f"must be one of {', '.join(rule)}, got {describe(value)}",
        "minimum": lambda: f"must be at least {rule}, got {value}",
        "maximum": lambda: f"must be at most {rule}, got {value}",
        "format": lambda: f"must fit in a {rule[3:]}-bit integer, got {value}",
        "minItems": lambda: "must not be empty" if rule == 1 else f"needs {rule} items or more",
        "maxLength": lambda: f"must be at most {rule} characters, got {shorten(value)}",
        "pattern": lambda: f"must match {rule}, got {shorten(value)}",
    }
    explain = problems.get(error.validator)
    return path, explain() if explain else error.message


def _duplicates(value: Any, schema: dict, path: tuple) -> Iterator[tuple[str, str]]:
    """Yield the items of list-type map or set lists that repeat an earlier one's key.

    The API server's own check for custom resources (apiextensions-apiserver,
    pkg/apiserver/schema/listtype/validation.go, ValidateListSetsAndMaps).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            field = schema.get("properties", {}).get(key, schema.get("additionalProperties"))
            if isinstance(field, dict):
                yield from _duplicates(item, field, (*path, key))
    elif isinstance(value, list):
        keys = schema.get("x-kubernetes-list-map-keys")
        kind = schema.get("x-kubernetes-list-type")
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            if kind in ("map", "set"):
                identity = {k: item.get(k) for k in keys} if kind == "map" else item
                text = json.dumps(identity, sort_keys=True)
                if text in seen:
                    named = f" (same {' and '.join(keys)})" if kind == "map" else ""
                    yield _path((*path, index)), f"duplicates item {seen[text]}{named}"
                    return
                seen[text] = index
            yield from _duplicates(item, schema.get("items", {}), (*path, index))


def _path(parts) -> str:
    """Write a path as the API server does: tolerations[0].key, nodeSelector[disktype]."""
    text, schema = "", _schema()
    for part in parts:
        if isinstance(part, int):
            text, schema = f"{text}[{part}]", schema.get("items", {})
        elif part in schema.get("properties", {}):
            text, schema = f"{text}.{part}", schema["properties"][part]
        else:
            text, schema = f"{text}[{part}]", schema.get("additionalProperties", {})
    return text.lstrip(".")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
