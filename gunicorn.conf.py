"""Gunicorn settings for the hook server; the image, `make run` and the tests all use this file."""

import os
import shutil
import signal
import tempfile
from pathlib import Path

from hooks.logs import ACCESS_MESSAGE, check_level, logging_config

wsgi_app = "hooks.app:create_app()"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"  # noqa: S104 (a pod listens on all its addresses)

# Sync workers, one per core: each hook call is short and CPU-bound, so more
# workers than cores, or threads, only add queueing and worse tail latency.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))

# Metacontroller gives up on a hook call after 10 s (webhook.timeout); a worker
# stuck longer than that is killed, and shutdown finishes in-flight calls first.
timeout = 8
graceful_timeout = 8
keepalive = 5

# Gunicorn 27 otherwise opens a control socket under $HOME, which a read-only
# root filesystem does not allow and nothing here uses.
control_socket_disable = True

# Every line, gunicorn's and the hooks', is one JSON object on stdout.
loglevel = check_level(os.environ.get("LOG_LEVEL", "info"))
logconfig_dict = logging_config(loglevel)
access_log_format = ACCESS_MESSAGE

# hooks.metrics.MULTIPROC_ENV, not imported: prometheus_client must not load in the
# master before on_starting sets it, or the forked workers would count alone.
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server):
    """Give the workers an empty metrics directory, shared by all of them."""
    path = os.environ.get(METRICS_ENV)
    if not path:
        # Without one (`make run`), several workers would each count alone.
        path = tempfile.mkdtemp(prefix="guestbook-hooks-metrics-")
        os.environ[METRICS_ENV] = server.metrics_dir_to_remove = path
    Path(path).mkdir(parents=True, exist_ok=True)
    # Counts of an earlier server in the same pod (a container restart) are not ours.
    for stale in Path(path).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """Drop the live gauges of an exited worker; its counters still count in the totals."""
    from prometheus_client import multiprocess  # noqa: PLC0415 (after on_starting set the directory)

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory on_starting made up, if it did."""
    path = getattr(server, "metrics_dir_to_remove", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)


def post_worker_init(worker):
    """On SIGTERM, a busy worker stops listening at once, so new connections are refused."""
    # The master closes its listening socket on SIGTERM, but a worker finishing
    # a call still holds its copy, and the kernel would queue new connections on
    # it until the worker exits and resets them. An idle worker exits at once.
    # (gunicorn 27, workers/sync.py: handle_exit only clears `alive`.) The SIGTERM
    # test in tests/test_server.py fails without this handler.
    handle_exit = worker.handle_exit
    worker.busy = False

    def stop(sig, frame):
        handle_exit(sig, frame)
        if worker.busy:
            for listener in worker.sockets:
                listener.close()

    signal.signal(signal.SIGTERM, stop)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn sets it: calls are not interrupted


def pre_request(worker, req):
    """Mark the worker busy, for the SIGTERM handler above."""
    worker.busy = True


def post_request(worker, req, environ, resp):
    """Mark the worker idle again."""
    worker.busy = False
