"""Load generators: wrk with bench/sync.lua, and a small exact-count client of our own."""

import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path

LUA_SCRIPT = Path(__file__).parent / "sync.lua"
WRK_INSTALL_HINT = "wrk is not installed (Debian/Ubuntu: apt-get install wrk); HTTP part skipped"
RESULT_PREFIX = "BENCH "
SOCKET_TIMEOUT_S = 10


def wrk_available() -> bool:
    """Whether the wrk load generator is on PATH."""
    return shutil.which("wrk") is not None


def wrk(url: str, body_file: Path, *, seconds: float, connections: int) -> dict:
    """Run wrk against `url` for `seconds`, POSTing `body_file`; return its results."""
    command = [
        "wrk",
        "--threads=1",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=5s",
        f"--script={LUA_SCRIPT}",
        url,
        "--",
        str(body_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line.removeprefix(RESULT_PREFIX))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk printed no results: {done.stdout}{done.stderr}")


def post(port: int, body: bytes) -> int:
    """POST `body` to /sync on the loopback port; return the status code."""
    request = (
        f"POST /sync HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S) as conn:
        conn.sendall(request)
        answer = bytearray()
        while chunk := conn.recv(65536):
            answer += chunk
    status_line = bytes(answer.split(b"\r\n", 1)[0]).split()
    return int(status_line[1]) if len(status_line) > 1 else 0


def post_many(port: int, bodies: list[bytes], count: int, *, connections: int = 4) -> int:
    """POST `count` requests, cycling through `bodies`, on parallel connections; count non-2xx."""
    failures = [0] * connections

    def client(index: int) -> None:
        for number in range(index, count, connections):
            try:
                status = post(port, bodies[number % len(bodies)])
            except OSError:
                status = 0
            if not 200 <= status < 300:
                failures[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(failures)
