"""A test-only hook server: the real app plus a sync that waits for a gate, and a failing route.

gunicorn serves it in tests as `tests.gated_app:create_app()`. The gate is a
folder named by GATE_DIR: `/gated/sync` writes `started-<pid>` there, waits until
`release` appears, then answers as `/sync` would. Every response names the
worker that served it in an X-Worker-Pid header.
"""

import os
import time
from pathlib import Path

from flask import Flask, Response

from hooks.app import create_app as create_hook_app

GATE_ENV = "GATE_DIR"
PID_HEADER = "X-Worker-Pid"
# A gate left shut must not hold a worker forever (gunicorn's own timeout kills it first).
GATE_LIMIT_SECONDS = 30


def create_app() -> Flask:
    """Return the hook server with the test routes."""
    app = create_hook_app()
    sync_view = app.view_functions["sync"]

    def gated_sync() -> Response:
        gate = Path(os.environ[GATE_ENV])
        (gate / f"started-{os.getpid()}").touch()
        deadline = time.monotonic() + GATE_LIMIT_SECONDS
        while not (gate / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return sync_view()

    def fail() -> Response:
        raise RuntimeError("failed on purpose")

    def name_worker(response: Response) -> Response:
        response.headers[PID_HEADER] = str(os.getpid())
        return response

    app.add_url_rule("/gated/sync", "gated_sync", gated_sync, methods=["POST"])
    app.add_url_rule("/fail", "fail", fail, methods=["GET"])
    app.after_request(name_worker)
    return app
