"""The optional monitoring kustomization: it builds, scrapes a real route, and fits the install."""

import shutil
import subprocess

import pytest
import yaml

from hooks.app import create_app
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors
from tests.servers import ROOT

MONITORING = ROOT / "metacontroller" / "monitoring"
INSTALL = ROOT / "metacontroller" / "kustomization.yaml"

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed"
)
needs_install = pytest.mark.skipif(
    not INSTALL.exists(), reason="metacontroller/kustomization.yaml (the install) is not here yet"
)


def build(folder) -> dict[tuple[str, str], dict]:
    """Return the objects `kubectl kustomize` builds, by kind and name."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True
    )
    return {
        (obj["kind"], obj["metadata"]["name"]): obj
        for obj in yaml.safe_load_all(result.stdout)
        if obj
    }


@pytest.fixture(scope="module")
def monitoring() -> dict[tuple[str, str], dict]:
    return build(MONITORING)


@needs_kubectl
def test_monitoring_builds_a_service_monitor_and_a_scrape_policy(monitoring):
    assert sorted(monitoring) == [
        ("NetworkPolicy", "guestbook-hooks-metrics"),
        ("ServiceMonitor", "guestbook-hooks"),
    ]
    assert {obj["metadata"]["namespace"] for obj in monitoring.values()} == {"guestbook-system"}


@needs_kubectl
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_scrape_policy_is_a_valid_kubernetes_object(monitoring, version):
    policy = monitoring["NetworkPolicy", "guestbook-hooks-metrics"]
    assert schema_errors(policy, version) == []


@needs_kubectl
def test_the_service_monitor_scrapes_the_metrics_route_of_the_app(monitoring):
    [endpoint] = monitoring["ServiceMonitor", "guestbook-hooks"]["spec"]["endpoints"]
    routes = {rule.rule for rule in create_app().url_map.iter_rules()}
    assert endpoint["path"] in routes


@needs_kubectl
@needs_install
def test_the_default_install_leaves_monitoring_out():
    resources = yaml.safe_load(INSTALL.read_text()).get("resources", [])
    assert not [entry for entry in resources if "monitoring" in entry]


@needs_kubectl
@needs_install
def test_the_service_monitor_and_policy_select_the_hooks_service_and_pods(monitoring):
    installed = build(INSTALL.parent)
    services = [obj for (kind, _), obj in installed.items() if kind == "Service"]
    deployments = [obj for (kind, _), obj in installed.items() if kind == "Deployment"]
    monitor = monitoring["ServiceMonitor", "guestbook-hooks"]["spec"]
    policy = monitoring["NetworkPolicy", "guestbook-hooks-metrics"]["spec"]
    selected = [
        service
        for service in services
        if monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    ]
    assert len(selected) == 1
    port_names = {port.get("name") for port in selected[0]["spec"]["ports"]}
    assert monitor["endpoints"][0]["port"] in port_names
    pods = [
        deployment
        for deployment in deployments
        if policy["podSelector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(pods) == 1
    container_ports = {
        port.get("name")
        for container in pods[0]["spec"]["template"]["spec"]["containers"]
        for port in container.get("ports", [])
    }
    assert policy["ingress"][0]["ports"][0]["port"] in container_ports
