"""Server C, the floor: a raw WSGI app that parses the request and serialises a fixed answer.

No Flask and no hook logic: it answers every request with the response read
once at start from the file named by BENCH_FLOOR_RESPONSE, so its answers are
as large as the real hooks' answers to the same request.
"""

import os
from pathlib import Path

import orjson

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
