"""Over HTTP on loopback: A, B, C and D loaded in turn by wrk, with server CPU and worker memory."""

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from tests.servers import PROC, Launch, Server, children, gunicorn_launch, start

LUA_SCRIPT = Path(__file__).parent / "sync.lua"
WRK_MISSING = "wrk is not installed (Debian/Ubuntu: apt-get install wrk); HTTP part skipped"
UNCACHED = "A uncached"  # A again, on more distinct guestbooks than its cache holds
ORDER = ("A", UNCACHED, "B", "C", "D")


def wrk_available() -> bool:
    """Whether the wrk load generator is on PATH."""
    return shutil.which("wrk") is not None


def compare(sample: bytes, distinct: list[bytes], answer: bytes, workdir: Path, settings) -> dict:
    """Load the servers in turn (A, A uncached, B, C, D, A, ...); return medians and ratios."""
    files = {"sample": workdir / "sample.jsonl", "distinct": workdir / "distinct.jsonl"}
    files["sample"].write_bytes(sample + b"\n")
    files["distinct"].write_bytes(b"\n".join(distinct) + b"\n")
    (workdir / "answer.json").write_bytes(answer)
    runs: dict[str, list[dict]] = {name: [] for name in ORDER}
    with contextlib.ExitStack() as stack:
        # Started and stopped together, so start-ups and shutdowns overlap; each is stopped.
        servers = {name: start(*launch(workdir / name)) for name in ("A", "B", "C", "D")}
        for server in servers.values():
            stack.callback(server.stop)
        stack.callback(lambda: [server.terminate() for server in servers.values()])
        for server in servers.values():
            server.wait_until(lambda server: server.request("POST", "/sync", sample).status == 200)
        servers[UNCACHED] = servers["A"]
        loads = {name: files["distinct" if name == UNCACHED else "sample"] for name in ORDER}
        for name in ORDER if settings.warm_up_seconds else ():
            # Imports, caches, and a first pass over the distinct guestbooks.
            load(servers[name], loads[name], settings.warm_up_seconds, settings.connections)
        rss_before = worker_rss(servers["A"])
        for _ in range(settings.http_rounds):
            for name in ORDER:
                runs[name].append(
                    load(servers[name], loads[name], settings.http_seconds, settings.connections)
                )
        rss_after = worker_rss(servers["A"])
    result = {name: _medians(server_runs) for name, server_runs in runs.items()}
    for a, b in (("A", "B"), ("A", "C"), ("A", "D"), ("D", "C")):
        result[f"{a}/{b}"] = result[a]["rps"] / result[b]["rps"]
        # Server CPU per request, inverted so that above 1 means the first is cheaper:
        # unlike requests/s it hardly moves when other work takes cores away.
        result[f"{a}/{b} cpu"] = result[b]["cpu_us"] / result[a]["cpu_us"]
    result["memory"] = _memory(rss_before, rss_after, runs["A"] + runs[UNCACHED], len(distinct))
    result["settings"] = {
        "connections": settings.connections,
        "rounds": settings.http_rounds,
        "seconds_per_run": settings.http_seconds,
        "workers_of_A": len(rss_after),
    }
    return result


def launch(folder: Path) -> Launch:
    """Return how to start A, B, C or D, as the folder's name says."""
    folder.mkdir()
    env = {"BENCH_FLOOR_RESPONSE": str(folder.parent / "answer.json")}
    if folder.name == "B":
        return [sys.executable, "-m", "bench.apps", "{port}"], folder / "server.log", env
    app = {"A": None, "C": "bench.apps:floor", "D": "bench.apps:flask_floor"}[folder.name]
    # workers=None: gunicorn.conf.py's default, one worker per core, as shipped.
    return gunicorn_launch(folder, app=app, env=env, workers=None)


def load(server: Server, requests: Path, seconds: float, connections: int) -> dict:
    """Run wrk against the server; return its figures and the server's CPU time per request."""
    before = _cpu_seconds(server.process.pid)
    command = [
        "wrk",
        "--threads=1",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=5s",
        f"--script={LUA_SCRIPT}",
        f"{server.url}/sync",
        "--",
        str(requests),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    used = _cpu_seconds(server.process.pid) - before
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            result = json.loads(line.removeprefix("BENCH "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["cpu_us"] = used * 1e6 / max(1, result["requests"])
            return result
    raise RuntimeError(f"wrk printed no results: {done.stdout}{done.stderr}")


def worker_rss(server: Server) -> dict[int, int]:
    """Return the resident set size in kB of each of the server's workers."""
    rss = {}
    for pid in children(server.process.pid):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    return rss


def _memory(before: dict[int, int], after: dict[int, int], runs: list[dict], distinct: int) -> dict:
    if set(before) != set(after):
        raise RuntimeError("a worker of A was replaced during the run; see its server.log")
    return {
        "requests_between": sum(run["requests"] for run in runs),
        "distinct_guestbooks": distinct,
        "rss_kb": {str(pid): [before[pid], after[pid]] for pid in before},
        "max_growth_kb": max(after[pid] - before[pid] for pid in before),
    }


def _medians(runs: list[dict]) -> dict:
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "cpu_us": statistics.median(run["cpu_us"] for run in runs),
        "p50_ms": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in runs) / 1000,
        "requests": sum(run["requests"] for run in runs),
        "non2xx": sum(run["non2xx"] for run in runs),
        "socket_errors": sum(run["socket_errors"] for run in runs),
    }


def _cpu_seconds(pid: int) -> float:
    """Return the CPU time used so far by a process and its children (gunicorn's workers)."""
    ticks = 0
    for each in [pid, *children(pid)]:
        with contextlib.suppress(OSError):
            # utime and stime: fields 14 and 15, the 12th and 13th after the command name.
            fields = (PROC / str(each) / "stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
