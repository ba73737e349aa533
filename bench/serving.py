"""Over HTTP on loopback: our server (A) against the examples' style (B) and the floor (C)."""

import contextlib
import os
import statistics
from pathlib import Path

from bench import servers
from bench.load import post_many, wrk

PROC = Path("/proc")
WARM_UP_REQUESTS = 50


def compare_servers(
    body: bytes, answer: bytes, workdir: Path, *, rounds: int, seconds: float, connections: int
) -> dict:
    """Load A, B, C and D in turn (A, B, C, D, A, ...) with wrk; return medians and ratios.

    D, the floor's work inside Flask, is no target: it shows how much of the gap
    between A and C the framework alone accounts for.
    """
    body_file, answer_file = workdir / "request.json", workdir / "answer.json"
    body_file.write_bytes(body)
    answer_file.write_bytes(answer)
    launches = {
        "A": servers.ours(),
        "B": servers.stdlib(),
        "C": servers.floor(answer_file),
        "D": servers.floor(answer_file, app="flask_app"),
    }
    runs: dict[str, list[dict]] = {name: [] for name in launches}
    with contextlib.ExitStack() as stack:
        running = {
            name: stack.enter_context(servers.running(name, launch, body, workdir / "servers.log"))
            for name, launch in launches.items()
        }
        for server in running.values():
            post_many(server.port, [body], WARM_UP_REQUESTS)
        for _ in range(rounds):
            for name, server in running.items():
                runs[name].append(_loaded(server, body_file, seconds, connections))
    result = {name: _medians(name_runs) for name, name_runs in runs.items()}
    result["A/B"] = result["A"]["rps"] / result["B"]["rps"]
    result["A/C"] = result["A"]["rps"] / result["C"]["rps"]
    result["D/C"] = result["D"]["rps"] / result["C"]["rps"]
    if proc_available():
        # Server CPU per request, inverted so that above 1 means A is cheaper: unlike
        # requests/s, it hardly moves when other work on the machine takes cores away.
        result["A/B cpu"] = result["B"]["cpu_us"] / result["A"]["cpu_us"]
        result["A/C cpu"] = result["C"]["cpu_us"] / result["A"]["cpu_us"]
        result["D/C cpu"] = result["C"]["cpu_us"] / result["D"]["cpu_us"]
    result["connections"] = connections
    result["rounds"] = rounds
    result["seconds_per_run"] = seconds
    return result


def worker_memory(bodies: list[bytes], workdir: Path, *, first: int, total: int) -> dict:
    """Return each worker's RSS after `first` and after `total` requests to server A."""
    with servers.running("A", servers.ours(), bodies[0], workdir / "servers.log") as server:
        failures = post_many(server.port, bodies, first)
        before = _worker_rss(server.pid)
        failures += post_many(server.port, bodies, total - first)
        after = _worker_rss(server.pid)
    if set(before) != set(after):
        raise RuntimeError("a worker was replaced during the memory run; see servers.log")
    growth = {pid: after[pid] - before[pid] for pid in before}
    return {
        "requests": [first, total],
        "distinct_guestbooks": len(bodies),
        "non2xx": failures,
        "rss_kb": {str(pid): [before[pid], after[pid]] for pid in before},
        "max_growth_kb": max(growth.values()),
    }


def proc_available() -> bool:
    """Whether worker memory can be read (Linux /proc)."""
    return (PROC / "self" / "status").exists()


def _loaded(server: servers.Server, body_file: Path, seconds: float, connections: int) -> dict:
    """Run wrk against the server; add the server's CPU time per request when it can be read."""
    before = _cpu_seconds(server.pid) if proc_available() else None
    result = wrk(server.url, body_file, seconds=seconds, connections=connections)
    if before is not None:
        used = _cpu_seconds(server.pid) - before
        result["cpu_us"] = used * 1e6 / max(1, result["requests"])
    return result


def _medians(runs: list[dict]) -> dict:
    cpu = [r["cpu_us"] for r in runs if "cpu_us" in r]
    return {
        **({"cpu_us": statistics.median(cpu)} if cpu else {}),
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] + r["timeouts"] for r in runs),
        "runs": len(runs),
    }


def _cpu_seconds(master: int) -> float:
    """Return the CPU time used so far by `master` and its children (gunicorn's workers)."""
    ticks = 0
    for pid in [master, *_children(master)]:
        with contextlib.suppress(OSError):
            # utime and stime: fields 14 and 15, the 12th and 13th after the command name.
            fields = (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(master: int) -> list[int]:
    children = []
    for stat in PROC.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The parent pid is the second field after the parenthesised command name.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == master:
                children.append(int(stat.parent.name))
    return children


def _worker_rss(master: int) -> dict[int, int]:
    """Return the resident set size in kB of every child process of `master`."""
    return {pid: _rss_kb(PROC / str(pid) / "status") for pid in _children(master)}


def _rss_kb(status: Path) -> int:
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in {status}")
