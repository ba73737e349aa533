"""The targets the hooks must meet, and the table `make bench` prints."""

from typing import Any

TARGET_REQUEST = "sample (8 observed)"  # realistic, with all eight children observed
MAX_INPROCESS_RATIO = 2.0
MIN_A_OVER_C = 0.8
MIN_A_OVER_B = 1.6
MAX_A_P99_MS = 10.0
MAX_RSS_GROWTH_KB = 5 * 1024


def targets(results: dict) -> list[dict]:
    """Return each target with the measured value and whether it was met (None: not measured)."""
    http, memory = results["http"], results["memory"]
    measured_http = "skipped" not in http
    return [
        _target(
            "in process: server path / floor",
            results["inprocess"][TARGET_REQUEST]["ratio"],
            "<=",
            MAX_INPROCESS_RATIO,
        ),
        _target(
            "in process: sync() path / floor",
            results["inprocess"][TARGET_REQUEST]["api_ratio"],
            "<=",
            MAX_INPROCESS_RATIO,
        ),
        _target("HTTP A/C (requests/s)", measured_http and http["A/C"], ">=", MIN_A_OVER_C),
        _target("HTTP A/B (requests/s)", measured_http and http["A/B"], ">=", MIN_A_OVER_B),
        _target("HTTP A p99 (ms)", measured_http and http["A"]["p99_ms"], "<=", MAX_A_P99_MS),
        _target("HTTP A non-2xx", measured_http and http["A"]["non2xx"], "<=", 0),
        _target(
            "worker RSS growth (kB)",
            "skipped" not in memory and memory["max_growth_kb"],
            "<=",
            MAX_RSS_GROWTH_KB,
        ),
    ]


def print_report(results: dict) -> None:
    """Print the results as plain-text tables."""
    machine = results["machine"]
    print(
        f"Machine: {machine['cores']} cores, {machine['cpu']}, Python {machine['python']}, "
        f"{machine['system']}\n"
    )
    _table(
        "In process, per call in us (medians; p10-p90 of the server path): the floor parses and "
        "serialises,\nthe server path is what the server runs bar Flask, the sync() path goes "
        "through the Python API",
        [
            "request",
            "bytes",
            "floor",
            "server",
            "server p10-p90",
            "sync()",
            "server/floor",
            "sync()/floor",
        ],
        [_inprocess_row(name, r) for name, r in results["inprocess"].items()],
    )
    growth = results["growth"]
    fit = growth["fit"]
    _table(
        f"Growth with request size (fit: {fit['fixed_us']:.0f} us + {fit['us_per_kb']:.2f} us/kB, "
        f"worst point {fit['max_residual']:.0%} off the line)",
        ["request", "bytes", "floor", "server", "server us/kB", "server/floor"],
        [_growth_row(name, r) for name, r in growth["points"].items()],
    )
    _http_tables(results["http"])
    _memory_table(results["memory"])
    _table(
        "Targets",
        ["target", "measured", "limit", "met"],
        [
            [t["name"], _number(t["value"]), f"{t['op']} {t['limit']}", _verdict(t["met"])]
            for t in results["targets"]
        ],
    )


def _target(name: str, value: Any, op: str, limit: float) -> dict:
    if value is False or value is None:
        return {"name": name, "value": None, "op": op, "limit": limit, "met": None}
    met = value <= limit if op == "<=" else value >= limit
    return {"name": name, "value": value, "op": op, "limit": limit, "met": met}


def _inprocess_row(name: str, r: dict) -> list[str]:
    hook = r["hook"]
    return [
        name,
        str(r["request_bytes"]),
        f"{r['floor']['median_us']:.1f}",
        f"{hook['median_us']:.1f}",
        f"{hook['p10_us']:.1f}-{hook['p90_us']:.1f}",
        f"{r['api']['median_us']:.1f}",
        f"{r['ratio']:.2f}",
        f"{r['api_ratio']:.2f}",
    ]


def _growth_row(name: str, r: dict) -> list[str]:
    return [
        name,
        str(r["request_bytes"]),
        f"{r['floor']['median_us']:.1f}",
        f"{r['hook']['median_us']:.1f}",
        f"{r['hook']['median_us'] / (r['request_bytes'] / 1000):.2f}",
        f"{r['ratio']:.2f}",
    ]


def _http_tables(http: dict) -> None:
    if "skipped" in http:
        print(f"HTTP: skipped: {http['skipped']}\n")
        return
    _table(
        f"HTTP on loopback, wrk with {http['connections']} connections, "
        f"{http['rounds']} interleaved runs of {http['seconds_per_run']:g} s each (medians)",
        [
            "server",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "server CPU us/request",
            "requests",
            "non-2xx",
            "socket errors",
        ],
        [
            [
                label,
                f"{http[key]['rps']:.0f}",
                f"{http[key]['p50_ms']:.2f}",
                f"{http[key]['p99_ms']:.2f}",
                _number(http[key].get("cpu_us")),
                str(http[key]["requests"]),
                str(http[key]["non2xx"]),
                str(http[key]["socket_errors"]),
            ]
            for key, label in (
                ("A", "A: ours (gunicorn + Flask)"),
                ("B", "B: http.server, examples' style"),
                ("C", "C: floor (raw WSGI + orjson)"),
                ("D", "D: C's work inside Flask"),
            )
        ],
    )
    print(
        f"By requests/s: A/B = {http['A/B']:.2f}, A/C = {http['A/C']:.2f}, "
        f"D/C = {http['D/C']:.2f} (Flask alone, the ceiling of A/C)"
    )
    if "A/C cpu" in http:
        print(
            f"By server CPU per request: A/B = {http['A/B cpu']:.2f}, "
            f"A/C = {http['A/C cpu']:.2f}, D/C = {http['D/C cpu']:.2f} (steadier on a busy machine)"
        )
    print()


def _memory_table(memory: dict) -> None:
    if "skipped" in memory:
        print(f"Worker memory: skipped: {memory['skipped']}\n")
        return
    first, total = memory["requests"]
    _table(
        f"Worker RSS of A after {first} and {total} requests "
        f"({memory['distinct_guestbooks']} distinct guestbooks, {memory['non2xx']} non-2xx)",
        ["worker", f"kB after {first}", f"kB after {total}", "growth kB"],
        [
            [pid, str(before), str(after), str(after - before)]
            for pid, (before, after) in memory["rss_kb"].items()
        ],
    )


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
