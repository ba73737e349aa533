"""Gunicorn settings for the hook server; the image, `make run` and the tests all use this file."""

import os

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

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
