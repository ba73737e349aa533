"""The targets the hooks must meet, and the tables `make bench` prints."""

from typing import Any

from bench.workloads import TARGET

MAX_INPROCESS_RATIO = 2.0
MIN_A_OVER_D = 0.8
MIN_A_OVER_B = 1.6
MAX_RSS_GROWTH_KB = 5 * 1024
SERVERS = {
    "A": "A: ours (gunicorn + Flask)",
    "A uncached": "A, distinct guestbooks (uncached)",
    "B": "B: http.server, examples' style",
    "C": "C: floor (raw WSGI + orjson)",
    "D": "D: C's work inside Flask",
}


def targets(results: dict) -> list[dict]:
    """Return each target with the measured value and whether it was met (None: not measured)."""
    target, http = results["inprocess"][TARGET], results["http"]
    measured = "skipped" not in http
    non2xx = measured and sum(http[name]["non2xx"] for name in ("A", "A uncached"))
    growth = measured and http["memory"]["max_growth_kb"]
    return [
        _target("in process: server path / floor", target["ratio"], "<=", MAX_INPROCESS_RATIO),
        _target("in process: sync() path / floor", target["api_ratio"], "<=", MAX_INPROCESS_RATIO),
        _target("HTTP A/D (requests/s)", measured and http["A/D"], ">=", MIN_A_OVER_D),
        _target("HTTP A/B (requests/s)", measured and http["A/B"], ">=", MIN_A_OVER_B),
        _target("HTTP non-2xx answers from A", non2xx, "<=", 0),
        _target("worker RSS growth of A (kB)", growth, "<=", MAX_RSS_GROWTH_KB),
    ]


def print_report(results: dict) -> None:
    """Print the results as plain-text tables."""
    machine, fit = results["machine"], results["fit"]
    print(
        f"Machine: {machine['cores']} cores, {machine['cpu']}, Python {machine['python']}, "
        f"{machine['system']}\n"
    )
    _table(
        "In process, us per call (medians): the floor parses and serialises, the server path is "
        "what the\nserver runs bar Flask, the sync() path goes through the Python API",
        ["request", "bytes", "floor", "server", "sync()", "server/floor", "sync()/floor"],
        [
            [
                name,
                str(r["request_bytes"]),
                f"{r['floor']['median_us']:.1f}",
                f"{r['hook']['median_us']:.1f}",
                f"{r['api']['median_us']:.1f}",
                f"{r['ratio']:.2f}",
                f"{r['api_ratio']:.2f}",
            ]
            for name, r in results["inprocess"].items()
        ],
    )
    print(
        f"Server path against request size: {fit['fixed_us']:.0f} us + {fit['us_per_kb']:.2f} "
        f"us/kB, worst point {fit['max_residual']:.0%} off the line\n"
    )
    _http(results["http"])
    _table(
        "Targets",
        ["target", "measured", "limit", "met"],
        [
            [t["name"], _number(t["value"]), f"{t['op']} {t['limit']}", _verdict(t["met"])]
            for t in results["targets"]
        ],
    )


def _http(http: dict) -> None:
    if "skipped" in http:
        print(f"HTTP: skipped: {http['skipped']}\n")
        return
    settings, memory = http["settings"], http["memory"]
    _table(
        f"HTTP on loopback, wrk with {settings['connections']} connections, {settings['rounds']} "
        f"interleaved runs of {settings['seconds_per_run']:g} s each (medians)",
        ["server", "requests/s", "p50 ms", "p99 ms", "CPU us/request", "requests", "non-2xx"],
        [
            [
                label,
                f"{http[name]['rps']:.0f}",
                f"{http[name]['p50_ms']:.2f}",
                f"{http[name]['p99_ms']:.2f}",
                f"{http[name]['cpu_us']:.0f}",
                str(http[name]["requests"]),
                str(http[name]["non2xx"] + http[name]["socket_errors"]),
            ]
            for name, label in SERVERS.items()
        ],
    )
    for basis, suffix in (("requests/s", ""), ("server CPU per request", " cpu")):
        ratios = ", ".join(f"{pair} = {http[pair + suffix]:.2f}" for pair in ("A/B", "A/C", "A/D"))
        print(f"By {basis}: {ratios}; D/C = {http['D/C' + suffix]:.2f} (Flask alone)")
    print(
        f"One server of {settings['workers_of_A']} workers, uncached: "
        f"{http['A uncached']['rps']:.0f} syncs/s at {settings['connections']} calls at a time\n"
    )
    _table(
        f"Worker RSS of A before and after {memory['requests_between']} requests "
        f"({memory['distinct_guestbooks']} distinct guestbooks among them)",
        ["worker", "kB before", "kB after", "growth kB"],
        [[pid, str(a), str(b), str(b - a)] for pid, (a, b) in memory["rss_kb"].items()],
    )


def _target(name: str, value: Any, op: str, limit: float) -> dict:
    if value is False or value is None:
        return {"name": name, "value": None, "op": op, "limit": limit, "met": None}
    met = value <= limit if op == "<=" else value >= limit
    return {"name": name, "value": value, "op": op, "limit": limit, "met": met}


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(title)
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print()


def _number(value: Any) -> str:
    if value is None:
        return "not measured"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _verdict(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]
