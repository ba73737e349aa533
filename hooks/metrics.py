"""Prometheus metrics of the hook server, correct under one process or several gunicorn workers.

A call writes only two histograms: its duration by route and status code, and,
for an answered sync, its children by outcome and Ready status. Their counts
give every counter README documents, which /metrics derives when it is read
(`_Documented`), so a sync writes four values (a sum and a bucket each) instead
of seven. Two modes, chosen once per app by the environment:

- Single process (PROMETHEUS_MULTIPROC_DIR unset: tests, `flask run`): each app
  owns a registry of its own, so two apps in one process never share a count.
- Multiprocess (PROMETHEUS_MULTIPROC_DIR set, as gunicorn.conf.py and the hooks
  Deployment do): every worker writes its values to memory-mapped files in that
  directory, and a scrape of any worker adds up the files of all of them,
  including workers that have exited, so totals never go backwards.
"""

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, PlatformCollector, values
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.utils import floatToGoString

from hooks.calls import ERROR, OUTCOMES, READY_STATES, SYNC_ROUTE, HookCall

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "guestbook_hooks"
# Metacontroller gives up after 10 s (webhook.timeout); a sync normally takes milliseconds.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# A guestbook has six to eight children; a held answer returns whatever was observed.
CHILDREN_BUCKETS = (0, 1, 2, 4, 6, 7, 8, 12, 16, 32)
UNKNOWN_READY = "Unknown"  # an answer with no Ready condition, such as finalize's
CALLS = f"{PREFIX}_calls"  # written per request: duration by route and code
ANSWERS = f"{PREFIX}_answers"  # written per sync answer: children by outcome and Ready


class Metrics:
    """The hook server's metrics and their exposition."""

    def __init__(self, multiproc_dir: str | None) -> None:
        self.multiproc_dir = multiproc_dir
        # In multiprocess mode the values live in files, not in a registry.
        self._registry = None if multiproc_dir else CollectorRegistry()
        self._calls = Histogram(
            CALLS,
            "Time to answer an HTTP request, by route and status code",
            ["path", "code"],
            buckets=DURATION_BUCKETS,
            registry=self._registry,
        )
        self._answers = Histogram(
            ANSWERS,
            "Children returned per sync or finalize answer, by outcome and Ready status",
            ["outcome", "ready"],
            buckets=CHILDREN_BUCKETS,
            registry=self._registry,
        )
        # Labelled children are looked up once: labels() takes a lock on every call.
        self._series: dict[tuple, Histogram] = {}

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
        self._series_of(self._calls, call.route, str(call.code)).observe(call.seconds)
        if call.is_hook and call.answer is not None:
            ready = call.ready if call.ready in READY_STATES else UNKNOWN_READY
            self._series_of(self._answers, call.outcome, ready).observe(call.children)

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """Return the /metrics body in the format the Accept header asks for, and its type."""
        encode, content_type = choose_encoder(accept or "")
        if self._registry is not None:
            written = self._registry.collect()
        else:
            # Read the files of every worker as they are now.
            written = MultiProcessCollector(None, path=self.multiproc_dir).collect()
        registry = CollectorRegistry()
        registry.register(_Documented(list(written)))
        PlatformCollector(registry)
        return encode(registry), content_type

    def _series_of(self, histogram: Histogram, *labels: str) -> Histogram:
        series = self._series.get((histogram, *labels))
        if series is None:
            series = self._series[(histogram, *labels)] = histogram.labels(*labels)
        return series


class _Documented:
    """The metrics README documents, derived from the two histograms each call writes."""

    def __init__(self, written: Iterable[Metric]) -> None:
        self._written = {family.name: family for family in written}

    def collect(self) -> Iterator[Metric]:
        """Yield requests, durations, syncs by outcome, answers by Ready, children per answer."""
        requests = CounterMetricFamily(
            f"{PREFIX}_requests",
            "HTTP requests answered, by route and status code",
            labels=["path", "code"],
        )
        duration = _Sums(DURATION_BUCKETS)
        syncs = dict.fromkeys(OUTCOMES, 0.0)
        ready = dict.fromkeys(READY_STATES, 0.0)
        children = _Sums(CHILDREN_BUCKETS)
        children.series(())  # an answer-less server still shows the histogram
        for (path, code), series in _series(self._written.get(CALLS), ("path", "code")):
            requests.add_metric([path, code], series.count)
            duration.add((path,), series)
            if path == SYNC_ROUTE and code != "200":
                syncs[ERROR] += series.count
        for (outcome, status), series in _series(self._written.get(ANSWERS), ("outcome", "ready")):
            syncs[outcome] = syncs.get(outcome, 0.0) + series.count
            ready[status] = ready.get(status, 0.0) + series.count
            children.add((), series)
        yield requests
        yield duration.family(
            f"{PREFIX}_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["path"],
        )
        yield _counter(
            f"{PREFIX}_syncs",
            "Sync and finalize calls, by outcome: ok, held (paused), invalid (invalid spec, "
            "held) or error (no answer Metacontroller could apply)",
            "outcome",
            syncs,
        )
        yield _counter(
            f"{PREFIX}_sync_answers",
            "Sync and finalize answers, by the status of the Ready condition they report",
            "ready",
            ready,
        )
        yield children.family(
            f"{PREFIX}_sync_children", "Children returned per sync or finalize answer", []
        )


class _Series:
    """One histogram series: cumulative counts by upper bound (`le`), and the sum."""

    def __init__(self, bounds: Iterable[str]) -> None:
        self.buckets = dict.fromkeys(bounds, 0.0)
        self.sum = 0.0

    @property
    def count(self) -> float:
        """How many values were observed: the count of the +Inf bucket."""
        return self.buckets["+Inf"]


class _Sums:
    """Histogram series added up under fewer labels."""

    def __init__(self, bounds: Iterable[float]) -> None:
        self._bounds = [*(floatToGoString(bound) for bound in bounds), "+Inf"]
        self._series: dict[tuple[str, ...], _Series] = {}

    def series(self, labels: tuple[str, ...]) -> _Series:
        """Return the sum for these label values, starting at zero."""
        if labels not in self._series:
            self._series[labels] = _Series(self._bounds)
        return self._series[labels]

    def add(self, labels: tuple[str, ...], series: _Series) -> None:
        """Add a series to the sum for these label values."""
        total = self.series(labels)
        for bound, count in series.buckets.items():
            total.buckets[bound] += count
        total.sum += series.sum

    def family(self, name: str, documentation: str, labels: list[str]) -> HistogramMetricFamily:
        """Return the sums as a histogram family."""
        family = HistogramMetricFamily(name, documentation, labels=labels)
        for values_, series in self._series.items():
            family.add_metric(list(values_), list(series.buckets.items()), series.sum)
        return family


def _series(
    family: Metric | None, labels: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], _Series]]:
    """Yield a written histogram's series by the values of the given labels."""
    found: dict[tuple[str, ...], _Series] = defaultdict(lambda: _Series(()))
    for sample in () if family is None else family.samples:
        series = found[tuple(sample.labels[label] for label in labels)]
        if sample.name.endswith("_bucket"):
            series.buckets[sample.labels["le"]] = sample.value
        elif sample.name.endswith("_sum"):
            series.sum = sample.value
    yield from found.items()


def _counter(name: str, documentation: str, label: str, counts: dict[str, float]) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=[label])
    for value, count in counts.items():
        family.add_metric([value], count)
    return family
