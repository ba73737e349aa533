"""Guestbooks driven through their life by the emulated Metacontroller, over the real hook server.

Each scenario is what a user would do with kubectl and what they would then
see: conditions, children, and (counted exactly) what Metacontroller wrote.
The hook is reached through the Flask test client with both hook API
versions, and over HTTP to real gunicorn in the first scenario.
"""

import json

import pytest

from hooks.children import build_children
from hooks.spec import PAUSED_ANNOTATION, parse_spec
from tests.apiserver import LAST_APPLIED
from tests.emulator.cluster import Cluster
from tests.emulator.transport import over_http, through_test_client
from tests.servers import gunicorn

NEW_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v6"
MISSING_IMAGE = "registry.example.com/guestbook/frontend:does-not-exist"
# A tick is a minute: three frontend pods start one a tick, and Deployments give
# up after progressDeadlineSeconds (600 s), so these bounds leave a little room.
TICKS_TO_READY = 6
TICKS_TO_DEADLINE = 14
# What the hook wants for a default guestbook gb1 (tests/test_children.py pins the list).
CHILDREN = {(c["kind"], c["metadata"]["name"]) for c in build_children("gb1", parse_spec({}))}


@pytest.fixture(params=["v1", "v2"])
def cluster(request, client) -> Cluster:
    """Return an emulated cluster whose Metacontroller calls the app with that hook version."""
    return Cluster(through_test_client(client), version=request.param)


def conditions(cluster: Cluster, name: str = "gb1") -> dict[str, tuple[str, str]]:
    """Return each condition's status and reason, as `kubectl get -o yaml` shows them."""
    status = cluster.guestbook(name).get("status", {})
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions", [])}


def is_ready(cluster: Cluster, name: str = "gb1") -> bool:
    return conditions(cluster, name).get("Ready", ("False",))[0] == "True"


def tick_until_ready(cluster: Cluster, max_ticks: int, name: str = "gb1") -> list[dict]:
    """Tick until Ready is True; return the conditions seen after each earlier tick."""
    before_ready = []
    for _ in range(max_ticks):
        cluster.tick()
        if is_ready(cluster, name):
            return before_ready
        before_ready.append(conditions(cluster, name))
    raise AssertionError(f"not Ready after {max_ticks} ticks: {conditions(cluster, name)}")


def converged(cluster: Cluster, name: str = "gb1", spec: dict | None = None) -> Cluster:
    cluster.apply(name, spec)
    tick_until_ready(cluster, TICKS_TO_READY, name)
    cluster.settle(TICKS_TO_READY)
    return cluster


def changes_to_children(writes) -> list:
    """Return the creates, updates and deletes Metacontroller made to children."""
    return [w for w in writes if w.by == "metacontroller" and w.kind != "Guestbook"]


def frontend(cluster: Cluster, name: str = "gb1") -> dict:
    return cluster.children(name)["Deployment", f"{name}-frontend"]


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def reconciling_until_ready(history: list[dict]) -> None:
    for seen in history:
        assert seen["Reconciling"] == ("True", "Progressing"), seen
        assert seen["Ready"][0] == "False"
        assert seen["Stalled"][0] == "False"


@pytest.mark.slow
def test_the_shipped_server_brings_a_guestbook_to_ready_and_then_leaves_it_alone(tmp_path):
    with gunicorn(tmp_path) as server:
        cluster = Cluster(over_http(server.url))
        cluster.apply("gb1")

        reconciling_until_ready(tick_until_ready(cluster, TICKS_TO_READY))
        cluster.settle(TICKS_TO_READY)

        assert set(cluster.children("gb1")) == CHILDREN
        assert cluster.resync() == []

        cluster.apply("gb1", {"frontend": {"image": ""}})
        assert changes_to_children(cluster.tick()) == []
        assert conditions(cluster)["Stalled"] == ("True", "InvalidSpec")

        cluster.apply("gb1", {"frontend": {"image": NEW_IMAGE}})
        tick_until_ready(cluster, TICKS_TO_READY)
        assert cluster.metacontroller.events == []


def test_a_new_guestbook_is_ready_within_a_bounded_number_of_ticks(cluster):
    cluster.apply("gb1")

    history = tick_until_ready(cluster, TICKS_TO_READY)

    reconciling_until_ready(history)
    assert history, "a new guestbook cannot be ready before its pods start"
    assert conditions(cluster) == {
        "Ready": ("True", "AllTiersReady"),
        "Reconciling": ("False", "AllTiersReady"),
        "Stalled": ("False", "AllTiersReady"),
    }
    assert set(cluster.children("gb1")) == CHILDREN
    status = cluster.guestbook("gb1")["status"]
    assert status["frontend"] == {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3}
    assert (status["replicas"], status["observedGeneration"]) == (3, 1)
    assert status["url"] == "http://gb1-frontend.demo.svc:80"


def test_a_converged_guestbook_gets_no_further_writes(cluster):
    converged(cluster)

    assert cluster.resync() == []
    assert cluster.tick() == []
    assert cluster.metacontroller.events == []


def test_a_converged_guestbook_with_quantities_in_other_notations_gets_no_update(cluster):
    # The API server stores 0.5 as 500m and 1024Mi as 1Gi: an answer in the typed
    # notation would differ from what is stored on every sync, forever.
    resources = {"requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": 1}}
    converged(cluster, spec={"frontend": {"resources": resources}})

    assert cluster.resync() == []
    assert container(frontend(cluster))["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "1"},
    }


def test_a_spec_change_is_not_ready_until_it_is_applied_and_rolled_out(cluster):
    converged(cluster)
    resources = {"requests": {"cpu": "250m", "memory": "128Mi"}}

    cluster.apply("gb1", {"frontend": {"resources": resources}})
    cluster.tick()

    # Applied at once, but its rollout has only begun: not ready, and it says why.
    assert conditions(cluster)["Ready"] == ("False", "TiersNotReady")
    assert cluster.condition("gb1", "Ready")["message"].startswith(
        "Waiting for Deployment gb1-frontend ("
    )
    reconciling_until_ready(tick_until_ready(cluster, TICKS_TO_READY))
    assert container(frontend(cluster))["resources"] == resources


def test_a_child_the_api_server_refuses_keeps_ready_false_and_is_named(cluster):
    node_port = {"service": {"type": "NodePort", "nodePort": 30080}}
    converged(cluster, "gb1", {"frontend": node_port})
    converged(cluster, "gb2", {"frontend": {"service": {"type": "NodePort", "nodePort": 30081}}})

    cluster.apply("gb2", {"frontend": node_port})  # gb1 holds 30080 already
    for _ in range(3):
        cluster.tick()

    assert conditions(cluster, "gb2")["Ready"] == ("False", "TiersNotReady")
    assert conditions(cluster, "gb2")["Reconciling"] == ("True", "Progressing")
    assert cluster.condition("gb2", "Ready")["message"] == (
        "Waiting for Service gb2-frontend (update not yet applied)"
    )
    assert "provided port is already allocated" in cluster.metacontroller.events[-1].message
    assert cluster.children("gb2")["Service", "gb2-frontend"]["spec"]["ports"][0]["nodePort"] == (
        30081
    )

    cluster.apply("gb2", {"frontend": {"service": {"type": "NodePort", "nodePort": 30082}}})
    tick_until_ready(cluster, TICKS_TO_READY, "gb2")


def test_removing_the_last_service_annotation_keeps_the_ones_others_wrote(cluster):
    ours = {"service": {"annotations": {"example.com/team": "web"}}}
    converged(cluster, spec={"frontend": ours})

    def cloud_controller_writes(live: dict) -> None:
        live["metadata"]["annotations"]["cloud.example.com/load-balancer-id"] = "lb-1234"

    cluster.edit("Service", "gb1-frontend", cloud_controller_writes)
    cluster.apply("gb1", {})
    cluster.settle(TICKS_TO_READY)

    annotations = cluster.children("gb1")["Service", "gb1-frontend"]["metadata"]["annotations"]
    assert "example.com/team" not in annotations
    assert annotations["cloud.example.com/load-balancer-id"] == "lb-1234"
    assert is_ready(cluster)


def test_scaling_up_adds_the_disruption_budget_and_scaling_down_removes_it(cluster):
    converged(cluster, spec={"frontend": {"replicas": 1}})
    assert ("PodDisruptionBudget", "gb1-frontend") not in cluster.children("gb1")

    cluster.apply("gb1", {"frontend": {"replicas": 4}})
    reconciling_until_ready(tick_until_ready(cluster, TICKS_TO_READY))

    assert ("PodDisruptionBudget", "gb1-frontend") in cluster.children("gb1")
    assert cluster.guestbook("gb1")["status"]["replicas"] == 4

    cluster.apply("gb1", {"frontend": {"replicas": 1}})
    tick_until_ready(cluster, TICKS_TO_READY)

    assert ("PodDisruptionBudget", "gb1-frontend") not in cluster.children("gb1")
    assert cluster.guestbook("gb1")["status"]["frontend"]["readyReplicas"] == 1


def test_an_image_change_rolls_out_in_place_then_the_guestbook_is_ready_again(cluster):
    converged(cluster)
    uid = frontend(cluster)["metadata"]["uid"]

    cluster.apply("gb1", {"frontend": {"image": NEW_IMAGE}})
    history = tick_until_ready(cluster, TICKS_TO_READY)

    assert history, "a rollout takes more than a tick"
    reconciling_until_ready(history)
    assert frontend(cluster)["metadata"]["uid"] == uid  # updated, not recreated
    assert container(frontend(cluster))["image"] == NEW_IMAGE


def test_an_invalid_spec_keeps_every_child_and_stalls_until_it_is_fixed(cluster):
    converged(cluster)
    before = cluster.children("gb1")

    # An older CRD without the schema's checks would let this through.
    cluster.apply("gb1", {"frontend": {"replicas": "many"}})
    writes = cluster.tick() + cluster.tick()

    assert changes_to_children(writes) == []
    assert cluster.children("gb1") == before
    assert conditions(cluster)["Stalled"] == ("True", "InvalidSpec")
    assert conditions(cluster)["Ready"] == ("False", "InvalidSpec")
    assert (
        "spec.frontend.replicas: must be an integer"
        in cluster.condition("gb1", "Stalled")["message"]
    )

    cluster.apply("gb1", {"frontend": {"replicas": 2}})
    tick_until_ready(cluster, TICKS_TO_READY)

    assert conditions(cluster)["Stalled"] == ("False", "AllTiersReady")
    assert frontend(cluster)["spec"]["replicas"] == 2


def test_an_invalid_spec_with_a_child_that_cannot_be_held_changes_nothing(cluster):
    converged(cluster)
    cluster.edit(
        "Deployment",
        "gb1-frontend",
        lambda live: live["metadata"]["annotations"].pop(LAST_APPLIED),
    )
    before = cluster.store.list("Deployment"), cluster.guestbook("gb1")["status"]

    cluster.apply("gb1", {"frontend": {"replicas": -1}})
    writes = cluster.tick()

    assert [w for w in writes if w.by == "metacontroller"] == []
    assert (cluster.store.list("Deployment"), cluster.guestbook("gb1")["status"]) == before
    event = cluster.metacontroller.events[-1]
    assert "unsupported status code: 422" in event.message
    assert "spec.frontend.replicas: must be between 0 and 100, got -1" in event.message

    cluster.apply("gb1", {"frontend": {"replicas": 2}})
    tick_until_ready(cluster, TICKS_TO_READY)

    assert LAST_APPLIED in frontend(cluster)["metadata"]["annotations"]


def test_a_pause_holds_spec_edits_until_it_is_removed(cluster):
    converged(cluster)
    before = cluster.children("gb1")
    paused = {PAUSED_ANNOTATION: "true"}

    cluster.apply("gb1", {}, annotations=paused)
    writes = cluster.tick() + cluster.tick()
    cluster.apply("gb1", {"frontend": {"replicas": 5, "image": NEW_IMAGE}}, annotations=paused)
    writes += cluster.tick() + cluster.tick()

    assert changes_to_children(writes) == []
    assert cluster.children("gb1") == before
    assert conditions(cluster)["Paused"] == ("True", "PausedByAnnotation")
    assert conditions(cluster)["Reconciling"] == ("False", "Paused")

    cluster.apply("gb1", {"frontend": {"replicas": 5, "image": NEW_IMAGE}})
    reconciling_until_ready(tick_until_ready(cluster, TICKS_TO_READY))

    assert "Paused" not in conditions(cluster)
    assert (frontend(cluster)["spec"]["replicas"], container(frontend(cluster))["image"]) == (
        5,
        NEW_IMAGE,
    )


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        pytest.param("Service", "gb1-frontend", id="frontend-service"),
        pytest.param("Deployment", "gb1-redis-leader", id="leader-deployment"),
        pytest.param("NetworkPolicy", "gb1-redis", id="network-policy"),
        pytest.param("PodDisruptionBudget", "gb1-frontend", id="disruption-budget"),
    ],
)
def test_a_child_deleted_behind_our_back_is_restored(cluster, kind, name):
    converged(cluster)
    applied = cluster.children("gb1")[kind, name]["metadata"]["annotations"][LAST_APPLIED]

    cluster.delete(kind, name)
    cluster.tick()

    restored = cluster.children("gb1")[kind, name]
    assert json.loads(restored["metadata"]["annotations"][LAST_APPLIED]) == json.loads(applied)
    tick_until_ready(cluster, TICKS_TO_READY)


def test_a_child_edited_behind_our_back_is_restored_and_others_fields_are_kept(cluster):
    converged(cluster)

    def scale_and_rewire(live: dict) -> None:
        live["spec"]["replicas"] = 7
        container(live)["env"][1]["value"] = "redis-leader"  # the upstream default host

    def retarget(live: dict) -> None:
        live["spec"]["selector"]["app.kubernetes.io/component"] = "redis-leader"
        live["spec"]["ports"][0]["targetPort"] = 8080
        live["metadata"]["annotations"]["example.com/owner"] = "team-a"

    cluster.edit("Deployment", "gb1-frontend", scale_and_rewire)
    cluster.edit("Service", "gb1-frontend", retarget)
    cluster.tick()

    live = frontend(cluster)
    assert live["spec"]["replicas"] == 3
    assert container(live)["env"][1] == {
        "name": "REDIS_LEADER_SERVICE_HOST",
        "value": "gb1-redis-leader",
    }
    service = cluster.children("gb1")["Service", "gb1-frontend"]
    assert service["spec"]["selector"].items() <= pod_labels(cluster, "gb1", "frontend").items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["metadata"]["annotations"]["example.com/owner"] == "team-a"


def test_two_guestbooks_in_one_namespace_never_touch_each_others_children(cluster):
    converged(cluster, "shop")
    converged(cluster, "blog", {"frontend": {"replicas": 2, "image": NEW_IMAGE}})
    shop, blog = cluster.children("shop"), cluster.children("blog")
    assert set(shop).isdisjoint(blog)

    for own, other in (("shop", "blog"), ("blog", "shop")):
        for variable, component in (
            ("REDIS_LEADER_SERVICE_HOST", "redis-leader"),
            ("REDIS_FOLLOWER_SERVICE_HOST", "redis-follower"),
        ):
            host = frontend_env(cluster, own)[variable]
            assert host == f"{own}-{component}"
            selected = cluster.children(own)["Service", host]["spec"]["selector"].items()
            assert selected <= pod_labels(cluster, own, component).items()
            assert not selected <= pod_labels(cluster, other, component).items()

    shop_uid = cluster.guestbook("shop")["metadata"]["uid"]
    start = len(cluster.store.writes)
    cluster.apply("shop", {"frontend": {"replicas": 5}})
    tick_until_ready(cluster, TICKS_TO_READY, "shop")
    cluster.delete("Guestbook", "blog")

    changes = changes_to_children(cluster.store.writes[start:])
    assert changes, "scaling the shop changes its children"
    assert {w.owner for w in changes} == {shop_uid}
    assert cluster.children("shop").keys() == shop.keys()
    assert cluster.resync() == []


def frontend_env(cluster: Cluster, name: str) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(frontend(cluster, name))["env"]}


def pod_labels(cluster: Cluster, name: str, component: str) -> dict[str, str]:
    """Return the labels of the pods of one tier of a guestbook."""
    deployment = cluster.children(name)["Deployment", f"{name}-{component}"]
    return deployment["spec"]["template"]["metadata"]["labels"]


def test_a_deployment_stuck_past_its_progress_deadline_stalls_the_guestbook(cluster):
    cluster.unstartable.add(MISSING_IMAGE)
    cluster.apply("gb1", {"frontend": {"image": MISSING_IMAGE}})

    for _ in range(TICKS_TO_DEADLINE):
        cluster.tick()
        if conditions(cluster)["Stalled"][0] == "True":
            break
        assert conditions(cluster)["Reconciling"] == ("True", "Progressing")

    assert conditions(cluster) == {
        "Ready": ("False", "ProgressDeadlineExceeded"),
        "Reconciling": ("False", "ProgressDeadlineExceeded"),
        "Stalled": ("True", "ProgressDeadlineExceeded"),
    }
    assert "gb1-frontend" in cluster.condition("gb1", "Stalled")["message"]

    cluster.apply("gb1", {"frontend": {"image": NEW_IMAGE}})
    tick_until_ready(cluster, TICKS_TO_READY)

    assert conditions(cluster)["Stalled"] == ("False", "AllTiersReady")


INGRESS = {"enabled": True, "host": "gb.example.com"}


def test_an_ingress_comes_and_goes_with_the_spec_and_nothing_else_changes(cluster):
    converged(cluster)
    before = cluster.children("gb1")

    start = len(cluster.store.writes)
    cluster.apply("gb1", {"frontend": {"ingress": INGRESS}})
    cluster.settle(TICKS_TO_READY)

    added = changes_to_children(cluster.store.writes[start:])
    assert [(w.verb, w.kind, w.name) for w in added] == [("create", "Ingress", "gb1-frontend")]
    after = cluster.children("gb1")
    assert {key: after[key] for key in before} == before
    assert is_ready(cluster)
    assert cluster.guestbook("gb1")["status"]["url"] == "http://gb.example.com/"

    start = len(cluster.store.writes)
    cluster.apply("gb1", {"frontend": {"ingress": {**INGRESS, "enabled": False}}})
    cluster.settle(TICKS_TO_READY)

    removed = changes_to_children(cluster.store.writes[start:])
    assert [(w.verb, w.kind, w.name) for w in removed] == [("delete", "Ingress", "gb1-frontend")]
    assert cluster.children("gb1") == before
    assert is_ready(cluster)
    assert cluster.guestbook("gb1")["status"]["url"] == "http://gb1-frontend.demo.svc:80"


TOLERATION = {"key": "example.com/pool", "operator": "Exists", "effect": "NoSchedule"}


def test_tolerations_added_to_a_running_guestbook_roll_every_tier_and_ready_waits(cluster):
    converged(cluster)
    deployments = {k: v for k, v in cluster.children("gb1").items() if k[0] == "Deployment"}
    tolerated = {"tolerations": [TOLERATION]}

    cluster.apply(
        "gb1", {"frontend": tolerated, "redis": {"leader": tolerated, "follower": tolerated}}
    )
    history = tick_until_ready(cluster, TICKS_TO_READY)

    assert history, "a rollout takes more than a tick"
    reconciling_until_ready(history)
    for key, before in deployments.items():
        live = cluster.children("gb1")[key]
        assert live["metadata"]["uid"] == before["metadata"]["uid"]  # updated, not recreated
        assert live["metadata"]["generation"] == before["metadata"]["generation"] + 1
        assert live["spec"]["template"]["spec"]["tolerations"] == [TOLERATION]
        assert live["status"]["updatedReplicas"] == live["spec"]["replicas"]
