"""Golden answers: the hooks' answers, byte for byte, and valid Kubernetes objects.

Regenerate with `make golden` and review the diff; nothing here rewrites them.
"""

import json

import pytest

from hooks import sync
from tests.golden import HERE, answer, answer_file, request
from tests.golden.cases import CASES, NOW
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors

SAMPLE = HERE.parent.parent / "samples" / "sync-request.json"


def test_every_answer_is_recorded_once_and_nothing_else_is_recorded():
    assert set(HERE.glob("*.json")) == {answer_file(case) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_the_answer_equals_the_recorded_one_byte_for_byte(case):
    built = request(case)

    answered = sync(built["parent"], built["children"], now=NOW)

    assert json.dumps(answered, indent=2, sort_keys=True) + "\n" == answer_file(case).read_text()


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", sorted({answer_file(case).stem for case in CASES}))
def test_every_child_validates_against_the_kubernetes_schemas(case, version):
    for child in answer(case)["children"]:
        assert schema_errors(child, version) == [], (child["kind"], child["metadata"]["name"])


def test_the_sample_request_is_the_all_ready_golden_request():
    assert json.loads(SAMPLE.read_text()) == request("all-ready")
