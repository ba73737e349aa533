"""Run a server on a free loopback port: gunicorn with gunicorn.conf.py, or any other command.

The tests and the benchmark both start their servers here.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests import ROOT

HOST = "127.0.0.1"
GUNICORN = (sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py")
PROC = Path("/proc")
AVOIDED_PORTS = {8080}  # gunicorn.conf.py's default: a developer's `make run` may be there
# Bounds on waiting for a server that is slow to start or stop on a busy machine;
# they are never asserted as a speed, only wait out a failure.
START_LIMIT_SECONDS = 60
STOP_LIMIT_SECONDS = 30


@dataclass
class Server:
    """A running server process (for gunicorn, its master), its port and its output file."""

    process: subprocess.Popen
    port: int
    output: Path
    terminated: bool = False

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

    def wait_until(self, ready: Callable[["Server"], bool]) -> None:
        """Wait until ready(server) is true; fail with the server's output if it exits first."""
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited at start:\n{_tail(self.output)}")
            with contextlib.suppress(OSError):
                if ready(self):
                    return
            time.sleep(0.05)
        raise AssertionError(f"server did not answer in time:\n{_tail(self.output)}")

    def terminate(self) -> None:
        """Send SIGTERM, once, so that several servers can stop together."""
        if self.process.poll() is None and not self.terminated:
            self.process.send_signal(signal.SIGTERM)
            self.terminated = True

    def stop(self) -> int:
        """Send SIGTERM and return the exit code, killing the server if it hangs."""
        self.terminate()
        try:
            return self.process.wait(STOP_LIMIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def answers_healthz(server: Server) -> bool:
    """Whether the server answers GET /healthz with 200."""
    return server.request("GET", "/healthz").status == 200


Launch = tuple[list[str], Path, dict[str, str | None]]  # command, output file, environment


def start(command: list[str], output: Path, env: dict[str, str | None]) -> Server:
    """Start `command` ({port} filled in) with HOST and PORT set; env values of None are unset."""
    port = free_port()
    environment = {**os.environ, "HOST": HOST, "PORT": str(port), **env}
    with output.open("ab") as sink:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=ROOT,
            env={name: value for name, value in environment.items() if value is not None},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Server(process, port, output)


@contextlib.contextmanager
def serving(
    launch: Launch, *, ready: Callable[[Server], bool] = answers_healthz
) -> Iterator[Server]:
    """Run a server until the block ends, which starts once ready(server) is true."""
    server = start(*launch)
    try:
        server.wait_until(ready)
        yield server
    finally:
        server.stop()


def gunicorn_launch(
    folder: Path,
    *,
    app: str | None = None,
    env: dict[str, str | None] | None = None,
    workers: int | None = 2,
) -> Launch:
    """Return how to run gunicorn with gunicorn.conf.py, its output in folder/server.log.

    `workers=None` keeps gunicorn.conf.py's default, one worker per core.
    """
    settings = {
        "WEB_CONCURRENCY": None if workers is None else str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        **(env or {}),
    }
    return [*GUNICORN, *([app] if app else [])], folder / "server.log", settings


def gunicorn(
    folder: Path,
    *,
    app: str | None = None,
    env: dict[str, str | None] | None = None,
    workers: int | None = 2,
) -> contextlib.AbstractContextManager[Server]:
    """Run gunicorn with gunicorn.conf.py until the block ends.

    The block starts once the server answers /healthz and every worker has been
    forked: one booted worker answers alone, and a test that compares worker ids
    before and after must not see the others arrive in between.
    """

    def ready(server: Server) -> bool:
        started = workers is None or len(children(server.process.pid)) >= workers
        return started and answers_healthz(server)

    return serving(gunicorn_launch(folder, app=app, env=env, workers=workers), ready=ready)


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    while True:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port not in AVOIDED_PORTS:
            return port


def children(pid: int) -> list[int]:
    """Return the ids of a process's children (for a gunicorn master, its workers), from /proc."""
    found = []
    for stat in PROC.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The parent id follows the command name, which ends at the last ")".
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def worker_pids(master: subprocess.Popen) -> set[int]:
    """Return the process ids of the master's workers; a crashed worker is replaced by a new id."""
    return set(children(master.pid))


def refuses_connections(port: int) -> bool:
    """Whether nothing listens on the port any more."""
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Wait until condition() is true, or fail naming what never happened."""
    deadline = time.monotonic() + STOP_LIMIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never happened")
        time.sleep(0.02)


def _tail(output: Path, lines: int = 40) -> str:
    return "\n".join(output.read_text(errors="replace").splitlines()[-lines:])
