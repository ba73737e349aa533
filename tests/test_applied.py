"""Whether a child was last applied as this sync asks, read from Metacontroller's annotation."""

import copy
import json

import pytest

from hooks.applied import CONTROLLER_UID, LAST_APPLIED, is_applied, sent_json

DESIRED = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "gb1-frontend", "labels": {"app": "gb"}, "annotations": {}},
    "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80}]},
}


def observed(applied: dict | str | None) -> dict:
    """Return the child as observed, its annotation holding `applied` (None: no annotation)."""
    live = copy.deepcopy(DESIRED)
    live["metadata"].update(namespace="demo", uid="u-1", resourceVersion="7")
    if applied is not None:
        text = applied if isinstance(applied, str) else json.dumps(applied)
        live["metadata"]["annotations"] = {LAST_APPLIED: text, "someone/else": "x"}
    return live


def as_metacontroller_stored(child: dict) -> dict:
    """What Metacontroller writes into the annotation: the child, its namespace, its label."""
    stored = copy.deepcopy(child)
    stored["metadata"]["namespace"] = "demo"
    stored["metadata"]["labels"][CONTROLLER_UID] = "parent-uid"
    return stored


def changed(**spec) -> dict:
    return {**DESIRED, "spec": {**DESIRED["spec"], **spec}}


@pytest.mark.parametrize(
    ("applied", "expected"),
    [
        pytest.param(as_metacontroller_stored(DESIRED), True, id="applied, with what it adds"),
        pytest.param(DESIRED, True, id="applied as sent"),
        pytest.param(as_metacontroller_stored(changed(type="NodePort")), False, id="older"),
        pytest.param(changed(ports=[{"name": "http", "port": True}]), False, id="a bool for 1"),
        pytest.param("{not json", False, id="unreadable"),
        pytest.param({**DESIRED, "kind": "Deployment"}, False, id="another object"),
        pytest.param(None, True, id="no annotation: existence is all"),
    ],
)
def test_a_child_is_applied_when_its_annotation_holds_what_this_sync_asks(applied, expected):
    live = observed(applied)

    assert is_applied(live, DESIRED) is expected
    assert is_applied(live, DESIRED, sent_json(DESIRED)) is expected


def test_the_port_1_and_true_differ_as_the_api_server_sees_them():
    # Python's == says True == 1; the bytes compared say otherwise, as Go would.
    as_one = changed(ports=[{"name": "http", "port": 1}])
    live = observed(changed(ports=[{"name": "http", "port": True}]))

    assert is_applied(live, as_one) is is_applied(live, as_one, sent_json(as_one)) is False
