"""The CRD's placement and Ingress fields: Kubernetes' schemas, refusing what the hooks refuse."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hack import crd
from hooks.ingress import HOST, IPV4
from hooks.observed import MAX_NAME_LENGTH, OBJECT_NAME
from hooks.placement import FIELDS, SCHEMA_FILE
from hooks.spec import API_VERSION, SpecError, parse_spec
from tests.manifests import files, openapi

CRD = files.guestbook_crd()
SCHEMA = openapi.openapi_schema(CRD, "v1")
TIERS = ("spec.frontend", "spec.redis.leader", "spec.redis.follower")
GENERATED = crd.field_schemas()
# What client-side `kubectl apply` can keep in its last-applied annotation, with room to spare.
MAX_CRD_BYTES = 200_000


def test_the_crd_placement_blocks_are_what_make_crd_writes():
    text = files.INSTALL.joinpath("crd-guestbooks.yaml").read_text()
    assert crd.render_crd(text, GENERATED) == text, "run make crd"


def test_the_hooks_placement_schemas_are_what_make_crd_writes():
    text = files.ROOT.joinpath("hooks", SCHEMA_FILE).read_text()
    assert crd.render_hooks_schemas(GENERATED) == text, "run make crd"


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("field", FIELDS)
def test_every_tier_declares_each_placement_field_as_the_hooks_check_it(tier, field):
    declared = dict(openapi.field_at(SCHEMA, f"{tier}.{field}"))
    declared.pop("default", None)
    assert declared == GENERATED[field]


def test_the_crd_fits_what_client_side_apply_can_store():
    assert len(json.dumps(CRD, separators=(",", ":"))) < MAX_CRD_BYTES


def schema_nodes(schema: dict):
    """Yield every schema node of a field, its own included."""
    yield schema
    for field in schema.get("properties", {}).values():
        yield from schema_nodes(field)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from schema_nodes(schema[key])


@pytest.mark.parametrize("field", FIELDS)
def test_generated_schemas_are_inlined_non_null_and_described_in_one_sentence(field):
    for node in schema_nodes(GENERATED[field]):
        assert "$ref" not in node
        assert isinstance(node["type"], str), node["type"]
        assert node.get("additionalProperties") is not False
        assert not crd.SENTENCE_END.search(node["description"]), node["description"]
        assert not any(key.startswith("x-kubernetes-patch") for key in node)


def test_the_generated_schemas_are_kubernetes_own():
    toleration = GENERATED["tolerations"]["items"]
    spread = GENERATED["topologySpreadConstraints"]
    assert set(toleration["properties"]) == {
        "key",
        "operator",
        "value",
        "effect",
        "tolerationSeconds",
    }
    assert set(GENERATED["affinity"]["properties"]) == {
        "nodeAffinity",
        "podAffinity",
        "podAntiAffinity",
    }
    assert spread["x-kubernetes-list-map-keys"] == ["topologyKey", "whenUnsatisfiable"]
    assert spread["items"]["required"] == ["maxSkew", "topologyKey", "whenUnsatisfiable"]
    assert GENERATED["imagePullSecrets"]["items"]["required"] == ["name"]


def guestbook(spec: dict) -> dict:
    return {
        "apiVersion": API_VERSION,
        "kind": "Guestbook",
        "metadata": {"name": "gb1"},
        "spec": spec,
    }


def crd_error_fields(spec: dict) -> list[str]:
    """Return the fields the API server names when it refuses a guestbook with this spec."""
    return sorted({error.split(": ", 1)[0] for error in openapi.errors(guestbook(spec), SCHEMA)})


def hooks_error_field(spec: dict) -> str | None:
    try:
        parse_spec(spec)
    except SpecError as error:
        return error.path
    return None


REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
TOLERATION = {"key": "example.com/pool", "operator": "Exists", "effect": "NoSchedule"}
SPREAD = {
    "maxSkew": 1,
    "topologyKey": "kubernetes.io/hostname",
    "whenUnsatisfiable": "DoNotSchedule",
}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        pytest.param(
            {"frontend": {"ingress": {"host": "Guestbook.Example.com"}}},
            "spec.frontend.ingress.host",
            id="host-not-a-dns-name",
        ),
        pytest.param(
            {"frontend": {"ingress": {"host": "192.168.0.1"}}},
            "spec.frontend.ingress.host",
            id="host-an-ip-address",
        ),
        pytest.param(
            {"frontend": {"ingress": {"host": "*"}}},
            "spec.frontend.ingress.host",
            id="host-a-bare-wildcard",
        ),
        pytest.param(
            {"frontend": {"ingress": {"enabled": True, "tls": {"enabled": True}}}},
            "spec.frontend.ingress.host",
            id="tls-without-a-host",
        ),
        pytest.param(
            {"frontend": {"ingress": {"pathType": "Exact"}}},
            "spec.frontend.ingress.pathType",
            id="unknown-path-type",
        ),
        pytest.param(
            {"frontend": {"ingress": {"path": "guestbook"}}},
            "spec.frontend.ingress.path",
            id="relative-path",
        ),
        pytest.param(
            {"frontend": {"ingress": {"path": "/a/../b"}}},
            "spec.frontend.ingress.path",
            id="prefix-path-with-dots",
        ),
        pytest.param(
            {"frontend": {"ingress": {"ingressClassName": "Nginx"}}},
            "spec.frontend.ingress.ingressClassName",
            id="class-not-a-name",
        ),
        pytest.param(
            {"frontend": {"ingress": {"host": "gb.example.com", "tls": {"secretName": "a b"}}}},
            "spec.frontend.ingress.tls.secretName",
            id="secret-not-a-name",
        ),
        pytest.param(
            {"frontend": {"tolerations": [{**TOLERATION, "operator": "Matches"}]}},
            "spec.frontend.tolerations[0].operator",
            id="unknown-toleration-operator",
        ),
        pytest.param(
            {"redis": {"leader": {"tolerations": [{**TOLERATION, "effect": "NoRun"}]}}},
            "spec.redis.leader.tolerations[0].effect",
            id="unknown-toleration-effect",
        ),
        pytest.param(
            {"redis": {"follower": {"topologySpreadConstraints": [{**SPREAD, "maxSkew": 0}]}}},
            "spec.redis.follower.topologySpreadConstraints[0].maxSkew",
            id="max-skew-zero",
        ),
        pytest.param(
            {"frontend": {"topologySpreadConstraints": [{**SPREAD, "whenUnsatisfiable": "Wait"}]}},
            "spec.frontend.topologySpreadConstraints[0].whenUnsatisfiable",
            id="unknown-when-unsatisfiable",
        ),
        pytest.param(
            {"frontend": {"topologySpreadConstraints": [SPREAD, {**SPREAD, "maxSkew": 2}]}},
            "spec.frontend.topologySpreadConstraints[1]",
            id="repeated-spread-key",
        ),
        pytest.param(
            {"frontend": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone"}]}},
            "spec.frontend.topologySpreadConstraints[0].whenUnsatisfiable",
            id="spread-without-when-unsatisfiable",
        ),
        pytest.param(
            {"redis": {"leader": {"tolerations": [{**TOLERATION, "tolerationSeconds": 2**63}]}}},
            "spec.redis.leader.tolerations[0].tolerationSeconds",
            id="toleration-seconds-beyond-int64",
        ),
        pytest.param(
            {"redis": {"follower": {"tolerations": [{**TOLERATION, "colour": "blue"}]}}},
            "spec.redis.follower.tolerations[0].colour",
            id="unknown-toleration-field",
        ),
        pytest.param(
            {"frontend": {"nodeSelector": {"disktype": 7}}},
            "spec.frontend.nodeSelector[disktype]",
            id="node-selector-value-not-a-string",
        ),
        pytest.param(
            {"frontend": {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "a", "operator": "Near"}]}
            ]}}}}},
            "spec.frontend.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms[0].matchExpressions[0].operator",
            id="unknown-node-selector-operator",
        ),
        pytest.param(
            {"frontend": {"affinity": {"podAntiAffinity": {PREFERRED: [
                {"weight": 101, "podAffinityTerm": {"topologyKey": "zone"}}
            ]}}}},
            "spec.frontend.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution"
            "[0].weight",
            id="weight-over-100",
        ),
        pytest.param(
            {"redis": {"leader": {"imagePullSecrets": [{}]}}},
            "spec.redis.leader.imagePullSecrets[0].name",
            id="pull-secret-without-a-name",
        ),
        pytest.param(
            {"redis": {"leader": {"priorityClassName": "High Priority"}}},
            "spec.redis.leader.priorityClassName",
            id="priority-class-not-a-name",
        ),
    ],
)  # fmt: skip
def test_bad_placement_or_ingress_is_refused_by_the_crd_and_the_hooks_naming_the_field(spec, field):
    # The schema errors write a map key as a field: nodeSelector[disktype] as nodeSelector.disktype.
    assert crd_error_fields(spec) == [re.sub(r"\[([^\]0-9][^\]]*)\]", r".\1", field)]
    assert hooks_error_field(spec) == field


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"frontend": {"ingress": {"host": "*.example.com"}}}, id="wildcard-host"),
        pytest.param({"frontend": {"ingress": {"host": "999.1.1.1"}}}, id="host-not-an-ip"),
        pytest.param(
            {"frontend": {"ingress": {"path": "/a//b", "pathType": "ImplementationSpecific"}}},
            id="implementation-specific-path",
        ),
        pytest.param({"frontend": {"topologySpreadConstraints": []}}, id="no-spreading"),
        pytest.param(
            {"redis": {"follower": {"topologySpreadConstraints": [
                SPREAD, {**SPREAD, "whenUnsatisfiable": "ScheduleAnyway"}
            ]}}},
            id="same-key-other-when-unsatisfiable",
        ),
        pytest.param(
            {"redis": {"leader": {"tolerations": [{"operator": "Exists"}]}}}, id="tolerate-all"
        ),
    ],
)  # fmt: skip
def test_good_placement_or_ingress_is_accepted_by_the_crd_and_the_hooks(spec):
    assert (crd_error_fields(spec), hooks_error_field(spec)) == ([], None)


# Placement values, good and bad: each drawn field comes from a small set of
# values that the schemas accept or refuse, plus now and then a field nobody declares.
words = st.sampled_from(["", "web", "example.com/pool", "Not A Key", "kubernetes.io/hostname"])
integers = st.one_of(
    st.integers(-1, 3),
    st.sampled_from([100, 101, 2**31 - 1, 2**31, 2**63]),
    st.sampled_from(["1", True, 1.5]),
)
junk = st.sampled_from([{}, {}, {}, {"colour": "blue"}])


def objects(required: dict, optional: dict) -> st.SearchStrategy:
    drawn = st.fixed_dictionaries(required, optional=optional)
    return st.tuples(drawn, junk).map(lambda pair: {**pair[0], **pair[1]})


label_selectors = objects(
    {},
    {
        "matchLabels": st.dictionaries(words, st.one_of(words, st.integers()), max_size=2),
        "matchExpressions": st.lists(
            objects(
                {"key": words, "operator": st.sampled_from(["In", "NotIn", "Exists", "Gt"])},
                {"values": st.lists(words, max_size=2)},
            ),
            max_size=2,
        ),
    },
)
node_selector_terms = objects(
    {},
    {
        "matchExpressions": st.lists(
            objects(
                {"key": words, "operator": st.sampled_from(["In", "Gt", "Lt", "Near"])},
                {"values": st.lists(words, max_size=2)},
            ),
            max_size=2,
        )
    },
)
pod_affinity_terms = objects(
    {"topologyKey": words}, {"labelSelector": label_selectors, "namespaces": st.lists(words)}
)
affinities = objects(
    {},
    {
        "nodeAffinity": objects(
            {},
            {
                "requiredDuringSchedulingIgnoredDuringExecution": objects(
                    {"nodeSelectorTerms": st.lists(node_selector_terms, max_size=2)}, {}
                ),
                "preferredDuringSchedulingIgnoredDuringExecution": st.lists(
                    objects({"weight": integers, "preference": node_selector_terms}, {}),
                    max_size=2,
                ),
            },
        ),
        "podAntiAffinity": objects(
            {},
            {
                "requiredDuringSchedulingIgnoredDuringExecution": st.lists(
                    pod_affinity_terms, max_size=2
                ),
                "preferredDuringSchedulingIgnoredDuringExecution": st.lists(
                    objects({"weight": integers, "podAffinityTerm": pod_affinity_terms}, {}),
                    max_size=2,
                ),
            },
        ),
    },
)
tolerations = objects(
    {},
    {
        "key": words,
        "operator": st.sampled_from(["Exists", "Equal", "In"]),
        "value": words,
        "effect": st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute", "Never"]),
        "tolerationSeconds": integers,
    },
)
spread_constraints = objects(
    {
        "maxSkew": integers,
        "topologyKey": st.sampled_from(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]),
        "whenUnsatisfiable": st.sampled_from(["DoNotSchedule", "ScheduleAnyway", "Never"]),
    },
    {
        "labelSelector": label_selectors,
        "minDomains": integers,
        "nodeTaintsPolicy": st.sampled_from(["Honor", "Ignore", "Sometimes"]),
        "matchLabelKeys": st.lists(words, max_size=2),
    },
)
placements = st.fixed_dictionaries(
    {},
    optional={
        "nodeSelector": st.dictionaries(words, st.one_of(words, st.integers()), max_size=2),
        "tolerations": st.lists(tolerations, max_size=3),
        "affinity": affinities,
        "topologySpreadConstraints": st.lists(spread_constraints, max_size=3),
        "priorityClassName": st.one_of(words, st.integers()),
        "imagePullSecrets": st.lists(objects({}, {"name": words}), max_size=3),
    },
)


def spec_at(tier: str, values: dict) -> dict:
    spec: dict = {}
    place = spec
    for key in tier.split(".")[1:]:
        place = place.setdefault(key, {})
    place.update(values)
    return spec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tier=st.sampled_from(TIERS), values=placements)
def test_the_crd_and_the_hooks_accept_the_same_placement_values(tier, values):
    spec = spec_at(tier, values)
    assert (crd_error_fields(spec) == []) == (hooks_error_field(spec) is None), values


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        pytest.param("host", HOST, id="host"),
        pytest.param("ingressClassName", OBJECT_NAME, id="ingress-class"),
        pytest.param("tls.secretName", OBJECT_NAME, id="secret-name"),
    ],
)
def test_the_crds_ingress_names_follow_the_hooks_own_patterns(path, pattern):
    field = openapi.field_at(SCHEMA, f"spec.frontend.ingress.{path}")
    assert (field["pattern"], field["maxLength"]) == (f"^{pattern.pattern}$", MAX_NAME_LENGTH)


def test_the_crd_refuses_an_ip_host_by_the_hooks_own_pattern():
    [rule] = openapi.field_at(SCHEMA, "spec.frontend.ingress.host")["x-kubernetes-validations"]
    # The CEL string literal doubles each backslash of the regular expression.
    assert rule["rule"] == f"!self.matches('^{IPV4.pattern}$')".replace("\\", "\\\\")
