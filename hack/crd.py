"""Write the CRD's and the hooks' placement schemas from Kubernetes 1.30's own: `make crd`.

The six placement fields of each tier (hooks/placement.py FIELDS) take the
schemas of the PodSpec fields of the same names, from the OpenAPI schemas that
kubernetes-validate ships: references inlined, nullable types and
`additionalProperties: false` removed (the API server prunes unknown fields
itself), descriptions cut to their first sentence, and the enums and bounds
that the API server checks in code, not in its OpenAPI, added (ADDED below).

Only the blocks between the BEGIN and END markers in the CRD are rewritten; the
rest of the CRD stays written by hand. The same schemas go to
hooks/placement_schemas.json, which the hooks validate against.
"""

import copy
import json
import re
from importlib import resources
from pathlib import Path

import yaml

from hooks.names import FOLLOWER, FRONTEND, LEADER
from hooks.placement import FIELDS, SCHEMA_FILE, SOFT_SPREAD, SPREAD

KUBERNETES_VERSION = "1.30"
ROOT = Path(__file__).parent.parent
CRD = ROOT / "metacontroller" / "crd-guestbooks.yaml"
HOOKS_SCHEMAS = ROOT / "hooks" / SCHEMA_FILE
CORE = "io.k8s.api.core.v1"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
# Kubernetes' DNS-1123 subdomain: what a PriorityClass name must be.
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# What pkg/apis/core/validation checks in code for these types (validateTolerations,
# validateTopologySpreadConstraints, ValidateNodeSelectorRequirement,
# validatePodAffinityTerm and the weights, ValidatePodSpec's priorityClassName) and
# apimachinery's ValidateLabelSelectorRequirement: definition -> property -> added rules.
ADDED = {
    f"{CORE}.PodSpec": {
        "priorityClassName": {"pattern": DNS_SUBDOMAIN, "maxLength": 253},
    },
    f"{CORE}.Toleration": {
        "operator": {"enum": ["Exists", "Equal"]},
        "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
    },
    f"{CORE}.TopologySpreadConstraint": {
        "maxSkew": {"minimum": 1},
        "minDomains": {"minimum": 1},
        "whenUnsatisfiable": {"enum": ["DoNotSchedule", "ScheduleAnyway"]},
        "nodeAffinityPolicy": {"enum": ["Honor", "Ignore"]},
        "nodeTaintsPolicy": {"enum": ["Honor", "Ignore"]},
    },
    f"{CORE}.NodeSelector": {"nodeSelectorTerms": {"minItems": 1}},
    f"{CORE}.NodeSelectorRequirement": {
        "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]},
    },
    f"{CORE}.PreferredSchedulingTerm": {"weight": {"minimum": 1, "maximum": 100}},
    f"{CORE}.WeightedPodAffinityTerm": {"weight": {"minimum": 1, "maximum": 100}},
    f"{META}.LabelSelectorRequirement": {
        "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
    },
}
# imagePullSecrets is a list-type map keyed by name, and a CRD's map keys must be
# required; the kubelet has no use for a reference without a name either.
REQUIRED = {f"{CORE}.LocalObjectReference": ["name"]}
# Schema keys a CRD may not carry (kubectl's strategic merge hints, JSON Schema ids).
DROPPED = ("x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy", "$schema", "$id")
KEY_ORDER = ("type", "format", "description", "default")
MAX_LINE = 96  # yamllint allows 120; PyYAML passes its width by up to a word
ITEM = "One item of the list."
VALUE = "One value of the map."
DEFAULTS = {FRONTEND: {SPREAD: SOFT_SPREAD}, LEADER: {}, FOLLOWER: {SPREAD: SOFT_SPREAD}}
# "# BEGIN GENERATED placement <tier> ..." up to "# END GENERATED placement <tier>".
BLOCK = re.compile(
    r"^(?P<indent> *)# BEGIN GENERATED placement (?P<tier>[-a-z]+)[^\n]*\n"
    r"(?:.*\n)*?"
    r"(?P=indent)# END GENERATED placement (?P=tier)\n",
    re.MULTILINE,
)
BEGIN = "# BEGIN GENERATED placement {tier}: `make crd` writes this block, never edit it by hand\n"
END = "# END GENERATED placement {tier}\n"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"(])")


def field_schemas() -> dict:
    """Return the schema of each placement field, as the CRD and the hooks declare it."""
    definitions = _definitions()
    pod = definitions[f"{CORE}.PodSpec"]["properties"]
    return {field: _clean(pod[field], definitions) for field in FIELDS}


def render_crd(text: str, schemas: dict) -> str:
    """Return the CRD text with every placement block rewritten from `schemas`.

    The first block anchors each field's schema; a later block whose field is
    the same refers to it (`affinity: *affinity`), as the CRD does for resources.
    """
    tiers = [match["tier"] for match in BLOCK.finditer(text)]
    if sorted(tiers) != sorted(DEFAULTS):
        raise ValueError(f"the CRD must hold one placement block per tier, found {tiers}")
    anchored: dict[str, dict] = {}
    return BLOCK.sub(lambda match: _block(match["indent"], match["tier"], schemas, anchored), text)


def render_hooks_schemas(schemas: dict) -> str:
    """Return the text of hooks/placement_schemas.json."""
    return json.dumps(schemas, indent=1, sort_keys=True) + "\n"


def main() -> None:
    schemas = field_schemas()
    CRD.write_text(render_crd(CRD.read_text(), schemas))
    HOOKS_SCHEMAS.write_text(render_hooks_schemas(schemas))
    print(f"wrote {CRD.relative_to(ROOT)} and {HOOKS_SCHEMAS.relative_to(ROOT)}")  # noqa: T201


def _definitions() -> dict:
    folder = f"v{KUBERNETES_VERSION}.0-local-strict"
    path = resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", folder, "_definitions.json"
    )
    definitions = json.loads(path.read_text())["$defs"]
    for name, added in ADDED.items():
        for field, rules in added.items():
            definitions[name]["properties"][field].update(rules)
    for name, required in REQUIRED.items():
        definitions[name]["required"] = required
    return definitions


def _clean(schema: dict, definitions: dict) -> dict:
    """Return a schema with its references inlined and what a CRD cannot say removed."""
    schema = copy.deepcopy(schema)
    reference = schema.pop("$ref", None)
    if reference is not None:
        # The field's own description says more than its type's.
        schema = {**copy.deepcopy(definitions[reference.rsplit("/", 1)[1]]), **schema}
    for key in DROPPED:
        schema.pop(key, None)
    if isinstance(schema.get("type"), list):
        [schema["type"]] = [kind for kind in schema["type"] if kind != "null"]
    if schema.get("additionalProperties") is False:
        del schema["additionalProperties"]
    if "description" in schema:
        schema["description"] = _first_sentence(schema["description"])
    for key in ("properties",):
        if key in schema:
            schema[key] = {name: _clean(field, definitions) for name, field in schema[key].items()}
    # Every field of the CRD has a description, list items and map values included.
    for key, described in (("items", ITEM), ("additionalProperties", VALUE)):
        if isinstance(schema.get(key), dict):
            schema[key] = _ordered({"description": described, **_clean(schema[key], definitions)})
    return _ordered(schema)


def _first_sentence(text: str) -> str:
    # Some descriptions open with a bare "Required.", which says nothing the schema does not.
    sentences = SENTENCE_END.split(" ".join(text.split()))
    if sentences[0] == "Required." and len(sentences) > 1:
        sentences = sentences[1:]
    return sentences[0]


def _ordered(schema: dict) -> dict:
    """Return the schema's keys in the order a person reads them: type and description first."""
    first = [key for key in KEY_ORDER if key in schema]
    return {key: schema[key] for key in [*first, *sorted(set(schema) - set(first))]}


def _block(indent: str, tier: str, schemas: dict, anchored: dict[str, dict]) -> str:
    lines = [BEGIN.format(tier=tier)]
    for field, declared in schemas.items():
        schema = declared
        if field in DEFAULTS[tier]:
            schema = _ordered({**declared, "default": _plain(DEFAULTS[tier][field])})
        if anchored.get(field) == schema:
            lines.append(f"{field}: *{field}\n")
            continue
        text = yaml.dump(
            {field: schema},
            Dumper=_Dumper,
            sort_keys=False,
            width=MAX_LINE - len(indent),
            allow_unicode=True,
        )
        if field not in anchored:
            anchored[field] = schema
            text = text.replace(f"{field}:", f"{field}: &{field}", 1)
        lines += text.splitlines(keepends=True)
    lines.append(END.format(tier=tier))
    return "".join(f"{indent}{line}" for line in lines)


def _plain(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "items"):
        return {key: _plain(item) for key, item in value.items()}
    return value


class _Dumper(yaml.SafeDumper):
    """Indent lists under their key, as the rest of the CRD does, and never write anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


if __name__ == "__main__":
    main()
