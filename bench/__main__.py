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
from bench.report import print_report, targets

RESULTS = Path(__file__).parent / "results.json"
BATCH_SECONDS = 0.002  # long enough to dwarf the timer, short enough to interleave finely
GROWTH = ("new guestbook (0 observed)", workloads.TARGET, "heavy (8 observed, ~200 KB)")


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full run of `make bench`, or tiny counts for the smoke test."""

    rounds: int  # interleaved batches per path and request, in process
    http_rounds: int  # wrk runs per server, taken in turn
    http_seconds: float
    warm_up_seconds: float  # one wrk run per server before measuring; 0: none
    connections: int  # Metacontroller's default: 5 workers per controller, one call each
    distinct_guestbooks: int  # more than a worker's cache of children holds (128)


FULL = Settings(150, 3, 10, 3, connections=5, distinct_guestbooks=512)
QUICK = Settings(3, 1, 1, 0, connections=5, distinct_guestbooks=4)


def run(settings: Settings, *, serve: bool = True) -> dict:
    """Run every part of the benchmark and return the results."""
    results = {"machine": machine(), "settings": asdict(settings)}
    _say("timing in process")
    results["inprocess"] = {
        name: _compare(body, settings) for name, body in workloads.inprocess_workloads().items()
    }
    results["fit"] = inprocess.linear_fit(
        [(results["inprocess"][name]["request_bytes"], _hook_us(results, name)) for name in GROWTH]
    )
    if not serve:
        results["http"] = {"skipped": "--no-servers was given"}
    elif not serving.wrk_available():
        results["http"] = {"skipped": serving.WRK_MISSING}
    else:
        _say("loading A, A uncached, B, C and D in turn with wrk")
        sample = workloads.inprocess_workloads()[workloads.TARGET]
        distinct = workloads.distinct_guestbooks(settings.distinct_guestbooks)
        with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
            answer = inprocess.hook_path(sample)
            results["http"] = serving.compare(sample, distinct, answer, Path(workdir), settings)
    results["targets"] = targets(results)
    return results


def machine() -> dict:
    """Describe the machine the figures come from: no host names, no paths."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = models[0].partition(":")[2].strip() if models else cpu
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
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
    write(results, args.output)
    print(f"\nwrote {args.output}")


def write(results: dict, output: Path) -> None:
    """Write the results as indented JSON, whole or not at all."""
    partial = output.with_name(output.name + ".tmp")
    partial.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    partial.replace(output)


def _compare(body: bytes, settings: Settings) -> dict:
    once = inprocess.interleaved({"hook": inprocess.hook_path}, body, rounds=3, batch=1)["hook"]
    batch = max(1, round(BATCH_SECONDS * 1e6 / min(once)))
    return inprocess.compare(body, rounds=settings.rounds, batch=batch)


def _hook_us(results: dict, name: str) -> float:
    return results["inprocess"][name]["hook"]["median_us"]


def _say(step: str) -> None:
    # Progress goes to stderr, so that stdout is only the report.
    print(f"bench: {step}...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
