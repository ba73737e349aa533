"""Moving an existing leader's data from its emptyDir onto its new claim, without a loss.

A leader that mounts anything but its claim (one created before the claim
existed, for instance) must not restart empty. While the Job that copies its
data runs, the leader is held exactly as last applied; only once the Job has
succeeded does the leader switch to the claim (Recreate: the new pod loads
the copy), and only once the leader runs ready on the claim is the Job let go.
A Job, which cannot be updated, is returned exactly as last applied once
observed. A failed Job keeps the leader where it is until a person deletes
the Job, which is then created afresh.
"""

from enum import Enum
from typing import NamedTuple

from hooks.applied import annotation
from hooks.conditions import Stall
from hooks.hold import HoldError, applied_object
from hooks.names import LEADER, MIGRATE, child_name
from hooks.observed import Observed, as_dict, as_list
from hooks.storage import claim_name

JOB_KIND = "Job"
MIGRATION_FAILED = "MigrationFailed"
# What the Job does, in POSIX sh for any official redis image (Debian or
# Alpine). The snapshot lands under a temporary name and is renamed only once
# complete, so a half-copied file never counts as data; any Redis data already
# on the claim (lost+found on a fresh volume is not data) means a copy was
# made, and a re-run must never overwrite newer data with an older snapshot.
COPY_SCRIPT = """\
set -eu
cd "$REDIS_DATA_DIR"
for existing in appendonly.aof appendonlydir dump.rdb; do
  if [ -e "$existing" ]; then
    echo "The claim already holds Redis data ($existing): nothing to copy."
    exit 0
  fi
done
rm -f migrate.rdb.partial
redis-cli -h "$REDIS_LEADER_SERVICE_HOST" -p "$REDIS_LEADER_SERVICE_PORT" --rdb migrate.rdb.partial
if [ "$(head -c 5 migrate.rdb.partial)" != REDIS ]; then
  echo "The leader sent something that is not a Redis snapshot." >&2
  exit 1
fi
# An RDB file is an AOF with only its RDB preamble: Redis loads it as is.
mv migrate.rdb.partial appendonly.aof
echo "Copied the leader's snapshot onto the claim as appendonly.aof."
"""


class Leader(Enum):
    """Where the observed leader keeps its data."""

    ABSENT = "absent"
    ON_CLAIM = "on-claim"
    ELSEWHERE = "elsewhere"  # an emptyDir, or no volume at all


class JobState(Enum):
    """How far the observed migration Job got."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Migration(NamedTuple):
    """The observed facts that decide the leader and the Job returned; hashable, for the cache.

    The last-applied texts are kept only where they may be returned.
    """

    leader: Leader = Leader.ABSENT
    leader_applied: str | None = None
    job: JobState | None = None
    job_applied: str | None = None
    leader_ready: bool = False  # on the claim and rolled out; read only while a Job exists


NOTHING_OBSERVED = Migration()


class Plan(NamedTuple):
    """What this sync returns for the leader and the Job."""

    hold_leader: bool  # the leader exactly as last applied, else built on the claim
    job: str  # "none", "new" (built afresh), or "held" (exactly as last applied)


def job_name(base: str) -> str:
    """Return the name of the migration Job."""
    return child_name(base, MIGRATE)


def read_migration(base: str, observed: Observed) -> Migration:
    """Return the facts of the observed leader and Job that decide the migration."""
    leader = observed.get("Deployment", child_name(base, LEADER))
    job = observed.get(JOB_KIND, job_name(base))
    where = _where(leader, claim_name(base))
    return Migration(
        leader=where,
        leader_applied=annotation(leader) if where is Leader.ELSEWHERE else None,
        job=None if job is None else _job_state(job),
        job_applied=None if job is None else annotation(job),
        leader_ready=job is not None and where is Leader.ON_CLAIM and _rolled_out(leader),
    )


def plan(migration: Migration) -> Plan:
    """Return what to return for the leader and the Job, for a guestbook with a claim."""
    if migration.leader is Leader.ELSEWHERE:
        if migration.job is None:
            return Plan(hold_leader=True, job="new")
        # Only a copy that succeeded lets the leader switch; until then it keeps its data.
        return Plan(hold_leader=migration.job is not JobState.SUCCEEDED, job="held")
    if migration.job is None or migration.leader_ready:
        return Plan(hold_leader=False, job="none")
    return Plan(hold_leader=False, job="held")


def held_leader(base: str, migration: Migration) -> dict:
    """Return the leader exactly as last applied; HoldError if that is unknown."""
    try:
        return applied_object("Deployment", child_name(base, LEADER), migration.leader_applied)
    except HoldError as err:
        raise HoldError(f"the leader's data must move onto its claim first, but {err}") from None


def held_job(base: str, migration: Migration) -> dict:
    """Return the Job exactly as last applied; HoldError if that is unknown."""
    return applied_object(JOB_KIND, job_name(base), migration.job_applied)


def job_progress(live: dict) -> str | None:
    """Return how far the observed migration Job is from success, or None once it succeeded."""
    state = _job_state(live)
    if state is JobState.SUCCEEDED:
        return None
    if state is JobState.FAILED:
        return "failed"
    return "copying the leader's data onto its claim"


def job_stalls(live: dict) -> list[Stall]:
    """Return the stall of a migration Job that failed."""
    if _job_state(live) is not JobState.FAILED:
        return []
    name = live["metadata"]["name"]
    return [
        Stall(
            MIGRATION_FAILED,
            f"{JOB_KIND} {name} failed to copy the leader's data onto its claim, so the leader "
            f"stays on its emptyDir; read its logs (kubectl logs job/{name}), then delete the "
            f"Job to retry (kubectl delete job {name})",
        )
    ]


def _where(leader: dict | None, claim: str) -> Leader:
    if leader is None:
        return Leader.ABSENT
    pod = as_dict(as_dict(as_dict(leader.get("spec")).get("template")).get("spec"))
    for volume in as_list(pod.get("volumes")):
        if as_dict(as_dict(volume).get("persistentVolumeClaim")).get("claimName") == claim:
            return Leader.ON_CLAIM
    return Leader.ELSEWHERE


def _job_state(job: dict) -> JobState:
    """Return the Job's state from its final conditions, as `kubectl wait` reads them."""
    final = {
        c.get("type")
        for c in map(as_dict, as_list(as_dict(job.get("status")).get("conditions")))
        if c.get("status") == "True"
    }
    if "Complete" in final:
        return JobState.SUCCEEDED
    if "Failed" in final:
        return JobState.FAILED
    return JobState.RUNNING


def _rolled_out(leader: dict) -> bool:
    """Whether the leader Deployment runs its latest template, every replica ready."""
    spec, status = as_dict(leader.get("spec")), as_dict(leader.get("status"))
    replicas = spec.get("replicas", 1)
    return (
        status.get("observedGeneration") == as_dict(leader.get("metadata")).get("generation")
        and status.get("replicas") == replicas
        and status.get("updatedReplicas") == replicas
        and status.get("readyReplicas") == replicas
    )
