"""The server as shipped: real gunicorn, started from gunicorn.conf.py, answering a real request."""

import json
import os
import runpy

import pytest

from tests.servers import ROOT, Server, gunicorn

METACONTROLLER_HOOK_TIMEOUT = 10  # seconds: webhook.timeout's default


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    with gunicorn(tmp_path_factory.mktemp("gunicorn")) as running:
        yield running


def test_gunicorn_serves_the_sample_sync_request(server):
    body = (ROOT / "samples" / "sync-request.json").read_bytes()

    response = server.request("POST", "/sync", body)

    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    answer = json.loads(response.body)
    assert [c["metadata"]["name"] for c in answer["children"] if c["kind"] == "Deployment"] == [
        "gb1-redis-leader",
        "gb1-redis-follower",
        "gb1-frontend",
    ]


def test_gunicorn_answers_a_malformed_request_with_a_json_400(server):
    response = server.request("POST", "/sync", b"{")

    assert (response.status, response.headers["Content-Type"]) == (400, "application/json")
    assert json.loads(response.body)["error"].startswith("request body is not valid JSON")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_gunicorn_serves_the_health_endpoints(server, path):
    assert server.request("GET", path).status == 200


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


def test_workers_give_up_before_metacontroller_does():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert conf["timeout"] < METACONTROLLER_HOOK_TIMEOUT
    assert conf["graceful_timeout"] < METACONTROLLER_HOOK_TIMEOUT
