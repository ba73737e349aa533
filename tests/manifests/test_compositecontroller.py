"""The CompositeController: valid for Metacontroller, in step with the CRD, hooks and Service."""

import hashlib
import re
import runpy

import pytest

from hooks.app import create_app
from tests import apiserver
from tests.golden.cases import CASES
from tests.manifests import files, openapi

CONTROLLER = files.composite_controller()
SPEC = CONTROLLER["spec"]
WEBHOOK = SPEC["hooks"]["sync"]["webhook"]
GO_DURATION = re.compile(r"(?P<value>[0-9]+)(?P<unit>ms|s|m|h)")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def metacontroller_schema() -> dict:
    [crd] = [
        doc
        for doc in files.load_yaml(files.METACONTROLLER_CRDS)
        if doc["spec"]["names"]["kind"] == "CompositeController"
    ]
    return openapi.openapi_schema(crd, CONTROLLER["apiVersion"].split("/")[1])


def resource_of(kind: str) -> str:
    """Return the plural resource of a kind, by Kubernetes' own guessing rule."""
    lower = kind.lower()
    if lower.endswith("s"):
        return f"{lower}es"
    if lower.endswith("y"):
        return f"{lower[:-1]}ies"
    return f"{lower}s"


def test_vendored_metacontroller_crds_are_the_verbatim_upstream_copy():
    readme = (files.METACONTROLLER_CRDS.parent / "README.md").read_text()
    digest = hashlib.sha256(files.METACONTROLLER_CRDS.read_bytes()).hexdigest()
    assert f"sha256 `{digest}`" in readme


def test_controller_is_valid_for_metacontrollers_own_schema():
    assert openapi.errors(CONTROLLER, metacontroller_schema()) == []


def test_controller_watches_the_guestbook_crd():
    crd = files.guestbook_crd()
    [storage] = [v for v in crd["spec"]["versions"] if v["storage"]]
    assert SPEC["parentResource"] == {
        "apiVersion": f"{crd['spec']['group']}/{storage['name']}",
        "resource": crd["spec"]["names"]["plural"],
    }
    # Metacontroller ignores a parent type without the status subresource.
    assert "status" in storage["subresources"]


def test_controller_selects_children_by_generated_selector():
    assert SPEC["generateSelector"] is True


def test_child_resources_are_exactly_the_kinds_the_hooks_emit():
    declared = {(c["apiVersion"], c["resource"]) for c in SPEC["childResources"]}
    emitted = {
        (child["apiVersion"], resource_of(child["kind"]))
        for case in CASES
        for child in files.golden(case)[1]["children"]
    }
    keyed = {
        (type_key.split(".", 1)[1], resource_of(kind))
        for kind, type_key in apiserver.CHILD_TYPES.items()
    }
    assert declared == emitted == keyed


def test_every_child_type_is_updated_in_place_but_the_job_which_cannot_change():
    assert {c["resource"]: c["updateStrategy"] for c in SPEC["childResources"]} == {
        c["resource"]: {"method": "OnDelete" if c["resource"] == "jobs" else "InPlace"}
        for c in SPEC["childResources"]
    }


def test_child_resources_come_in_the_order_of_the_design():
    assert [c["resource"] for c in SPEC["childResources"]] == [
        "persistentvolumeclaims",
        "deployments",
        "services",
        "ingresses",
        "poddisruptionbudgets",
        "networkpolicies",
        "jobs",
    ]


def test_only_the_sync_hook_is_defined():
    assert list(SPEC["hooks"]) == ["sync"]


def test_sync_hook_path_is_a_post_route_of_the_app():
    routes = {rule.rule: rule.methods for rule in create_app().url_map.iter_rules()}
    assert "POST" in routes[WEBHOOK["path"]]


def test_sync_hook_calls_the_hooks_service():
    listed = files.listed_objects(files.INSTALL)
    service = files.find(listed, "Service", WEBHOOK["service"]["name"])
    assert WEBHOOK["service"]["namespace"] == files.kustomization(files.INSTALL)["namespace"]
    assert WEBHOOK["service"]["protocol"] == "http"
    assert WEBHOOK["service"]["port"] in [port["port"] for port in service["spec"]["ports"]]


def test_sync_hook_calls_the_service_as_built():
    built = files.built_objects(files.INSTALL)
    service = files.find(built, "Service", WEBHOOK["service"]["name"])
    assert service["metadata"]["namespace"] == WEBHOOK["service"]["namespace"]


def duration_seconds(text: str) -> float:
    """Return the length of a Go duration such as "10s" or "1m30s"."""
    parts = list(GO_DURATION.finditer(text))
    assert "".join(p[0] for p in parts) == text, f"not a Go duration: {text}"
    return sum(int(p["value"]) * SECONDS[p["unit"]] for p in parts)


def test_sync_hook_timeout_outlasts_a_stuck_gunicorn_worker(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(files.ROOT / "gunicorn.conf.py"))
    assert settings["timeout"] < duration_seconds(WEBHOOK["timeout"])


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10), ("1m30s", 90), ("500ms", 0.5)], ids=str)
def test_duration_reads_go_durations(text, seconds):
    assert duration_seconds(text) == seconds


def test_emulated_requests_carry_the_shipped_controller():
    assert apiserver.CONTROLLER["spec"] == SPEC
    for case in CASES:
        request, _ = files.golden(case)
        assert request["controller"]["spec"] == SPEC, case
