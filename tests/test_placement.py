"""Placement: each tier's six PodSpec fields reach its pods, checked, as Kubernetes stores them."""

import pytest

from hooks import placement
from hooks.children import build_children
from hooks.spec import SpecError, parse_spec
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors

TIERS = {
    "frontend": ("frontend",),
    "redis-leader": ("redis", "leader"),
    "redis-follower": ("redis", "follower"),
}
VALUES = {
    "nodeSelector": {"kubernetes.io/os": "linux", "example.com/disk": ""},
    "tolerations": [
        {"key": "example.com/pool", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
        {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ],
    "affinity": {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 50,
                    "preference": {
                        "matchExpressions": [
                            {"key": "example.com/disk", "operator": "In", "values": ["ssd"]}
                        ]
                    },
                }
            ]
        }
    },
    "topologySpreadConstraints": [
        {
            "maxSkew": 2,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"example.com/team": "web"}},
        }
    ],
    "priorityClassName": "guestbook-high",
    "imagePullSecrets": [{"name": "registry-credentials"}],
}


SPREAD = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def spec_with(component: str, fields: dict) -> dict:
    """Return a spec that sets `fields` on one tier."""
    spec: dict = {}
    place = spec
    for key in TIERS[component]:
        place = place.setdefault(key, {})
    place.update(fields)
    return spec


def pod(spec: dict, component: str, base: str = "gb1") -> dict:
    """Return the pod template spec of one tier's Deployment."""
    for child in build_children(base, parse_spec(spec)):
        if child["kind"] == "Deployment" and child["metadata"]["name"] == f"{base}-{component}":
            return child["spec"]["template"]["spec"]
    raise AssertionError(f"no Deployment for {component}")


def selector(component: str) -> dict:
    return {
        "app.kubernetes.io/name": "guestbook",
        "app.kubernetes.io/instance": "gb1",
        "app.kubernetes.io/component": component,
    }


def soft_spread(component: str) -> list[dict]:
    return [
        {
            "labelSelector": {"matchLabels": selector(component)},
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


@pytest.mark.parametrize("component", TIERS)
@pytest.mark.parametrize("field", placement.FIELDS)
def test_each_placement_field_is_copied_into_the_tiers_pod_template(component, field):
    assert pod(spec_with(component, {field: VALUES[field]}), component)[field] == VALUES[field]


@pytest.mark.parametrize("component", TIERS)
def test_placement_of_one_tier_leaves_the_other_tiers_alone(component):
    spec = spec_with(component, {field: VALUES[field] for field in placement.FIELDS})
    for other in TIERS:
        if other != component:
            assert pod(spec, other) == pod({}, other)


@pytest.mark.parametrize("component", ["frontend", "redis-follower"])
def test_frontend_and_followers_spread_softly_over_nodes_and_zones_by_default(component):
    assert pod({}, component)["topologySpreadConstraints"] == soft_spread(component)


def test_the_leader_has_no_spread_constraints_by_default():
    assert "topologySpreadConstraints" not in pod({}, "redis-leader")


@pytest.mark.parametrize("component", ["frontend", "redis-follower"])
def test_an_empty_list_turns_spreading_off(component):
    spec = spec_with(component, {"topologySpreadConstraints": []})
    assert "topologySpreadConstraints" not in pod(spec, component)


@pytest.mark.parametrize("component", TIERS)
def test_a_spread_constraint_without_label_selector_counts_the_tiers_own_pods(component):
    spec = spec_with(component, {"topologySpreadConstraints": [SPREAD]})
    assert pod(spec, component)["topologySpreadConstraints"] == [
        {**SPREAD, "labelSelector": {"matchLabels": selector(component)}}
    ]


def test_unset_placement_fields_are_left_out_of_the_pod_template():
    for component in TIERS:
        assert set(pod({}, component)) & set(placement.FIELDS) <= {"topologySpreadConstraints"}


def test_empty_values_are_left_out_as_the_api_server_leaves_them_out():
    spec = spec_with(
        "frontend",
        {
            "nodeSelector": {},
            "tolerations": [{"key": "", "operator": "Exists", "value": ""}],
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {}, "matchExpressions": []},
                            "namespaceSelector": {},
                            "namespaces": [],
                        }
                    ]
                }
            },
            "priorityClassName": None,
            "imagePullSecrets": [],
        },
    )
    frontend = pod(spec, "frontend")

    assert "nodeSelector" not in frontend
    assert "imagePullSecrets" not in frontend
    assert "priorityClassName" not in frontend
    assert frontend["tolerations"] == [{"operator": "Exists"}]
    # An empty selector is kept: {} selects everything, while absent selects nothing.
    assert frontend["affinity"]["podAntiAffinity"] == {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {}, "namespaceSelector": {}}
        ]
    }


def test_map_entries_with_empty_values_are_kept():
    spec = spec_with("frontend", {"nodeSelector": {"example.com/gpu": ""}})
    assert pod(spec, "frontend")["nodeSelector"] == {"example.com/gpu": ""}


@pytest.mark.parametrize(
    ("component", "fields", "path", "problem"),
    [
        pytest.param(
            "frontend",
            {"tolerations": [{"key": "a", "operator": "Matches"}]},
            "spec.frontend.tolerations[0].operator",
            "must be one of Exists, Equal, got the string 'Matches'",
            id="unknown-operator",
        ),
        pytest.param(
            "redis-follower",
            {"topologySpreadConstraints": [{**SPREAD, "maxSkew": 0}]},
            "spec.redis.follower.topologySpreadConstraints[0].maxSkew",
            "must be at least 1, got 0",
            id="max-skew-zero",
        ),
        pytest.param(
            "frontend",
            {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "z"}]},
            "spec.frontend.topologySpreadConstraints[0].whenUnsatisfiable",
            "is required",
            id="missing-required-field",
        ),
        pytest.param(
            "frontend",
            {"topologySpreadConstraints": [SPREAD, {**SPREAD, "maxSkew": 3}]},
            "spec.frontend.topologySpreadConstraints[1]",
            "duplicates item 0 (same topologyKey and whenUnsatisfiable)",
            id="repeated-key",
        ),
        pytest.param(
            "redis-leader",
            {"imagePullSecrets": [{"name": "a"}, {"name": "a"}]},
            "spec.redis.leader.imagePullSecrets[1]",
            "duplicates item 0 (same name)",
            id="repeated-pull-secret",
        ),
        pytest.param(
            "redis-leader",
            {"tolerations": [{"operator": "Exists", "tolerateAll": True}]},
            "spec.redis.leader.tolerations[0].tolerateAll",
            "unknown field (known fields: effect, key, operator, tolerationSeconds, value)",
            id="unknown-field",
        ),
        pytest.param(
            "redis-leader",
            {"nodeSelector": {"disktype": True}},
            "spec.redis.leader.nodeSelector[disktype]",
            "must be a string, got a boolean",
            id="map-value-of-the-wrong-type",
        ),
        pytest.param(
            "frontend",
            {"tolerations": {"key": "a"}},
            "spec.frontend.tolerations",
            "must be a list, got an object",
            id="object-for-a-list",
        ),
        pytest.param(
            "frontend",
            {"tolerations": [{"operator": "Exists", "tolerationSeconds": 2**63}]},
            "spec.frontend.tolerations[0].tolerationSeconds",
            "must fit in a 64-bit integer, got 9223372036854775808",
            id="beyond-int64",
        ),
        pytest.param(
            "frontend",
            {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": []}}}},
            "spec.frontend.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms",
            "must not be empty",
            id="no-node-selector-terms",
        ),
        pytest.param(
            "redis-follower",
            {"priorityClassName": "High"},
            "spec.redis.follower.priorityClassName",
            "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$, "
            "got 'High'",
            id="priority-class-not-a-name",
        ),
    ],
)  # fmt: skip
def test_a_bad_placement_value_is_an_invalid_spec_naming_the_field(
    component, fields, path, problem
):
    with pytest.raises(SpecError) as caught:
        parse_spec(spec_with(component, fields))

    assert (caught.value.path, caught.value.problem) == (path, problem)


def test_the_placement_of_a_parsed_spec_cannot_be_changed():
    parsed = parse_spec(spec_with("frontend", {"tolerations": VALUES["tolerations"]}))

    with pytest.raises(TypeError):
        parsed.frontend.placement["tolerations"][0]["key"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        parsed.frontend.placement["nodeSelector"] = {}  # type: ignore[index]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_deployments_with_every_placement_field_pass_the_strict_kubernetes_schemas(version):
    every = {field: VALUES[field] for field in placement.FIELDS}
    spec = {"frontend": every, "redis": {"leader": every, "follower": every}}
    for child in build_children("gb1", parse_spec(spec)):
        assert schema_errors(child, version) == [], child["metadata"]["name"]
