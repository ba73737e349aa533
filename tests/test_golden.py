"""Golden request/response pairs: the hooks' answers, byte for byte, and valid Kubernetes objects.

Regenerate with `make golden` and review the diff; nothing here rewrites them.
"""

import json
from pathlib import Path

import pytest

from hooks import sync
from tests.golden.cases import CASES, NOW
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors

GOLDEN = Path(__file__).parent / "golden"
SAMPLE = Path(__file__).parent.parent / "samples" / "sync-request.json"


def load(case: str, part: str) -> dict:
    return json.loads((GOLDEN / case / f"{part}.json").read_text())


def test_every_case_has_a_recorded_pair_and_nothing_else_is_recorded():
    recorded = {path.name for path in GOLDEN.iterdir() if (path / "request.json").exists()}

    assert recorded == set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_the_answer_equals_the_recorded_response(case):
    request = load(case, "request")

    assert sync(request["parent"], request["children"], now=NOW) == load(case, "response")


@pytest.mark.parametrize("case", CASES)
def test_the_recorded_request_is_what_the_case_builds(case):
    assert CASES[case]() == load(case, "request")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_every_child_validates_against_the_kubernetes_schemas(case, version):
    for child in load(case, "response")["children"]:
        assert schema_errors(child, version) == [], (child["kind"], child["metadata"]["name"])


def test_v2_keys_get_the_same_answer_as_v1():
    assert load("v2-keys", "response") == load("all-ready", "response")


def test_the_sample_request_is_the_all_ready_golden_request():
    assert json.loads(SAMPLE.read_text()) == load("all-ready", "request")
