"""The leader's claim: each claim rule against the claim observed, and what the status says."""

import json

import pytest

from hooks import sync
from hooks.applied import LAST_APPLIED
from hooks.children import leader_claim
from hooks.conditions import Stall
from hooks.spec import parse_spec
from hooks.storage import (
    Claim,
    claim_growth,
    claim_phase,
    claim_spec,
    claim_stalls,
    read_claim,
    storage_status,
)
from tests.apiserver import DEFAULT_STORAGE_CLASS, converged, guestbook, observe, sync_request

NAME = "gb1-redis-leader-data"


def storage(**fields) -> object:
    return parse_spec({"redis": {"leader": {"storage": fields}}}).storage


def observed_claim(*, bound: bool = True, **fields) -> dict:
    """Return the claim built from these storage fields, as observed once created."""
    sent = leader_claim("gb1", claim_spec(storage(**fields), None))
    return observe(sent, guestbook(), ready=bound)


def asked(live: dict | None, **fields) -> dict:
    """Return the spec of the claim asked for, with these spec fields, given the claim observed."""
    return claim_spec(storage(**fields), read_claim(live))


# Nothing observed: the spec as it is.


def test_a_new_claim_asks_for_the_spec():
    assert asked(None) == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
    }
    assert asked(None, size="2048Mi", storageClassName="fast", accessMode="ReadWriteOncePod") == {
        "accessModes": ["ReadWriteOncePod"],
        "resources": {"requests": {"storage": "2Gi"}},
        "storageClassName": "fast",
    }


# The size: never smaller than the claim's, changed only while Bound.


@pytest.mark.parametrize(
    ("observed_size", "spec_size", "bound", "sent"),
    [
        pytest.param("1Gi", "2Gi", True, "2Gi", id="grows-while-bound"),
        pytest.param("2Gi", "1Gi", True, "2Gi", id="never-shrinks"),
        pytest.param("1Gi", "1024Mi", True, "1Gi", id="equal-in-another-unit"),
        pytest.param("1Gi", "2Gi", False, "1Gi", id="waits-while-pending"),
        pytest.param("2Gi", "1Gi", False, "2Gi", id="pending-and-smaller"),
    ],
)
def test_the_request_is_the_larger_size_and_changes_only_while_bound(
    observed_size, spec_size, bound, sent
):
    live = observed_claim(size=observed_size, bound=bound)
    assert asked(live, size=spec_size)["resources"] == {"requests": {"storage": sent}}


def test_a_request_the_api_server_stored_is_sent_back_as_it_is():
    live = observed_claim()
    live["spec"]["resources"]["requests"]["storage"] = "1073741824"
    assert asked(live)["resources"] == {"requests": {"storage": "1073741824"}}


# The class: never changed or dropped once the claim has one.


def test_a_class_admission_gave_the_claim_is_left_out_so_the_merge_keeps_it():
    live = observed_claim()
    assert live["spec"]["storageClassName"] == DEFAULT_STORAGE_CLASS
    assert "storageClassName" not in asked(live)
    assert "storageClassName" not in asked(live, storageClassName="fast")


def test_a_class_we_sent_is_sent_again_exactly_whatever_the_spec_says():
    live = observed_claim(storageClassName="fast")
    assert asked(live, storageClassName="fast")["storageClassName"] == "fast"
    # A request that bypassed the CRD (which makes the class immutable) changes nothing.
    assert asked(live)["storageClassName"] == "fast"
    assert asked(live, storageClassName="slow")["storageClassName"] == "fast"


def test_the_spec_class_is_sent_while_the_claim_has_none():
    live = observed_claim(bound=False)
    del live["spec"]["storageClassName"]  # no default class to admit it into
    assert "storageClassName" not in asked(live)
    assert asked(live, storageClassName="fast")["storageClassName"] == "fast"


# Access modes: the claim's own, once it exists.


def test_the_observed_access_modes_are_sent_whatever_the_spec_says():
    live = observed_claim(accessMode="ReadWriteOncePod")
    assert asked(live)["accessModes"] == ["ReadWriteOncePod"]
    live["spec"]["accessModes"] = ["ReadWriteOnce", "ReadOnlyMany"]  # an adopted claim
    assert asked(live, accessMode="ReadWriteOncePod")["accessModes"] == [
        "ReadWriteOnce",
        "ReadOnlyMany",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param(("resources", "requests", "storage"), "lots", id="request-not-a-quantity"),
        pytest.param(("resources", "requests", "storage"), 5, id="request-a-number"),
        pytest.param(("accessModes",), "ReadWriteOnce", id="modes-not-a-list"),
        pytest.param(("accessModes",), [], id="modes-empty"),
        pytest.param(("storageClassName",), 7, id="class-a-number"),
    ],
)
def test_a_claim_field_of_the_wrong_shape_reads_as_absent(field, value):
    live = observed_claim(size="2Gi")
    target = live["spec"]
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    assert asked(live, size="2Gi") == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "2Gi"}},
    }


def test_the_facts_are_only_what_the_rules_read():
    live = observed_claim(storageClassName="fast")
    assert read_claim(live) == Claim(
        request="1Gi",
        bound=True,
        storage_class="fast",
        applied_class=True,
        access_modes=("ReadWriteOnce",),
    )
    assert read_claim(None) is None


# The claim in every answer, and the leader on it.


def leader_volume(children: list[dict]) -> dict:
    leader = next(c for c in children if c["metadata"]["name"] == "gb1-redis-leader")
    (volume,) = leader["spec"]["template"]["spec"]["volumes"]
    return volume


def test_an_observed_claim_is_kept_even_when_a_request_disables_storage():
    parent = guestbook(spec={"redis": {"leader": {"storage": {"enabled": False}}}})
    observed = converged(guestbook())  # created with storage on
    children = sync(parent, sync_request(parent, observed)["children"])["children"]
    assert [c["metadata"]["name"] for c in children if c["kind"] == "PersistentVolumeClaim"] == [
        NAME
    ]
    assert leader_volume(children) == {"name": "data", "persistentVolumeClaim": {"claimName": NAME}}


def test_without_storage_and_without_a_claim_the_leader_uses_an_emptydir():
    parent = guestbook(spec={"redis": {"leader": {"storage": {"enabled": False}}}})
    children = sync(parent, sync_request(parent, [])["children"])["children"]
    assert [c for c in children if c["kind"] == "PersistentVolumeClaim"] == []
    assert leader_volume(children) == {"name": "data", "emptyDir": {}}


def test_a_converged_claim_is_asked_for_exactly_as_last_applied():
    parent = guestbook(spec={"redis": {"leader": {"storage": {"storageClassName": "fast"}}}})
    observed = converged(parent)
    live = next(c for c in observed if c["kind"] == "PersistentVolumeClaim")
    children = sync(parent, sync_request(parent, observed)["children"])["children"]
    sent = next(c for c in children if c["kind"] == "PersistentVolumeClaim")
    applied = json.loads(live["metadata"]["annotations"][LAST_APPLIED])
    applied["metadata"]["labels"].pop("controller-uid")
    assert sent == applied


# What the status says of the claim.


def test_the_status_reports_the_claim_as_observed():
    live = observed_claim(size="2Gi")
    assert storage_status("gb1", live) == {
        "claimName": NAME,
        "phase": "Bound",
        "capacity": "2Gi",
        "storageClassName": DEFAULT_STORAGE_CLASS,
    }
    pending = observed_claim(bound=False)
    del pending["spec"]["storageClassName"]
    assert storage_status("gb1", pending) == {"claimName": NAME, "phase": "Pending"}


@pytest.mark.parametrize(
    ("phase", "waiting"),
    [("Bound", None), ("Pending", "Pending"), ("Lost", "Lost"), (None, "no phase yet")],
)
def test_ready_waits_for_a_bound_claim(phase, waiting):
    live = observed_claim()
    live["status"] = {"phase": phase} if phase else {}
    assert claim_phase(live) == waiting


def test_growth_not_yet_reached_shows_both_sizes():
    live = observed_claim(size="1Gi")
    asked_for = leader_claim("gb1", asked(live, size="2Gi"))
    assert claim_growth(live, asked_for) == "requested 2Gi, claim has 1Gi"
    live["status"]["capacity"]["storage"] = "2Gi"
    assert claim_growth(live, asked_for) is None
    live["status"]["capacity"]["storage"] = "3Gi"  # drivers may round up
    assert claim_growth(live, asked_for) is None


def test_a_pending_claim_without_a_class_stalls_saying_what_to_do():
    live = observed_claim(bound=False)
    del live["spec"]["storageClassName"]
    assert claim_stalls(live) == [
        Stall(
            "NoStorageClass",
            f"PersistentVolumeClaim {NAME} is Pending without a StorageClass and the cluster "
            "has no default one: set spec.redis.leader.storage.storageClassName, or mark a "
            "StorageClass as the default",
        )
    ]


def test_a_lost_claim_stalls():
    live = observed_claim()
    live["status"]["phase"] = "Lost"
    ((reason, message),) = claim_stalls(live)
    assert reason == "VolumeLost"
    assert message.startswith(f"PersistentVolumeClaim {NAME} is Lost")


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "pending-with-a-class"])
def test_a_claim_that_can_still_bind_does_not_stall(bound):
    assert claim_stalls(observed_claim(bound=bound)) == []
