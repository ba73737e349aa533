"""What the API server does with a CRD's structural schema, for offline tests.

It fills in defaults (`with_defaults`), rejects what the schema does not allow,
including every field it does not declare (`schema_errors`: a field the API
server would prune, or refuse under kubectl's strict field validation),
evaluates the `x-kubernetes-validations` CEL rules (`rule_errors`), transition
rules that compare with `oldSelf` included when an update is checked
(`update_errors`), refuses repeated keys in lists of list-type map or set
(`list_errors`), and checks the rules a CRD's schema itself must follow
(`structural_problems`).
"""

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import celpy
import jsonschema

from hooks.quantity import QuantityError, parse_quantity

INT_RANGES = {"int32": 2**31, "int64": 2**63}
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -INT_RANGES["int32"] <= value < INT_RANGES["int32"]


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -INT_RANGES["int64"] <= value < INT_RANGES["int64"]


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value))


def openapi_schema(crd: dict, version: str) -> dict:
    """Return the openAPIV3Schema of one version of a CRD."""
    served = {v["name"]: v for v in crd["spec"]["versions"]}
    return served[version]["schema"]["openAPIV3Schema"]


def with_defaults(value: object, schema: dict) -> object:
    """Return a copy of `value` with the schema's defaults filled in, as the API server does."""
    value = copy.deepcopy(value)
    _default(value, schema)
    return value


def _default(value: object, schema: dict) -> None:
    if isinstance(value, dict):
        for key, field in schema.get("properties", {}).items():
            # Absent and null (none of our fields is nullable) both take the default.
            if "default" in field and value.get(key) is None:
                value[key] = copy.deepcopy(field["default"])
        for key, item in value.items():
            field = _field(schema, key)
            if field is not None:
                _default(item, field)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _default(item, schema["items"])


def schema_errors(value: object, schema: dict) -> list[str]:
    """Return "path: problem" for each way `value` breaks the schema, unknown fields included."""
    validator = jsonschema.Draft7Validator(_strict(schema, root=True), format_checker=FORMATS)
    found = []
    for error in validator.iter_errors(value):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {})
            found += [
                f"{dotted([*path, k])}: unknown field" for k in error.instance if k not in known
            ]
        elif error.validator == "required":
            # The API server names the missing field itself: "spec.x.name: Required value".
            found += [
                f"{dotted([*path, k])}: Required value"
                for k in error.validator_value
                if k not in error.instance
            ]
        else:
            found.append(f"{dotted(path)}: {error.message}")
    return sorted(found)


def _strict(schema: dict, *, root: bool = False) -> dict:
    """Return the schema as JSON Schema in which undeclared fields are errors (pruning)."""
    strict = dict(schema)
    if "properties" in schema:
        strict["properties"] = {
            # The API server checks metadata itself, beyond what the schema restricts.
            key: field if root and key == "metadata" else _strict(field)
            for key, field in schema["properties"].items()
        }
    if isinstance(schema.get("additionalProperties"), dict):
        strict["additionalProperties"] = _strict(schema["additionalProperties"])
    elif schema.get("type") == "object" and not schema.get("x-kubernetes-preserve-unknown-fields"):
        strict["additionalProperties"] = False
    if "items" in schema:
        strict["items"] = _strict(schema["items"])
    return strict


# What a value has where an update's old object had no field at all.
ABSENT = object()
OLD_SELF = re.compile(r"\boldSelf\b")


def rule_errors(value: object, schema: dict, path: tuple = (), old: object = ABSENT) -> list[str]:
    """Return "path: message" for each CEL rule that `value` breaks, anywhere in the schema.

    A transition rule (one that reads `oldSelf`) runs only where `old`, the
    value before an update, has the field too, as the API server runs it.
    """
    found = [
        f"{dotted(list(path))}{rule.get('fieldPath', '')}: {rule['message']}"
        for rule in schema.get("x-kubernetes-validations", [])
        if not (OLD_SELF.search(rule["rule"]) and old is ABSENT)
        and not rule_holds(rule["rule"], value, old)
    ]
    children: Iterator[tuple[object, object, dict | None, object]] = iter(())
    if isinstance(value, dict):
        before = old if isinstance(old, dict) else {}
        children = (
            (key, item, _field(schema, key), before.get(key, ABSENT)) for key, item in value.items()
        )
    elif isinstance(value, list):
        # Our lists are never correlated with their old items: no transition rule sits below one.
        children = ((i, item, schema.get("items"), ABSENT) for i, item in enumerate(value))
    for key, item, field, item_before in children:
        if field is not None:
            found += rule_errors(item, field, (*path, key), item_before)
    return found


def rule_holds(rule: str, value: object, old: object = ABSENT) -> bool:
    """Evaluate one CEL rule with `self` bound to `value` (and `oldSelf` to `old`)."""
    bindings = {"self": celpy.json_to_cel(value)}
    if old is not ABSENT:
        bindings["oldSelf"] = celpy.json_to_cel(old)
    result = _program(rule).evaluate(bindings)
    if not isinstance(result, celpy.celtypes.BoolType):
        raise AssertionError(f"CEL rule {rule!r} gave {result!r}, not a boolean")
    return bool(result)


@dataclass(frozen=True)
class Quantity:
    """A value of the Kubernetes CEL quantity library, which cel-python lacks."""

    value: Fraction


def _quantity(text: celpy.celtypes.StringType) -> Quantity:
    # The library's quantity() fails on a string that is not a quantity, as this does.
    try:
        return Quantity(parse_quantity(str(text)))
    except QuantityError as err:
        raise ValueError(f"quantity({text!r}): {err}") from None


def _compare_to(left: Quantity, right: Quantity) -> celpy.celtypes.IntType:
    return celpy.celtypes.IntType((left.value > right.value) - (left.value < right.value))


# The functions of k8s.io/apiserver/pkg/cel/library/quantity.go that our rules use.
QUANTITY_LIBRARY = {"quantity": _quantity, "compareTo": _compare_to}


@functools.cache
def _program(rule: str) -> celpy.Runner:
    environment = celpy.Environment()
    return environment.program(environment.compile(rule), functions=QUANTITY_LIBRARY)


def list_errors(value: object, schema: dict, path: tuple = ()) -> list[str]:
    """Return "path: Duplicate value" for each item repeating a list-type map key or set item.

    As apiextensions-apiserver's pkg/apiserver/schema/listtype/validation.go
    (ValidateListSetsAndMaps) checks every custom resource.
    """
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            field = _field(schema, key)
            if field is not None:
                found += list_errors(item, field, (*path, key))
    elif isinstance(value, list):
        kind, keys = schema.get("x-kubernetes-list-type"), schema.get("x-kubernetes-list-map-keys")
        seen = set()
        for index, item in enumerate(value):
            if kind in ("map", "set"):
                mapped = kind == "map" and isinstance(item, dict)
                identity = [item.get(k) for k in keys] if mapped else item
                text = json.dumps(identity, sort_keys=True)
                if text in seen:
                    found.append(f"{dotted([*path, index])}: Duplicate value")
                seen.add(text)
            found += list_errors(item, schema.get("items", {}), (*path, index))
    return found


def errors(obj: dict, schema: dict) -> list[str]:
    """Return every error the API server reports for `obj`: defaults first, then checks."""
    defaulted = with_defaults(obj, schema)
    return (
        schema_errors(defaulted, schema)
        + rule_errors(defaulted, schema)
        + list_errors(defaulted, schema)
    )


def update_errors(old: dict, new: dict, schema: dict) -> list[str]:
    """Return every error the API server reports when `old` is replaced by `new`.

    Both are defaulted first: the API server defaults the stored object as it reads it.
    """
    defaulted = with_defaults(new, schema)
    before = with_defaults(old, schema)
    return schema_errors(defaulted, schema) + rule_errors(defaulted, schema, old=before)


def error_fields(errors: list[str]) -> list[str]:
    """Return the fields that errors name, each once."""
    return sorted({error.split(": ", 1)[0] for error in errors})


def structural_problems(schema: dict) -> list[str]:
    """Return how a CRD schema breaks the API server's rules for structural schemas."""
    problems = []
    metadata = schema.get("properties", {}).get("metadata", {})
    if set(metadata) - {"type", "properties"} or set(metadata.get("properties", {})) - {
        "name",
        "generateName",
    }:
        problems.append("metadata: only rules on name and generateName are allowed")
    for path, field in [("<root>", schema), *fields(schema)]:
        problems += [f"{path}: {problem}" for problem in _node_problems(field)]
    return problems


def _node_problems(field: dict) -> list[str]:
    problems = []
    int_or_string = field.get("x-kubernetes-int-or-string", False)
    if "type" not in field and not int_or_string:
        problems.append("type must not be empty")
    if field.get("type") == "array" and "items" not in field:
        problems.append("items must be specified")
    if "x-kubernetes-preserve-unknown-fields" in field:
        problems.append("keeps unknown fields")
    if "properties" in field and "additionalProperties" in field:
        problems.append("properties and additionalProperties exclude each other")
    if field.get("x-kubernetes-list-type") == "map":
        item = field.get("items", {})
        required = set(item.get("required", []))
        defaulted = {key for key, prop in item.get("properties", {}).items() if "default" in prop}
        if not set(field.get("x-kubernetes-list-map-keys", [])) <= required | defaulted:
            problems.append("list-map keys must be required or have a default")
    if "anyOf" in field and field["anyOf"] != [{"type": "integer"}, {"type": "string"}]:
        problems.append("anyOf may only be the int-or-string pair")
    if any(key in field for key in ("allOf", "oneOf", "not")):
        problems.append("no logical junctors other than the int-or-string anyOf")
    return problems


def fields(schema: dict, path: str = "") -> Iterator[tuple[str, dict]]:
    """Yield (path, schema) for every field the schema declares, depth first."""
    for key, field in schema.get("properties", {}).items():
        yield f"{path}.{key}".lstrip("."), field
        yield from fields(field, f"{path}.{key}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield f"{path}.*".lstrip("."), schema["additionalProperties"]
        yield from fields(schema["additionalProperties"], f"{path}.*")
    if "items" in schema:
        yield f"{path}[]", schema["items"]
        yield from fields(schema["items"], f"{path}[]")


def field_at(schema: dict, path: str) -> dict:
    """Return the schema of the field at a dotted path such as "spec.frontend.replicas"."""
    for key in path.split("."):
        schema = schema["properties"][key]
    return schema


def _field(schema: dict, key: object) -> dict | None:
    if isinstance(key, str) and key in schema.get("properties", {}):
        return schema["properties"][key]
    additional = schema.get("additionalProperties")
    return additional if isinstance(additional, dict) else None


def dotted(path: list) -> str:
    """Return a JSON path as the API server writes it: spec.containers[0].name."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "<root>"
