"""status.url: the best address a person can open, by DESIGN.md's rules, from what was observed."""

import pytest

from hooks.names import base_name
from hooks.observed import read_children
from hooks.url import frontend_url
from tests.apiserver import converged, guestbook, sync_request

HOST = "gb.example.com"
TLS = {"enabled": True}


def url_of(spec: dict, *, ingress_status=None, service_status=None, namespace="demo") -> str:
    """Return the URL computed for a guestbook whose children of `spec` are observed."""
    parent = guestbook(spec=spec, namespace=namespace)
    observed = converged(parent)
    for child in observed:
        status = {"Ingress": ingress_status, "Service": service_status}.get(child["kind"])
        if status is not None and child["metadata"]["name"] == "gb1-frontend":
            child["status"] = status
    children = read_children(sync_request(parent, observed)["children"])
    return frontend_url(children, base_name("gb1"), namespace)


def balancer(*entries: dict) -> dict:
    """Return the status of an object whose load balancer has these address entries."""
    return {"loadBalancer": {"ingress": list(entries)}}


def ingress(**fields) -> dict:
    return {"frontend": {"ingress": {"enabled": True, **fields}}}


def load_balancer(port: int = 80) -> dict:
    return {"frontend": {"service": {"type": "LoadBalancer", "port": port}}}


@pytest.mark.parametrize(
    ("spec", "ingress_status", "service_status", "url"),
    [
        pytest.param(
            ingress(host=HOST, tls=TLS), None, None, "https://gb.example.com/", id="ingress-tls"
        ),
        pytest.param(
            ingress(host=HOST, path="/guestbook"),
            balancer({"ip": "203.0.113.10"}),
            None,
            "http://gb.example.com/guestbook",
            id="ingress-host-before-its-address",
        ),
        pytest.param(
            ingress(host=HOST, tls={"enabled": False}),
            None,
            None,
            "http://gb.example.com/",
            id="ingress-tls-off",
        ),
        pytest.param(
            ingress(path="/gb"),
            balancer({"ip": "203.0.113.10"}),
            None,
            "http://203.0.113.10/gb",
            id="ingress-without-host-with-address",
        ),
        pytest.param(
            ingress(host="*.example.com", tls=TLS),
            balancer({"ip": "203.0.113.10", "hostname": "lb.example.net"}),
            None,
            "https://lb.example.net/",
            id="ingress-wildcard-hostname-before-ip",
        ),
        pytest.param(
            ingress(),
            balancer({"ip": "2001:db8::7"}),
            None,
            "http://[2001:db8::7]/",
            id="ingress-ipv6-address",
        ),
        pytest.param(
            ingress(),
            balancer({"ports": [{"port": 80, "protocol": "TCP"}]}, {"ip": "203.0.113.11"}),
            None,
            "http://203.0.113.11/",
            id="ingress-first-entry-with-an-address",
        ),
        pytest.param(
            load_balancer(),
            None,
            balancer({"ip": "198.51.100.4"}),
            "http://198.51.100.4",
            id="load-balancer-port-80",
        ),
        pytest.param(
            load_balancer(8080),
            None,
            balancer({"hostname": "a1b2.elb.example.com", "ip": "198.51.100.4"}),
            "http://a1b2.elb.example.com:8080",
            id="load-balancer-other-port",
        ),
        pytest.param(
            {"frontend": {"service": {"type": "LoadBalancer"}, "ingress": {"enabled": True}}},
            {"loadBalancer": {}},
            balancer({"ip": "198.51.100.4"}),
            "http://198.51.100.4",
            id="ingress-without-address-then-load-balancer",
        ),
        pytest.param(
            load_balancer(8080),
            None,
            {"loadBalancer": {}},
            "http://gb1-frontend.demo.svc:8080",
            id="load-balancer-without-address",
        ),
        pytest.param(
            ingress(), {"loadBalancer": {}}, None, "http://gb1-frontend.demo.svc:80", id="internal"
        ),
        pytest.param(
            {"frontend": {"service": {"port": 8080}}},
            None,
            balancer({"ip": "198.51.100.4"}),
            "http://gb1-frontend.demo.svc:8080",
            id="cluster-ip-ignores-any-address",
        ),
    ],
)  # fmt: skip
def test_the_url_follows_the_first_rule_that_applies(spec, ingress_status, service_status, url):
    assert url_of(spec, ingress_status=ingress_status, service_status=service_status) == url


def test_nothing_observed_has_no_url():
    assert frontend_url(read_children({}), "gb1", "demo") is None


def test_a_guestbook_without_namespace_reads_as_default():
    parent = guestbook()
    children = read_children(sync_request(parent, converged(parent))["children"])
    assert frontend_url(children, "gb1", None) == "http://gb1-frontend.default.svc:80"


@pytest.mark.parametrize(
    "status",
    [
        pytest.param({"loadBalancer": []}, id="balancer-a-list"),
        pytest.param({"loadBalancer": {"ingress": [{"ip": 7}, "x"]}}, id="entries-of-wrong-types"),
        pytest.param("ready", id="status-a-string"),
    ],
)  # fmt: skip
def test_an_address_of_the_wrong_shape_reads_as_none(status):
    assert url_of(ingress(), ingress_status=status) == "http://gb1-frontend.demo.svc:80"
