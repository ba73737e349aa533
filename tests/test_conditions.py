"""The kstatus conditions: which hold for a verdict and the children's progress, and since when."""

import pytest

from hooks.conditions import (
    DEADLINE_EXCEEDED,
    READY_MESSAGE,
    Condition,
    Stall,
    Verdict,
    decide,
    stamp,
)

STAMP = "2026-03-01T12:00:00Z"
EARLIER = "2026-02-01T08:30:00Z"
PROBLEM = "spec.frontend.replicas: must be between 0 and 100, got -1"
DEADLINE = Stall(DEADLINE_EXCEEDED, "Deployment gb1-frontend exceeded its progress deadline")
WAITING = ["Deployment gb1-frontend (1/3 ready, 3/3 updated)"]


def table(conditions: list[Condition]) -> dict[str, tuple[bool, str]]:
    return {c.type: (c.true, c.reason) for c in conditions}


@pytest.mark.parametrize(
    ("verdict", "waiting", "stalls", "expected"),
    [
        pytest.param(
            Verdict(),
            [],
            [],
            {
                "Ready": (True, "AllTiersReady"),
                "Reconciling": (False, "AllTiersReady"),
                "Stalled": (False, "AllTiersReady"),
            },
            id="converged",
        ),
        pytest.param(
            Verdict(),
            WAITING,
            [],
            {
                "Ready": (False, "TiersNotReady"),
                "Reconciling": (True, "Progressing"),
                "Stalled": (False, "Progressing"),
            },
            id="waiting",
        ),
        pytest.param(
            Verdict(),
            WAITING,
            [DEADLINE],
            {
                "Ready": (False, DEADLINE_EXCEEDED),
                "Reconciling": (False, DEADLINE_EXCEEDED),
                "Stalled": (True, DEADLINE_EXCEEDED),
            },
            id="stalled-overrides-waiting",
        ),
        pytest.param(
            Verdict(problem=PROBLEM),
            [],
            [],
            {
                "Ready": (False, "InvalidSpec"),
                "Reconciling": (False, "InvalidSpec"),
                "Stalled": (True, "InvalidSpec"),
            },
            id="invalid-spec",
        ),
        pytest.param(
            Verdict(paused=True),
            [],
            [],
            {
                "Ready": (True, "AllTiersReady"),
                "Reconciling": (False, "Paused"),
                "Stalled": (False, "Paused"),
                "Paused": (True, "PausedByAnnotation"),
            },
            id="paused-and-ready",
        ),
        pytest.param(
            Verdict(problem=PROBLEM, paused=True),
            [],
            [],
            {
                "Ready": (False, "InvalidSpec"),
                "Reconciling": (False, "InvalidSpec"),
                "Stalled": (True, "InvalidSpec"),
                "Paused": (True, "PausedByAnnotation"),
            },
            id="paused-with-an-invalid-spec",
        ),
        pytest.param(
            Verdict(terminating=True),
            WAITING,
            [DEADLINE],
            {
                "Ready": (False, "Terminating"),
                "Reconciling": (True, "Terminating"),
                "Stalled": (False, "Terminating"),
            },
            id="terminating",
        ),
    ],
)
def test_the_conditions_follow_the_verdict_and_the_childrens_progress(
    verdict, waiting, stalls, expected
):
    assert table(decide(verdict, waiting, stalls)) == expected


def test_messages_say_what_is_waited_for_or_what_is_wrong():
    ready, reconciling, _ = decide(Verdict(), WAITING, [])
    assert ready.message == reconciling.message == f"Waiting for {WAITING[0]}"

    ready, _, _ = decide(Verdict(), [], [])
    assert ready.message == READY_MESSAGE

    invalid = decide(Verdict(problem=PROBLEM), [], [])
    assert {c.message for c in invalid} == {
        f"Invalid spec, every child is held as last applied: {PROBLEM}"
    }


def test_every_stall_is_named_and_the_first_gives_the_reason():
    lost = Stall("VolumeLost", "PersistentVolumeClaim gb1-redis-leader-data is Lost")

    _, _, stalled = decide(Verdict(), [], [lost, DEADLINE])

    assert (stalled.true, stalled.reason) == (True, "VolumeLost")
    assert stalled.message == f"{lost.message}; {DEADLINE.message}"


def parent(generation: int | None = 3, status: object = None) -> dict:
    metadata = {"name": "gb1"} if generation is None else {"name": "gb1", "generation": generation}
    return {"metadata": metadata} if status is None else {"metadata": metadata, "status": status}


def test_stamped_conditions_carry_the_parents_generation_or_none():
    conditions = decide(Verdict(), [], [])

    assert {c["observedGeneration"] for c in stamp(conditions, parent(7), STAMP)} == {7}
    assert all("observedGeneration" not in c for c in stamp(conditions, parent(None), STAMP))


def test_a_transition_time_is_carried_over_while_the_condition_keeps_its_status():
    previous = {
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": EARLIER},
            {"type": "Reconciling", "status": "True", "lastTransitionTime": EARLIER},
        ]
    }

    stamped = stamp(decide(Verdict(), [], []), parent(status=previous), STAMP)

    times = {c["type"]: c["lastTransitionTime"] for c in stamped}
    assert times == {"Ready": EARLIER, "Reconciling": STAMP, "Stalled": STAMP}


@pytest.mark.parametrize(
    "previous",
    [
        pytest.param("not a map", id="status-not-a-map"),
        pytest.param({"conditions": "nope"}, id="conditions-not-a-list"),
        pytest.param({"conditions": [None, 3, {"status": "True"}]}, id="junk-conditions"),
        pytest.param(
            {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": 5}]},
            id="bad-time",
        ),
    ],
)
def test_a_malformed_previous_status_is_ignored_not_fatal(previous):
    stamped = stamp(decide(Verdict(), [], []), parent(status=previous), STAMP)

    assert {c["lastTransitionTime"] for c in stamped} == {STAMP}
