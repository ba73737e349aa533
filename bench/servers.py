"""Start and stop the servers under test, each on a free loopback port."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.load import post

ROOT = Path(__file__).parent.parent
HOST = "127.0.0.1"
AVOIDED_PORTS = {8080}  # kubectl's default; a developer's own server may be there
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


@dataclass(frozen=True)
class Server:
    """A running server under test."""

    name: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        """Return the sync hook's URL."""
        return f"http://{HOST}:{self.port}/sync"


def ours() -> tuple[list[str], dict[str, str]]:
    """Return the command and environment of A: gunicorn with gunicorn.conf.py, as shipped."""
    return [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"], {}


def stdlib() -> tuple[list[str], dict[str, str]]:
    """Return the command of B: sync() behind the examples' single-threaded http.server."""
    return [sys.executable, "-m", "bench.stdlib_server", "{port}"], {}


def floor(answer_file: Path, app: str = "app") -> tuple[list[str], dict[str, str]]:
    """Return the command of C (raw WSGI) or, with app="flask_app", D (Flask): the floor."""
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    return [*command, f"bench.floor_app:{app}"], {"BENCH_FLOOR_RESPONSE": str(answer_file)}


@contextlib.contextmanager
def running(
    name: str, launch: tuple[list[str], dict[str, str]], probe: bytes, log: Path
) -> Iterator[Server]:
    """Run a server until the block ends; it is ready once it answers `probe` with 200."""
    port = free_port()
    command, extra_env = launch
    env = {**os.environ, **extra_env, "HOST": HOST, "PORT": str(port)}
    env.pop("WEB_CONCURRENCY", None)  # the shipped default: one worker per core
    with log.open("ab") as output:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it stops its workers
        )
    try:
        _wait_ready(process, port, probe, name, log)
        yield Server(name, port, process.pid)
    finally:
        _stop(process)


def free_port() -> int:
    """Return a loopback port that nothing listens on right now."""
    while True:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port not in AVOIDED_PORTS:
            return port


def _wait_ready(process: subprocess.Popen, port: int, probe: bytes, name: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server {name} exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError):
            if post(port, probe) == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"server {name} did not answer within {START_TIMEOUT_S} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    # Signal the group while its leader is not yet reaped, so the id is still ours.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
