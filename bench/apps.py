"""The servers A is measured against: B (the examples' style) and the floors C and D.

B, `python -m bench.apps PORT`: the same sync() behind a single-threaded
`http.server` with the standard library's json, as Metacontroller's own Python
examples run it. It also sends Content-Length, which the examples leave out:
without it the body ends only when the connection closes, and wrk counts every
such close as an error.

C, `bench.apps:floor`: raw WSGI under gunicorn, no framework and no hook logic.
D, `bench.apps:flask_floor`: C's work inside Flask, to show what the framework
alone costs. Both parse the request, then serialise the answer read at start
from the file BENCH_FLOOR_RESPONSE names, as large as the real hook's answer.
"""

import json
import os
import sys
from functools import cache
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import orjson
from flask import Flask, Response, request

from hooks import sync
from hooks.desired import JSON_OPTIONS


@cache
def _answer() -> dict:
    return orjson.loads(Path(os.environ["BENCH_FLOOR_RESPONSE"]).read_bytes())


def floor(environ: dict, start_response) -> list[bytes]:
    """C: parse the body, then serialise the fixed answer as the hook server would."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    orjson.loads(environ["wsgi.input"].read(length))
    body = orjson.dumps(_answer(), option=JSON_OPTIONS)
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


flask_floor = Flask(__name__)


@flask_floor.post("/sync")
def _flask_floor() -> Response:
    """D: the same in Flask, reading the body the shortest documented way."""
    orjson.loads(request.get_data(cache=False))
    return Response(orjson.dumps(_answer(), option=JSON_OPTIONS), mimetype="application/json")


class Controller(BaseHTTPRequestHandler):
    """B: answer every POST as the sync hook, as the examples' handler does."""

    def do_POST(self) -> None:  # http.server dispatches by this name
        observed = json.loads(self.rfile.read(int(self.headers["content-length"])))
        desired = sync(observed["parent"], observed["children"])
        body = json.dumps(desired).encode()
        self.send_response(200)
        self.send_header("Content-type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Controller).serve_forever()
