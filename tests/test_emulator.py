"""The emulator keeps Metacontroller's rules: the convergence scenarios are as good as it is."""

import copy
import json
import re

import pytest

from tests.apiserver import (
    CHILD_TYPES,
    CONTROLLER,
    CONTROLLER_UID,
    LAST_APPLIED,
    child_types,
    update_methods,
)
from tests.emulator.apply import MergeError, merge
from tests.emulator.cluster import Cluster, SyncLoopError
from tests.emulator.data import DataError
from tests.emulator.metacontroller import HookAnswer
from tests.emulator.store import APIError
from tests.kube_schemas import KUBERNETES_VERSIONS

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


def web_deployment(**container) -> dict:
    """Return a minimal Deployment `web` in namespace demo, its container given `container`."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", **container}]},
            },
        },
    }


def test_the_api_server_refuses_to_change_a_deployment_selector():
    cluster = cluster_with(ScriptedHook())
    live = cluster.store.create(web_deployment(), by="user")
    live["spec"]["selector"] = {"matchLabels": {"app": "other"}}

    with pytest.raises(APIError, match=r"spec\.selector: Invalid value: .*: field is immutable"):
        cluster.store.update(live, by="user")


def test_the_api_server_stores_quantities_as_quantity_string_prints_them():
    cluster = cluster_with(ScriptedHook())
    resources = {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": 1}}

    live = cluster.store.create(web_deployment(resources=resources), by="user")

    (stored,) = live["spec"]["template"]["spec"]["containers"]
    assert stored["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "1"},
    }


def node_port_service(name: str, **port) -> dict:
    spec = {"type": "NodePort", "ports": [{"name": "http", "port": 80, **port}]}
    return {**service(**spec), "metadata": {"name": name, "namespace": "demo"}}


def test_a_node_port_service_without_a_port_gets_a_free_one_and_keeps_it():
    cluster = cluster_with(ScriptedHook())
    cluster.store.create(node_port_service("first", nodePort=30000), by="user")

    live = cluster.store.create(node_port_service("second"), by="user")
    live["spec"]["ports"][0].pop("nodePort")
    updated = cluster.store.update(live, by="user")

    assert live["spec"]["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    assert updated["spec"]["ports"][0]["nodePort"] == 30001


def test_a_node_port_held_by_another_service_is_refused_on_create_and_update():
    cluster = cluster_with(ScriptedHook())
    cluster.store.create(node_port_service("first", nodePort=30080), by="user")
    second = cluster.store.create(node_port_service("second", nodePort=30081), by="user")
    taken = "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"

    with pytest.raises(APIError, match=re.escape(f'Service "third" is invalid: {taken}')):
        cluster.store.create(node_port_service("third", nodePort=30080), by="user")
    second["spec"]["ports"][0]["nodePort"] = 30080
    with pytest.raises(APIError, match=re.escape(f'Service "second" is invalid: {taken}')):
        cluster.store.update(second, by="user")


def test_a_refused_child_fails_the_sync_after_the_status_and_the_other_writes():
    taken = node_port_service("taken", nodePort=30080)
    wanted = node_port_service("web", nodePort=30080)
    other = {**SERVICE, "metadata": {"name": "other"}}
    cluster = cluster_with(ScriptedHook(children=[wanted, other], status={"phase": "x"}))
    cluster.store.create(taken, by="user")

    cluster.tick()

    assert cluster.store.get("Service", "demo", "web") is None
    assert cluster.store.get("Service", "demo", "other") is not None
    assert cluster.guestbook("gb1")["status"]["phase"] == "x"
    # The writes it did make enqueue the parent again, and that sync fails the same way.
    assert cluster.metacontroller.events
    for event in cluster.metacontroller.events:
        assert event.reason == "SyncError"
        assert "can't create Service web" in event.message
        assert "provided port is already allocated" in event.message


def test_a_failed_sync_is_tried_again_on_the_next_tick_until_it_succeeds():
    cluster = cluster_with(ScriptedHook(children=[node_port_service("web", nodePort=30080)]))
    cluster.store.create(node_port_service("taken", nodePort=30080), by="user")
    cluster.tick()
    failures = len(cluster.metacontroller.events)

    cluster.tick()
    assert len(cluster.metacontroller.events) == failures + 1
    cluster.delete("Service", "taken")
    cluster.tick()

    assert cluster.store.get("Service", "demo", "web")["spec"]["ports"][0]["nodePort"] == 30080
    cluster.tick()
    assert len(cluster.metacontroller.events) == failures + 1


def test_deleting_a_parent_lets_the_garbage_collector_delete_its_children():
    cluster = cluster_with(ScriptedHook(children=[SERVICE], status={}))
    cluster.tick()

    cluster.delete("Guestbook", "gb1")

    assert cluster.store.list("Service") == []
    assert cluster.store.writes[-1].by == "garbage-collector"


# Storage: claims, StorageClasses and the rules the API server keeps for them.

CLAIM_VOLUME = {"persistentVolumeClaim": {"claimName": "data"}}
REFUSED_RESIZE = (
    "only dynamically provisioned pvc can be resized and "
    "the storageclass that provisions the pvc must support resize"
)


def claim(name: str = "data", size: str = "1Gi", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            **spec,
        },
    }


def storage_cluster(**options) -> Cluster:
    """Return a cluster with no guestbook: only the built-in controllers act on a tick."""
    return Cluster(ScriptedHook(), **options)


def bound_claim(cluster: Cluster, name: str = "data", size: str = "1Gi", **spec) -> dict:
    cluster.store.create(claim(name, size, **spec), by="user")
    cluster.tick()
    live = cluster.store.get("PersistentVolumeClaim", "demo", name)
    assert live["status"]["phase"] == "Bound"
    return live


def resized(cluster: Cluster, name: str, size: str) -> dict:
    live = cluster.store.get("PersistentVolumeClaim", "demo", name)
    live["spec"]["resources"]["requests"]["storage"] = size
    return cluster.store.update(live, by="user")


def test_a_claim_without_a_class_gets_the_default_class_on_create():
    cluster = storage_cluster(default_storage_class="standard")

    live = cluster.store.create(claim(), by="user")

    assert live["spec"]["storageClassName"] == "standard"
    assert live["status"] == {"phase": "Pending"}
    assert live["spec"]["volumeMode"] == "Filesystem"


@pytest.mark.parametrize(
    ("default", "spec", "stored"),
    [
        pytest.param("standard", {"storageClassName": ""}, "", id="empty-class-asks-for-none"),
        pytest.param("standard", {"storageClassName": "fast"}, "fast", id="named-class-kept"),
        pytest.param(None, {}, None, id="no-default-class"),
    ],
)
def test_admission_leaves_a_claim_that_names_a_class_or_finds_no_default(default, spec, stored):
    cluster = storage_cluster(default_storage_class=default)

    live = cluster.store.create(claim(**spec), by="user")

    assert live["spec"].get("storageClassName") == stored


def test_of_two_default_classes_the_newest_is_given():
    cluster = storage_cluster(default_storage_class="standard")
    cluster.tick()
    cluster.add_storage_class("newer", default=True)

    assert cluster.store.create(claim(), by="user")["spec"]["storageClassName"] == "newer"


def test_a_pending_claim_with_an_existing_class_binds_on_the_next_tick():
    cluster = storage_cluster()
    cluster.store.create(claim(size="2Gi", accessModes=["ReadWriteOncePod"]), by="user")

    cluster.tick()

    live = cluster.store.get("PersistentVolumeClaim", "demo", "data")
    assert live["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOncePod"],
        "capacity": {"storage": "2Gi"},
    }
    assert live["spec"]["volumeName"] == f"pvc-{live['metadata']['uid']}"
    assert live["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"


@pytest.mark.parametrize(
    "spec", [pytest.param({}, id="no-class"), pytest.param({"storageClassName": "fast"}, id="gone")]
)
def test_a_claim_whose_class_is_missing_stays_pending_until_the_class_exists(spec):
    cluster = storage_cluster(default_storage_class=None)
    cluster.store.create(claim(**spec), by="user")

    cluster.settle(3)
    assert (
        cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["phase"] == "Pending"
    )

    cluster.add_storage_class("fast", default=True)
    cluster.settle(3)

    live = cluster.store.get("PersistentVolumeClaim", "demo", "data")
    assert (live["spec"]["storageClassName"], live["status"]["phase"]) == ("fast", "Bound")


def test_a_claim_of_a_wait_for_first_consumer_class_binds_once_a_pod_mounts_it():
    cluster = storage_cluster(default_storage_class=None)
    cluster.add_storage_class("local", default=True, wait_for_first_consumer=True)
    cluster.store.create(claim(), by="user")
    cluster.settle(3)
    assert (
        cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["phase"] == "Pending"
    )

    cluster.store.create(redis_deployment(volume=CLAIM_VOLUME), by="user")
    cluster.tick()

    assert cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["phase"] == "Bound"
    assert cluster.store.get("Deployment", "demo", "leader")["status"]["readyReplicas"] == 1


def test_the_class_of_a_claim_may_be_set_once_but_never_changed_or_removed():
    cluster = storage_cluster(default_storage_class=None)
    live = cluster.store.create(claim(), by="user")

    live["spec"]["storageClassName"] = "fast"
    live = cluster.store.update(live, by="user")

    for change in ({"storageClassName": "slow"}, {}):
        edited = copy.deepcopy(live)
        edited["spec"].pop("storageClassName")
        edited["spec"].update(change)
        with pytest.raises(APIError, match="spec is immutable after creation") as refused:
            cluster.store.update(edited, by="user")
        assert refused.value.code == 422


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda spec: spec.update(accessModes=["ReadWriteOncePod"]), id="access-modes"),
        pytest.param(lambda spec: spec.update(volumeMode="Block"), id="volume-mode"),
        pytest.param(lambda spec: spec.update(volumeName="other"), id="volume-name-once-set"),
    ],
)
def test_the_rest_of_a_bound_claims_spec_is_immutable(change):
    cluster = storage_cluster()
    live = bound_claim(cluster)

    change(live["spec"])

    with pytest.raises(APIError, match=r'PersistentVolumeClaim "data" is invalid: .*spec'):
        cluster.store.update(live, by="user")


def test_a_pending_claim_cannot_be_resized():
    cluster = storage_cluster(default_storage_class=None)
    cluster.store.create(claim(), by="user")

    with pytest.raises(APIError, match=r"except resources\.requests .* for bound claims"):
        resized(cluster, "data", "2Gi")


def test_a_bound_claim_grows_when_its_class_allows_expansion():
    cluster = storage_cluster(allow_expansion=True)
    bound_claim(cluster)

    resized(cluster, "data", "2Gi")
    cluster.tick()

    assert cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["capacity"] == {
        "storage": "2Gi"
    }


def test_growth_is_forbidden_when_the_class_does_not_allow_expansion():
    cluster = storage_cluster(allow_expansion=False)
    bound_claim(cluster)

    with pytest.raises(APIError, match=REFUSED_RESIZE) as refused:
        resized(cluster, "data", "2Gi")

    assert refused.value.code == 403
    assert "2Gi" not in json.dumps(cluster.store.get("PersistentVolumeClaim", "demo", "data"))


def test_a_claim_keeps_its_capacity_when_its_class_stops_allowing_expansion():
    cluster = storage_cluster(allow_expansion=True)
    bound_claim(cluster)
    cluster.edit("StorageClass", "standard", lambda sc: sc.update(allowVolumeExpansion=False), "")

    with pytest.raises(APIError, match=REFUSED_RESIZE):
        resized(cluster, "data", "2Gi")
    cluster.settle(3)

    assert cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["capacity"] == {
        "storage": "1Gi"
    }


def failed_expansion(kubernetes_version: str) -> Cluster:
    """Return a cluster whose claim asks for 10Gi that its volume never got (it has 1Gi)."""
    cluster = storage_cluster(allow_expansion=True, kubernetes_version=kubernetes_version)
    bound_claim(cluster)
    resized(cluster, "data", "10Gi")
    cluster.edit("StorageClass", "standard", lambda sc: sc.update(allowVolumeExpansion=False), "")
    cluster.tick()
    assert cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"]["capacity"] == {
        "storage": "1Gi"
    }
    return cluster


def test_a_claim_never_shrinks_to_its_capacity_or_below():
    cluster = failed_expansion(KUBERNETES_VERSIONS[-1])

    for size in ("1Gi", "512Mi"):
        with pytest.raises(APIError, match=r"field can not be less than status\.capacity"):
            resized(cluster, "data", size)


def test_a_failed_expansion_may_be_taken_back_above_the_capacity_from_kubernetes_1_32():
    newest, oldest = failed_expansion(KUBERNETES_VERSIONS[-1]), failed_expansion("1.30")

    assert resized(newest, "data", "2Gi")["spec"]["resources"]["requests"]["storage"] == "2Gi"
    with pytest.raises(APIError, match="field can not be less than previous value"):
        resized(oldest, "data", "2Gi")


def test_a_lost_claim_stays_lost_and_its_pods_are_not_ready():
    cluster = leader_on_claim()

    cluster.lose_claim("data")
    cluster.settle(3)

    assert cluster.store.get("PersistentVolumeClaim", "demo", "data")["status"] == {"phase": "Lost"}
    assert "readyReplicas" not in cluster.store.get("Deployment", "demo", "leader")["status"]


def test_a_deployment_mounting_a_pending_claim_is_not_ready_until_the_claim_binds():
    cluster = storage_cluster(default_storage_class=None)
    cluster.store.create(claim(storageClassName="fast"), by="user")
    cluster.store.create(redis_deployment(volume=CLAIM_VOLUME), by="user")
    cluster.settle(3)
    assert "readyReplicas" not in cluster.store.get("Deployment", "demo", "leader")["status"]

    cluster.add_storage_class("fast")
    cluster.tick()

    assert cluster.store.get("Deployment", "demo", "leader")["status"]["readyReplicas"] == 1


@pytest.mark.parametrize(
    ("kind", "broken"),
    [
        pytest.param("PersistentVolumeClaim", {"sise": "1Gi"}, id="claim"),
        pytest.param("Job", {"retries": 3}, id="job"),
    ],
)
def test_every_built_in_object_is_checked_against_the_strict_schema(kind, broken):
    obj = claim() if kind == "PersistentVolumeClaim" else copy_job()
    obj["spec"].update(broken)

    with pytest.raises(APIError, match=f"{next(iter(broken))}") as refused:
        storage_cluster().store.create(obj, by="user")

    assert refused.value.code == 422


def test_a_kind_or_version_the_api_server_does_not_serve_is_refused():
    cluster = storage_cluster()

    with pytest.raises(APIError, match="could not find batch/v2 Job") as refused:
        cluster.store.create({**copy_job(), "apiVersion": "batch/v2"}, by="user")

    assert refused.value.code == 404


# Jobs, pods and the data they hold.


def redis_deployment(name: str = "leader", volume: dict | None = None) -> dict:
    """Return a one-pod Redis Deployment keeping its data at /data on `volume` (an emptyDir)."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "demo", "labels": labels},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "redis",
                            "image": "docker.io/redis:6.0.5",
                            "ports": [{"name": "redis", "containerPort": 6379}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", **(volume or {"emptyDir": {}})}],
                },
            },
        },
    }


def redis_service(name: str = "leader") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 6379, "targetPort": "redis"}]},
    }


def copy_job(name: str = "copy", host: str = "leader", **container) -> dict:
    """Return a Job that copies a snapshot of the Redis behind `host` into the claim "data"."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "backoffLimit": 3,
            "template": {
                "metadata": {"labels": {"app": "copy"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "copy",
                            "image": "docker.io/redis:6.0.5",
                            "command": ["sh", "-c", f"redis-cli -h {host} --rdb /copy/dump.rdb"],
                            "volumeMounts": [{"name": "copy", "mountPath": "/copy"}],
                            **container,
                        }
                    ],
                    "volumes": [{"name": "copy", **CLAIM_VOLUME}],
                },
            },
        },
    }


def job_conditions(cluster: Cluster, name: str = "copy") -> list[tuple[str, str, str]]:
    status = cluster.store.get("Job", "demo", name)["status"]
    return [(c["type"], c["status"], c["reason"]) for c in status.get("conditions", [])]


def leader_on_empty_dir(*entries: str) -> Cluster:
    """Return a cluster whose Redis leader runs on an emptyDir holding `entries`, and a claim."""
    cluster = storage_cluster()
    cluster.store.create(redis_service(), by="user")
    cluster.store.create(redis_deployment(), by="user")
    cluster.store.create(claim(), by="user")
    cluster.tick()
    cluster.write("leader", *entries)
    return cluster


def leader_on_claim(*entries: str) -> Cluster:
    """Return a cluster whose Redis leader runs on the bound claim "data", holding `entries`."""
    cluster = storage_cluster()
    bound_claim(cluster)
    cluster.store.create(redis_deployment(volume=CLAIM_VOLUME), by="user")
    cluster.tick()
    cluster.write("leader", *entries)
    return cluster


def new_template(cluster: Cluster) -> None:
    """Change the leader's pod template, so that new pods replace the old ones."""
    cluster.edit(
        "Deployment",
        "leader",
        lambda d: d["spec"]["template"]["metadata"].setdefault("annotations", {}).update(a="1"),
    )
    cluster.tick()


def test_the_api_server_generates_a_jobs_selector_and_fills_its_defaults():
    live = storage_cluster().store.create(copy_job(), by="user")

    uid = live["metadata"]["uid"]
    assert live["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert live["spec"]["template"]["metadata"]["labels"] == {
        "app": "copy",
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "copy",
        "controller-uid": uid,
        "job-name": "copy",
    }
    assert {k: live["spec"][k] for k in ("backoffLimit", "completions", "parallelism")} == {
        "backoffLimit": 3,
        "completions": 1,
        "parallelism": 1,
    }
    assert live["spec"]["template"]["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize(
    ("policy", "error"),
    [
        pytest.param(
            None, 'restartPolicy: Required value: valid values: "OnFailure", "Never"', id="unset"
        ),
        pytest.param("Always", "restartPolicy: Required value", id="always"),
    ],
)
def test_a_job_whose_pods_would_restart_for_ever_is_refused(policy, error):
    job = copy_job()
    job["spec"]["template"]["spec"].pop("restartPolicy")
    if policy is not None:
        job["spec"]["template"]["spec"]["restartPolicy"] = policy

    with pytest.raises(APIError, match=re.escape(error)):
        storage_cluster().store.create(job, by="user")


def test_a_jobs_template_cannot_change_but_its_labels_can():
    cluster = storage_cluster()
    live = cluster.store.create(copy_job(), by="user")

    live["metadata"]["labels"] = {"team": "data"}
    live = cluster.store.update(live, by="user")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/redis:7.2"

    with pytest.raises(APIError, match=r'Job.batch "copy" is invalid: spec.template: .*immutable'):
        cluster.store.update(live, by="user")


def test_a_job_runs_its_pod_then_completes():
    cluster = leader_on_empty_dir()
    cluster.store.create(copy_job(), by="user")

    cluster.tick()
    running, started = cluster.store.get("Job", "demo", "copy")["status"], cluster.timestamp()
    cluster.tick()

    assert (running["active"], running["startTime"]) == (1, started)
    status = cluster.store.get("Job", "demo", "copy")["status"]
    assert (status["succeeded"], status["startTime"]) == (1, started)
    assert status["completionTime"] == cluster.timestamp()
    assert job_conditions(cluster) == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    assert cluster.settle(3) == 1


def test_a_failing_job_fails_after_its_backoff_limit():
    cluster = leader_on_empty_dir()
    cluster.failing_jobs.add("copy")
    cluster.store.create(copy_job(), by="user")

    cluster.settle(4)

    assert cluster.store.get("Job", "demo", "copy")["status"]["failed"] == 4
    assert job_conditions(cluster) == [
        ("FailureTarget", "True", "BackoffLimitExceeded"),
        ("Failed", "True", "BackoffLimitExceeded"),
    ]


def test_a_job_waits_for_its_claim_to_bind():
    cluster = leader_on_empty_dir()
    cluster.store.delete("PersistentVolumeClaim", "demo", "data", by="user")
    cluster.store.create(claim(storageClassName="fast"), by="user")
    cluster.store.create(copy_job(), by="user")

    cluster.settle(4)
    assert cluster.store.get("Job", "demo", "copy")["status"]["active"] == 1

    cluster.add_storage_class("fast")
    cluster.settle(4)
    assert job_conditions(cluster)[-1] == ("Complete", "True", "CompletionsReached")


def test_entries_on_an_empty_dir_are_lost_when_the_pod_is_rescheduled():
    cluster = leader_on_empty_dir("a", "b")

    cluster.reschedule("leader")
    with pytest.raises(DataError, match="no ready pod of Deployment leader"):
        cluster.entries("leader")
    cluster.tick()

    assert cluster.entries("leader") == []


def test_entries_on_a_claim_survive_a_reschedule_and_a_new_template():
    cluster = leader_on_claim("a", "b")

    cluster.reschedule("leader")
    cluster.tick()
    new_template(cluster)

    assert cluster.entries("leader") == ["a", "b"]
    assert cluster.claim_entries("data") == ["a", "b"]


def test_a_new_template_on_an_empty_dir_starts_empty():
    cluster = leader_on_empty_dir("a")

    new_template(cluster)

    assert cluster.entries("leader") == []


def switch_to_claim(cluster: Cluster) -> None:
    cluster.edit(
        "Deployment",
        "leader",
        lambda d: d["spec"]["template"]["spec"].update(volumes=[{"name": "data", **CLAIM_VOLUME}]),
    )
    cluster.tick()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param({}, id="literal-host"),
        pytest.param(
            {
                "command": ["sh", "-c", 'redis-cli -h "$SOURCE" --rdb /copy/dump.rdb'],
                "env": [{"name": "SOURCE", "value": "leader.demo.svc"}],
            },
            id="host-from-env",
        ),
    ],
)
def test_a_copy_job_that_succeeds_puts_the_leaders_entries_on_the_claim(command):
    cluster = leader_on_empty_dir("a", "b")
    cluster.store.create(copy_job(**command), by="user")
    cluster.settle(4)
    assert cluster.claim_entries("data") == ["a", "b"]
    assert cluster.entries("leader") == ["a", "b"]

    switch_to_claim(cluster)

    assert cluster.entries("leader") == ["a", "b"]


def test_a_failed_copy_leaves_the_claim_without_data_and_the_leader_with_its_entries():
    cluster = leader_on_empty_dir("a", "b")
    cluster.failing_jobs.add("copy")
    cluster.store.create(copy_job(), by="user")

    cluster.settle(4)

    assert cluster.claim_entries("data") is None
    assert cluster.entries("leader") == ["a", "b"]


def test_a_copy_fails_when_no_pod_serves_the_leader():
    cluster = leader_on_empty_dir("a")
    cluster.reschedule("leader")
    cluster.store.create(copy_job(host="nobody"), by="user")

    cluster.settle(4)

    assert job_conditions(cluster)[-1] == ("Failed", "True", "BackoffLimitExceeded")


def network_policy(*peers: dict, port: int | str = 6379) -> dict:
    """Return a policy letting only `peers` reach the leader's pods on `port`."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "redis", "namespace": "demo"},
        "spec": {
            "podSelector": {
                "matchExpressions": [{"key": "app", "operator": "In", "values": ["leader"]}]
            },
            "policyTypes": ["Ingress"],
            "ingress": [{"from": list(peers), "ports": [{"protocol": "TCP", "port": port}]}],
        },
    }


@pytest.mark.parametrize(
    ("policy", "copied"),
    [
        pytest.param(
            network_policy({"podSelector": {"matchLabels": {"app": "web"}}}),
            None,
            id="not-admitted",
        ),
        pytest.param(
            network_policy({"podSelector": {"matchLabels": {"app": "copy"}}}), ["a"], id="admitted"
        ),
        pytest.param(
            network_policy({"podSelector": {"matchLabels": {"app": "copy"}}}, port="redis"),
            ["a"],
            id="admitted-by-port-name",
        ),
        pytest.param(
            network_policy({"podSelector": {"matchLabels": {"app": "copy"}}}, port=6380),
            None,
            id="other-port",
        ),
        pytest.param(
            network_policy(
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
                    "podSelector": {},
                }
            ),
            None,
            id="other-namespace",
        ),
        pytest.param(
            {
                **network_policy(),
                "spec": {
                    "podSelector": {"matchLabels": {"app": "web"}},
                    "policyTypes": ["Ingress"],
                },
            },
            ["a"],
            id="leader-not-selected",
        ),
    ],
)
def test_a_copy_needs_the_network_policies_to_let_its_pod_reach_the_leader(policy, copied):
    cluster = leader_on_empty_dir("a")
    cluster.store.create(policy, by="user")
    cluster.store.create(copy_job(), by="user")

    cluster.settle(4)

    assert cluster.claim_entries("data") == copied


def test_a_copy_never_overwrites_a_claim_that_already_holds_redis_data():
    # The trap a wrong order falls into: Redis started on the claim before the copy.
    cluster = leader_on_empty_dir("a", "b")
    switch_to_claim(cluster)
    assert cluster.claim_entries("data") == []

    cluster.store.create(copy_job(), by="user")
    cluster.settle(4)

    assert job_conditions(cluster)[-1] == ("Complete", "True", "CompletionsReached")
    assert cluster.entries("leader") == []


def test_a_lost_claim_loses_its_entries():
    cluster = leader_on_claim("a")

    cluster.lose_claim("data")

    assert cluster.claim_entries("data") is None
    with pytest.raises(DataError):
        cluster.write("leader", "b")


# Update strategies, per child type, as the CompositeController lists them.


def controller_with(**methods: str | None) -> dict:
    """Return the shipped CompositeController with these child types listed (None: unlisted).

    Each is listed with the update method given, or without updateStrategy for "".
    """
    api_versions = {"persistentvolumeclaims": "v1", "jobs": "batch/v1"}
    controller = copy.deepcopy(CONTROLLER)
    kept = [c for c in controller["spec"]["childResources"] if c["resource"] not in methods]
    controller["spec"]["childResources"] = kept + [
        {"apiVersion": api_versions[resource], "resource": resource}
        | ({"updateStrategy": {"method": method}} if method else {})
        for resource, method in methods.items()
        if method is not None
    ]
    return controller


STORAGE_CONTROLLER = controller_with(persistentvolumeclaims="InPlace", jobs="OnDelete")


def test_child_types_and_their_keys_come_from_the_composite_controller():
    assert child_types(STORAGE_CONTROLLER) == {
        **CHILD_TYPES,
        "PersistentVolumeClaim": "PersistentVolumeClaim.v1",
        "Job": "Job.batch/v1",
    }
    assert update_methods(controller_with(jobs="")) == {
        **dict.fromkeys(CHILD_TYPES, "InPlace"),
        "Job": "OnDelete",
    }


def test_a_kind_the_controller_does_not_list_is_refused():
    hook = ScriptedHook(children=[copy_job()], status={})
    cluster = Cluster(hook, controller=controller_with(jobs=None))
    cluster.apply("gb1")

    cluster.tick()

    assert cluster.store.list("Job") == []
    assert "Job is not a child resource" in cluster.metacontroller.events[-1].message


def test_on_delete_leaves_a_differing_job_alone_until_it_is_deleted():
    hook = ScriptedHook(children=[copy_job(), claim()], status={})
    cluster = Cluster(hook, controller=STORAGE_CONTROLLER)
    cluster.apply("gb1")
    cluster.settle(4)
    uid = cluster.store.get("Job", "demo", "copy")["metadata"]["uid"]

    hook.answer = HookAnswer(
        200, json.dumps({"children": [copy_job(host="other"), claim()]}).encode()
    )
    assert [w for w in cluster.resync() if w.kind == "Job"] == []
    assert cluster.store.get("Job", "demo", "copy")["metadata"]["uid"] == uid

    cluster.delete("Job", "copy")
    cluster.tick()

    job = cluster.store.get("Job", "demo", "copy")
    assert job["metadata"]["uid"] != uid
    assert "-h other" in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]


def test_in_place_grows_a_claim_that_the_hook_asks_more_of():
    hook = ScriptedHook(children=[claim()], status={})
    cluster = Cluster(hook, controller=STORAGE_CONTROLLER)
    cluster.apply("gb1")
    cluster.settle(4)

    hook.answer = HookAnswer(200, json.dumps({"children": [claim(size="2Gi")]}).encode())
    cluster.resync()
    cluster.settle(4)

    live = cluster.store.get("PersistentVolumeClaim", "demo", "data")
    assert (live["spec"]["resources"]["requests"]["storage"], live["status"]["capacity"]) == (
        "2Gi",
        {"storage": "2Gi"},
    )


def test_recreate_deletes_a_differing_child_for_the_next_sync_to_create():
    hook = ScriptedHook(children=[SERVICE], status={})
    controller = copy.deepcopy(CONTROLLER)
    for child in controller["spec"]["childResources"]:
        child["updateStrategy"] = {"method": "Recreate"}
    cluster = Cluster(hook, controller=controller)
    cluster.apply("gb1")
    cluster.tick()
    uid = cluster.store.get("Service", "demo", "web")["metadata"]["uid"]

    hook.answer = HookAnswer(200, json.dumps({"children": [service(type="NodePort")]}).encode())
    writes = cluster.resync()

    assert [(w.verb, w.kind) for w in writes if w.kind == "Service"] == [
        ("delete", "Service"),
        ("create", "Service"),
    ]
    live = cluster.store.get("Service", "demo", "web")
    assert (live["metadata"]["uid"] != uid, live["spec"]["type"]) == (True, "NodePort")
