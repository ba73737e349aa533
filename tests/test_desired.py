"""The cache of desired children: equal to fresh builds, never shared, bounded, safe."""

import json
from datetime import UTC, datetime

import orjson
import pytest

from hooks import SpecError, sync
from hooks.app import JSON_OPTIONS
from hooks.children import build_children
from hooks.desired import CACHE_SIZE, _cached, desired_children
from hooks.migration import read_migration
from hooks.observed import Observed, read_children
from hooks.spec import parse_spec
from hooks.storage import observed_claim, read_claim
from tests import golden
from tests.apiserver import converged, guestbook, sync_request
from tests.golden.cases import CASES, FULL_SPEC, NOW

SPECS = [
    pytest.param({}, id="empty spec"),
    pytest.param(None, id="no spec at all"),
    pytest.param(FULL_SPEC, id="every field set"),
    pytest.param({"redis": {"follower": {"replicas": 0}}}, id="no followers"),
    pytest.param({"frontend": {"replicas": 1}}, id="one frontend replica, no budget"),
]


@pytest.mark.parametrize("spec", SPECS)
def test_cached_children_equal_children_built_afresh(spec):
    expected = build_children("gb1", parse_spec(spec))
    assert desired_children("gb1", spec).fresh() == expected
    assert desired_children("gb1", spec).fresh() == expected  # and again, from the cache


@pytest.mark.parametrize("spec", SPECS)
def test_changing_handed_out_children_never_changes_the_next_answer(spec):
    expected = build_children("gb1", parse_spec(spec))
    first = desired_children("gb1", spec).fresh()
    first[0]["metadata"]["labels"]["tampered"] = "yes"
    first[5]["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:latest"
    first.pop()
    assert desired_children("gb1", spec).fresh() == expected


def test_changing_a_sync_answer_never_changes_the_next_one():
    request = golden.request("all-ready")
    expected = golden.answer("all-ready")
    answer = sync(request["parent"], request["children"], now=NOW)
    answer["children"][0]["spec"]["replicas"] = 99
    answer["status"]["conditions"].clear()
    assert sync(request["parent"], request["children"], now=NOW) == expected


@pytest.mark.parametrize("case", CASES)
def test_warm_and_cold_cache_give_the_golden_answer_byte_for_byte(case):
    request = golden.request(case)
    expected = golden.answer_file(case).read_text()
    _cached.cache_clear()
    for _ in ("cold", "warm"):
        answer = sync(request["parent"], request["children"], now=NOW)
        assert json.dumps(answer, indent=2, sort_keys=True) + "\n" == expected


def test_specs_differing_only_in_key_order_get_equal_children():
    forward = {"frontend": {"replicas": 4, "image": "example.com/gb:1"}, "redis": {}}
    backward = {"redis": {}, "frontend": {"image": "example.com/gb:1", "replicas": 4}}
    assert desired_children("gb1", forward).json == desired_children("gb1", backward).json


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        pytest.param({"frontend": {"replicas": float("nan")}}, "spec.frontend.replicas", id="NaN"),
        pytest.param(
            {"frontend": {"replicas": float("inf")}}, "spec.frontend.replicas", id="infinity"
        ),
        pytest.param({"frontend": {"replicas": 2**70}}, "spec.frontend.replicas", id="huge int"),
        pytest.param(
            {"frontend": {"image": datetime(2026, 1, 1, tzinfo=UTC)}},
            "spec.frontend.image",
            id="a datetime, which JSON would turn into a string",
        ),
        pytest.param({"frontend": {"replicas": (3,)}}, "spec.frontend.replicas", id="a tuple"),
        pytest.param({1: {}}, "spec.1", id="a key that is not a string"),
    ],
)
def test_specs_that_json_cannot_carry_are_rejected_as_given(spec, field):
    with pytest.raises(SpecError) as caught:
        desired_children("gb1", spec)
    assert caught.value.path == field


def test_an_invalid_spec_is_rejected_on_every_call():
    for _ in range(2):
        with pytest.raises(SpecError, match=r"spec\.frontend\.replicas"):
            desired_children("gb1", {"frontend": {"replicas": -1}})


def test_the_cache_holds_at_most_its_size():
    _cached.cache_clear()
    for index in range(CACHE_SIZE + 10):
        desired_children(f"gb{index}", {})
    assert _cached.cache_info().currsize == CACHE_SIZE


def test_the_serialised_children_are_the_sorted_json_of_the_children():
    desired = desired_children("gb1", FULL_SPEC)
    assert desired.json == orjson.dumps(list(desired.children), option=JSON_OPTIONS)
    assert list(desired.children) == desired.fresh()


@pytest.mark.parametrize("case", ["all-ready", "invalid-spec-held", "every-field-set"])
def test_the_server_embeds_the_same_bytes_that_sync_returns(client, case):
    request = golden.request(case)
    answer = client.post("/sync", json=request)
    # A converged guestbook's answer does not depend on the clock, so sync() can be compared.
    now = datetime.fromisoformat(answer.json["status"]["conditions"][0]["lastTransitionTime"])
    expected = sync(request["parent"], request["children"], now=now)
    assert answer.status_code == 200
    assert answer.data == orjson.dumps(expected, option=JSON_OPTIONS)


def observed_of(parent: dict, children: list[dict]) -> Observed:
    return read_children(sync_request(parent, children)["children"])


def test_children_depend_on_the_observed_claim_as_a_fresh_build_does():
    parent = guestbook(spec={"redis": {"leader": {"storage": {"size": "1Gi"}}}})
    grown = converged(parent, {"redis": {"leader": {"storage": {"size": "5Gi"}}}})
    observed = observed_of(parent, grown)
    expected = build_children(
        "gb1",
        parse_spec(parent["spec"]),
        read_claim(observed_claim("gb1", observed)),
        read_migration("gb1", observed),
    )
    for _ in ("cold", "warm"):
        children = desired_children("gb1", parent["spec"], observed).fresh()
        assert children == expected
        (claim,) = [c for c in children if c["kind"] == "PersistentVolumeClaim"]
        assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"  # never shrunk


def test_observed_changes_the_children_do_not_depend_on_share_one_cache_entry():
    parent = guestbook()
    rolling, ready = converged(parent, ready=False), converged(parent)
    # The claim's phase is a fact the rules read: only Deployments' progress differs here.
    for child in rolling:
        if child["kind"] == "PersistentVolumeClaim":
            child["status"] = next(c for c in ready if c["kind"] == child["kind"])["status"]
    _cached.cache_clear()
    first = desired_children("gb1", {}, observed_of(parent, rolling))
    second = desired_children("gb1", {}, observed_of(parent, ready))
    assert second is first
    assert _cached.cache_info().hits == 1
