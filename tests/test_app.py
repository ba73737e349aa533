"""The HTTP contract of the hook server, through the Flask test client."""

import io
import json
import logging

import pytest

from hooks.app import create_app
from hooks.applied import LAST_APPLIED
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


def test_an_invalid_spec_is_answered_with_200_holding_every_child(client, sample_request):
    sample_request["parent"]["spec"] = {"frontend": {"replicas": "many"}}

    response = post(client, sample_request)

    assert response.status_code == 200
    observed = [c for kind in sample_request["children"].values() for c in kind.values()]
    held = response.get_json()["children"]
    assert sorted(json.dumps(c, sort_keys=True) for c in held) == sorted(
        json.dumps(json.loads(c["metadata"]["annotations"][LAST_APPLIED]), sort_keys=True)
        for c in observed
    )


def test_an_invalid_spec_that_cannot_be_held_is_answered_with_422(client, sample_request):
    sample_request["parent"]["spec"] = {"frontend": {"replicas": "many"}}
    frontend = sample_request["children"]["Deployment.apps/v1"]["gb1-frontend"]
    del frontend["metadata"]["annotations"][LAST_APPLIED]

    response = post(client, sample_request)

    assert response.status_code == 422
    assert response.mimetype == JSON
    assert response.get_json()["error"].startswith(
        "spec.frontend.replicas: must be an integer, got the string 'many'; "
        "Deployment gb1-frontend has no"
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            b"",
            "request body is not valid JSON: Input is a zero-length, empty document",
            id="empty",
        ),
        pytest.param(
            b'{"parent": ', "request body is not valid JSON: unexpected end of data", id="truncated"
        ),
        pytest.param(
            b'{"parent": NaN}', "request body is not valid JSON: unexpected character", id="nan"
        ),
        pytest.param(
            b'{"a": Infinity}',
            "request body is not valid JSON: unexpected character",
            id="infinity",
        ),
        pytest.param(
            b"[" * 5000 + b"]" * 5000,
            "request body is not valid JSON: depth limit exceeded",
            id="deep-nesting",
        ),
        pytest.param(b"[]", "request body must be a JSON object, got a list", id="a-list"),
        pytest.param(
            b'"sync"', "request body must be a JSON object, got the string 'sync'", id="a-string"
        ),
        pytest.param(b'{"children": {}}', "request has no parent", id="no-parent"),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}}}',
            "request has no children map",
            id="no-children",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}}, "children": {}, "finalizing": "yes"}',
            "finalizing must be a boolean, got the string 'yes'",
            id="finalizing-not-boolean",
        ),
        pytest.param(
            b'{"parent": null, "children": {}}',
            "parent must be an object, got null",
            id="null-parent",
        ),
        pytest.param(
            b'{"parent": {}, "children": {}}', "parent has no metadata object", id="no-metadata"
        ),
        pytest.param(
            b'{"parent": {"metadata": {}}, "children": {}}',
            "parent.metadata.name is missing or not a non-empty string",
            id="no-name",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": ""}}, "children": {}}',
            "parent.metadata.name is missing or not a non-empty string",
            id="empty-name",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a", "generation": "2"}}, "children": {}}',
            "parent.metadata.generation must be an integer from 0 to 2^63-1, got the string '2'",
            id="generation-string",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a", "generation": 9223372036854775808}},'
            b' "children": {}}',
            "parent.metadata.generation must be an integer from 0 to 2^63-1",
            id="generation-too-big",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a", "generation": 1.5}}, "children": {}}',
            "parent.metadata.generation must be an integer from 0 to 2^63-1, got the number 1.5",
            id="generation-float",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a", "generation": -1}}, "children": {}}',
            "parent.metadata.generation must be an integer from 0 to 2^63-1, got the number -1",
            id="generation-negative",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}}, "children": null}',
            "children must be a map of child types, got null",
            id="children-null",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}}, "children": {"Service.v1": null}}',
            "children['Service.v1'] must be a map of objects, got null",
            id="child-type-null",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}}, "children": {"Service.v1": {"x": null}}}',
            "children['Service.v1']['x'] must be an object, got null",
            id="child-null",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}},'
            b' "children": {"Service.v1": {"x": {"metadata": {"name": "x"}}}}}',
            "children['Service.v1']['x'] has no kind",
            id="child-without-kind",
        ),
        pytest.param(
            b'{"parent": {"metadata": {"name": "a"}},'
            b' "children": {"Service.v1": {"x": {"kind": "Service"}}}}',
            "children['Service.v1']['x'] has no metadata.name",
            id="child-without-name",
        ),
    ],
)
def test_a_malformed_request_gets_400_naming_the_problem(client, body, error):
    response = post(client, body)

    assert response.status_code == 400
    assert response.mimetype == JSON
    assert response.get_json()["error"].startswith(error)


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
