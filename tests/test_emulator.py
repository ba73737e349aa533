"""The emulator keeps Metacontroller's rules: the convergence scenarios are as good as it is."""

import json

import pytest

from tests.apiserver import CHILD_TYPES, CONTROLLER_UID, LAST_APPLIED
from tests.emulator.apply import MergeError, merge
from tests.emulator.cluster import Cluster, SyncLoopError
from tests.emulator.metacontroller import HookAnswer
from tests.emulator.store import APIError

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]},
}


def service(**spec) -> dict:
    return {**SERVICE, "spec": {**SERVICE["spec"], **spec}}


@pytest.mark.parametrize(
    ("observed", "last_applied", "desired", "merged"),
    [
        pytest.param(
            {"spec": {"replicas": 7}},
            {"spec": {"replicas": 3}},
            {"spec": {"replicas": 3}},
            {"spec": {"replicas": 3}},
            id="desired-value-undoes-drift",
        ),
        pytest.param(
            {"metadata": {"annotations": {"a": "1", "b": "2"}}},
            {"metadata": {"annotations": {"a": "1"}}},
            {"metadata": {"annotations": {}}},
            {"metadata": {"annotations": {"b": "2"}}},
            id="field-no-longer-desired-is-removed-others-kept",
        ),
        pytest.param(
            {"spec": {"strategy": {"type": "RollingUpdate"}, "replicas": 3}},
            {"spec": {"replicas": 3}},
            {"spec": {"replicas": 4}},
            {"spec": {"strategy": {"type": "RollingUpdate"}, "replicas": 4}},
            id="server-default-is-kept",
        ),
        pytest.param(
            {"env": [{"name": "A", "value": "1"}, {"name": "MINE", "value": "x"}]},
            {"env": [{"name": "A", "value": "1"}]},
            {"env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
            {
                "env": [
                    {"name": "A", "value": "2"},
                    {"name": "MINE", "value": "x"},
                    {"name": "B", "value": "3"},
                ]
            },
            id="list-merged-by-name-keeping-foreign-items",
        ),
        pytest.param(
            {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
            {"ports": [{"name": "http", "port": 80}]},
            {"ports": [{"name": "web", "port": 80}]},
            {"ports": [{"name": "web", "port": 80, "protocol": "TCP"}]},
            id="ports-merged-by-port-before-name",
        ),
        pytest.param(
            {"values": ["a", "b", "c"]},
            {"values": ["a", "b"]},
            {"values": ["b"]},
            {"values": ["b"]},
            id="list-of-scalars-replaced",
        ),
        pytest.param(
            {"metadata": {"uid": "1", "resourceVersion": "9"}, "status": {"ready": 1}},
            {},
            {"metadata": {"uid": "2", "resourceVersion": "1"}, "status": {"ready": 5}},
            {"metadata": {"uid": "1", "resourceVersion": "9"}, "status": {"ready": 1}},
            id="system-fields-and-status-stay-as-observed",
        ),
        pytest.param(
            {"spec": {"replicas": 2}},
            None,
            {"spec": {"replicas": 3}},
            {"spec": {"replicas": 3}},
            id="no-last-applied-annotation",
        ),
    ],
)
def test_the_three_way_merge_applies_the_change_from_last_applied_to_desired(
    observed, last_applied, desired, merged
):
    assert merge(observed, last_applied, desired) == merged


def test_the_merge_refuses_an_object_where_a_list_was():
    with pytest.raises(MergeError, match=r"\.ports: expected list, got dict"):
        merge({"ports": [{"port": 80}]}, None, {"ports": {"port": 80}})


class ScriptedHook:
    """A hook that answers every request with the same body and keeps what it was asked."""

    def __init__(self, code: int = 200, **body) -> None:
        self.answer = HookAnswer(code, json.dumps(body).encode())
        self.requests: list[dict] = []

    def __call__(self, request: dict) -> HookAnswer:
        self.requests.append(request)
        return self.answer


def cluster_with(hook, *, version: str = "v1") -> Cluster:
    cluster = Cluster(hook, version=version)
    cluster.apply("gb1")
    return cluster


def test_a_sync_request_is_built_as_metacontroller_builds_it():
    hook = ScriptedHook(children=[SERVICE], status={})
    cluster = cluster_with(hook, version="v2")

    cluster.tick()

    request = hook.requests[-1]
    assert set(request) == {"controller", "parent", "children", "related", "finalizing"}
    assert (request["related"], request["finalizing"]) == ({}, False)
    assert set(request["children"]) == set(CHILD_TYPES.values())
    assert list(request["children"]["Service.v1"]) == ["demo/web"]
    parent = request["parent"]
    assert {"uid", "resourceVersion", "generation", "managedFields"} <= set(parent["metadata"])


def test_a_created_child_carries_the_last_applied_annotation_label_and_owner():
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={}))

    cluster.tick()

    uid = cluster.guestbook("gb1")["metadata"]["uid"]
    live = cluster.store.get("Service", "demo", "web")
    applied = json.loads(live["metadata"]["annotations"][LAST_APPLIED])
    assert applied == {
        **SERVICE,
        "metadata": {
            "name": "web",
            "namespace": "demo",
            "labels": {"app": "web", **{CONTROLLER_UID: uid}},
        },
    }
    assert live["metadata"]["ownerReferences"][0]["uid"] == uid
    assert live["spec"]["clusterIP"]  # filled by the API server


def test_a_changed_answer_updates_the_child_in_place():
    hook = ScriptedHook(children=[SERVICE], status={})
    cluster = cluster_with(hook)
    cluster.tick()
    uid = cluster.store.get("Service", "demo", "web")["metadata"]["uid"]

    hook.answer = HookAnswer(200, json.dumps({"children": [service(type="NodePort")]}).encode())
    writes = cluster.resync()

    assert {(w.verb, w.kind) for w in writes if w.by == "metacontroller"} >= {("update", "Service")}
    live = cluster.store.get("Service", "demo", "web")
    assert (live["metadata"]["uid"], live["spec"]["type"]) == (uid, "NodePort")


@pytest.mark.parametrize(
    "hook",
    [
        pytest.param(ScriptedHook(500, error="boom"), id="500"),
        pytest.param(ScriptedHook(422, error="cannot hold"), id="422"),
        pytest.param(ScriptedHook(children=[{"kind": "Service"}]), id="child-without-name"),
        pytest.param(ScriptedHook(children={}), id="children-not-a-list"),
        pytest.param(ScriptedHook(children=[{**SERVICE, "kind": "Pod"}]), id="unlisted-kind"),
    ],
)
def test_a_failed_hook_call_changes_nothing_and_records_an_event(hook):
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={"ok": True}))
    cluster.tick()
    before = cluster.store.list("Service"), cluster.guestbook("gb1")["status"]

    cluster.metacontroller.hook = hook
    writes = cluster.resync()

    assert writes == []
    assert (cluster.store.list("Service"), cluster.guestbook("gb1")["status"]) == before
    assert cluster.metacontroller.events[-1].reason == "SyncError"


def test_an_unknown_response_key_fails_a_v2_hook_but_not_a_v1_hook():
    body = {"children": [SERVICE], "status": {}, "extra": 1}

    v1, v2 = cluster_with(ScriptedHook(**body)), cluster_with(ScriptedHook(**body), version="v2")
    v1.tick()
    v2.tick()

    assert v1.store.get("Service", "demo", "web") is not None
    assert v2.store.get("Service", "demo", "web") is None
    assert "unknown fields ['extra']" in v2.metacontroller.events[-1].message


def test_a_nan_in_the_answer_is_refused():
    cluster = cluster_with(lambda request: HookAnswer(200, b'{"status": {"x": NaN}}'))

    assert cluster.tick() == []
    assert "NaN is not JSON" in cluster.metacontroller.events[-1].message


def test_an_empty_answer_deletes_every_observed_child():
    # The reason the hook must hold children: Metacontroller deletes what is not returned.
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={}))
    cluster.tick()

    cluster.metacontroller.hook = ScriptedHook(children=[], status={})
    cluster.resync()

    assert cluster.store.list("Service") == []


def test_a_child_with_another_parents_label_fails_the_whole_sync():
    stranger = {**SERVICE, "metadata": {"name": "web", "labels": {CONTROLLER_UID: "someone"}}}
    cluster = cluster_with(ScriptedHook(children=[SERVICE, stranger], status={}))

    cluster.tick()

    assert cluster.store.list("Service") == []
    assert "don't match parent selector" in cluster.metacontroller.events[-1].message


def test_status_is_written_with_the_generation_and_only_when_it_changes():
    cluster = cluster_with(ScriptedHook(children=[], status={"phase": "ok"}))

    first, second = cluster.tick(), cluster.resync()

    assert [(w.verb, w.kind) for w in first] == [("status", "Guestbook")]
    assert second == []
    assert cluster.guestbook("gb1")["status"] == {"phase": "ok", "observedGeneration": 1}


def test_a_status_that_changes_on_every_call_is_caught_as_a_sync_loop():
    calls = iter(range(1000))

    def restless(request: dict) -> HookAnswer:
        return HookAnswer(200, json.dumps({"status": {"call": next(calls)}}).encode())

    with pytest.raises(SyncLoopError):
        cluster_with(restless).tick()


def test_an_orphan_that_matches_the_selector_is_adopted():
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={}))
    uid = cluster.guestbook("gb1")["metadata"]["uid"]
    orphan = {
        **SERVICE,
        "metadata": {"name": "web", "namespace": "demo", "labels": {CONTROLLER_UID: uid}},
    }
    cluster.store.create(orphan, by="user")

    cluster.tick()

    live = cluster.store.get("Service", "demo", "web")
    assert live["metadata"]["ownerReferences"][0]["uid"] == uid
    assert json.loads(live["metadata"]["annotations"][LAST_APPLIED])["spec"] == SERVICE["spec"]


def test_the_api_server_bumps_the_generation_only_for_spec_changes():
    cluster = Cluster(ScriptedHook())
    created = cluster.apply("gb1", {"frontend": {"replicas": 1}})

    annotated = cluster.apply("gb1", {"frontend": {"replicas": 1}}, annotations={"a": "b"})
    scaled = cluster.apply("gb1", {"frontend": {"replicas": 2}}, annotations={"a": "b"})

    generations = [g["metadata"]["generation"] for g in (created, annotated, scaled)]
    assert generations == [1, 1, 2]


def test_the_api_server_refuses_to_change_a_deployment_selector():
    cluster = cluster_with(ScriptedHook())
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    live = cluster.store.create(deployment, by="user")
    live["spec"]["selector"] = {"matchLabels": {"app": "other"}}

    with pytest.raises(APIError, match=r"spec\.selector is immutable"):
        cluster.store.update(live, by="user")


def test_deleting_a_parent_lets_the_garbage_collector_delete_its_children():
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={}))
    cluster.tick()

    cluster.delete("Guestbook", "gb1")

    assert cluster.store.list("Service") == []
    assert cluster.store.writes[-1].by == "garbage-collector"
