"""Transport lies: bodies too large, shorter than announced, stalled or badly framed.

Each gets the right 4xx with a JSON error, never a 500, and every worker
survives. A body cut short or unreadable is shown through the Flask test
client; the rest run against real gunicorn as shipped. (Malformed JSON and
request shapes are tests/test_observed.py's; invalid specs, tests/test_hold.py's.)
"""

import io
import json
import runpy
import socket
from collections.abc import Callable
from typing import NamedTuple

import pytest

from hooks.app import create_app
from tests import ROOT
from tests.samples import (
    JSON,
    SAMPLE,
    SAMPLE_BYTES,
    assert_still_answering,
    observed_children,
)
from tests.servers import gunicorn, worker_pids

MB = 1024 * 1024


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
