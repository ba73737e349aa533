"""The benchmark harness, run with tiny counts: its results are well formed (no timing limits)."""

import json

import pytest

from bench import __main__ as bench
from bench import workloads
from bench.load import WRK_INSTALL_HINT, wrk_available
from bench.report import TARGET_REQUEST

TARGET_NAMES = [
    "in process: server path / floor",
    "in process: sync() path / floor",
    "HTTP A/C (requests/s)",
    "HTTP A/B (requests/s)",
    "HTTP A p99 (ms)",
    "HTTP A non-2xx",
    "worker RSS growth (kB)",
]


@pytest.fixture(scope="module")
def in_process() -> dict:
    """Return the results of a quick run that starts no server."""
    return bench.run(bench.QUICK, serve=False)


def test_every_request_is_timed_on_all_three_paths(in_process):
    bodies = workloads.inprocess_workloads()
    assert set(in_process["inprocess"]) == set(bodies)
    assert TARGET_REQUEST in bodies
    for name, result in in_process["inprocess"].items():
        assert result["request_bytes"] == len(bodies[name])
        for path in ("floor", "hook", "api"):
            timing = result[path]
            assert timing["samples"] == bench.QUICK.rounds
            assert 0 < timing["p10_us"] <= timing["median_us"] <= timing["p90_us"]
        assert result["ratio"] > 0
        assert result["api_ratio"] > 0


def test_growth_is_measured_on_requests_of_increasing_size(in_process):
    points = in_process["growth"]["points"]
    sizes = [point["request_bytes"] for point in points.values()]
    assert sizes == sorted(sizes)
    assert sizes[-1] >= workloads.HEAVY_BYTES
    assert set(in_process["growth"]["fit"]) == {"fixed_us", "us_per_kb", "max_residual"}


def test_without_servers_the_http_and_memory_parts_say_why_they_were_skipped(in_process):
    assert in_process["http"] == {"skipped": "--no-servers was given"}
    assert in_process["memory"] == {"skipped": "--no-servers was given"}


def test_every_target_is_reported_and_unmeasured_ones_are_not_judged(in_process):
    targets = {t["name"]: t for t in in_process["targets"]}
    assert list(targets) == TARGET_NAMES
    assert targets["in process: server path / floor"]["met"] in (True, False)
    assert targets["HTTP A/C (requests/s)"] == {
        "name": "HTTP A/C (requests/s)",
        "value": None,
        "op": ">=",
        "limit": 0.8,
        "met": None,
    }


def test_the_machine_is_described_without_host_names(in_process):
    assert set(in_process["machine"]) == {"cores", "cpu", "python", "system"}
    assert in_process["machine"]["cores"] >= 1


def test_the_http_part_is_skipped_with_the_install_hint_when_wrk_is_missing(monkeypatch):
    monkeypatch.setattr(bench, "wrk_available", lambda: False)
    assert bench._http(bench.QUICK) == {"skipped": WRK_INSTALL_HINT}


def test_the_command_prints_a_table_and_writes_the_results_file(tmp_path, capsys):
    output = tmp_path / "results.json"
    bench.main(["--quick", "--no-servers", "--output", str(output)])
    results = json.loads(output.read_text())
    assert set(results) == {
        "machine",
        "settings",
        "inprocess",
        "growth",
        "http",
        "memory",
        "targets",
    }
    assert not output.with_name("results.json.tmp").exists()
    printed = capsys.readouterr().out
    assert "Targets" in printed
    assert f"wrote {output}" in printed


@pytest.mark.slow
@pytest.mark.skipif(not wrk_available(), reason=WRK_INSTALL_HINT)
def test_the_servers_are_loaded_in_turn_and_their_memory_read():
    results = bench.run(bench.QUICK)
    http = results["http"]
    for server in ("A", "B", "C", "D"):
        assert http[server]["runs"] == bench.QUICK.http_rounds
        assert http[server]["requests"] > 0
        assert http[server]["rps"] > 0
        assert http[server]["non2xx"] == 0
        assert 0 < http[server]["p50_ms"] <= http[server]["p99_ms"]
    assert http["A/B"] == pytest.approx(http["A"]["rps"] / http["B"]["rps"])
    assert http["A/C"] == pytest.approx(http["A"]["rps"] / http["C"]["rps"])
    assert http["D/C"] == pytest.approx(http["D"]["rps"] / http["C"]["rps"])
    memory = results["memory"]
    assert memory["requests"] == list(bench.QUICK.memory_requests)
    assert memory["non2xx"] == 0
    assert memory["rss_kb"]
    growths = [after - before for before, after in memory["rss_kb"].values()]
    assert memory["max_growth_kb"] == max(growths)
    assert all(t["met"] is not None for t in results["targets"])
