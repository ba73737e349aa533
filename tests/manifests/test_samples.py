"""The samples and the golden parents against the CRD's own schema; bad guestbooks are refused."""

import copy
import re

import pytest

from hooks.placement import FIELDS as PLACEMENT_FIELDS
from hooks.spec import SpecError, parse_spec
from tests.golden.cases import CASES
from tests.manifests import files, openapi

SCHEMA = openapi.openapi_schema(files.guestbook_crd(), "v1")
SAMPLE_FILES = ("webapp_v1_guestbook.yaml", "webapp_v1_guestbook_full.yaml")
# Golden cases that exist because a request need not have passed through the CRD:
# the API server refuses their parents, naming the field.
REFUSED_GOLDEN_PARENTS = {
    "long-name": "metadata.name",
    "invalid-spec-held": "spec.frontend.replicas",
}


def sample(name: str) -> dict:
    [guestbook] = files.load_yaml(files.SAMPLES / name)
    return guestbook


def dotted_keys(path: str) -> str:
    """Write map keys the way the schema errors do: annotations[team] as annotations.team."""
    return re.sub(r"\[([^\]]+)\]", r".\1", path)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_is_a_valid_guestbook_for_the_crd_and_the_hooks(name):
    guestbook = sample(name)
    assert openapi.errors(guestbook, SCHEMA) == []
    parse_spec(guestbook.get("spec"))


def test_smallest_sample_is_named_guestbook_sample_and_sets_nothing():
    assert sample("webapp_v1_guestbook.yaml") == {
        "apiVersion": "webapp.my.domain/v1",
        "kind": "Guestbook",
        "metadata": {"name": "guestbook-sample"},
    }


def inside_placement(path: str) -> bool:
    """Whether a path lies inside a placement field, a Kubernetes schema not ours to sample."""
    *parents, _ = re.split(r"[.\[\]]+", path)
    return any(key in PLACEMENT_FIELDS for key in parents)


def test_full_sample_sets_every_spec_field():
    full = sample("webapp_v1_guestbook_full.yaml")
    missing = []
    for path, _ in openapi.fields(SCHEMA["properties"]["spec"], "spec"):
        if inside_placement(path):
            continue
        value = full
        for key in path.split("."):
            if key == "*":
                value = next(iter(value.values()), None) if value else None
            else:
                value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            missing.append(path)
    assert missing == []


def test_samples_kustomization_builds_both_samples():
    built = files.built_objects(files.SAMPLES)
    assert sorted(built, key=lambda o: o["metadata"]["name"]) == sorted(
        (sample(name) for name in SAMPLE_FILES), key=lambda o: o["metadata"]["name"]
    )


@pytest.mark.parametrize("case", CASES)
def test_golden_parent_passes_the_crd_unless_made_to_fail_it(case):
    request, _ = files.golden(case)
    expected = [REFUSED_GOLDEN_PARENTS[case]] if case in REFUSED_GOLDEN_PARENTS else []
    assert openapi.error_fields(openapi.errors(request["parent"], SCHEMA)) == expected


def with_field(path: str, value: object) -> dict:
    """Return the smallest sample with one field set (created along its path)."""
    guestbook = copy.deepcopy(sample("webapp_v1_guestbook.yaml"))
    *parents, last = path.split(".")
    target = guestbook
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value
    return guestbook


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param("spec.frontend.replicas", -1, id="negative-replicas"),
        pytest.param("spec.frontend.replicas", 101, id="too-many-replicas"),
        pytest.param("spec.frontend.replicas", "3", id="replicas-as-a-string"),
        pytest.param("spec.redis.follower.replicas", 11, id="too-many-followers"),
        pytest.param("spec.frontend.service.type", "ExternalName", id="unknown-service-type"),
        pytest.param("spec.frontend.service.nodePort", 30080, id="node-port-with-cluster-ip"),
        pytest.param("spec.frontend.service.port", 0, id="port-zero"),
        pytest.param("spec.frontend.colour", "blue", id="unknown-field"),
        pytest.param("spec.redis.sentinel", {}, id="unknown-redis-field"),
        pytest.param("spec.redis.leader.image", "redis 7", id="image-with-a-space"),
        pytest.param("spec.redis.follower.image", "", id="empty-image"),
        pytest.param("spec.frontend.image", "r/" + "x" * 511, id="image-too-long"),
        pytest.param("spec.frontend.resources.requests.cpu", "-100m", id="negative-cpu"),
        pytest.param("spec.redis.leader.resources.limits.memory", "lots", id="not-a-quantity"),
        pytest.param("spec.frontend.service.annotations.team", 7, id="annotation-not-a-string"),
    ],
)
def test_bad_guestbook_is_refused_by_the_crd_and_the_hooks_naming_the_field(path, value):
    guestbook = with_field(path, value)
    errors = openapi.errors(guestbook, SCHEMA)
    assert openapi.error_fields(errors) == [path], errors
    with pytest.raises(SpecError) as error:
        parse_spec(guestbook["spec"])
    assert dotted_keys(error.value.path) == path


def test_node_port_with_node_port_service_is_accepted():
    guestbook = with_field("spec.frontend.service", {"type": "NodePort", "nodePort": 30080})
    assert openapi.errors(guestbook, SCHEMA) == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a" * 49, id="too-long-for-child-names"),
        pytest.param("guestbook.example.com", id="dotted"),
        pytest.param("guestbook--2", id="double-dash"),
    ],
)
def test_name_that_would_need_hashing_is_refused(name):
    guestbook = sample("webapp_v1_guestbook.yaml")
    guestbook["metadata"]["name"] = name
    assert openapi.error_fields(openapi.errors(guestbook, SCHEMA)) == ["metadata.name"]
