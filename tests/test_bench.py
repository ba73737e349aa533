"""The benchmark harness, run with tiny counts: its results are well formed (no timing limits)."""

import json

import pytest

from bench import __main__ as bench
from bench import serving, workloads
from bench.report import SERVERS, print_report


@pytest.fixture(scope="module")
def quick() -> dict:
    """Return the results of `python -m bench --quick`: every part, tiny counts."""
    return bench.run(bench.QUICK)


def test_every_request_is_timed_on_the_floor_the_server_path_and_the_api(quick):
    results = quick
    bodies = workloads.inprocess_workloads()
    assert set(results["inprocess"]) == set(bodies)
    for name, result in results["inprocess"].items():
        assert result["request_bytes"] == len(bodies[name])
        for path in ("floor", "hook", "api"):
            assert result[path]["samples"] == bench.QUICK.rounds
            assert result[path]["median_us"] > 0
        assert result["ratio"] > 0
        assert result["api_ratio"] > 0
    assert set(results["fit"]) == {"fixed_us", "us_per_kb", "max_residual"}


@pytest.mark.slow
@pytest.mark.skipif(not serving.wrk_available(), reason=serving.WRK_MISSING)
def test_every_server_is_loaded_in_turn_and_answers_only_2xx(quick):
    http = quick["http"]
    for name in SERVERS:
        assert http[name]["requests"] > 0
        assert (http[name]["non2xx"], http[name]["socket_errors"]) == (0, 0)
        assert 0 < http[name]["p50_ms"] <= http[name]["p99_ms"]
    assert http["A/D"] == pytest.approx(http["A"]["rps"] / http["D"]["rps"])
    assert http["A/D cpu"] == pytest.approx(http["D"]["cpu_us"] / http["A"]["cpu_us"])
    memory = http["memory"]
    assert memory["distinct_guestbooks"] == bench.QUICK.distinct_guestbooks
    assert memory["requests_between"] == http["A"]["requests"] + http["A uncached"]["requests"]
    assert len(memory["rss_kb"]) == http["settings"]["workers_of_A"] > 0


def test_every_target_is_judged_when_measured_and_printed(quick, capsys):
    measured = "skipped" not in quick["http"]
    print_report(quick)
    report = capsys.readouterr().out
    for target in quick["targets"]:
        assert (target["met"] is not None) is (target["name"].startswith("in process") or measured)
        assert target["name"] in report


def test_the_results_file_reads_back_as_written(quick, tmp_path):
    output = tmp_path / "results.json"
    bench.write(quick, output)
    assert json.loads(output.read_text()) == json.loads(json.dumps(quick))
    assert not output.with_name("results.json.tmp").exists()


def test_without_wrk_the_http_part_is_skipped_with_the_install_hint(monkeypatch):
    monkeypatch.setattr(serving, "wrk_available", lambda: False)
    results = bench.run(bench.QUICK)
    assert results["http"] == {"skipped": serving.WRK_MISSING}
    assert [t["name"] for t in results["targets"] if t["met"] is None] == [
        "HTTP A/D (requests/s)",
        "HTTP A/B (requests/s)",
        "HTTP non-2xx answers from A",
        "worker RSS growth of A (kB)",
    ]


def test_the_machine_is_described_without_host_names(quick):
    assert set(quick["machine"]) == {"cores", "cpu", "python", "system"}
