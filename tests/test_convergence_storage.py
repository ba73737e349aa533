"""The leader's data through a guestbook's life: its claim, resizes, reschedules and the move
off an emptyDir, driven by the emulated cluster over the real hook server.

Entries are written through the leader's pod and read back after whatever
happened in between (tests/emulator/data.py models where they live).
"""

import itertools

import pytest

from hooks.spec import PAUSED_ANNOTATION
from tests.emulator.cluster import Cluster
from tests.emulator.transport import through_test_client
from tests.test_convergence import (
    TICKS_TO_READY,
    changes_to_children,
    conditions,
    converged,
    is_ready,
    tick_until_ready,
)

CLAIM = "gb1-redis-leader-data"
LEADER = "gb1-redis-leader"
JOB = "gb1-redis-migrate"
NO_STORAGE = {"redis": {"leader": {"storage": {"enabled": False}}}}
# Enough for the claim, the copy and a Recreate of the leader, a step a tick each.
TICKS_TO_MIGRATE = 10


@pytest.fixture
def make_cluster(client):
    """Return a function that starts an emulated cluster with the given options."""

    def make(**options) -> Cluster:
        return Cluster(through_test_client(client), **options)

    return make


@pytest.fixture(params=["v1", "v2"])
def cluster(request, make_cluster) -> Cluster:
    return make_cluster(version=request.param)


def storage(**fields) -> dict:
    return {"redis": {"leader": {"storage": fields}}}


def claim(cluster: Cluster) -> dict:
    return cluster.children("gb1")["PersistentVolumeClaim", CLAIM]


def leader_volume(cluster: Cluster) -> dict:
    leader = cluster.children("gb1")["Deployment", LEADER]
    (volume,) = leader["spec"]["template"]["spec"]["volumes"]
    return volume


def message(cluster: Cluster, kind: str) -> str:
    return cluster.condition("gb1", kind)["message"]


def test_a_new_guestbook_is_ready_only_once_its_claim_is_bound(make_cluster):
    cluster = make_cluster(default_storage_class=None)
    # A class that binds only once a pod uses the claim, as kind's and many clouds' do.
    cluster.add_storage_class("standard", default=True, wait_for_first_consumer=True)
    cluster.apply("gb1")

    waiting = []
    for _ in range(TICKS_TO_READY):
        cluster.tick()
        if is_ready(cluster):
            break
        waiting.append(message(cluster, "Ready"))

    assert is_ready(cluster)
    assert any(f"PersistentVolumeClaim {CLAIM} (Pending)" in text for text in waiting), waiting
    assert conditions(cluster)["Stalled"] == ("False", "AllTiersReady")
    assert claim(cluster)["status"]["phase"] == "Bound"
    assert cluster.guestbook("gb1")["status"]["redisLeader"]["storage"] == {
        "claimName": CLAIM,
        "phase": "Bound",
        "capacity": "1Gi",
        "storageClassName": "standard",
    }
    assert leader_volume(cluster) == {"name": "data", "persistentVolumeClaim": {"claimName": CLAIM}}


@pytest.mark.parametrize("fix", ["set-the-class", "mark-a-default"])
def test_without_a_default_storage_class_the_guestbook_stalls_until_a_class_is_given(
    make_cluster, fix
):
    cluster = make_cluster(default_storage_class=None)
    cluster.add_storage_class("fast")
    cluster.apply("gb1")
    cluster.tick()
    cluster.tick()

    assert conditions(cluster)["Stalled"] == ("True", "NoStorageClass")
    assert (
        "set spec.redis.leader.storage.storageClassName, or mark a StorageClass as the default"
        in (message(cluster, "Stalled"))
    )
    assert "storageClassName" not in claim(cluster)["spec"]

    if fix == "set-the-class":
        cluster.apply("gb1", storage(storageClassName="fast"))
    else:
        cluster.edit(
            "StorageClass",
            "fast",
            lambda sc: (
                sc["metadata"]
                .setdefault("annotations", {})
                .update({"storageclass.kubernetes.io/is-default-class": "true"})
            ),
            "",
        )
    tick_until_ready(cluster, TICKS_TO_READY)

    assert claim(cluster)["spec"]["storageClassName"] == "fast"
    assert conditions(cluster)["Stalled"] == ("False", "AllTiersReady")


def test_growing_the_size_grows_the_claim_and_the_guestbook_is_ready_again(cluster):
    converged(cluster)

    cluster.apply("gb1", storage(size="2Gi"))
    tick_until_ready(cluster, TICKS_TO_READY)

    assert claim(cluster)["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert claim(cluster)["status"]["capacity"]["storage"] == "2Gi"


def test_growth_the_storage_class_refuses_shows_both_sizes(make_cluster):
    cluster = make_cluster(allow_expansion=False)
    converged(cluster)

    cluster.apply("gb1", storage(size="2Gi"))
    cluster.tick()
    cluster.tick()

    assert claim(cluster)["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert conditions(cluster)["Ready"] == ("False", "TiersNotReady")
    assert f"PersistentVolumeClaim {CLAIM} (requested 2Gi, claim has 1Gi)" in message(
        cluster, "Ready"
    )


def test_a_shrink_never_reaches_the_claim(cluster):
    converged(cluster, spec=storage(size="2Gi"))

    # The CRD refuses a shrink; a request that bypassed it must not reach the claim either.
    cluster.apply("gb1", storage(size="1Gi"))
    writes = cluster.tick() + cluster.tick()

    assert [w for w in changes_to_children(writes) if w.kind == "PersistentVolumeClaim"] == []
    assert claim(cluster)["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert is_ready(cluster)


def test_a_rescheduled_leader_keeps_its_claim_and_its_entries(cluster):
    converged(cluster)
    cluster.write(LEADER, "hello", "world")
    uid = claim(cluster)["metadata"]["uid"]

    cluster.reschedule(LEADER)
    tick_until_ready(cluster, TICKS_TO_READY)

    assert claim(cluster)["metadata"]["uid"] == uid
    assert cluster.entries(LEADER) == ["hello", "world"]


def test_without_storage_a_rescheduled_leader_comes_back_empty(cluster):
    converged(cluster, spec=NO_STORAGE)
    cluster.write(LEADER, "hello")

    cluster.reschedule(LEADER)
    tick_until_ready(cluster, TICKS_TO_READY)

    assert ("PersistentVolumeClaim", CLAIM) not in cluster.children("gb1")
    assert cluster.entries(LEADER) == []


def test_a_lost_claim_stalls_the_guestbook(cluster):
    converged(cluster)

    cluster.lose_claim(CLAIM)
    cluster.tick()

    assert conditions(cluster)["Stalled"] == ("True", "VolumeLost")


# Moving an existing guestbook off its emptyDir. A guestbook created without
# storage and then given it behind the CRD's back (which forbids that) stands
# for one that an older operator left on an emptyDir.


def on_empty_dir(cluster: Cluster, *entries: str) -> Cluster:
    converged(cluster, spec=NO_STORAGE)
    cluster.write(LEADER, *entries)
    assert leader_volume(cluster) == {"name": "data", "emptyDir": {}}
    return cluster


def job_outcome(cluster: Cluster) -> str | None:
    """Return the migration Job's final condition, "running", or None when there is no Job."""
    job = cluster.store.get("Job", "demo", JOB)
    if job is None:
        return None
    final = [
        c["type"]
        for c in job.get("status", {}).get("conditions", [])
        if c["type"] in ("Complete", "Failed") and c["status"] == "True"
    ]
    return final[0] if final else "running"


def migrate(cluster: Cluster, max_ticks: int = TICKS_TO_MIGRATE) -> list[str | None]:
    """Tick until Ready; return the Job's outcome after each tick, checking the leader each time."""
    outcomes = []
    for _ in range(max_ticks):
        cluster.tick()
        outcomes.append(job_outcome(cluster))
        if "persistentVolumeClaim" in leader_volume(cluster):
            # The leader may mount its claim only once the copy has succeeded.
            assert "Complete" in outcomes, outcomes
        if is_ready(cluster):
            return outcomes
    raise AssertionError(f"not Ready after {max_ticks} ticks: {conditions(cluster)}")


def test_an_emptydir_guestbook_moves_onto_its_claim_without_losing_an_entry(cluster):
    on_empty_dir(cluster, "first", "second")

    cluster.apply("gb1", {})
    outcomes = migrate(cluster)

    assert [outcome for outcome, _ in itertools.groupby(outcomes)] == ["running", "Complete", None]
    assert job_outcome(cluster) is None, "the Job goes once the leader runs on its claim"
    assert leader_volume(cluster) == {"name": "data", "persistentVolumeClaim": {"claimName": CLAIM}}
    assert cluster.entries(LEADER) == ["first", "second"]
    assert cluster.claim_entries(CLAIM) == ["first", "second"]
    assert cluster.resync() == []


def test_ready_names_the_job_while_it_copies(cluster):
    on_empty_dir(cluster, "first")

    cluster.apply("gb1", {})
    cluster.tick()

    assert job_outcome(cluster) == "running"
    assert f"Job {JOB} (copying the leader's data onto its claim)" in message(cluster, "Ready")
    assert conditions(cluster)["Reconciling"] == ("True", "Progressing")


def test_a_failed_copy_keeps_the_leader_on_its_emptydir_until_the_job_is_deleted(cluster):
    on_empty_dir(cluster, "first")
    cluster.failing_jobs.add(JOB)

    cluster.apply("gb1", {})
    for _ in range(TICKS_TO_MIGRATE):
        cluster.tick()
        if conditions(cluster)["Stalled"][0] == "True":
            break

    assert conditions(cluster)["Stalled"] == ("True", "MigrationFailed")
    assert f"kubectl delete job {JOB}" in message(cluster, "Stalled")
    assert leader_volume(cluster) == {"name": "data", "emptyDir": {}}
    assert cluster.entries(LEADER) == ["first"]

    cluster.failing_jobs.discard(JOB)
    cluster.delete("Job", JOB)
    migrate(cluster)

    assert cluster.entries(LEADER) == ["first"]
    assert job_outcome(cluster) is None


@pytest.mark.parametrize(
    ("spec", "annotations", "stalled"),
    [
        pytest.param(
            {"frontend": {"replicas": -1}},
            None,
            ("InvalidSpec", "spec.frontend.replicas"),
            id="invalid-spec",
        ),
        pytest.param(
            storage(accessMode="ReadWriteMany"),
            None,
            ("InvalidSpec", "spec.redis.leader.storage.accessMode"),
            id="unknown-access-mode",
        ),
        pytest.param(
            storage(size="512Mi", storageClassName="other"),
            {PAUSED_ANNOTATION: "true"},
            ("MigrationFailed", f"kubectl delete job {JOB}"),
            id="paused",
        ),
    ],
)
def test_a_pause_or_an_invalid_spec_holds_the_claim_and_the_job(
    cluster, spec, annotations, stalled
):
    on_empty_dir(cluster, "first")
    cluster.failing_jobs.add(JOB)
    cluster.apply("gb1", {})
    for _ in range(TICKS_TO_MIGRATE):
        cluster.tick()
        if job_outcome(cluster) == "Failed":
            break
    before = cluster.children("gb1")
    assert {("PersistentVolumeClaim", CLAIM), ("Job", JOB)} <= set(before)

    cluster.apply("gb1", spec, annotations=annotations)
    writes = cluster.tick() + cluster.tick()

    assert changes_to_children(writes) == []
    assert cluster.children("gb1") == before
    assert cluster.entries(LEADER) == ["first"]
    reason, named = stalled
    assert conditions(cluster)["Stalled"] == ("True", reason)
    assert named in message(cluster, "Stalled")
