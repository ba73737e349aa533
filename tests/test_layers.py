"""The layers, checked by exclusion: every module not named here as edge or CLI is core.

The core never imports a web framework, a logging handler or a metrics
library, never reads the environment and binds no socket when imported; only
the edge (the HTTP server) and the CLI may. A new module is core until it is
named below, so the rule can never miss one.
"""

import pkgutil
import subprocess
import sys

import pytest

import hooks

EDGE = frozenset({"hooks.app", "hooks.calls", "hooks.logs", "hooks.metrics"})
CLI = frozenset({"hooks.__main__", "hooks.render"})
MODULES = frozenset(
    {"hooks"} | {f"hooks.{info.name}" for info in pkgutil.iter_modules(hooks.__path__)}
)
CORE = sorted(MODULES - EDGE - CLI)
# What only the edge may load: the server, its framework, its logs and its metrics.
EDGE_ONLY = ("flask", "werkzeug", "gunicorn", "prometheus_client", "pythonjsonlogger")
EDGE_ONLY_MODULES = ("logging.handlers", "logging.config")

# A fresh interpreter whose sockets cannot bind and whose environment cannot be
# read; `preload` names libraries to import before the guard (some read locale
# settings on import, which is theirs, not ours). It prints what is loaded.
GUARDED_IMPORT = """
import os, socket, sys
{preload}

def refuse(*args, **kwargs):
    raise AssertionError(f"touched at import time: {{args[1:]!r}}")

socket.socket.bind = refuse
socket.socket.listen = refuse
type(os.environ).__getitem__ = refuse
type(os.environ).get = refuse
import {module}
print(" ".join(sorted(sys.modules)))
"""
EDGE_PRELOAD = (
    "import flask, orjson, werkzeug, prometheus_client, prometheus_client.multiprocess, "
    "pythonjsonlogger.orjson"
)


def loaded_by(module: str, preload: str = "") -> set[str]:
    """Import `module` under the guard; return every module then loaded, or fail saying why."""
    code = GUARDED_IMPORT.format(module=module, preload=preload)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_named_edge_and_cli_modules_exist():
    assert EDGE | CLI <= MODULES


@pytest.mark.parametrize("module", CORE)
def test_a_core_module_loads_no_server_logging_or_metrics_and_touches_nothing(module):
    loaded = loaded_by(module)

    assert {m.split(".")[0] for m in loaded}.isdisjoint(EDGE_ONLY)
    assert loaded.isdisjoint(EDGE_ONLY_MODULES)


@pytest.mark.parametrize("module", sorted(EDGE | CLI))
def test_importing_an_edge_or_cli_module_binds_no_port_and_reads_no_environment(module):
    assert module in loaded_by(module, preload=EDGE_PRELOAD)
