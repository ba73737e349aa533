"""The optional monitoring kustomization: it builds, scrapes a real route, and fits the install."""

import pytest

from hooks.app import create_app
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors
from tests.manifests import files

MONITORING = files.INSTALL / "monitoring"


def by_kind_and_name(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """Return objects keyed by kind and name."""
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


@pytest.fixture(scope="module")
def monitoring() -> dict[tuple[str, str], dict]:
    """Return what `kubectl kustomize metacontroller/monitoring/` builds."""
    return by_kind_and_name(files.built_objects(MONITORING))


def test_monitoring_builds_a_service_monitor_and_a_scrape_policy(monitoring):
    assert sorted(monitoring) == [
        ("NetworkPolicy", "guestbook-hooks-metrics"),
        ("ServiceMonitor", "guestbook-hooks"),
    ]
    assert {obj["metadata"]["namespace"] for obj in monitoring.values()} == {"guestbook-system"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_scrape_policy_is_a_valid_kubernetes_object(monitoring, version):
    policy = monitoring["NetworkPolicy", "guestbook-hooks-metrics"]
    assert schema_errors(policy, version) == []


def test_the_service_monitor_scrapes_the_metrics_route_of_the_app(monitoring):
    [endpoint] = monitoring["ServiceMonitor", "guestbook-hooks"]["spec"]["endpoints"]
    routes = {rule.rule for rule in create_app().url_map.iter_rules()}
    assert endpoint["path"] in routes


def test_the_default_install_leaves_monitoring_out():
    resources = files.kustomization(files.INSTALL)["resources"]
    assert not [entry for entry in resources if "monitoring" in entry]


def test_the_service_monitor_and_policy_select_the_hooks_service_and_pods(monitoring):
    installed = files.built_objects(files.INSTALL)
    services = [obj for obj in installed if obj["kind"] == "Service"]
    deployments = [obj for obj in installed if obj["kind"] == "Deployment"]
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
