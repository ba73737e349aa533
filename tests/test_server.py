"""The hook server under real gunicorn: metrics across workers, JSON logs, graceful shutdown."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.gated_app import GATE_ENV, PID_HEADER
from tests.servers import ROOT, gunicorn, refuses_connections, wait_for

pytestmark = pytest.mark.slow

GATED_APP = "tests.gated_app:create_app()"
SYNC_COUNT = 24


def scrape(server) -> dict[tuple[str, tuple], float]:
    """Return every sample of /metrics by name and sorted labels."""
    response = server.request("GET", "/metrics")
    assert response.status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.body.decode())
        for sample in family.samples
    }


def synced(samples: dict) -> float:
    return samples[("guestbook_hooks_requests_total", (("code", "200"), ("path", "/sync")))]


def test_metrics_add_up_every_worker_including_exited_ones(tmp_path, sample_request):
    body = json.dumps(sample_request).encode()
    with gunicorn(tmp_path, app=GATED_APP) as server:
        first = [server.request("POST", "/sync", body) for _ in range(SYNC_COUNT)]
        assert {response.status for response in first} == {200}
        # Replace a worker that counted: its counts must outlive it.
        gone = int(first[0].headers[PID_HEADER])
        os.kill(gone, signal.SIGTERM)
        later = []

        def served_by_new_worker() -> bool:
            later.append(server.request("POST", "/sync", body))
            return int(later[-1].headers[PID_HEADER]) != gone

        wait_for(served_by_new_worker, "a sync served by a worker other than the exited one")
        # The master reaps it (and runs child_exit) before its /proc entry goes.
        wait_for(lambda: not (Path("/proc") / str(gone)).exists(), "the worker being reaped")
        workers = {int(response.headers[PID_HEADER]) for response in first + later}
        samples = scrape(server)
        server.stop()
        records = server.log_records()
    total = len(first) + len(later)
    assert len(workers) >= 2
    assert synced(samples) == total
    assert samples[("guestbook_hooks_syncs_total", (("outcome", "ok"),))] == total
    assert samples[("guestbook_hooks_sync_answers_total", (("ready", "True"),))] == total
    assert not [r for r in records if r["level"] in ("error", "critical")]


def test_counts_left_by_an_earlier_server_are_dropped_at_start(tmp_path, sample_request):
    stale = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from hooks.metrics import Metrics; "
            "Metrics.from_environment().requests.labels('/sync', '200').inc(1000)",
        ],
        cwd=ROOT,
        env=stale,
        check=True,
    )
    assert list((tmp_path / "metrics").glob("*.db"))
    with gunicorn(tmp_path) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        assert synced(scrape(server)) == 1


def test_every_line_gunicorn_writes_is_one_json_record(tmp_path, sample_request):
    with gunicorn(tmp_path, env={"LOG_LEVEL": "debug"}) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        server.request("POST", "/sync", b"{")
        server.stop()
        records = server.log_records()
    by_logger = {}
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
        by_logger.setdefault(record["logger"], []).append(record)
    assert any(r["message"].startswith("Listening at") for r in by_logger["gunicorn.error"])
    hooks = {r["code"]: r for r in by_logger["hooks"]}
    assert hooks[200]["outcome"] == "ok"
    assert hooks[400]["outcome"] == "error"
    access = [r for r in by_logger["gunicorn.access"] if r["path"] == "/sync"]
    assert sorted(r["code"] for r in access) == [200, 400]
    assert {r["method"] for r in access} == {"POST"}


def test_at_info_level_each_call_logs_exactly_one_line(tmp_path, sample_request):
    with gunicorn(tmp_path) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        server.request("POST", "/sync", b"{")
        server.stop()
        records = server.log_records()
    calls = [(r["logger"], r.get("code")) for r in records if r.get("path") == "/sync"]
    assert calls == [("hooks", 200), ("hooks", 400)]


def test_log_level_comes_from_the_environment(tmp_path, sample_request):
    with gunicorn(tmp_path, env={"LOG_LEVEL": "WARNING"}) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        server.request("POST", "/sync", b"[]")
        server.stop()
        records = server.log_records()
    assert [(r["logger"], r["level"], r.get("code")) for r in records] == [
        ("hooks", "warning", 400)
    ]


def test_an_unknown_log_level_stops_the_server_with_a_message(tmp_path):
    env = {**os.environ, "LOG_LEVEL": "chatty", "PORT": "0", "HOST": "127.0.0.1"}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LOG_LEVEL must be one of debug, info, warning, error, critical, got 'chatty'" in (
        result.stdout + result.stderr
    )


def test_a_failure_is_logged_as_json_with_its_traceback(tmp_path):
    with gunicorn(tmp_path, app=GATED_APP) as server:
        assert server.request("GET", "/fail").status == 500
        server.stop()
        records = server.log_records()
    failed = [r for r in records if r["logger"] == "hooks" and r["code"] == 500]
    assert len(failed) == 1
    assert failed[0]["level"] == "error"
    assert failed[0]["traceback"].startswith("Traceback (most recent call last):")
    assert failed[0]["traceback"].endswith("RuntimeError: failed on purpose")


def test_sigterm_refuses_new_connections_and_finishes_the_call_in_flight(tmp_path, sample_request):
    gate = tmp_path / "gate"
    gate.mkdir()
    expected = json.loads((ROOT / "tests" / "golden" / "all-ready" / "response.json").read_text())
    with gunicorn(tmp_path, app=GATED_APP, env={GATE_ENV: str(gate)}) as server:
        answers = []
        call = threading.Thread(
            target=lambda: answers.append(
                server.request("POST", "/gated/sync", json.dumps(sample_request).encode())
            )
        )
        call.start()
        wait_for(lambda: any(gate.glob("started-*")), "the gated call reaching its worker")
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(server.port), "new connections being refused")
        (gate / "release").touch()
        call.join()
        assert server.stop() == 0
        records = server.log_records()
    assert answers[0].status == 200
    assert json.loads(answers[0].body) == expected
    assert any(r["message"] == "Handling signal: term" for r in records)
    assert not [r for r in records if r["level"] in ("error", "critical")]
