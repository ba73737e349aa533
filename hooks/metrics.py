"""Prometheus metrics of the hook server, correct under one process or several gunicorn workers.

Two modes, chosen once per app by the environment:

- Single process (PROMETHEUS_MULTIPROC_DIR unset: tests, `flask run`): each app
  owns a registry of its own, so two apps in one process never share a count.
- Multiprocess (PROMETHEUS_MULTIPROC_DIR set, as gunicorn.conf.py and the hooks
  Deployment do): every worker writes its values to memory-mapped files in that
  directory, and a scrape of any worker adds up the files of all of them,
  including workers that have exited, so totals never go backwards.
"""

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from hooks.calls import OUTCOMES, READY_STATES, HookCall

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "guestbook_hooks"
# Metacontroller gives up after 10 s (webhook.timeout); a sync normally takes milliseconds.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# A guestbook has six to eight children; a held answer returns whatever was observed.
CHILDREN_BUCKETS = (0, 1, 2, 4, 6, 7, 8, 12, 16, 32)


class Metrics:
    """The hook server's metrics and their exposition."""

    def __init__(self, multiproc_dir: str | None) -> None:
        self.multiproc_dir = multiproc_dir
        # In multiprocess mode the values live in files, not in a registry.
        registry = None if multiproc_dir else CollectorRegistry()
        self._registry = registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "HTTP requests answered, by route and status code",
            ["path", "code"],
            registry=registry,
        )
        self.duration = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["path"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.syncs = Counter(
            f"{PREFIX}_syncs",
            "Sync and finalize calls, by outcome: ok, held (paused), invalid (invalid spec, "
            "held) or error (no answer Metacontroller could apply)",
            ["outcome"],
            registry=registry,
        )
        self.ready = Counter(
            f"{PREFIX}_sync_answers",
            "Sync and finalize answers, by the status of the Ready condition they report",
            ["ready"],
            registry=registry,
        )
        self.children = Histogram(
            f"{PREFIX}_sync_children",
            "Children returned per sync or finalize answer",
            buckets=CHILDREN_BUCKETS,
            registry=registry,
        )
        # Every series exists from the start, so a rate() over it never lacks a zero.
        # Labelled children are looked up once: labels() takes a lock on every call.
        self._outcomes = {outcome: self.syncs.labels(outcome) for outcome in OUTCOMES}
        self._ready = {ready: self.ready.labels(ready) for ready in READY_STATES}
        self._routes: dict[tuple[str, int], tuple] = {}
        if registry is not None:
            PlatformCollector(registry)

    @classmethod
    def from_environment(cls) -> "Metrics":
        """Return the metrics in the mode PROMETHEUS_MULTIPROC_DIR selects."""
        multiproc_dir = os.environ.get(MULTIPROC_ENV) or None
        # prometheus_client picks its storage once, when first imported: values in
        # memory (MutexValue) or in files shared by the workers.
        if bool(multiproc_dir) == (values.ValueClass is values.MutexValue):
            raise RuntimeError(
                f"{MULTIPROC_ENV} was changed after prometheus_client was imported; set it "
                "before the server starts"
            )
        if multiproc_dir and not Path(multiproc_dir).is_dir():
            raise RuntimeError(f"{MULTIPROC_ENV} is {multiproc_dir!r}, which is not a directory")
        return cls(multiproc_dir)

    def observe(self, call: HookCall) -> None:
        """Count one answered request."""
        key = (call.route, call.code)
        series = self._routes.get(key)
        if series is None:
            series = self._routes[key] = (
                self.requests.labels(call.route, str(call.code)),
                self.duration.labels(call.route),
            )
        series[0].inc()
        series[1].observe(call.seconds)
        if not call.is_hook:
            return
        self._outcomes[call.outcome].inc()
        if call.answer is not None:
            ready = call.ready
            (self._ready[ready] if ready in self._ready else self.ready.labels("Unknown")).inc()
            self.children.observe(call.children)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """Return the /metrics body in the format the Accept header asks for, and its type."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self._scrape_registry()), content_type

    def _scrape_registry(self) -> CollectorRegistry:
        if self._registry is not None:
            return self._registry
        # A fresh registry per scrape reads the files of every worker as they are now.
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiproc_dir)
        PlatformCollector(registry)
        return registry
