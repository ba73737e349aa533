"""The HTTP contract of the hook server, through the Flask test client."""

import io
import json
import logging

import pytest

from hooks.app import create_app
from tests.apiserver import guestbook, sync_request

JSON = "application/json"


def post(client, body, **kwargs):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/sync", data=data, content_type=JSON, **kwargs)


def test_a_sync_request_gets_the_hooks_answer(client, sample_request):
    response = post(client, sample_request)

    assert response.status_code == 200
    assert response.mimetype == JSON
    body = response.get_json()
    assert set(body) == {"status", "children"}
    assert len(body["children"]) == 9
    assert {c["type"]: c["status"] for c in body["status"]["conditions"]}["Ready"] == "True"


def test_the_same_request_gets_the_same_bytes(client, sample_request):
    first, second = post(client, sample_request), post(client, sample_request)

    assert first.data == second.data


def test_answers_are_written_with_sorted_keys(client, sample_request):
    body = post(client, sample_request).data

    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()


def test_a_finalizing_request_is_answered_by_finalize(client, sample_request):
    response = post(client, {**sample_request, "finalizing": True})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["finalized"], body["children"]) == (True, [])


def test_a_body_over_the_limit_gets_413():
    client = create_app({"MAX_BODY_BYTES": 1000}).test_client()

    response = post(client, {"pad": "x" * 1000})

    assert response.status_code == 413
    assert response.get_json() == {"error": "request body is larger than the limit of 1000 bytes"}


@pytest.mark.parametrize(
    ("size", "status"), [(1000, 400), (1001, 413)], ids=["at-limit", "one-over"]
)
def test_a_chunked_body_is_held_to_the_limit_too(size, status):
    client = create_app({"MAX_BODY_BYTES": 1000}).test_client()
    body = b"[" + b" " * (size - 2) + b"]"

    # A server that decodes chunked bodies passes them on with no Content-Length.
    response = client.post(
        "/sync",
        input_stream=io.BytesIO(body),
        content_type=JSON,
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == status
    assert "error" in response.get_json()


def test_the_body_limit_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HOOKS_MAX_BODY_BYTES", "100")

    response = post(create_app().test_client(), {"pad": "x" * 100})

    assert response.status_code == 413


def test_an_unknown_path_gets_404(client):
    response = client.post("/customize", json={})

    assert response.status_code == 404
    assert response.get_json() == {"error": "no such path: /customize"}


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/sync"), ("PUT", "/sync"), ("POST", "/healthz")]
)
def test_a_wrong_method_gets_405(client, method, path):
    response = client.open(path, method=method)

    assert response.status_code == 405
    assert response.mimetype == JSON
    assert response.get_json() == {"error": f"method {method} is not allowed on {path}"}


def test_an_unexpected_failure_gets_500_with_the_traceback_only_in_the_log(
    client, sample_request, monkeypatch, caplog
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr("hooks.guestbook.compute_status", explode)

    with caplog.at_level(logging.ERROR):
        response = post(client, sample_request)

    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error while handling /sync: RuntimeError"}
    assert b"secret detail" not in response.data
    assert "secret detail" in caplog.text
    assert "Traceback" in caplog.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_answer_ok(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readiness_fails_when_a_sync_cannot_be_computed(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr("hooks.app.sync", explode)

    assert client.get("/readyz").status_code == 500


def test_v2_requests_are_answered_like_v1(client):
    parent = guestbook()
    v1 = post(client, sync_request(parent, [], version="v1"))
    v2 = post(client, sync_request(parent, [], version="v2"))

    assert v1.status_code == v2.status_code == 200
    assert v1.get_json()["children"] == v2.get_json()["children"]
