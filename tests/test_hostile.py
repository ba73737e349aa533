"""Hostile requests: each gets the right 4xx with a JSON error, never a 500, never a lost child.

Every case starts from the realistic sample request (a converged guestbook
with eight observed children) and breaks one thing, so a test that passes
shows the hook noticed exactly that thing. The request-level corpus runs
through the Flask test client; the transport-level cases (bodies that are
too large or lie about their length, broken chunked framing) run against
real gunicorn, whose workers must all survive.
"""

import copy
import io
import json
import runpy
import socket
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from hooks.app import create_app
from hooks.conditions import INVALID_SPEC
from hooks.hold import LAST_APPLIED
from tests.servers import ROOT, gunicorn, worker_pids

SAMPLE = json.loads((ROOT / "samples" / "sync-request.json").read_text())
SAMPLE_BYTES = json.dumps(SAMPLE).encode()
FRONTEND = ("children", "Deployment.apps/v1", "gb1-frontend")
JSON = "application/json"
MB = 1024 * 1024


def raw(body: bytes) -> Callable[[], bytes]:
    """Send these bytes as they are."""
    return lambda: body


def sample_with(path: tuple[str, ...], value: Any) -> Callable[[], bytes]:
    """Send the sample request with the value at `path` replaced (or added)."""

    def build() -> bytes:
        request = copy.deepcopy(SAMPLE)
        *parents, last = path
        _walk(request, parents)[last] = value
        return json.dumps(request).encode()

    return build


def sample_without(path: tuple[str, ...]) -> Callable[[], bytes]:
    """Send the sample request with the key at `path` removed."""

    def build() -> bytes:
        request = copy.deepcopy(SAMPLE)
        *parents, last = path
        del _walk(request, parents)[last]
        return json.dumps(request).encode()

    return build


def sample_text(old: str, new: str) -> Callable[[], bytes]:
    """Send the sample request's JSON text with `old` replaced once by `new` (for non-JSON)."""
    text = SAMPLE_BYTES.decode()
    assert old in text, old
    return raw(text.replace(old, new, 1).encode())


def _walk(value: Any, path: list[str]) -> Any:
    for key in path:
        value = value[key]
    return value


def observed_children(request: dict) -> list[dict]:
    return [child for members in request["children"].values() for child in members.values()]


def by_kind_and_name(children: list[dict]) -> dict[tuple[str, str], dict]:
    return {(c["kind"], c["metadata"]["name"]): c for c in children}


def held(request: dict) -> dict[tuple[str, str], dict]:
    """Return every observed child as last applied, keyed by kind and name."""
    return by_kind_and_name(
        [json.loads(c["metadata"]["annotations"][LAST_APPLIED]) for c in observed_children(request)]
    )


def post(client, body: bytes):
    return client.post("/sync", data=body, content_type=JSON)


def assert_still_answering(client) -> None:
    """The server answers the sample request in full after the hostile one."""
    response = post(client, SAMPLE_BYTES)
    assert response.status_code == 200
    assert len(response.get_json()["children"]) == len(observed_children(SAMPLE))


NOT_A_NAME = "must be a Kubernetes object name (a DNS-1123 subdomain"


def not_a_name(name: str, case: str):
    """A case whose parent is named as no Kubernetes object can be."""
    error = f"parent.metadata.name {NOT_A_NAME}"
    return pytest.param(sample_with(("parent", "metadata", "name"), name), 400, error, id=case)


CORPUS = [
    # Not JSON at all, or JSON that Go's encoder never writes.
    pytest.param(raw(b""), 400, "request body is not valid JSON", id="empty-body"),
    pytest.param(
        raw(SAMPLE_BYTES[: len(SAMPLE_BYTES) // 2]),
        400,
        "request body is not valid JSON: unexpected end of data",
        id="truncated-json",
    ),
    pytest.param(
        raw(SAMPLE_BYTES + b"}"),
        400,
        "request body is not valid JSON: unexpected content after document",
        id="trailing-garbage",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": NaN'),
        400,
        "request body is not valid JSON",
        id="nan-generation",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": Infinity}}'),
        400,
        "request body is not valid JSON",
        id="infinity-in-spec",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": -Infinity}}'),
        400,
        "request body is not valid JSON",
        id="minus-infinity-in-spec",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": 1e400}}'),
        400,
        "request body is not valid JSON: number is infinity",
        id="number-beyond-double",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": ' + "[" * 2000 + "]" * 2000),
        400,
        "request body is not valid JSON: depth limit exceeded",
        id="deep-nesting-in-spec",
    ),
    pytest.param(
        sample_text('"name": "gb1"', '"name": "gb1\\ud800"'),
        400,
        "request body is not valid JSON",
        id="lone-surrogate-in-name",
    ),
    pytest.param(
        raw(SAMPLE_BYTES.replace(b'"gb1"', b'"gb1\xff"', 1)),
        400,
        "request body is not valid JSON",
        id="invalid-utf8",
    ),
    pytest.param(
        raw(b"\xef\xbb\xbf" + SAMPLE_BYTES),
        400,
        "request body is not valid JSON: UTF-8 byte order mark",
        id="byte-order-mark",
    ),
    pytest.param(
        raw(b"{'parent': {}, 'children': {}}"), 400, "request body is not valid JSON", id="quotes"
    ),
    pytest.param(
        raw(SAMPLE_BYTES + b" // a comment"), 400, "request body is not valid JSON", id="comment"
    ),
    # Valid JSON, wrong top-level shape.
    pytest.param(raw(b"null"), 400, "request body must be a JSON object, got null", id="null"),
    pytest.param(
        raw(b"42"), 400, "request body must be a JSON object, got the number 42", id="number"
    ),
    pytest.param(
        raw(b"[" + SAMPLE_BYTES + b"]"),
        400,
        "request body must be a JSON object, got a list",
        id="request-in-a-list",
    ),
    pytest.param(sample_without(("parent",)), 400, "request has no parent", id="no-parent"),
    pytest.param(
        sample_with(("parent",), "gb1"),
        400,
        "parent must be an object, got the string 'gb1'",
        id="parent-a-string",
    ),
    pytest.param(
        sample_with(("parent",), []), 400, "parent must be an object, got a list", id="parent-list"
    ),
    pytest.param(
        sample_with(("parent", "metadata"), []),
        400,
        "parent has no metadata object",
        id="metadata-a-list",
    ),
    # Names that the API server would never store.
    pytest.param(
        sample_with(("parent", "metadata", "name"), 7),
        400,
        "parent.metadata.name is missing or not a non-empty string",
        id="name-a-number",
    ),
    not_a_name("GB1", "name-uppercase"),
    not_a_name("gästebuch", "name-unicode"),
    not_a_name("gb1\u0000", "name-nul-character"),
    not_a_name("gb1\n", "name-trailing-newline"),
    not_a_name("g" * 254, "name-254-characters"),
    not_a_name("a-" * 500_000 + "!", "name-of-a-megabyte"),
    pytest.param(
        sample_with(("parent", "metadata", "namespace"), "demo/other"),
        400,
        "parent.metadata.namespace must be a DNS-1123 label",
        id="namespace-with-slash",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "namespace"), 5),
        400,
        "parent.metadata.namespace must be a string, got the number 5",
        id="namespace-a-number",
    ),
    # Numbers as strings, and numbers no integer field can hold.
    pytest.param(
        sample_with(("parent", "metadata", "generation"), "2"),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got the string '2'",
        id="generation-a-string",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": 18446744073709551616'),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1",
        id="generation-beyond-64-bits",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": 1e3'),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got the number 1000.0",
        id="generation-in-exponent-form",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "generation"), True),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got a boolean",
        id="generation-a-boolean",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "annotations"), ["webapp.my.domain/paused"]),
        400,
        "parent.metadata.annotations must be a map of strings",
        id="annotations-a-list",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "annotations"), {"webapp.my.domain/paused": True}),
        400,
        "parent.metadata.annotations must be a map of strings",
        id="annotation-a-boolean",
    ),
    # Observed children that Metacontroller could not have sent.
    pytest.param(sample_without(("children",)), 400, "request has no children map", id="no-map"),
    pytest.param(
        sample_with(("children",), []),
        400,
        "children must be a map of child types, got a list",
        id="children-a-list",
    ),
    pytest.param(
        sample_with(("children",), "none"),
        400,
        "children must be a map of child types, got the string 'none'",
        id="children-a-string",
    ),
    pytest.param(
        sample_with(("children", "Service.v1"), []),
        400,
        "children['Service.v1'] must be a map of objects, got a list",
        id="child-type-a-list",
    ),
    pytest.param(
        sample_with(("children", "Service.v1"), None),
        400,
        "children['Service.v1'] must be a map of objects, got null",
        id="child-type-null",
    ),
    pytest.param(
        sample_with((*FRONTEND[:2], "gb1-extra"), ["Deployment"]),
        400,
        "children['Deployment.apps/v1']['gb1-extra'] must be an object, got a list",
        id="child-a-list",
    ),
    pytest.param(
        sample_without((*FRONTEND, "kind")),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no kind",
        id="child-without-kind",
    ),
    pytest.param(
        sample_with((*FRONTEND, "kind"), 3),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no kind",
        id="child-kind-a-number",
    ),
    pytest.param(
        sample_without((*FRONTEND, "metadata")),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no metadata.name",
        id="child-without-metadata",
    ),
    pytest.param(
        sample_with((*FRONTEND, "metadata", "name"), "gb1-frontënd"),
        400,
        f"children['Deployment.apps/v1']['gb1-frontend'] metadata.name {NOT_A_NAME}",
        id="child-name-unicode",
    ),
    pytest.param(
        sample_with((*FRONTEND, "metadata", "name"), "gb1-frontend\u0007"),
        400,
        f"children['Deployment.apps/v1']['gb1-frontend'] metadata.name {NOT_A_NAME}",
        id="child-name-control-character",
    ),
    pytest.param(
        sample_with((*FRONTEND[:2], "demo/gb1-frontend"), _walk(SAMPLE, list(FRONTEND))),
        400,
        "children holds two Deployment objects named 'gb1-frontend'",
        id="child-under-v1-and-v2-keys",
    ),
    pytest.param(
        sample_with(("finalizing",), "true"),
        400,
        "finalizing must be a boolean, got the string 'true'",
        id="finalizing-a-string",
    ),
    pytest.param(
        sample_with(("finalizing",), 1),
        400,
        "finalizing must be a boolean, got the number 1",
        id="finalizing-a-number",
    ),
]


@pytest.mark.parametrize(("body", "status", "error"), CORPUS)
def test_a_hostile_request_gets_a_json_4xx_naming_the_problem(client, body, status, error):
    response = post(client, body())

    assert response.status_code == status
    assert response.mimetype == JSON
    assert response.get_json()["error"].startswith(error)
    assert_still_answering(client)


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("POST", "/sync/", 404, id="trailing-slash"),
        pytest.param("POST", "/finalize", 404, id="finalize-path"),
        pytest.param("GET", "/sync", 405, id="get-sync"),
        pytest.param("DELETE", "/sync", 405, id="delete-sync"),
    ],
)
def test_a_wrong_path_or_method_gets_a_json_error(client, method, path, status):
    response = client.open(path, method=method, data=SAMPLE_BYTES, content_type=JSON)

    assert response.status_code == status
    assert response.mimetype == JSON
    assert path in response.get_json()["error"]
    assert_still_answering(client)


def test_a_body_shorter_than_its_content_length_is_refused(client):
    # Gunicorn hands the app whatever arrived before the client closed.
    response = client.post(
        "/sync",
        input_stream=io.BytesIO(SAMPLE_BYTES[:100]),
        content_type=JSON,
        environ_overrides={
            "wsgi.input_terminated": True,
            "CONTENT_LENGTH": str(len(SAMPLE_BYTES)),
        },
    )

    assert response.status_code == 400
    assert response.get_json() == {
        "error": f"request body ended after 100 of the {len(SAMPLE_BYTES)} bytes "
        "its Content-Length announced"
    }
    assert_still_answering(client)


class BrokenStream(io.BytesIO):
    """A request body whose server-side framing fails, as gunicorn's chunk parser raises."""

    def read(self, size: int | None = -1) -> bytes:
        raise ValueError("Invalid chunk size")


def test_a_body_that_cannot_be_read_is_the_requests_fault(client):
    response = client.post(
        "/sync",
        input_stream=BrokenStream(),
        content_type=JSON,
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == 400
    assert response.get_json() == {"error": "request body could not be read: ValueError"}


# Spec values the CRD schema would refuse: the answer holds every observed child
# as last applied (or is 422 when one cannot be held), never a 200 that drops one.
HOSTILE_SPECS = [
    pytest.param({"frontend": {"replicas": "3"}}, "spec.frontend.replicas", id="replicas-string"),
    pytest.param({"frontend": {"replicas": 10**25}}, "spec.frontend.replicas", id="replicas-huge"),
    pytest.param({"frontend": {"replicas": 2**63}}, "spec.frontend.replicas", id="replicas-2^63"),
    pytest.param({"frontend": {"replicas": True}}, "spec.frontend.replicas", id="replicas-bool"),
    pytest.param({"frontend": {"replicas": -1}}, "spec.frontend.replicas", id="replicas-negative"),
    pytest.param({"frontend": {"replicas": 2.5}}, "spec.frontend.replicas", id="replicas-float"),
    pytest.param({"frontend": {"image": ""}}, "spec.frontend.image", id="image-empty"),
    pytest.param({"frontend": {"image": "a b"}}, "spec.frontend.image", id="image-with-space"),
    pytest.param({"frontend": {"image": "x" * 100_000}}, "spec.frontend.image", id="image-long"),
    pytest.param(
        {"frontend": {"service": {"type": "loadbalancer"}}},
        "spec.frontend.service.type",
        id="service-type-lowercase",
    ),
    pytest.param(
        {"frontend": {"service": {"nodePort": 30080}}},
        "spec.frontend.service.nodePort",
        id="node-port-on-cluster-ip",
    ),
    pytest.param(
        {"frontend": {"resources": {"requests": {"cpu": "lots"}}}},
        "spec.frontend.resources.requests.cpu",
        id="quantity-not-a-quantity",
    ),
    pytest.param(
        {"redis": {"follower": {"replicas": 11}}},
        "spec.redis.follower.replicas",
        id="followers-over-maximum",
    ),
    pytest.param({"redis": {"leader": {"replicas": 2}}}, "spec.redis.leader.replicas", id="leader"),
    pytest.param({"frontend": {"replica": 3}}, "spec.frontend.replica", id="unknown-field-typo"),
    pytest.param(["frontend"], "spec", id="spec-a-list"),
    pytest.param("frontend: {}", "spec", id="spec-a-string"),
]


def hostile_spec_request(spec: Any, *, annotated: bool = True) -> dict:
    request = copy.deepcopy(SAMPLE)
    request["parent"]["spec"] = spec
    if not annotated:
        del _walk(request, list(FRONTEND))["metadata"]["annotations"][LAST_APPLIED]
    return request


@pytest.mark.parametrize(("spec", "field"), HOSTILE_SPECS)
def test_a_hostile_spec_holds_every_observed_child_as_last_applied(client, spec, field):
    request = hostile_spec_request(spec)

    response = post(client, json.dumps(request).encode())

    assert response.status_code == 200
    body = response.get_json()
    assert by_kind_and_name(body["children"]) == held(request)
    stalled = next(c for c in body["status"]["conditions"] if c["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", INVALID_SPEC)
    assert f": {field}" in stalled["message"]


@pytest.mark.parametrize(("spec", "field"), HOSTILE_SPECS)
def test_a_hostile_spec_that_cannot_be_held_gets_422(client, spec, field):
    response = post(client, json.dumps(hostile_spec_request(spec, annotated=False)).encode())

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error.startswith(field)
    assert error.endswith("so it cannot be held as it is")


# Transport-level lies, against the server as shipped. Each exchange is bounded
# by a socket timeout, and the server's own body timeout is cut to one second so
# that the stalled upload is answered quickly.
BODY_TIMEOUT_SECONDS = 1
EXCHANGE_SECONDS = 30


def test_a_stalled_upload_is_answered_before_gunicorn_would_kill_the_worker():
    gunicorn_settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert create_app().config["BODY_TIMEOUT_SECONDS"] < gunicorn_settings["timeout"]


@pytest.fixture(scope="module")
def shipped_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    with gunicorn(folder, env={"HOOKS_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_SECONDS)}) as server:
        yield server.url, server.process


def exchange(url: str, sent: bytes, *, close: bool = True) -> tuple[int, bytes]:
    """Send raw bytes, half-close unless told not to, and return the status and body answered."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=EXCHANGE_SECONDS) as conn:
        try:
            conn.sendall(sent)
            if close:
                conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before it has read everything
        answer = _read_until_closed(conn)
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _read_until_closed(conn: socket.socket) -> bytes:
    answer = b""
    while True:
        try:
            data = conn.recv(65536)
        except ConnectionResetError:
            return answer  # a reset after the answer: the server would not read the rest
        if not data:
            return answer
        answer += data


def head(length: int | None = None, **headers: str) -> bytes:
    lines = ["POST /sync HTTP/1.1", "Host: hooks", f"Content-Type: {JSON}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


class Lie(NamedTuple):
    """One transport-level exchange: what is sent, and the answer it must get."""

    sent: Callable[[], bytes]  # built when the test runs: some are 50 MB
    status: int
    error: str
    close: bool = True  # half-close after sending, as a client that is done does


CHUNKED = head(Transfer_Encoding="chunked")
LIMIT = "request body is larger than the limit of 8388608 bytes"
TOO_LONG = len(SAMPLE_BYTES) + 100
TRANSPORT = [
    pytest.param(
        Lie(lambda: head(50 * MB) + b" " * (50 * MB), 413, LIMIT), id="50-mb-with-content-length"
    ),
    pytest.param(Lie(lambda: CHUNKED + chunked(*[b" " * MB] * 50), 413, LIMIT), id="50-mb-chunked"),
    pytest.param(
        Lie(
            lambda: head(len(SAMPLE_BYTES) // 2) + SAMPLE_BYTES,
            400,
            "request body is not valid JSON: unexpected end of data",
        ),
        id="content-length-too-short",
    ),
    pytest.param(
        Lie(
            lambda: head(TOO_LONG) + SAMPLE_BYTES,
            400,
            f"request body ended after {len(SAMPLE_BYTES)} of the {TOO_LONG} bytes",
        ),
        id="content-length-too-long",
    ),
    pytest.param(
        Lie(
            lambda: head(TOO_LONG) + SAMPLE_BYTES,
            408,
            f"request body did not arrive within {BODY_TIMEOUT_SECONDS} s",
            close=False,
        ),
        id="content-length-too-long-and-stalled",
    ),
    pytest.param(
        Lie(
            lambda: CHUNKED + b"zz\r\n{}\r\n0\r\n\r\n",
            400,
            "request body could not be read: InvalidChunkSize",
        ),
        id="chunk-size-not-hex",
    ),
    pytest.param(
        Lie(
            lambda: CHUNKED + b"%x\r\n" % len(SAMPLE_BYTES) + SAMPLE_BYTES[:100],
            400,
            "request body could not be read",
        ),
        id="chunk-cut-short",
    ),
    pytest.param(
        Lie(
            lambda: CHUNKED + b"2\r\n{}XX0\r\n\r\n",
            400,
            "request body could not be read: ChunkMissingTerminator",
        ),
        id="chunk-without-terminator",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("lie", TRANSPORT)
def test_a_lying_or_oversized_body_gets_a_json_4xx_from_real_gunicorn(shipped_server, lie):
    url, master = shipped_server
    workers = worker_pids(master)

    # The exchange's own socket timeout bounds the wait; a stalled upload must be
    # answered by the body timeout, before gunicorn's worker timeout (8 s) kills
    # the worker, which the unchanged worker ids below prove.
    status, answer = exchange(url, lie.sent(), close=lie.close)

    assert status == lie.status
    assert json.loads(answer)["error"].startswith(lie.error)
    assert_gunicorn_still_answering(url)
    assert worker_pids(master) == workers


@pytest.mark.slow
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Content-Length: abc", id="content-length-not-a-number"),
        pytest.param("Content-Length: -1", id="content-length-negative"),
        pytest.param("Content-Length: 5\r\nTransfer-Encoding: chunked", id="length-and-chunked"),
    ],
)
def test_broken_framing_is_refused_by_gunicorn_before_the_app(shipped_server, header):
    # Gunicorn answers these itself, with its own HTML page: the status is right,
    # the app never runs, and no worker is lost.
    url, master = shipped_server
    workers = worker_pids(master)
    request = f"POST /sync HTTP/1.1\r\nHost: hooks\r\n{header}\r\n\r\n".encode()

    assert exchange(url, request + b"{}")[0] == 400
    assert_gunicorn_still_answering(url)
    assert worker_pids(master) == workers


def assert_gunicorn_still_answering(url: str) -> None:
    status, answer = exchange(url, head(len(SAMPLE_BYTES)) + SAMPLE_BYTES)
    assert status == 200
    assert len(json.loads(answer)["children"]) == len(observed_children(SAMPLE))
