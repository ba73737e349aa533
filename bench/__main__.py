"""`python -m bench`: measure, print a table, and write bench/results.json (`make bench`)."""

import argparse
import os
import platform
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from bench import inprocess, serving, workloads
from bench.load import WRK_INSTALL_HINT, wrk_available
from bench.report import print_report, targets

RESULTS = Path(__file__).parent / "results.json"
BATCH_SECONDS = 0.002  # long enough to dwarf the timer, short enough to interleave finely


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full run of `make bench`, or tiny counts for the smoke test."""

    rounds: int  # interleaved batches per path and request, in process
    http_rounds: int  # wrk runs per server, taken in turn A, B, C, D
    http_seconds: float
    connections: int
    memory_requests: tuple[int, int]
    distinct_guestbooks: int  # more than the hooks' caches hold, so eviction is exercised


FULL = Settings(
    rounds=150,
    http_rounds=3,
    http_seconds=10,
    connections=8,
    memory_requests=(1_000, 100_000),
    distinct_guestbooks=300,
)
QUICK = Settings(
    rounds=3,
    http_rounds=3,
    http_seconds=1,
    connections=8,
    memory_requests=(20, 60),
    distinct_guestbooks=3,
)


def run(settings: Settings, *, serve: bool = True) -> dict:
    """Run every part of the benchmark and return the results."""
    results = {"machine": machine(), "settings": asdict(settings)}
    _say("timing in process")
    results["inprocess"] = {
        name: _compare(body, settings) for name, body in workloads.inprocess_workloads().items()
    }
    points = {name: _compare(body, settings) for name, body in workloads.growth_workloads().items()}
    results["growth"] = {
        "points": points,
        "fit": inprocess.linear_fit(
            [(p["request_bytes"], p["hook"]["median_us"]) for p in points.values()]
        ),
    }
    if serve:
        results["http"] = _http(settings)
        results["memory"] = _memory(settings)
    else:
        results["http"] = results["memory"] = {"skipped": "--no-servers was given"}
    results["targets"] = targets(results)
    return results


def machine() -> dict:
    """Describe the machine the figures come from: no host names, no paths."""
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run, print the table and write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the harness")
    parser.add_argument("--no-servers", action="store_true", help="measure in process only")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write results")
    args = parser.parse_args(argv)
    results = run(QUICK if args.quick else FULL, serve=not args.no_servers)
    print_report(results)
    partial = args.output.with_name(args.output.name + ".tmp")
    partial.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    partial.replace(args.output)
    print(f"\nwrote {args.output}")


def _compare(body: bytes, settings: Settings) -> dict:
    return inprocess.compare(body, rounds=settings.rounds, batch=_batch(body))


def _batch(body: bytes) -> int:
    """Return how many calls make one batch of about BATCH_SECONDS."""
    once = inprocess.interleaved({"hook": inprocess.hook_path}, body, rounds=3, batch=1)["hook"]
    return max(1, round(BATCH_SECONDS * 1e6 / min(once)))


def _http(settings: Settings) -> dict:
    if not wrk_available():
        return {"skipped": WRK_INSTALL_HINT}
    _say("loading servers A, B and C in turn with wrk")
    body = workloads.SAMPLE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        return serving.compare_servers(
            body,
            inprocess.hook_path(body),
            Path(workdir),
            rounds=settings.http_rounds,
            seconds=settings.http_seconds,
            connections=settings.connections,
        )


def _memory(settings: Settings) -> dict:
    if not serving.proc_available():
        return {"skipped": "worker memory is read from /proc, which this system lacks"}
    _say("sending requests to read worker memory")
    bodies = workloads.distinct_guestbooks(settings.distinct_guestbooks)
    first, total = settings.memory_requests
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        return serving.worker_memory(bodies, Path(workdir), first=first, total=total)


def _say(step: str) -> None:
    # Progress goes to stderr, so that stdout is only the report.
    print(f"bench: {step}...", file=sys.stderr, flush=True)


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
