"""What a hook call did, read from its request and answer: outcome, Ready, parent facts."""

import pytest

from hooks.calls import ERROR, HELD, INVALID, OK, UNMATCHED_ROUTE, HookCall
from tests import golden


def answered(case: str) -> HookCall:
    parent = golden.request(case)["parent"]
    return HookCall("POST", "/sync", "/sync", 200, 0.001, parent=parent, answer=golden.answer(case))


@pytest.mark.parametrize(
    ("case", "outcome", "ready"),
    [
        pytest.param("all-ready", OK, "True", id="a converged guestbook is ok and ready"),
        pytest.param("rolling-out", OK, "False", id="a rollout is ok and not ready"),
        pytest.param("paused", HELD, "True", id="a pause is held and judged as observed"),
        pytest.param("invalid-spec-held", INVALID, "False", id="an invalid spec is invalid"),
    ],
)
def test_an_answer_names_its_outcome_and_ready_status(case, outcome, ready):
    call = answered(case)
    assert (call.outcome, call.ready, call.children) == (outcome, ready, 9)


def test_a_call_without_an_answer_is_an_error_with_no_ready_status():
    call = HookCall("POST", "/sync", "/sync", 400, 0.001, error="request has no parent")
    assert (call.outcome, call.ready, call.children) == (ERROR, None, None)


def test_a_sync_answer_names_its_guestbook_and_generation():
    call = answered("all-ready")
    assert (call.guestbook, call.generation) == ({"namespace": "demo", "name": "gb1"}, 2)


@pytest.mark.parametrize(
    "parent",
    [
        pytest.param(None, id="no parent"),
        pytest.param([1], id="a parent that is a list"),
        pytest.param({"metadata": "gb1"}, id="metadata that is a string"),
        pytest.param({"metadata": {"name": 7, "generation": True}}, id="fields of wrong types"),
    ],
)
def test_a_malformed_parent_names_nothing(parent):
    call = HookCall("POST", "/sync", "/sync", 400, 0.001, parent=parent)
    assert (call.guestbook, call.generation) == (None, None)


@pytest.mark.parametrize(
    ("route", "is_hook"),
    [
        pytest.param("/sync", True, id="sync"),
        pytest.param("/healthz", False, id="a probe"),
        pytest.param(UNMATCHED_ROUTE, False, id="an unknown path"),
    ],
)
def test_only_the_sync_route_is_a_hook_call(route, is_hook):
    assert HookCall("GET", route, route, 200, 0.001).is_hook is is_hook
