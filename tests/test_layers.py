"""The layers: the pure core never imports Flask, and importing the app starts nothing."""

import subprocess
import sys

import pytest

CORE = [
    "hooks",
    "hooks.spec",
    "hooks.names",
    "hooks.children",
    "hooks.status",
    "hooks.conditions",
    "hooks.desired",
    "hooks.calls",
    "hooks.guestbook",
    "hooks.observed",
    "hooks.hold",
    "hooks.quantity",
    "hooks.placement",
    "hooks.url",
]
WEB = ("flask", "werkzeug", "gunicorn")


def imported_after(module: str) -> set[str]:
    """Return the top-level packages a fresh interpreter has loaded after importing `module`."""
    code = (
        f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", CORE)
def test_the_core_never_imports_a_web_framework(module):
    assert imported_after(module).isdisjoint(WEB)


# Run in a fresh interpreter whose sockets cannot bind and whose environment
# cannot be read once the libraries are loaded (some read locale settings on
# import): importing our modules must need neither.
GUARDED_IMPORT = """
import os, socket
import flask, orjson, werkzeug
import prometheus_client, prometheus_client.multiprocess, pythonjsonlogger.orjson

def refuse(*args, **kwargs):
    raise AssertionError(f"touched at import time: {args[1:]!r}")

socket.socket.bind = refuse
socket.socket.listen = refuse
type(os.environ).__getitem__ = refuse
type(os.environ).get = refuse
import {module}
print("imported")
"""


@pytest.mark.parametrize("module", ["hooks.app", "hooks.guestbook"])
def test_importing_binds_no_port_and_reads_no_environment(module):
    code = GUARDED_IMPORT.replace("{module}", module)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )

    assert (result.returncode, result.stdout.strip()) == (0, "imported"), result.stderr
