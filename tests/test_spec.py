"""Spec parsing: the contract's defaults, overrides as given, and errors that name the field."""

from types import MappingProxyType

import pytest

from hooks.describe import shorten
from hooks.ingress import IngressSpec, TlsSpec
from hooks.placement import FIELDS as PLACEMENT_FIELDS
from hooks.spec import (
    DEFAULT_RESOURCES,
    FOLLOWER_IMAGE,
    FRONTEND_IMAGE,
    LEADER_IMAGE,
    PAUSED_ANNOTATION,
    SpecError,
    Storage,
    is_paused,
    parse_spec,
)

PLACEMENT = ", ".join(PLACEMENT_FIELDS)


def plain(mapping: MappingProxyType) -> dict:
    """Return a read-only nested mapping as plain dicts, for whole-value comparisons."""
    return {
        key: plain(value) if isinstance(value, MappingProxyType) else value
        for key, value in mapping.items()
    }


@pytest.mark.parametrize("raw", [None, {}], ids=["spec-null", "spec-empty"])
def test_an_empty_spec_gets_every_default_of_the_contract(raw):
    spec = parse_spec(raw)

    requests = {"requests": {"cpu": "100m", "memory": "100Mi"}}
    assert (spec.frontend.image, spec.frontend.replicas) == (FRONTEND_IMAGE, 3)
    assert (spec.leader.image, spec.leader.replicas) == (LEADER_IMAGE, 1)
    assert (spec.follower.image, spec.follower.replicas) == (FOLLOWER_IMAGE, 2)
    assert FRONTEND_IMAGE == "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"
    assert LEADER_IMAGE == "docker.io/redis:6.0.5"
    assert FOLLOWER_IMAGE == "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
    for tier in (spec.frontend, spec.leader, spec.follower):
        assert plain(tier.resources) == requests
    assert (spec.service.type, spec.service.port, spec.service.node_port) == ("ClusterIP", 80, None)
    assert dict(spec.service.annotations) == {}
    assert spec.storage == Storage(
        enabled=True, size="1Gi", storage_class=None, access_mode="ReadWriteOnce"
    )
    assert spec.append_fsync == "everysec"


def test_every_field_is_used_as_given():
    limits = {"requests": {"cpu": 1, "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
    spec = parse_spec(
        {
            "frontend": {
                "image": "example.com/frontend:v9",
                "replicas": 0,
                "resources": limits,
                "service": {
                    "type": "NodePort",
                    "port": 8080,
                    "nodePort": 30080,
                    "annotations": {"example.com/team": "web"},
                },
            },
            "redis": {
                "leader": {
                    "image": "example.com/redis:7",
                    "resources": {"limits": {"memory": "2Gi"}},
                    "appendFsync": "always",
                    "storage": {
                        "enabled": False,
                        "size": "20Gi",
                        "storageClassName": "fast.ssd",
                        "accessMode": "ReadWriteOncePod",
                    },
                },
                "follower": {"image": "example.com/follower:7", "replicas": 10},
            },
        }
    )

    assert (spec.frontend.image, spec.frontend.replicas) == ("example.com/frontend:v9", 0)
    # Quantities come back in the form the API server stores: the integer 1 as "1".
    assert plain(spec.frontend.resources) == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
    assert (spec.service.type, spec.service.port, spec.service.node_port) == (
        "NodePort",
        8080,
        30080,
    )
    assert dict(spec.service.annotations) == {"example.com/team": "web"}
    assert spec.leader.image == "example.com/redis:7"
    assert plain(spec.leader.resources) == {"limits": {"memory": "2Gi"}}
    assert spec.append_fsync == "always"
    assert spec.storage == Storage(
        enabled=False, size="20Gi", storage_class="fast.ssd", access_mode="ReadWriteOncePod"
    )
    assert (spec.follower.image, spec.follower.replicas) == ("example.com/follower:7", 10)
    assert plain(spec.follower.resources) == plain(DEFAULT_RESOURCES)


def test_parsed_specs_cannot_be_changed():
    spec = parse_spec({"frontend": {"service": {"annotations": {"a": "b"}}}})

    with pytest.raises(AttributeError):
        spec.frontend.replicas = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.service.annotations["a"] = "c"  # type: ignore[index]


@pytest.mark.parametrize(
    ("raw", "path", "problem"),
    [
        pytest.param([], "spec", "must be an object, got a list", id="spec-not-an-object"),
        pytest.param(
            {"frontend": {"replicas": -1}},
            "spec.frontend.replicas",
            "must be between 0 and 100, got -1",
            id="negative-replicas",
        ),
        pytest.param(
            {"frontend": {"replicas": 101}},
            "spec.frontend.replicas",
            "must be between 0 and 100, got 101",
            id="too-many-replicas",
        ),
        pytest.param(
            {"frontend": {"replicas": "3"}},
            "spec.frontend.replicas",
            "must be an integer, got the string '3'",
            id="replicas-as-string",
        ),
        pytest.param(
            {"frontend": {"replicas": True}},
            "spec.frontend.replicas",
            "must be an integer, got a boolean",
            id="replicas-as-boolean",
        ),
        pytest.param(
            {"frontend": {"replicas": 2.5}},
            "spec.frontend.replicas",
            "must be an integer, got the number 2.5",
            id="replicas-as-float",
        ),
        pytest.param(
            {"redis": {"follower": {"replicas": 11}}},
            "spec.redis.follower.replicas",
            "must be between 0 and 10, got 11",
            id="too-many-followers",
        ),
        pytest.param(
            {"frontend": {"image": ""}},
            "spec.frontend.image",
            "must be a non-empty image reference without spaces, at most 512 characters, got ''",
            id="empty-image",
        ),
        pytest.param(
            {"redis": {"leader": {"image": "redis 6"}}},
            "spec.redis.leader.image",
            "must be a non-empty image reference without spaces, at most 512 characters, "
            "got 'redis 6'",
            id="image-with-space",
        ),
        pytest.param(
            {"redis": {"leader": {"image": 6}}},
            "spec.redis.leader.image",
            "must be a string, got the number 6",
            id="image-not-a-string",
        ),
        pytest.param(
            {"frontend": {"service": {"type": "ExternalName"}}},
            "spec.frontend.service.type",
            "must be one of ClusterIP, NodePort, LoadBalancer, got 'ExternalName'",
            id="unknown-service-type",
        ),
        pytest.param(
            {"frontend": {"service": {"port": 0}}},
            "spec.frontend.service.port",
            "must be between 1 and 65535, got 0",
            id="port-zero",
        ),
        pytest.param(
            {"frontend": {"service": {"nodePort": 30080}}},
            "spec.frontend.service.nodePort",
            "is only allowed with type NodePort or LoadBalancer, not ClusterIP",
            id="node-port-with-cluster-ip",
        ),
        pytest.param(
            {"frontend": {"service": {"type": "NodePort", "nodePort": 80}}},
            "spec.frontend.service.nodePort",
            "must be between 30000 and 32767, got 80",
            id="node-port-out-of-range",
        ),
        pytest.param(
            {"frontend": {"service": {"annotations": {"a": 1}}}},
            "spec.frontend.service.annotations[a]",
            "must be a string, got the number 1",
            id="annotation-value-not-a-string",
        ),
        pytest.param(
            {"frontend": {"service": {"annotations": {"bad key!": "x"}}}},
            "spec.frontend.service.annotations[bad key!]",
            "is not a valid annotation key",
            id="annotation-key-invalid",
        ),
        pytest.param(
            {"frontend": {"replica": 3}},
            "spec.frontend.replica",
            "unknown field (known fields: image, replicas, resources, service, ingress, "
            f"{PLACEMENT})",
            id="unknown-field-typo",
        ),
        pytest.param(
            {"redis": {"sentinel": {}}},
            "spec.redis.sentinel",
            "unknown field (known fields: leader, follower)",
            id="unknown-redis-field",
        ),
        pytest.param(
            {"redis": {"leader": {"replicas": 2}}},
            "spec.redis.leader.replicas",
            f"unknown field (known fields: image, resources, appendFsync, storage, {PLACEMENT})",
            id="leader-replicas-are-fixed",
        ),
        pytest.param(
            {"frontend": {"resources": {"requests": {"cpu": "lots"}}}},
            "spec.frontend.resources.requests.cpu",
            "must be a quantity such as 100m or 1Gi, got 'lots'",
            id="bad-quantity",
        ),
        pytest.param(
            {"frontend": {"resources": {"requests": {"cpu": "-1"}}}},
            "spec.frontend.resources.requests.cpu",
            "must not be negative, got '-1'",
            id="negative-quantity",
        ),
        pytest.param(
            {"frontend": {"resources": {"requests": []}}},
            "spec.frontend.resources.requests",
            "must be an object, got a list",
            id="requests-not-a-map",
        ),
        pytest.param(
            {"frontend": {"resources": {"claims": [{"name": "gpu"}]}}},
            "spec.frontend.resources.claims",
            "unknown field (known fields: requests, limits)",
            id="resource-claims",
        ),
        pytest.param(
            {
                "redis": {
                    "follower": {
                        "resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}
                    }
                }
            },
            "spec.redis.follower.resources.requests.memory",
            "must not exceed the limit 1Gi, got 2Gi",
            id="request-above-limit",
        ),
        pytest.param(
            {"redis": {"leader": {"appendFsync": "sometimes"}}},
            "spec.redis.leader.appendFsync",
            "must be one of always, everysec, no, got 'sometimes'",
            id="unknown-append-fsync",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"enabled": "yes"}}}},
            "spec.redis.leader.storage.enabled",
            "must be true or false, got the string 'yes'",
            id="storage-enabled-a-string",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"size": "1.5Gi"}}}},
            "spec.redis.leader.storage.size",
            "must be a positive whole number of Mi, Gi or Ti (at most six digits), got '1.5Gi'",
            id="size-not-whole",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"size": "0Mi"}}}},
            "spec.redis.leader.storage.size",
            "must be a positive whole number of Mi, Gi or Ti (at most six digits), got '0Mi'",
            id="size-zero",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"size": 1073741824}}}},
            "spec.redis.leader.storage.size",
            "must be a positive whole number of Mi, Gi or Ti (at most six digits), "
            "got the number 1073741824",
            id="size-in-bytes",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"storageClassName": "Fast SSD"}}}},
            "spec.redis.leader.storage.storageClassName",
            "must be a StorageClass name (lowercase letters, digits, '-' and '.', at most 253 "
            "characters), got the string 'Fast SSD'",
            id="class-not-a-name",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"accessMode": "ReadWriteMany"}}}},
            "spec.redis.leader.storage.accessMode",
            "must be one of ReadWriteOnce, ReadWriteOncePod, got 'ReadWriteMany'",
            id="access-mode-shared",
        ),
        pytest.param(
            {"redis": {"leader": {"storage": {"class": "fast"}}}},
            "spec.redis.leader.storage.class",
            "unknown field (known fields: enabled, size, storageClassName, accessMode)",
            id="storage-unknown-field",
        ),
    ],
)
def test_an_invalid_spec_is_rejected_naming_the_field(raw, path, problem):
    with pytest.raises(SpecError) as caught:
        parse_spec(raw)

    assert (caught.value.path, caught.value.problem) == (path, problem)
    assert str(caught.value) == f"{path}: {problem}"


def test_a_request_equal_to_its_limit_is_accepted():
    spec = parse_spec(
        {"frontend": {"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1000m"}}}}
    )

    assert plain(spec.frontend.resources) == {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}


@pytest.mark.parametrize(
    ("annotations", "paused"),
    [
        pytest.param(None, False, id="no-annotations"),
        pytest.param({"other": "true"}, False, id="other-annotation"),
        pytest.param({PAUSED_ANNOTATION: "true"}, True, id="paused"),
        pytest.param({PAUSED_ANNOTATION: "false"}, False, id="false-runs"),
    ],
)
def test_the_pause_annotation_pauses_only_when_true(annotations, paused):
    metadata = (
        {"name": "gb1"} if annotations is None else {"name": "gb1", "annotations": annotations}
    )

    assert is_paused(metadata) is paused


@pytest.mark.parametrize("value", ["True", "FALSE", "yes", "0", ""])
def test_any_other_pause_value_is_an_error_that_names_the_two_values(value):
    with pytest.raises(SpecError) as caught:
        is_paused({"annotations": {PAUSED_ANNOTATION: value}})

    assert caught.value.path == f"metadata.annotations[{PAUSED_ANNOTATION}]"
    assert caught.value.problem == (f'must be "true" to pause or "false" to run, got {value!r}')


def test_an_absent_ingress_parses_as_none():
    assert parse_spec({}).ingress is None


def test_an_empty_ingress_gets_the_contracts_defaults():
    assert parse_spec({"frontend": {"ingress": {}}}).ingress == IngressSpec(
        enabled=False,
        class_name=None,
        host=None,
        path="/",
        path_type="Prefix",
        annotations=MappingProxyType({}),
        tls=None,
    )


def test_every_ingress_field_is_used_as_given():
    ingress = parse_spec(
        {
            "frontend": {
                "ingress": {
                    "enabled": True,
                    "ingressClassName": "nginx",
                    "host": "*.example.com",
                    "path": "/gb",
                    "pathType": "ImplementationSpecific",
                    "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
                    "tls": {"enabled": True, "secretName": "gb-cert"},
                }
            }
        }
    ).ingress

    assert ingress == IngressSpec(
        enabled=True,
        class_name="nginx",
        host="*.example.com",
        path="/gb",
        path_type="ImplementationSpecific",
        annotations=MappingProxyType({"cert-manager.io/cluster-issuer": "letsencrypt"}),
        tls=TlsSpec(enabled=True, secret_name="gb-cert"),  # noqa: S106 (a Secret's name)
    )


def test_null_ingress_fields_read_as_absent_as_the_api_server_prunes_them():
    raw = {"enabled": None, "path": None, "pathType": None, "tls": {"enabled": None}}
    ingress = parse_spec({"frontend": {"ingress": raw}}).ingress

    assert (ingress.enabled, ingress.path, ingress.path_type, ingress.tls.enabled) == (
        False,
        "/",
        "Prefix",
        False,
    )


def ingress_error(raw: dict) -> tuple[str, str]:
    with pytest.raises(SpecError) as caught:
        parse_spec({"frontend": {"ingress": raw}})
    return caught.value.path, caught.value.problem


INGRESS_FIELDS = "enabled, ingressClassName, host, path, pathType, annotations, tls"
LONG_HOST = "a." * 127 + "b"  # 255 characters
DNS_NAME = "must be a DNS name (lowercase letters, digits, '-' and '.', at most 253 characters)"


@pytest.mark.parametrize(
    ("raw", "path", "problem"),
    [
        pytest.param(
            {"tls": {"enabled": True}},
            "host",
            "is required when tls.enabled is true",
            id="tls-without-host",
        ),
        pytest.param(
            {"host": "GB.example.com"},
            "host",
            f"{DNS_NAME}, got the string 'GB.example.com'",
            id="upper-case-host",
        ),
        pytest.param(
            {"host": "gb.example.com."},
            "host",
            f"{DNS_NAME}, got the string 'gb.example.com.'",
            id="trailing-dot",
        ),
        pytest.param(
            {"host": LONG_HOST},
            "host",
            f"{DNS_NAME}, got the string {shorten(LONG_HOST)}",
            id="host-too-long",
        ),
        pytest.param(
            {"host": "10.0.0.1"},
            "host",
            "must be a DNS name, not an IP address, got '10.0.0.1'",
            id="ip-host",
        ),
        pytest.param(
            {"host": "010.000.000.001"},
            "host",
            "must be a DNS name, not an IP address, got '010.000.000.001'",
            id="ip-with-zeros",
        ),
        pytest.param({"host": "*"}, "host", f"{DNS_NAME}, got the string '*'", id="bare-wildcard"),
        pytest.param({"host": 7}, "host", f"{DNS_NAME}, got the number 7", id="host-a-number"),
        pytest.param(
            {"pathType": "Exact"},
            "pathType",
            "must be one of Prefix, ImplementationSpecific, got 'Exact'",
            id="exact-path-type",
        ),
        pytest.param(
            {"path": "gb"},
            "path",
            "must be a string that starts with \"/\", got the string 'gb'",
            id="relative-path",
        ),
        pytest.param(
            {"path": "/a//b"},
            "path",
            "must not contain '//' with pathType Prefix",
            id="double-slash",
        ),
        pytest.param(
            {"path": "/a/%2F"},
            "path",
            "must not contain '%2F' with pathType Prefix",
            id="encoded-slash",
        ),
        pytest.param(
            {"path": "/a/."}, "path", "must not end with '/.' with pathType Prefix", id="dot-end"
        ),
        pytest.param(
            {"enabled": "yes"},
            "enabled",
            "must be true or false, got the string 'yes'",
            id="enabled-a-string",
        ),
        pytest.param(
            {"ingressClassName": "Nginx"},
            "ingressClassName",
            f"{DNS_NAME}, got the string 'Nginx'",
            id="class-upper-case",
        ),
        pytest.param(
            {"tls": {"secretName": "a_b"}},
            "tls.secretName",
            f"{DNS_NAME}, got the string 'a_b'",
            id="secret-name",
        ),
        pytest.param(
            {"tls": {"enabled": 1}},
            "tls.enabled",
            "must be true or false, got the number 1",
            id="tls-enabled-a-number",
        ),
        pytest.param(
            {"tls": {"hosts": ["a"]}},
            "tls.hosts",
            "unknown field (known fields: enabled, secretName)",
            id="tls-hosts",
        ),
        pytest.param(
            {"annotations": {"a b": "c"}},
            "annotations[a b]",
            "is not a valid annotation key",
            id="annotation-key",
        ),
        pytest.param(
            {"rules": []},
            "rules",
            f"unknown field (known fields: {INGRESS_FIELDS})",
            id="unknown-field",
        ),
        pytest.param([], "", "must be an object, got a list", id="not-an-object"),
    ],
)
def test_a_bad_ingress_is_an_invalid_spec_naming_the_field(raw, path, problem):
    field = f"spec.frontend.ingress.{path}".rstrip(".")
    assert ingress_error(raw) == (field, problem)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"host": "256.1.1.1"}, id="not-an-ip"),
        pytest.param({"host": "1.2.3"}, id="three-numbers"),
        pytest.param(
            {"path": "/a//b", "pathType": "ImplementationSpecific"}, id="any-absolute-path"
        ),
        pytest.param({"path": "/.well-known/x"}, id="dot-inside-a-segment"),
        pytest.param({"tls": {"enabled": False}}, id="no-tls-no-host"),
    ],
)
def test_an_ingress_the_api_server_accepts_is_accepted(raw):
    assert parse_spec({"frontend": {"ingress": raw}}).ingress is not None


@pytest.mark.parametrize(
    ("size", "stored"),
    [
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("2048Gi", "2Ti"),
        ("1024Ti", "1Pi"),
        ("524288Mi", "512Gi"),
        ("999999Ti", "999999Ti"),
    ],
)
def test_the_size_is_kept_as_the_api_server_stores_it(size, stored):
    assert parse_spec({"redis": {"leader": {"storage": {"size": size}}}}).storage.size == stored
