"""The child builders: the Guestbook app as DESIGN.md describes it, one object at a time."""

import pytest

from hooks.children import build_children, migration_job
from hooks.spec import APPEND_FSYNC, parse_spec


def children_of(spec: dict | None = None, base: str = "gb1") -> dict[tuple[str, str], dict]:
    """Return the built children keyed by (kind, name)."""
    built = build_children(base, parse_spec(spec))
    return {(child["kind"], child["metadata"]["name"]): child for child in built}


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env(deployment: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container(deployment)["env"]}


def walk(value, path="") -> list[tuple[str, object]]:
    """Return every (path, leaf or container) pair of a JSON value."""
    found = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += walk(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += walk(child, f"{path}[{index}]")
    return found


def test_children_come_in_the_order_of_the_design_table():
    built = build_children("gb1", parse_spec({}))

    assert [(c["kind"], c["metadata"]["name"]) for c in built] == [
        ("PersistentVolumeClaim", "gb1-redis-leader-data"),
        ("Deployment", "gb1-redis-leader"),
        ("Service", "gb1-redis-leader"),
        ("Deployment", "gb1-redis-follower"),
        ("Service", "gb1-redis-follower"),
        ("Deployment", "gb1-frontend"),
        ("Service", "gb1-frontend"),
        ("PodDisruptionBudget", "gb1-frontend"),
        ("NetworkPolicy", "gb1-redis"),
    ]


@pytest.mark.parametrize("component", ["redis-leader", "redis-follower", "frontend"])
def test_each_deployment_selects_exactly_its_own_template_labels(component):
    deployment = children_of()["Deployment", f"gb1-{component}"]
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]

    assert deployment["spec"]["selector"] == {
        "matchLabels": {
            "app.kubernetes.io/name": "guestbook",
            "app.kubernetes.io/instance": "gb1",
            "app.kubernetes.io/component": component,
        }
    }
    assert deployment["spec"]["selector"]["matchLabels"].items() <= template_labels.items()
    assert deployment["metadata"]["labels"] == template_labels


@pytest.mark.parametrize("component", ["redis-leader", "redis-follower", "frontend"])
def test_each_service_selects_its_deployments_pods_on_a_port_the_container_names(component):
    children = children_of()
    deployment = children["Deployment", f"gb1-{component}"]
    service = children["Service", f"gb1-{component}"]
    container_ports = {
        port["name"]: port["containerPort"] for port in container(deployment)["ports"]
    }

    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in container_ports


def test_the_redis_services_listen_on_6379():
    children = children_of()

    for component in ("redis-leader", "redis-follower"):
        service = children["Service", f"gb1-{component}"]
        assert service["spec"] == {
            "type": "ClusterIP",
            "ports": [{"name": "redis", "port": 6379, "targetPort": "redis"}],
            "selector": service["spec"]["selector"],
        }


def test_the_leader_is_one_replica_that_is_recreated_never_rolled():
    leader = children_of()["Deployment", "gb1-redis-leader"]

    assert leader["spec"]["replicas"] == 1
    assert leader["spec"]["strategy"] == {"type": "Recreate"}
    assert container(leader)["name"] == "leader"
    assert container(leader)["ports"] == [
        {"name": "redis", "containerPort": 6379, "protocol": "TCP"}
    ]


def test_followers_replicate_from_this_guestbooks_leader():
    follower = children_of({"redis": {"follower": {"replicas": 4}}})[
        "Deployment", "gb1-redis-follower"
    ]

    assert follower["spec"]["replicas"] == 4
    assert container(follower)["name"] == "follower"
    assert env(follower) == {
        "GET_HOSTS_FROM": "env",
        "REDIS_LEADER_SERVICE_HOST": "gb1-redis-leader",
    }


def test_the_frontend_writes_to_the_leader_and_reads_from_the_followers():
    frontend = children_of()["Deployment", "gb1-frontend"]

    assert container(frontend)["name"] == "php-redis"
    assert container(frontend)["ports"] == [
        {"name": "http", "containerPort": 80, "protocol": "TCP"}
    ]
    assert env(frontend) == {
        "GET_HOSTS_FROM": "env",
        "REDIS_LEADER_SERVICE_HOST": "gb1-redis-leader",
        "REDIS_FOLLOWER_SERVICE_HOST": "gb1-redis-follower",
    }


def test_without_followers_the_frontend_reads_from_the_leader():
    children = children_of({"redis": {"follower": {"replicas": 0}}})

    assert (
        env(children["Deployment", "gb1-frontend"])["REDIS_FOLLOWER_SERVICE_HOST"]
        == "gb1-redis-leader"
    )
    assert children["Deployment", "gb1-redis-follower"]["spec"]["replicas"] == 0


def test_pods_get_no_injected_service_variables_and_run_with_the_default_seccomp_profile():
    for (kind, _), child in children_of().items():
        if kind != "Deployment":
            continue
        pod = child["spec"]["template"]["spec"]
        assert pod["enableServiceLinks"] is False
        assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
        assert container(child)["securityContext"] == {"allowPrivilegeEscalation": False}


def test_every_container_has_requests_and_both_probes():
    for (kind, name), child in children_of().items():
        if kind != "Deployment":
            continue
        spec = container(child)
        assert spec["resources"] == {"requests": {"cpu": "100m", "memory": "100Mi"}}, name
        port = spec["ports"][0]["name"]
        for probe in ("readinessProbe", "livenessProbe"):
            action = spec[probe].get("tcpSocket") or spec[probe]["httpGet"]
            assert action["port"] == port, (name, probe)


def test_the_frontend_is_probed_over_http_on_its_root_page():
    frontend = container(children_of()["Deployment", "gb1-frontend"])

    assert frontend["readinessProbe"]["httpGet"] == {"path": "/", "port": "http"}
    assert frontend["livenessProbe"]["httpGet"] == {"path": "/", "port": "http"}


def test_the_frontend_service_follows_the_spec():
    service = children_of(
        {
            "frontend": {
                "service": {
                    "type": "LoadBalancer",
                    "port": 8080,
                    "nodePort": 30080,
                    "annotations": {"example.com/lb": "internal"},
                }
            }
        }
    )["Service", "gb1-frontend"]

    assert service["metadata"]["annotations"] == {"example.com/lb": "internal"}
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "nodePort": 30080}
    ]


def test_the_default_frontend_service_has_empty_annotations_and_no_node_port():
    service = children_of()["Service", "gb1-frontend"]

    # An empty map, never none: dropping it would make the three-way merge delete
    # every annotation, those written by cloud controllers and people included.
    assert service["metadata"]["annotations"] == {}
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http"}]


@pytest.mark.parametrize(
    ("replicas", "has_budget"), [(0, False), (1, False), (2, True), (3, True), (100, True)]
)
def test_the_disruption_budget_exists_only_while_two_or_more_frontends_run(replicas, has_budget):
    children = children_of({"frontend": {"replicas": replicas}})

    assert (("PodDisruptionBudget", "gb1-frontend") in children) is has_budget


def test_the_disruption_budget_lets_one_frontend_pod_go_at_a_time():
    budget = children_of()["PodDisruptionBudget", "gb1-frontend"]

    assert budget["apiVersion"] == "policy/v1"
    assert budget["spec"] == {
        "maxUnavailable": 1,
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/name": "guestbook",
                "app.kubernetes.io/instance": "gb1",
                "app.kubernetes.io/component": "frontend",
            }
        },
    }


def test_redis_accepts_connections_only_from_this_guestbooks_frontend_and_followers():
    policy = children_of()["NetworkPolicy", "gb1-redis"]
    this_guestbook = {"app.kubernetes.io/name": "guestbook", "app.kubernetes.io/instance": "gb1"}

    assert policy["metadata"]["labels"]["app.kubernetes.io/component"] == "redis"
    assert policy["spec"] == {
        "podSelector": {
            "matchLabels": this_guestbook,
            "matchExpressions": [
                {
                    "key": "app.kubernetes.io/component",
                    "operator": "In",
                    "values": ["redis-follower", "redis-leader"],
                }
            ],
        },
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "podSelector": {
                            "matchLabels": this_guestbook,
                            "matchExpressions": [
                                {
                                    "key": "app.kubernetes.io/component",
                                    "operator": "In",
                                    "values": ["frontend", "redis-follower"],
                                }
                            ],
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
    }


def test_children_carry_only_fields_we_own():
    for child in children_of({"frontend": {"service": {"annotations": {"a": "b"}}}}).values():
        assert set(child) <= {"apiVersion", "kind", "metadata", "spec"}
        assert set(child["metadata"]) <= {"name", "labels", "annotations"}
        for path, value in walk(child):
            assert value is not None, path


def test_every_label_set_marks_the_app_and_its_manager():
    for child in children_of().values():
        for path, value in walk(child):
            if path.endswith(".labels"):
                assert value["app.kubernetes.io/part-of"] == "guestbook", path
                assert value["app.kubernetes.io/managed-by"] == "metacontroller", path


def test_each_call_returns_fresh_objects_the_caller_may_change():
    first = build_children("gb1", parse_spec({}))
    for child in first:
        for _, value in walk(child):
            if isinstance(value, dict):
                value["changed"] = True

    second = build_children("gb1", parse_spec({}))

    assert all(
        "changed" not in value
        for child in second
        for _, value in walk(child)
        if isinstance(value, dict)
    )


FRONTEND_SELECTED = {
    "app.kubernetes.io/name": "guestbook",
    "app.kubernetes.io/instance": "gb1",
    "app.kubernetes.io/component": "frontend",
}


def ingress_of(ingress: dict) -> dict | None:
    return children_of({"frontend": {"ingress": ingress}}).get(("Ingress", "gb1-frontend"))


@pytest.mark.parametrize(
    "ingress",
    [
        pytest.param(None, id="absent"),
        pytest.param({}, id="empty"),
        pytest.param({"enabled": False, "host": "gb.example.com"}, id="disabled"),
    ],
)
def test_there_is_no_ingress_unless_it_is_enabled(ingress):
    frontend = {} if ingress is None else {"ingress": ingress}
    assert "Ingress" not in {kind for kind, _ in children_of({"frontend": frontend})}


def test_the_ingress_comes_right_after_the_frontend_service():
    built = build_children("gb1", parse_spec({"frontend": {"ingress": {"enabled": True}}}))
    names = [(c["kind"], c["metadata"]["name"]) for c in built]
    assert names.index(("Ingress", "gb1-frontend")) == names.index(("Service", "gb1-frontend")) + 1


def test_the_smallest_ingress_sends_every_host_to_the_frontend_service_port_by_name():
    assert ingress_of({"enabled": True}) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "gb1-frontend",
            "labels": {
                **FRONTEND_SELECTED,
                "app.kubernetes.io/part-of": "guestbook",
                "app.kubernetes.io/managed-by": "metacontroller",
            },
            "annotations": {},
        },
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {"name": "gb1-frontend", "port": {"name": "http"}}
                                },
                            }
                        ]
                    }
                }
            ]
        },
    }


def test_the_ingress_follows_every_field_of_the_spec():
    ingress = ingress_of(
        {
            "enabled": True,
            "ingressClassName": "nginx",
            "host": "gb.example.com",
            "path": "/guestbook",
            "pathType": "ImplementationSpecific",
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
            "tls": {"enabled": True, "secretName": "gb-cert"},
        }
    )

    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert ingress["spec"] == {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": "gb.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/guestbook",
                            "pathType": "ImplementationSpecific",
                            "backend": {
                                "service": {"name": "gb1-frontend", "port": {"name": "http"}}
                            },
                        }
                    ]
                },
            }
        ],
        "tls": [{"hosts": ["gb.example.com"], "secretName": "gb-cert"}],
    }


def test_tls_without_a_secret_name_uses_the_frontends_name():
    ingress = ingress_of({"enabled": True, "host": "*.example.com", "tls": {"enabled": True}})
    assert ingress["spec"]["tls"] == [
        {"hosts": ["*.example.com"], "secretName": "gb1-frontend-tls"}
    ]


def test_tls_turned_off_leaves_the_ingress_plain_http():
    ingress = ingress_of(
        {"enabled": True, "host": "gb.example.com", "tls": {"enabled": False, "secretName": "c"}}
    )
    assert "tls" not in ingress["spec"]


@pytest.mark.parametrize("port", [80, 8080])
def test_the_ingress_reaches_the_port_the_service_names_http_whatever_its_number(port):
    children = children_of({"frontend": {"service": {"port": port}, "ingress": {"enabled": True}}})
    [named] = children["Service", "gb1-frontend"]["spec"]["ports"]
    [path] = children["Ingress", "gb1-frontend"]["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"]["port"] == {"name": named["name"]}


def test_the_leader_runs_redis_with_its_aof_on_and_fsynced_as_the_spec_says():
    for policy in APPEND_FSYNC:
        leader = children_of({"redis": {"leader": {"appendFsync": policy}}})[
            "Deployment", "gb1-redis-leader"
        ]
        assert container(leader)["args"] == [
            "redis-server",
            "--appendonly",
            "yes",
            "--appendfsync",
            policy,
        ]
        assert container(leader)["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]


def test_the_leader_keeps_its_data_on_its_claim():
    children = children_of()
    leader = children["Deployment", "gb1-redis-leader"]
    claim = children["PersistentVolumeClaim", "gb1-redis-leader-data"]

    assert leader["spec"]["template"]["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "gb1-redis-leader-data"}}
    ]
    assert claim["apiVersion"] == "v1"
    assert claim["metadata"]["labels"] == leader["metadata"]["labels"]


def test_without_storage_there_is_no_claim_and_the_leader_uses_an_emptydir():
    children = children_of({"redis": {"leader": {"storage": {"enabled": False}}}})

    assert [kind for kind, _ in children if kind == "PersistentVolumeClaim"] == []
    leader = children["Deployment", "gb1-redis-leader"]
    assert leader["spec"]["template"]["spec"]["volumes"] == [{"name": "data", "emptyDir": {}}]


def test_the_migration_job_is_hardened_like_every_other_pod():
    job = migration_job("gb1", parse_spec({"redis": {"leader": {"image": "redis:7.2"}}}).leader)
    pod = job["spec"]["template"]["spec"]
    (copier,) = pod["containers"]

    assert job["apiVersion"] == "batch/v1"
    assert job["metadata"]["name"] == "gb1-redis-migrate"
    assert job["spec"]["backoffLimit"] == 3
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert copier["securityContext"] == {"allowPrivilegeEscalation": False}
    assert copier["resources"] == {"requests": {"cpu": "100m", "memory": "100Mi"}}
    assert copier["image"] == "redis:7.2"
    assert pod["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "gb1-redis-leader-data"}}
    ]


def test_the_migration_pods_never_carry_the_leaders_labels():
    job = migration_job("gb1", parse_spec({}).leader)
    leader = children_of()["Deployment", "gb1-redis-leader"]
    leader_selector = leader["spec"]["selector"]["matchLabels"].items()

    for labels in (job["metadata"]["labels"], job["spec"]["template"]["metadata"]["labels"]):
        assert labels["app.kubernetes.io/component"] == "redis-migrate"
        assert not leader_selector <= labels.items()
