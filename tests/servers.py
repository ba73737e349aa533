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
    with gunicorn_process(env) as (url, _):
        yield url


@contextlib.contextmanager
def gunicorn_process(
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like gunicorn(), but yield the master process too, for tests that watch its workers."""
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
        yield url, server
    finally:
        server.terminate()
        server.communicate(timeout=STARTUP_SECONDS)


def worker_pids(master: subprocess.Popen) -> set[int]:
    """Return the process ids of the master's workers; a crashed worker is replaced by a new id."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name (field 2) may hold spaces, but it ends at the last ")".
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == master.pid:
                pids.add(int(stat.parent.name))
    return pids


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
