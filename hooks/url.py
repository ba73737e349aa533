"""The frontend's URL for status.url: the best address a person can open, from observed objects.

The first rule that applies wins:
1. the Ingress has a host that is not a wildcard: https when that host is in its
   TLS hosts, else http, then the host and the path;
2. the Ingress has a load-balancer address: https when it has TLS, else http,
   then the address and the path;
3. the Service is a LoadBalancer with an address: http, the address, and the
   port unless it is 80;
4. the Service's address inside the cluster: http://<svc>.<namespace>.svc:<port>.
An address entry gives its hostname before its IP; an IPv6 address is bracketed.
Objects come from the API server, but a field of the wrong type reads as absent.
"""

from hooks.names import FRONTEND, child_name
from hooks.observed import Observed, as_dict, as_list

DEFAULT_PATH = "/"
HTTP_PORT = 80


def frontend_url(observed: Observed, base: str, namespace: str | None) -> str | None:
    """Return the frontend's URL, or None while neither its Ingress nor its Service is observed."""
    name = child_name(base, FRONTEND)
    ingress = as_dict(observed.get("Ingress", name))
    service = as_dict(observed.get("Service", name))
    return (
        _ingress_host_url(ingress)
        or _ingress_address_url(ingress)
        or _load_balancer_url(service)
        or _in_cluster_url(service, namespace or "default")
    )


def _ingress_host_url(ingress: dict) -> str | None:
    spec = as_dict(ingress.get("spec"))
    hosts = [tls.get("hosts") for tls in _items(spec.get("tls"))]
    secured = {host for listed in hosts if type(listed) is list for host in listed}
    for rule in _items(spec.get("rules")):
        host = rule.get("host")
        if type(host) is str and host and "*" not in host:
            scheme = "https" if host in secured else "http"
            return f"{scheme}://{host}{_path(rule)}"
    return None


def _ingress_address_url(ingress: dict) -> str | None:
    address = _address(ingress)
    if address is None:
        return None
    spec = as_dict(ingress.get("spec"))
    scheme = "https" if _items(spec.get("tls")) else "http"
    rules = _items(spec.get("rules"))
    return f"{scheme}://{address}{_path(rules[0]) if rules else DEFAULT_PATH}"


def _load_balancer_url(service: dict) -> str | None:
    if as_dict(service.get("spec")).get("type") != "LoadBalancer":
        return None
    address, port = _address(service), _port(service)
    if address is None or port is None:
        return None
    return f"http://{address}" if port == HTTP_PORT else f"http://{address}:{port}"


def _in_cluster_url(service: dict, namespace: str) -> str | None:
    port = _port(service)
    if port is None:
        return None
    return f"http://{service['metadata']['name']}.{namespace}.svc:{port}"


def _address(obj: dict) -> str | None:
    """Return the first load-balancer address in an object's status, as a URL writes it."""
    balancer = as_dict(as_dict(obj.get("status")).get("loadBalancer"))
    for entry in _items(balancer.get("ingress")):
        hostname, ip = entry.get("hostname"), entry.get("ip")
        if type(hostname) is str and hostname:
            return hostname
        if type(ip) is str and ip:
            return f"[{ip}]" if ":" in ip else ip
    return None


def _path(rule: dict) -> str:
    paths = _items(as_dict(rule.get("http")).get("paths"))
    path = paths[0].get("path") if paths else None
    return path if type(path) is str and path.startswith("/") else DEFAULT_PATH


def _port(service: dict) -> int | None:
    ports = _items(as_dict(service.get("spec")).get("ports"))
    port = ports[0].get("port") if ports else None
    return port if type(port) is int and port > 0 else None


def _items(value) -> list[dict]:
    """Return the objects of a list; anything else reads as an empty list."""
    return [item for item in as_list(value) if type(item) is dict]
