"""GET /metrics in one process: what each call counts, isolation between apps, the formats."""

import json
import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hooks.app import create_app
from hooks.hold import LAST_APPLIED
from hooks.metrics import MULTIPROC_ENV, Metrics
from tests import ROOT

OUTCOMES = ("ok", "held", "invalid", "error")


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Return every sample of /metrics by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def picked(samples: dict, name: str) -> dict[tuple, float]:
    """Return the samples of one metric by their labels."""
    return {labels: value for (found, labels), value in samples.items() if found == name}


@pytest.mark.parametrize(
    ("case", "outcome", "ready"),
    [
        pytest.param("all-ready", "ok", "True", id="converged"),
        pytest.param("rolling-out", "ok", "False", id="rolling out"),
        pytest.param("paused", "held", "True", id="paused"),
        pytest.param("invalid-spec-held", "invalid", "False", id="invalid spec held"),
    ],
)
def test_a_sync_counts_its_outcome_its_ready_status_and_its_children(
    client, golden_request, case, outcome, ready
):
    assert client.post("/sync", json=golden_request(case)).status_code == 200
    samples = scrape(client)
    assert picked(samples, "guestbook_hooks_syncs_total") == {
        (("outcome", each),): float(each == outcome) for each in OUTCOMES
    }
    assert picked(samples, "guestbook_hooks_sync_answers_total") == {
        (("ready", "True"),): float(ready == "True"),
        (("ready", "False"),): float(ready == "False"),
    }
    assert samples["guestbook_hooks_sync_children_sum", ()] == 9
    assert samples["guestbook_hooks_sync_children_count", ()] == 1
    assert samples["guestbook_hooks_requests_total", (("code", "200"), ("path", "/sync"))] == 1
    assert samples["guestbook_hooks_request_duration_seconds_count", (("path", "/sync"),)] == 1


def unheld(request: dict) -> dict:
    """Drop the last-applied annotation from one observed child, so holding is impossible."""
    child = request["children"]["Service.v1"]["gb1-frontend"]
    del child["metadata"]["annotations"][LAST_APPLIED]
    return request


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(lambda _: b"{", 400, id="not JSON"),
        pytest.param(
            lambda load: json.dumps(unheld(load("invalid-spec-held"))), 422, id="unholdable"
        ),
        pytest.param(lambda _: b"[" * 100 + b"]" * 100, 400, id="not an object"),
    ],
)
def test_a_refused_sync_counts_as_an_error_and_no_answer(client, golden_request, body, code):
    response = client.post("/sync", data=body(golden_request), content_type="application/json")
    assert response.status_code == code
    samples = scrape(client)
    assert samples["guestbook_hooks_syncs_total", (("outcome", "error"),)] == 1
    assert samples["guestbook_hooks_requests_total", (("code", str(code)), ("path", "/sync"))] == 1
    assert samples["guestbook_hooks_sync_children_count", ()] == 0
    assert set(picked(samples, "guestbook_hooks_sync_answers_total").values()) == {0}


def test_unknown_paths_share_one_label_so_series_stay_few(client):
    for path in ("/nope", "/../etc", "/sync/extra"):
        assert client.get(path).status_code == 404
    assert client.get("/sync").status_code == 405
    requests = picked(scrape(client), "guestbook_hooks_requests_total")
    assert requests == {
        (("code", "404"), ("path", "unmatched")): 3,
        (("code", "405"), ("path", "unmatched")): 1,
    }


def test_probes_and_scrapes_are_counted_but_are_no_sync(client):
    client.get("/healthz")
    client.get("/readyz")
    client.get("/metrics")
    samples = scrape(client)
    assert picked(samples, "guestbook_hooks_requests_total") == {
        (("code", "200"), ("path", path)): 1 for path in ("/healthz", "/readyz", "/metrics")
    }
    assert set(picked(samples, "guestbook_hooks_syncs_total").values()) == {0}


def test_two_apps_in_one_process_keep_their_own_counts(sample_request):
    first, second = create_app().test_client(), create_app().test_client()
    first.post("/sync", json=sample_request)
    first.post("/sync", json=sample_request)
    second.post("/sync", json=sample_request)
    key = ("guestbook_hooks_requests_total", (("code", "200"), ("path", "/sync")))
    assert (scrape(first)[key], scrape(second)[key]) == (2, 1)


def test_python_info_is_served_and_process_metrics_are_left_to_the_kubelet(client):
    names = {name for name, _ in scrape(client)}
    assert "python_info" in names
    assert not [name for name in names if name.startswith("process_")]


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).endswith("# EOF\n")


def test_plain_text_is_served_by_default(client):
    assert client.get("/metrics").content_type.startswith("text/plain")


def test_a_multiprocess_directory_set_after_import_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match="was changed after prometheus_client was imported"):
        Metrics.from_environment()


def test_a_multiprocess_directory_that_does_not_exist_is_refused(tmp_path):
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path / "missing")}
    result = subprocess.run(
        [sys.executable, "-c", "from hooks.app import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"RuntimeError: {MULTIPROC_ENV} is {str(tmp_path / 'missing')!r}, which is not a directory"
    )
