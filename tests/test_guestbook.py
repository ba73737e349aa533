"""sync() and finalize(): the response bodies Metacontroller acts on."""

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hooks import finalize, sync
from hooks.hold import LAST_APPLIED
from hooks.spec import PAUSED_ANNOTATION
from tests.apiserver import converged, guestbook, sync_request

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def answer(parent: dict, observed: list[dict], version: str = "v1") -> dict:
    return sync(parent, sync_request(parent, observed, version=version)["children"], now=NOW)


def last_applied(observed: list[dict]) -> list[dict]:
    return [json.loads(child["metadata"]["annotations"][LAST_APPLIED]) for child in observed]


def by_identity(children: list[dict]) -> dict[tuple[str, str], dict]:
    return {(child["kind"], child["metadata"]["name"]): child for child in children}


def reasons(response: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in response["status"]["conditions"]}


def test_the_response_holds_only_status_and_children():
    response = answer(guestbook(), [])

    assert set(response) == {"status", "children"}
    assert len(response["children"]) == 9


def test_v1_and_v2_requests_get_the_same_answer():
    parent = guestbook()
    observed = converged(parent)

    assert answer(parent, observed, "v1") == answer(parent, observed, "v2")


def test_children_are_found_by_their_own_kind_and_name_not_by_map_keys():
    parent = guestbook()
    observed = converged(parent)
    children = {"AnyKey": {f"key-{i}": child for i, child in enumerate(observed)}}

    assert sync(parent, children, now=NOW) == answer(parent, observed)


def test_the_same_request_and_time_give_the_same_answer():
    parent = guestbook()
    request = sync_request(parent, converged(parent))

    first = sync(request["parent"], request["children"], now=NOW)
    second = sync(copy.deepcopy(request["parent"]), copy.deepcopy(request["children"]), now=NOW)

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_sync_does_not_change_its_input():
    parent = guestbook(spec={"frontend": {"replicas": -1}})
    request = sync_request(parent, converged(parent, {}))
    before = copy.deepcopy(request)

    sync(request["parent"], request["children"], now=NOW)

    assert request == before


def test_a_spec_change_is_answered_with_the_new_children():
    parent = guestbook(spec={"frontend": {"replicas": 5}}, generation=2)

    response = answer(parent, converged(parent, {}))

    assert by_identity(response["children"])["Deployment", "gb1-frontend"]["spec"]["replicas"] == 5
    assert reasons(response)["Reconciling"] == ("True", "Progressing")


def test_an_invalid_spec_stalls_naming_the_field_and_keeps_reporting_what_runs():
    # That every child is held as last applied is tests/test_hold.py's table.
    parent = guestbook(spec={"frontend": {"replicas": -1}}, generation=2)
    observed = converged(parent, {})

    response = answer(parent, observed)

    assert reasons(response) == {
        "Ready": ("False", "InvalidSpec"),
        "Reconciling": ("False", "InvalidSpec"),
        "Stalled": ("True", "InvalidSpec"),
    }
    assert response["status"]["conditions"][2]["message"] == (
        "Invalid spec, every child is held as last applied: "
        "spec.frontend.replicas: must be between 0 and 100, got -1"
    )
    assert response["status"]["frontend"] == {
        "replicas": 3,
        "readyReplicas": 3,
        "updatedReplicas": 3,
    }


def test_an_invalid_spec_with_nothing_observed_creates_nothing():
    response = answer(guestbook(spec={"frontend": {"service": {"type": "Bogus"}}}), [])

    assert response["children"] == []
    assert reasons(response)["Stalled"] == ("True", "InvalidSpec")


def test_a_pause_holds_every_child_and_ignores_spec_edits():
    paused = guestbook(
        spec={"frontend": {"replicas": 9}}, annotations={PAUSED_ANNOTATION: "true"}, generation=3
    )
    observed = converged(paused, {})

    response = answer(paused, observed)

    assert by_identity(response["children"]) == by_identity(last_applied(observed))
    assert reasons(response) == {
        "Ready": ("True", "AllTiersReady"),
        "Reconciling": ("False", "Paused"),
        "Stalled": ("False", "Paused"),
        "Paused": ("True", "PausedByAnnotation"),
    }


def test_removing_the_pause_applies_the_edit():
    resumed = guestbook(spec={"frontend": {"replicas": 9}}, generation=4)

    response = answer(resumed, converged(resumed, {}))

    assert by_identity(response["children"])["Deployment", "gb1-frontend"]["spec"]["replicas"] == 9
    assert "Paused" not in reasons(response)


def test_a_pause_annotation_of_false_runs_the_guestbook():
    parent = guestbook(spec={"frontend": {"replicas": 9}}, annotations={PAUSED_ANNOTATION: "false"})

    response = answer(parent, converged(parent, {}))

    assert by_identity(response["children"])["Deployment", "gb1-frontend"]["spec"]["replicas"] == 9
    assert "Paused" not in reasons(response)
    assert reasons(response)["Stalled"][0] == "False"


def test_a_pause_value_other_than_true_or_false_is_an_invalid_spec_that_holds():
    parent = guestbook(annotations={PAUSED_ANNOTATION: "yes"})
    observed = converged(parent)

    response = answer(parent, observed)

    assert by_identity(response["children"]) == by_identity(last_applied(observed))
    assert reasons(response)["Stalled"] == ("True", "InvalidSpec")
    assert (
        f"metadata.annotations[{PAUSED_ANNOTATION}]"
        in response["status"]["conditions"][2]["message"]
    )


def test_a_paused_guestbook_with_an_invalid_spec_reports_both():
    parent = guestbook(spec={"frontend": {"replicas": -1}}, annotations={PAUSED_ANNOTATION: "true"})

    response = answer(parent, converged(parent, {}))

    assert reasons(response)["Stalled"] == ("True", "InvalidSpec")
    assert reasons(response)["Paused"] == ("True", "PausedByAnnotation")


def test_finalize_releases_at_once_and_returns_no_children():
    parent = guestbook(spec={"frontend": {"replicas": -1}})
    request = sync_request(parent, converged(parent, {}))

    response = finalize(request["parent"], request["children"], now=NOW)

    assert response["finalized"] is True
    assert response["children"] == []
    assert reasons(response)["Ready"] == ("False", "Terminating")
    assert response["status"]["frontend"]["readyReplicas"] == 3


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 3, 1, 12, 0, 0), id="naive-means-utc"),
        pytest.param(
            datetime(2026, 3, 1, 13, 0, 0, tzinfo=timezone(timedelta(hours=1))), id="other-zone"
        ),
    ],
)
def test_transition_times_are_written_in_utc(now):
    response = sync(guestbook(), {}, now=now)

    assert {c["lastTransitionTime"] for c in response["status"]["conditions"]} == {
        "2026-03-01T12:00:00Z"
    }


def test_without_an_injected_time_the_current_time_is_used():
    before = datetime.now(UTC).replace(microsecond=0)

    response = sync(guestbook(), {})

    stamps = {c["lastTransitionTime"] for c in response["status"]["conditions"]}
    (stamp,) = stamps
    written = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= written <= datetime.now(UTC)
