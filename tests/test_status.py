"""Status: counts and kstatus conditions computed only from what was observed."""

from datetime import UTC, datetime, timedelta

import pytest

from hooks.children import build_children
from hooks.conditions import Verdict
from hooks.names import base_name
from hooks.observed import read_children
from hooks.spec import parse_spec
from hooks.status import compute_status
from tests.apiserver import converged, guestbook, sync_request

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
STAMP = "2026-03-01T12:00:00Z"
EARLIER = "2026-02-01T08:30:00Z"


def status_for(
    parent: dict,
    observed: list[dict],
    *,
    verdict: Verdict = Verdict(),  # noqa: B008 (frozen, so sharing it is safe)
    desired: list[dict] | None = None,
    now: datetime = NOW,
) -> dict:
    """Return the status computed for `parent` when `observed` is what exists."""
    base = base_name(parent["metadata"]["name"])
    if desired is None:
        desired = build_children(base, parse_spec(parent["spec"]))
    children = read_children(sync_request(parent, observed)["children"])
    return compute_status(
        parent, base=base, desired=desired, observed=children, verdict=verdict, now=now
    )


def conditions(status: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def deployment(observed: list[dict], name: str) -> dict:
    return next(c for c in observed if c["kind"] == "Deployment" and c["metadata"]["name"] == name)


def test_nothing_observed_yet_reads_as_reconciling_with_zero_counts():
    parent = guestbook()

    status = status_for(parent, [])

    zero = {"replicas": 0, "readyReplicas": 0, "updatedReplicas": 0}
    assert status["replicas"] == 0
    assert status["frontend"] == status["redisLeader"] == status["redisFollower"] == zero
    assert "url" not in status
    assert conditions(status) == {
        "Ready": ("False", "TiersNotReady"),
        "Reconciling": ("True", "Progressing"),
        "Stalled": ("False", "Progressing"),
    }
    assert status["conditions"][0]["message"] == (
        "Waiting for PersistentVolumeClaim gb1-redis-leader-data (not created yet), "
        "Deployment gb1-redis-leader (not created yet), Service gb1-redis-leader "
        "(not created yet), Deployment gb1-redis-follower (not created yet), Service "
        "gb1-redis-follower (not created yet), Deployment gb1-frontend (not created yet), Service "
        "gb1-frontend (not created yet), PodDisruptionBudget gb1-frontend (not created yet), "
        "NetworkPolicy gb1-redis (not created yet)"
    )


def test_all_tiers_ready_reads_as_ready_and_converged():
    parent = guestbook(namespace="demo")

    status = status_for(parent, converged(parent))

    assert status["replicas"] == 3
    assert status["frontend"] == {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3}
    assert status["redisLeader"] == {
        "replicas": 1,
        "readyReplicas": 1,
        "updatedReplicas": 1,
        "storage": {
            "claimName": "gb1-redis-leader-data",
            "phase": "Bound",
            "capacity": "1Gi",
            "storageClassName": "standard",
        },
    }
    assert status["redisFollower"] == {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2}
    assert status["url"] == "http://gb1-frontend.demo.svc:80"
    assert status["selector"] == (
        "app.kubernetes.io/name=guestbook,app.kubernetes.io/instance=gb1,"
        "app.kubernetes.io/component=frontend"
    )
    assert conditions(status) == {
        "Ready": ("True", "AllTiersReady"),
        "Reconciling": ("False", "AllTiersReady"),
        "Stalled": ("False", "AllTiersReady"),
    }


def rolling_out(parent):
    return converged(parent, ready=False)


def scaled_down(parent):
    return converged(parent, {"frontend": {"replicas": 5}})


def image_not_yet_applied(parent):
    return converged(parent, {})


def rollout_not_yet_observed(parent):
    observed = converged(parent)
    deployment(observed, "gb1-frontend")["metadata"]["generation"] = 2
    return observed


def old_pods_still_running(parent):
    observed = converged(parent)
    deployment(observed, "gb1-frontend")["status"]["replicas"] = 4
    return observed


def one_tier_missing(parent):
    return [c for c in converged(parent) if c["metadata"]["name"] != "gb1-redis-follower"]


@pytest.mark.parametrize(
    ("spec", "observe_state", "waiting"),
    [
        pytest.param(
            {},
            rolling_out,
            "PersistentVolumeClaim gb1-redis-leader-data (Pending), "
            "Deployment gb1-redis-leader (0/1 ready, 1/1 updated)",
            id="rolling-out",
        ),
        pytest.param(
            {"frontend": {"replicas": 2}},
            scaled_down,
            "Deployment gb1-frontend (update not yet applied)",
            id="scaled-down",
        ),
        pytest.param(
            {"frontend": {"image": "example.com/frontend:v6"}},
            image_not_yet_applied,
            "Deployment gb1-frontend (update not yet applied)",
            id="image-changed",
        ),
        pytest.param(
            {},
            rollout_not_yet_observed,
            "Deployment gb1-frontend (rollout not yet observed)",
            id="generation-ahead",
        ),
        pytest.param(
            {},
            old_pods_still_running,
            "Deployment gb1-frontend (3/3 ready, 3/3 updated)",
            id="old-pods-running",
        ),
        pytest.param(
            {},
            one_tier_missing,
            "Deployment gb1-redis-follower (not created yet)",
            id="tier-missing",
        ),
    ],
)
def test_a_tier_that_has_not_converged_keeps_the_guestbook_reconciling(
    spec, observe_state, waiting
):
    parent = guestbook(spec=spec)

    status = status_for(parent, observe_state(parent))

    assert conditions(status)["Ready"] == ("False", "TiersNotReady")
    assert conditions(status)["Reconciling"] == ("True", "Progressing")
    assert conditions(status)["Stalled"] == ("False", "Progressing")
    assert status["conditions"][0]["message"].startswith(f"Waiting for {waiting}")


def test_a_deployment_past_its_progress_deadline_stalls_the_guestbook():
    parent = guestbook()
    observed = converged(parent, ready=False)
    progressing = deployment(observed, "gb1-frontend")["status"]["conditions"][1]
    progressing.update(status="False", reason="ProgressDeadlineExceeded")

    status = status_for(parent, observed)

    assert conditions(status) == {
        "Ready": ("False", "ProgressDeadlineExceeded"),
        "Reconciling": ("False", "ProgressDeadlineExceeded"),
        "Stalled": ("True", "ProgressDeadlineExceeded"),
    }
    assert status["conditions"][2]["message"] == (
        "Deployment gb1-frontend exceeded its progress deadline"
    )


def test_a_claim_that_cannot_bind_is_named_before_the_leader_it_holds_back():
    parent = guestbook()
    observed = converged(parent, ready=False)
    claim = next(c for c in observed if c["kind"] == "PersistentVolumeClaim")
    del claim["spec"]["storageClassName"]  # a cluster without a default StorageClass
    progressing = deployment(observed, "gb1-redis-leader")["status"]["conditions"][1]
    progressing.update(status="False", reason="ProgressDeadlineExceeded")

    status = status_for(parent, observed)

    assert conditions(status)["Stalled"] == ("True", "NoStorageClass")
    assert status["conditions"][2]["message"] == (
        "PersistentVolumeClaim gb1-redis-leader-data is Pending without a StorageClass and the "
        "cluster has no default one: set spec.redis.leader.storage.storageClassName, or mark a "
        "StorageClass as the default; Deployment gb1-redis-leader exceeded its progress deadline"
    )
    assert status["redisLeader"]["storage"] == {
        "claimName": "gb1-redis-leader-data",
        "phase": "Pending",
    }


def test_a_paused_guestbook_still_reports_a_lost_claim():
    parent = guestbook()
    observed = converged(parent)
    claim = next(c for c in observed if c["kind"] == "PersistentVolumeClaim")
    claim["status"]["phase"] = "Lost"
    held = build_children("gb1", parse_spec({}))

    status = status_for(parent, observed, verdict=Verdict(paused=True), desired=held)

    assert conditions(status)["Stalled"] == ("True", "VolumeLost")
    assert conditions(status)["Paused"] == ("True", "PausedByAnnotation")


def test_a_paused_guestbook_is_judged_on_the_children_it_holds():
    parent = guestbook(spec={"frontend": {"replicas": 9}})
    observed = converged(parent, {})
    held = build_children("gb1", parse_spec({}))

    status = status_for(parent, observed, verdict=Verdict(paused=True), desired=held)

    assert conditions(status) == {
        "Ready": ("True", "AllTiersReady"),
        "Reconciling": ("False", "Paused"),
        "Stalled": ("False", "Paused"),
        "Paused": ("True", "PausedByAnnotation"),
    }


def test_a_converged_guestbook_gets_the_same_status_whatever_the_clock_says():
    parent = guestbook()
    observed = converged(parent)
    parent["status"] = status_for(parent, observed)

    later = status_for(parent, observed, now=NOW + timedelta(days=3))

    assert later == parent["status"]


def test_observed_status_fields_of_the_wrong_type_read_as_absent():
    parent = guestbook()
    observed = converged(parent)
    frontend = deployment(observed, "gb1-frontend")
    frontend["status"] = {"replicas": "3", "readyReplicas": None, "conditions": "x"}

    status = status_for(parent, observed)

    assert status["frontend"] == {"replicas": 0, "readyReplicas": 0, "updatedReplicas": 0}
    assert conditions(status)["Ready"] == ("False", "TiersNotReady")


def test_the_url_uses_the_observed_service_port_and_namespace():
    parent = guestbook(namespace="shop", spec={"frontend": {"service": {"port": 8080}}})

    status = status_for(parent, converged(parent))

    assert status["url"] == "http://gb1-frontend.shop.svc:8080"


def test_an_ingress_and_a_load_balancer_without_an_address_never_hold_ready_back():
    spec = {"frontend": {"service": {"type": "LoadBalancer"}, "ingress": {"enabled": True}}}
    parent = guestbook(spec=spec)
    observed = converged(parent)
    unaddressed = {c["kind"]: c["status"] for c in observed if c["kind"] in ("Ingress", "Service")}

    status = status_for(parent, observed)

    assert unaddressed == {"Ingress": {"loadBalancer": {}}, "Service": {"loadBalancer": {}}}
    assert conditions(status)["Ready"] == ("True", "AllTiersReady")
    assert status["url"] == "http://gb1-frontend.demo.svc:80"
