"""Server B: the same sync() in the style of Metacontroller's own Python examples.

A single-threaded `http.server` with the standard library's json, as those
examples run it; the benchmark starts it with `python -m bench.stdlib_server PORT`.
It also sends Content-Length, which the examples leave out: without it the body
ends only when the connection closes, and wrk counts every such close as an error.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from hooks import sync


class Controller(BaseHTTPRequestHandler):
    """Answer every POST as the sync hook, as the examples' handler does."""

    def do_POST(self) -> None:  # http.server dispatches by this name
        observed = json.loads(self.rfile.read(int(self.headers["content-length"])))
        desired = sync(observed["parent"], observed["children"])
        body = json.dumps(desired).encode()
        self.send_response(200)
        self.send_header("Content-type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    """Serve on 127.0.0.1 at the port given as the only argument, until killed."""
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Controller).serve_forever()


if __name__ == "__main__":
    main()
