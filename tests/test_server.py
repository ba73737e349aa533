"""The server as shipped: gunicorn with gunicorn.conf.py, its settings, metrics, logs, shutdown."""

import json
import os
import runpy
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import ROOT
from tests.gated_app import GATE_ENV, PID_HEADER
from tests.servers import GUNICORN, Server, gunicorn, refuses_connections, wait_for

GATED_APP = "tests.gated_app:create_app()"
SYNC_COUNT = 24
METACONTROLLER_HOOK_TIMEOUT = 10  # seconds: webhook.timeout's default
slow = pytest.mark.slow


def settings(monkeypatch, **env: str) -> dict:
    """Return the settings gunicorn.conf.py defines under the given environment."""
    for name in ("PORT", "HOST", "WEB_CONCURRENCY", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_the_defaults_bind_8080_with_one_sync_worker_per_core(monkeypatch):
    conf = settings(monkeypatch)

    assert conf["bind"] == "0.0.0.0:8080"
    assert conf["worker_class"] == "sync"
    assert conf["workers"] == len(os.sched_getaffinity(0))
    assert conf["wsgi_app"] == "hooks.app:create_app()"
    assert conf["control_socket_disable"] is True
    assert conf["loglevel"] == "info"


def test_port_and_worker_count_come_from_the_environment(monkeypatch):
    conf = settings(monkeypatch, PORT="9123", WEB_CONCURRENCY="5")

    assert (conf["bind"], conf["workers"]) == ("0.0.0.0:9123", 5)


def test_workers_give_up_before_metacontroller_does(monkeypatch):
    conf = settings(monkeypatch)

    assert conf["timeout"] < METACONTROLLER_HOOK_TIMEOUT
    assert conf["graceful_timeout"] < METACONTROLLER_HOOK_TIMEOUT


def test_an_unknown_log_level_stops_the_server_with_a_message():
    env = {**os.environ, "LOG_LEVEL": "chatty", "PORT": "0", "HOST": "127.0.0.1"}
    result = subprocess.run(
        [*GUNICORN, "--check-config"],
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


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """Return one shipped server, shared by the tests that only send requests to it."""
    with gunicorn(tmp_path_factory.mktemp("gunicorn")) as running:
        yield running


@slow
def test_the_sample_sync_request_gets_the_same_answer_as_in_process(server, client, sample_request):
    response = server.request("POST", "/sync", json.dumps(sample_request).encode())

    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    assert json.loads(response.body) == client.post("/sync", json=sample_request).get_json()


@slow
def test_a_malformed_request_gets_a_json_400(server):
    response = server.request("POST", "/sync", b"{")

    assert (response.status, response.headers["Content-Type"]) == (400, "application/json")
    assert json.loads(response.body)["error"].startswith("request body is not valid JSON")


@slow
@pytest.mark.parametrize(
    "path", [pytest.param("/healthz", id="alive"), pytest.param("/readyz", id="ready")]
)
def test_the_health_endpoints_answer(server, path):
    assert server.request("GET", path).status == 200


def scrape(server: Server) -> dict[tuple[str, tuple], float]:
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


@slow
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


@slow
def test_counts_left_by_an_earlier_server_are_dropped_at_start(tmp_path, sample_request):
    stale = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from hooks.calls import HookCall; from hooks.metrics import Metrics; "
            "metrics = Metrics.from_environment(); "
            "[metrics.observe(HookCall('POST', '/sync', '/sync', 200, 0.001)) for _ in range(9)]",
        ],
        cwd=ROOT,
        env=stale,
        check=True,
    )
    assert list((tmp_path / "metrics").glob("*.db"))
    with gunicorn(tmp_path) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        assert synced(scrape(server)) == 1


@slow
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


@slow
def test_at_info_level_each_call_logs_exactly_one_line(tmp_path, sample_request):
    with gunicorn(tmp_path) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        server.request("POST", "/sync", b"{")
        server.stop()
        records = server.log_records()
    calls = [(r["logger"], r.get("code")) for r in records if r.get("path") == "/sync"]
    assert calls == [("hooks", 200), ("hooks", 400)]


@slow
def test_the_log_level_comes_from_the_environment(tmp_path, sample_request):
    with gunicorn(tmp_path, env={"LOG_LEVEL": "WARNING"}) as server:
        server.request("POST", "/sync", json.dumps(sample_request).encode())
        server.request("POST", "/sync", b"[]")
        server.stop()
        records = server.log_records()
    assert [(r["logger"], r["level"], r.get("code")) for r in records] == [
        ("hooks", "warning", 400)
    ]


@slow
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


def running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie has exited)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@slow
def test_sigterm_refuses_new_connections_at_once_and_finishes_the_call_in_flight(
    tmp_path, client, sample_request
):
    # What gunicorn.conf.py's SIGTERM handler is for. On SIGTERM gunicorn's master
    # closes its listening socket, but a sync worker busy with a call keeps its own
    # copy open until it exits, so the kernel goes on accepting connections that no
    # one will serve, and resets them when the worker exits, up to graceful_timeout
    # later. Without the handler this test fails at the first assert below: the
    # connections are refused only once the master killed the worker, and the
    # call with it.
    gate = tmp_path / "gate"
    gate.mkdir()
    body = json.dumps(sample_request).encode()
    with gunicorn(tmp_path, app=GATED_APP, env={GATE_ENV: str(gate)}) as server:
        answers = []
        call = threading.Thread(
            target=lambda: answers.append(server.request("POST", "/gated/sync", body))
        )
        call.start()
        wait_for(lambda: any(gate.glob("started-*")), "the gated call reaching its worker")
        [started] = gate.glob("started-*")
        busy = int(started.name.removeprefix("started-"))
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: refuses_connections(server.port), "new connections being refused")
        assert running(busy), "connections were refused only once the busy worker was gone"
        (gate / "release").touch()
        call.join()
        assert server.stop() == 0
        records = server.log_records()
    assert answers[0].status == 200
    assert json.loads(answers[0].body) == client.post("/sync", json=sample_request).get_json()
    assert any(r["message"] == "Handling signal: term" for r in records)
    assert not [r for r in records if r["level"] in ("error", "critical")]
