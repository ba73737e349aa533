"""The floors: apps that parse the request and serialise a fixed answer, and nothing else.

Server C, `app`, is raw WSGI: no framework and no hook logic. Server D,
`flask_app`, does the same work inside Flask, to show what the framework alone
costs. Both answer every request with the response read once at start from
the file named by BENCH_FLOOR_RESPONSE, so their answers are as large as the
real hooks' answers to the same request.
"""

import os
from pathlib import Path

import orjson
from flask import Flask, Response, request

from hooks.app import JSON_OPTIONS

ANSWER = orjson.loads(Path(os.environ["BENCH_FLOOR_RESPONSE"]).read_bytes())


def app(environ: dict, start_response) -> list[bytes]:
    """Parse the body, then serialise the fixed answer as the hook server would."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    orjson.loads(environ["wsgi.input"].read(length))
    body = orjson.dumps(ANSWER, option=JSON_OPTIONS)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


flask_app = Flask(__name__)


@flask_app.post("/sync")
def _flask_floor() -> Response:
    """Parse the body, then serialise the fixed answer, as Flask would for the hook server."""
    orjson.loads(request.stream.read())
    return Response(orjson.dumps(ANSWER, option=JSON_OPTIONS), mimetype="application/json")
