"""Start the hook server for real, as the image does: gunicorn with gunicorn.conf.py."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
STARTUP_SECONDS = 30


def free_port() -> int:
    """Return a loopback port nobody listens on (never 8080, kubectl's default)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str] | None = None) -> Iterator[str]:
    """Run gunicorn on a free loopback port; yield its base URL; stop it on exit."""
    port = free_port()
    settings = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**settings, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, server)
        yield url
    finally:
        server.terminate()
        server.communicate(timeout=STARTUP_SECONDS)


def _wait_until_ready(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode() if server.stdout else ""
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become ready within {STARTUP_SECONDS} s")
