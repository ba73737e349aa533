"""Run the hook server under real gunicorn, with gunicorn.conf.py, on a free loopback port."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests import ROOT

HOST = "127.0.0.1"
# Bounds on waiting for a server that is slow to start or stop on a busy machine;
# they are never asserted as a speed, only wait out a failure.
START_LIMIT_SECONDS = 60
STOP_LIMIT_SECONDS = 30


@dataclass
class Server:
    """A running gunicorn master, its port and the file its output goes to."""

    process: subprocess.Popen
    port: int
    output: Path

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://{HOST}:{self.port}"

    def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> http.client.HTTPResponse:
        """Send one request on a new connection and return the read response."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=STOP_LIMIT_SECONDS)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response

    def log_lines(self) -> list[str]:
        """Return every line the server has written so far, stdout and stderr together."""
        return self.output.read_text().splitlines()

    def log_records(self) -> list[dict]:
        """Return the log lines parsed as JSON; a line that is not JSON fails the test."""
        return [json.loads(line) for line in self.log_lines()]

    def stop(self) -> int:
        """Send SIGTERM and return the exit code, killing the server if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


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


def refuses_connections(port: int) -> bool:
    """Whether nothing listens on the port any more."""
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


@contextlib.contextmanager
def gunicorn(
    folder: Path, *, app: str | None = None, env: dict[str, str] | None = None, workers: int = 2
) -> Iterator[Server]:
    """Start gunicorn with gunicorn.conf.py, wait until it answers /healthz, stop it after."""
    port = free_port()
    environment = {
        **os.environ,
        "HOST": HOST,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        **(env or {}),
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    output = folder / "server.log"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [*command, *([app] if app else [])],
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, output)
    try:
        _wait_until_serving(server, workers)
        yield server
    finally:
        server.stop()


def _wait_until_serving(server: Server, workers: int) -> None:
    # One worker answers /healthz before the master has forked the others: a
    # test that compares worker ids must start once every one of them runs.
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn exited at start:\n{server.output.read_text()}")
        with contextlib.suppress(OSError):
            answering = server.request("GET", "/healthz").status == 200
            if answering and len(worker_pids(server.process)) == workers:
                return
        time.sleep(0.05)
    raise AssertionError(f"gunicorn did not answer in time:\n{server.output.read_text()}")


def wait_for(condition, what: str) -> None:
    """Wait until condition() is true, or fail naming what never happened."""
    deadline = time.monotonic() + STOP_LIMIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.02)
