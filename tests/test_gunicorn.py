"""The server as shipped: real gunicorn, started from gunicorn.conf.py, answering a real request."""

import json
import os
import runpy
import urllib.error
import urllib.request

import pytest

from tests.servers import ROOT, gunicorn

METACONTROLLER_HOOK_TIMEOUT = 10  # seconds: webhook.timeout's default


def fetch(url: str, body: bytes | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


@pytest.fixture(scope="module")
def server() -> str:
    with gunicorn() as url:
        yield url


def test_gunicorn_serves_the_sample_sync_request(server):
    body = (ROOT / "samples" / "sync-request.json").read_bytes()

    status, content_type, answer = fetch(f"{server}/sync", body)

    assert (status, content_type) == (200, "application/json")
    response = json.loads(answer)
    assert [c["metadata"]["name"] for c in response["children"] if c["kind"] == "Deployment"] == [
        "gb1-redis-leader",
        "gb1-redis-follower",
        "gb1-frontend",
    ]


def test_gunicorn_answers_a_malformed_request_with_a_json_400(server):
    status, content_type, answer = fetch(f"{server}/sync", b"{")

    assert (status, content_type) == (400, "application/json")
    assert json.loads(answer)["error"].startswith("request body is not valid JSON")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_gunicorn_serves_the_health_endpoints(server, path):
    assert fetch(f"{server}{path}")[0] == 200


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
    assert conf["accesslog"] == "-"


def test_port_and_worker_count_come_from_the_environment(monkeypatch):
    conf = settings(monkeypatch, PORT="9123", WEB_CONCURRENCY="5")

    assert (conf["bind"], conf["workers"]) == ("0.0.0.0:9123", 5)


def test_workers_give_up_before_metacontroller_does():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert conf["timeout"] < METACONTROLLER_HOOK_TIMEOUT
    assert conf["graceful_timeout"] < METACONTROLLER_HOOK_TIMEOUT
