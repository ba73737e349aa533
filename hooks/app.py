"""The HTTP edge: Flask routes, request checks, JSON errors and health endpoints.

Metacontroller treats every answer but 200 as "touch nothing, retry with
backoff, record an Event", so every failure here answers with a JSON
`{"error": ...}` that names the problem, and nothing else is ever sent.
"""

from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Response, current_app, request
from flask.json.provider import JSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from hooks.guestbook import HoldError, finalize, sync, sync_parts
from hooks.observed import HookRequest, RequestError, read_request

DEFAULTS = {
    # Metacontroller sends whole objects with managedFields: a guestbook's request
    # is tens of kilobytes, so 8 MiB leaves room without inviting abuse.
    "MAX_BODY_BYTES": 8 * 1024 * 1024,
}
# Sorted keys make equal answers equal byte for byte.
JSON_OPTIONS = orjson.OPT_SORT_KEYS
PROBE_PARENT = {"metadata": {"name": "readiness-probe", "namespace": "default"}}


class OrjsonProvider(JSONProvider):
    """Flask's JSON through orjson: strict parsing (no NaN), fast, sorted output."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, option=JSON_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return _json_response(obj)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the hook server: defaults, then HOOKS_* environment variables, then `config`."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("HOOKS")
    if config is not None:
        app.config.from_mapping(config)
    app.json = OrjsonProvider(app)
    app.add_url_rule("/sync", "sync", _sync_hook, methods=["POST"])
    app.add_url_rule("/healthz", "healthz", _healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", _readyz, methods=["GET"])
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _sync_hook() -> Response:
    """Answer one sync or finalize call from Metacontroller."""
    try:
        answer = hook_answer(read_request(_read_json_body()))
    except RequestError as err:
        return _error(400, str(err))
    except HoldError as err:
        # 422 makes Metacontroller change nothing and record our message in an Event.
        return _error(422, str(err))
    return _json_response(answer)


def hook_answer(hook: HookRequest) -> dict:
    """Return the answer to a checked hook request, ready for orjson to serialise."""
    if hook.finalizing:
        return finalize(hook.parent, hook.children)
    status, desired = sync_parts(hook.parent, hook.children)
    # The children come serialised already: embedding them skips a copy and a re-encode.
    return {"status": status, "children": orjson.Fragment(desired.json)}


def _read_json_body() -> Any:
    limit = _body_limit()
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    # Read one byte past the limit: Werkzeug would cut an over-long chunked body
    # short without a word, and a cut body must never be parsed as a whole one.
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise RequestError(f"request body is not valid JSON: {err}") from None


def _healthz() -> Response:
    return _json_response({"status": "ok"})


def _readyz() -> Response:
    # Ready means a sync can be computed: run one on a tiny guestbook.
    sync(PROBE_PARENT, {})
    return _json_response({"status": "ok"})


def _http_error(err: HTTPException) -> Response:
    response = err.get_response()
    response.set_data(orjson.dumps({"error": _describe_http_error(err)}, option=JSON_OPTIONS))
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
    current_app.logger.exception("Hook failed on %s %s", request.method, request.path)
    return _error(500, f"internal error while handling {request.path}: {type(err).__name__}")


def _error(code: int, message: str) -> Response:
    response = _json_response({"error": message})
    response.status_code = code
    return response


def _json_response(body: Any) -> Response:
    return Response(orjson.dumps(body, option=JSON_OPTIONS), mimetype="application/json")


def _body_limit() -> int:
    return int(current_app.config["MAX_BODY_BYTES"])
