"""Where a Redis leader's entries live: a small model of data, not of Redis.

A pod keeps its entries in the volume it mounts at /data (the official Redis
images' working directory; no volume there is as good as an emptyDir). An
emptyDir belongs to one pod: the pods that replace it (a new template, a
reschedule, pods that stopped and start again) begin with an empty one. A
claim's volume outlives pods: every pod that mounts the claim serves what the
claim holds, and Redis starting on it leaves its files there, so the claim
then holds Redis data even with no entries. A Lost claim has lost its volume.

A Job whose container runs `redis-cli` is a copy: `-h HOST` (a literal name,
or `$VAR` from the container's env) names the Service of the Redis it copies
from, and when it succeeds, the entries that Redis serves go into the claim
the Job mounts, unless the claim already holds Redis data (the guard the
migration Job promises, so that a re-run never puts back an older copy). It
fails when no ready pod serves that Redis, or when a NetworkPolicy keeps the
Job's pod from reaching it (`network`). Meant for one-pod Deployments such as
the leader; which of several pods serves is not modelled.
"""

import re
from dataclasses import dataclass, field

from tests.emulator.network import admits

DATA_PATH = "/data"
HOST = re.compile(r"""-h\s+["']?(?P<host>\$\{?\w+\}?|[a-z0-9][a-z0-9.-]*)""")


class DataError(AssertionError):
    """Data asked of a pod that does not run, or a copy Job the model cannot read."""


@dataclass
class Data:
    """The entries of every volume in one emulated cluster."""

    claims: dict[str, list[str]] = field(default_factory=dict)  # claim uid -> entries
    empty_dirs: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)  # Deployment uid -> pod generation
    serving: dict[str, list[str]] = field(default_factory=dict)  # Deployment uid -> its volume

    # What the controllers report.

    def started(self, store, deployment: dict) -> None:
        """New pods of the Deployment's current template are ready: they serve their volume."""
        uid = deployment["metadata"]["uid"]
        self.generations[uid] = self.generations.get(uid, 0) + 1
        claim = _claim_at(store, deployment, deployment["spec"]["template"], DATA_PATH)
        if claim is None:
            volume = self.empty_dirs.setdefault((uid, self.generations[uid]), [])
        else:
            volume = self.claims.setdefault(claim["metadata"]["uid"], [])
        self.serving[uid] = volume

    def stopped(self, deployment: dict) -> None:
        """No pod of the Deployment is ready: nothing serves its data."""
        self.serving.pop(deployment["metadata"]["uid"], None)

    def lost(self, claim: dict) -> None:
        """The claim's volume is gone, and its entries with it."""
        volume = self.claims.pop(claim["metadata"]["uid"], None)
        for uid, served in list(self.serving.items()):
            if served is volume:
                del self.serving[uid]

    def run(self, store, job: dict) -> bool:
        """Do what the Job's pod does to data; return whether it succeeded."""
        template = job["spec"]["template"]
        host = _copy_source(template)
        if host is None:
            return True
        target = _claim_at(store, job, template, None)
        if target is None:
            raise DataError(f"copy Job {job['metadata']['name']} mounts no claim")
        source = self._reached(store, job, host)
        if source is None:
            return False
        self.claims.setdefault(target["metadata"]["uid"], list(source))
        return True

    # What a test reads and writes.

    def write(self, deployment: dict, entries: tuple[str, ...]) -> None:
        """Add entries through the Deployment's ready pod."""
        self._volume(deployment).extend(entries)

    def entries(self, deployment: dict) -> list[str]:
        """Return the entries the Deployment's ready pod serves."""
        return list(self._volume(deployment))

    def claim_entries(self, claim: dict) -> list[str] | None:
        """Return the entries on the claim's volume; None while it holds no Redis data."""
        found = self.claims.get(claim["metadata"]["uid"])
        return None if found is None else list(found)

    def _volume(self, deployment: dict) -> list[str]:
        volume = self.serving.get(deployment["metadata"]["uid"])
        if volume is None:
            raise DataError(f"no ready pod of Deployment {deployment['metadata']['name']}")
        return volume

    def _reached(self, store, job: dict, host: str) -> list[str] | None:
        """Return the entries the Job's pod reads through Service `host`; None if it cannot."""
        namespace = job["metadata"]["namespace"]
        service = store.get("Service", namespace, host.split(".", maxsplit=1)[0])
        if service is None:
            return None
        selector = service["spec"].get("selector", {}).items()
        for deployment in store.list("Deployment", namespace):
            server = deployment["spec"]["template"]
            served = self.serving.get(deployment["metadata"]["uid"])
            if not selector or not selector <= server["metadata"].get("labels", {}).items():
                continue
            port = _target_port(service, server)
            if served is not None and admits(
                store, namespace, job["spec"]["template"], server, port
            ):
                return served
        return None


def claims_of(template: dict) -> list[str]:
    """Return the names of the claims a pod template mounts."""
    return [
        volume["persistentVolumeClaim"]["claimName"]
        for volume in template["spec"].get("volumes", [])
        if "persistentVolumeClaim" in volume
    ]


def _claim_at(store, owner: dict, template: dict, path: str | None) -> dict | None:
    """Return the claim a pod template mounts at `path` (at any path for None), or None."""
    pod = template["spec"]
    mounted = {
        mount["name"]
        for container in pod["containers"]
        for mount in container.get("volumeMounts", [])
        if path is None or mount["mountPath"] == path
    }
    for volume in pod.get("volumes", []):
        if volume["name"] in mounted and "persistentVolumeClaim" in volume:
            name = volume["persistentVolumeClaim"]["claimName"]
            return store.get("PersistentVolumeClaim", owner["metadata"]["namespace"], name)
    return None


def _target_port(service: dict, server: dict) -> int:
    """Return the container port the Service's first port sends to, by number."""
    first = service["spec"]["ports"][0]
    target = first.get("targetPort", first["port"])
    if isinstance(target, int):
        return target
    return next(
        entry["containerPort"]
        for container in server["spec"]["containers"]
        for entry in container.get("ports", [])
        if entry.get("name") == target
    )


def _copy_source(template: dict) -> str | None:
    """Return the host a copy Job's redis-cli reads from; None for a Job that copies nothing."""
    for container in template["spec"]["containers"]:
        text = " ".join(container.get("command", []) + container.get("args", []))
        if "redis-cli" not in text:
            continue
        found = HOST.search(text)
        if found is None:
            raise DataError(f"redis-cli without -h HOST in container {container['name']}")
        host = found["host"]
        if host.startswith("$"):
            env = {var["name"]: var.get("value") for var in container.get("env", [])}
            host = env.get(host.strip("${}"))
            if host is None:
                raise DataError(f"{found['host']} is not set in container {container['name']}")
        return host
    return None
