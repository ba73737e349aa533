"""The HTTP edge: Flask routes, request checks, JSON errors, health, metrics and call logs.

Metacontroller treats every answer but 200 as "touch nothing, retry with
backoff, record an Event", so every failure here answers with a JSON
`{"error": ...}` that names the problem, and nothing else is ever sent.
"""

import time
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, RequestTimeout

from hooks.calls import UNMATCHED_ROUTE, HookCall
from hooks.desired import JSON_OPTIONS
from hooks.guestbook import HoldError, finalize, sync, sync_parts
from hooks.logs import log_call
from hooks.metrics import Metrics
from hooks.observed import HookRequest, RequestError, read_request

DEFAULTS = {
    # Metacontroller sends whole objects with managedFields: a guestbook's request
    # is tens of kilobytes, so 8 MiB leaves room without inviting abuse.
    "MAX_BODY_BYTES": 8 * 1024 * 1024,
    # A client that stops sending mid-body would hold a sync worker until
    # gunicorn kills it (timeout = 8 s); answering 408 first keeps the worker.
    "BODY_TIMEOUT_SECONDS": 5,
}
PROBE_PARENT = {"metadata": {"name": "readiness-probe", "namespace": "default"}}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the hook server: defaults, then HOOKS_* environment variables, then `config`."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HOOKS")
    if config is not None:
        app.config.from_mapping(config)
    app.add_url_rule("/sync", "sync", _sync_hook, methods=["POST"])
    app.add_url_rule("/healthz", "healthz", _healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", _readyz, methods=["GET"])
    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])
    app.extensions["metrics"] = Metrics.from_environment()
    app.before_request(_start_call)
    app.after_request(_finish_call)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _sync_hook() -> Response:
    """Answer one sync or finalize call from Metacontroller."""
    try:
        hook = read_request(_read_json_body())
        g.parent = hook.parent
        g.answer, wire = hook_answer(hook)
    except RequestError as err:
        return _error(400, str(err))
    except HoldError as err:
        # 422 makes Metacontroller change nothing and record our message in an Event.
        return _error(422, str(err))
    return _json_response(wire)


def hook_answer(hook: HookRequest) -> tuple[dict, dict]:
    """Return the answer to a checked hook request: to read, and ready for orjson to write."""
    if hook.finalizing:
        answer = finalize(hook.parent, hook.children)
        return answer, answer
    status, desired = sync_parts(hook.parent, hook.children)
    # The children come serialised already: embedding them skips a copy and a re-encode.
    wire = {"status": status, "children": orjson.Fragment(desired.json)}
    return {"status": status, "children": desired.children}, wire


def _read_json_body() -> Any:
    limit = _body_limit()
    announced = request.content_length
    if announced is not None and announced > limit:
        raise RequestEntityTooLarge()
    # Read one byte past the limit: Werkzeug would cut an over-long chunked body
    # short without a word, and a cut body must never be parsed as a whole one.
    body = _read_body(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    # Gunicorn hands over whatever arrived before the client closed: a body
    # shorter than its Content-Length is a cut body too.
    if announced is not None and len(body) < announced:
        raise RequestError(
            f"request body ended after {len(body)} of the {announced} bytes "
            "its Content-Length announced"
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise RequestError(f"request body is not valid JSON: {err}") from None


def _read_body(size: int) -> bytes:
    """Read at most `size` bytes of the body; a stalled or broken upload is the client's fault."""
    seconds = current_app.config["BODY_TIMEOUT_SECONDS"]
    client = request.environ.get("gunicorn.socket")
    if client is not None:
        client.settimeout(seconds)
    # Under gunicorn, request.stream is gunicorn's own body reader (it sets
    # wsgi.input_terminated and there is no MAX_CONTENT_LENGTH), and
    # request.get_data() would be this same read() plus a cached copy.
    try:
        return request.stream.read(size)
    except HTTPException:
        raise
    except TimeoutError:
        raise RequestTimeout(f"request body did not arrive within {seconds} s") from None
    except Exception as err:
        # The server decodes the framing while we read: a bad chunk size or a
        # connection closed mid-chunk surfaces here, and is the request's fault.
        raise RequestError(f"request body could not be read: {type(err).__name__}") from None


def _healthz() -> Response:
    return _json_response({"status": "ok"})


def _readyz() -> Response:
    # Ready means a sync can be computed: run one on a tiny guestbook.
    sync(PROBE_PARENT, {})
    return _json_response({"status": "ok"})


def _metrics() -> Response:
    body, content_type = current_app.extensions["metrics"].exposition(request.headers.get("Accept"))
    return Response(body, content_type=content_type)


def _start_call() -> None:
    g.started = time.perf_counter()


def _finish_call(response: Response) -> Response:
    """Count and log every answered request, whatever its outcome."""
    rule = request.url_rule
    call = HookCall(
        method=request.method,
        path=request.path,
        route=UNMATCHED_ROUTE if rule is None else rule.rule,
        code=response.status_code,
        seconds=time.perf_counter() - g.get("started", time.perf_counter()),
        parent=g.get("parent"),
        answer=g.get("answer"),
        error=g.get("error"),
        exception=g.get("exception"),
    )
    current_app.extensions["metrics"].observe(call)
    log_call(call)
    return response


def _http_error(err: HTTPException) -> Response:
    response = err.get_response()
    g.error = _describe_http_error(err)
    response.set_data(orjson.dumps({"error": g.error}, option=JSON_OPTIONS))
    response.content_type = "application/json"
    return response


def _describe_http_error(err: HTTPException) -> str:
    if isinstance(err, RequestEntityTooLarge):
        return f"request body is larger than the limit of {_body_limit()} bytes"
    if err.code == 404:
        return f"no such path: {request.path}"
    if err.code == 405:
        return f"method {request.method} is not allowed on {request.path}"
    return err.description or err.name


def _unexpected_error(err: Exception) -> Response:
    g.exception = err  # the call's log line carries the traceback
    return _error(500, f"internal error while handling {request.path}: {type(err).__name__}")


def _error(code: int, message: str) -> Response:
    g.error = message
    response = _json_response({"error": message})
    response.status_code = code
    return response


def _json_response(body: Any) -> Response:
    return Response(orjson.dumps(body, option=JSON_OPTIONS), mimetype="application/json")


def _body_limit() -> int:
    return int(current_app.config["MAX_BODY_BYTES"])
