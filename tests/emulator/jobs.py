"""A built-in Job controller: each Job runs its one pod, then succeeds or fails.

On the first tick a Job is seen, its pod is created (status active, with a
startTime). On a later tick on which every claim the pod mounts is Bound,
the pod runs and the Job finishes: it succeeds, with what its pod does to
data done (see `data`), unless its name is in `failing` or its work fails;
then it fails as a Job does once backoffLimit + 1 pods have failed. A
finished Job is left alone; a deleted one is gone, and a new Job of the same
name starts afresh.

Written from pkg/controller/job/job_controller.go (syncJob: startTime once the
Job is first synced, active pods, then the terminal conditions; a Job whose
failed pods exceed backoffLimit fails with BackoffLimitExceeded); the status
shapes are tests/apiserver.py's job_status.
"""

from collections.abc import Callable

from tests.apiserver import job_status
from tests.emulator.controllers import claim_phase
from tests.emulator.data import Data, claims_of
from tests.emulator.volumes import finished

BY = "job-controller"


class JobController:
    """Run every unfinished Job a step per tick."""

    def __init__(self, store, clock: Callable[[], str], data: Data, failing: set[str]) -> None:
        self._store = store
        self._clock = clock
        self._data = data
        self._failing = failing  # names of Jobs whose pods fail

    def tick(self) -> None:
        """Let one step happen to every unfinished Job."""
        for job in self._store.list("Job"):
            if finished(job):
                continue
            status = self._next_status(job)
            if status is not None:
                self._store.update_status(job, status, by=BY)

    def _next_status(self, job: dict) -> dict | None:
        now = self._clock()
        started = job.get("status", {}).get("startTime")
        if started is None:
            return job_status("running", started=now, now=now)
        if not self._can_run(job):
            return None  # the pod waits for its volumes
        works = job["metadata"]["name"] not in self._failing and self._data.run(self._store, job)
        outcome = "succeeded" if works else "failed"
        limit = job["spec"]["backoffLimit"]
        return job_status(outcome, started=started, now=now, backoff_limit=limit)

    def _can_run(self, job: dict) -> bool:
        namespace = job["metadata"]["namespace"]
        claims = claims_of(job["spec"]["template"])
        return all(claim_phase(self._store, namespace, name) == "Bound" for name in claims)
