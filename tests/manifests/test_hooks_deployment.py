"""The hooks Deployment and its neighbours: locked down, probed, reached by Metacontroller only."""

import copy
import math
import runpy

import pytest

from hooks.app import create_app
from hooks.quantity import parse_quantity
from tests.manifests import files
from tests.manifests.restricted import RULES

LISTED = files.listed_objects(files.INSTALL)
DEPLOYMENT = files.only(LISTED, "Deployment")
POD = DEPLOYMENT["spec"]["template"]["spec"]
[CONTAINER] = POD["containers"]
POD_LABELS = DEPLOYMENT["spec"]["template"]["metadata"]["labels"]
METACONTROLLER_NAMESPACE = "metacontroller"
# One way to break each rule, to show that its check can fail.
VIOLATIONS = {
    "host-process": lambda pod: pod["securityContext"].update(windowsOptions={"hostProcess": True}),
    "host-namespaces": lambda pod: pod.update(hostNetwork=True),
    "privileged-containers": lambda pod: _context(pod).update(privileged=True),
    "baseline-capabilities": lambda pod: _context(pod)["capabilities"].update(add=["SYS_ADMIN"]),
    "host-path-volumes": lambda pod: pod["volumes"].append(
        {"name": "h", "hostPath": {"path": "/"}}
    ),
    "host-ports": lambda pod: pod["containers"][0]["ports"][0].update(hostPort=8080),
    "app-armor": lambda pod: _context(pod).update(appArmorProfile={"type": "Unconfined"}),
    "selinux": lambda pod: _context(pod).update(seLinuxOptions={"user": "root"}),
    "proc-mount": lambda pod: _context(pod).update(procMount="Unmasked"),
    "sysctls": lambda pod: pod["securityContext"].update(sysctls=[{"name": "kernel.msgmax"}]),
    "volume-types": lambda pod: pod["volumes"].append({"name": "n", "nfs": {"path": "/"}}),
    "privilege-escalation": lambda pod: _context(pod).pop("allowPrivilegeEscalation"),
    "running-as-non-root": lambda pod: _context(pod).update(runAsNonRoot=False),
    "running-as-non-root-user": lambda pod: _context(pod).update(runAsUser=0),
    "seccomp": lambda pod: _context(pod).update(seccompProfile={"type": "Unconfined"}),
    "restricted-capabilities": lambda pod: _context(pod)["capabilities"].update(drop=["NET_RAW"]),
}


def _context(pod: dict) -> dict:
    return pod["containers"][0]["securityContext"]


def selects(selector: dict, labels: dict) -> bool:
    """Whether a matchLabels selector picks objects with these labels."""
    return selector.items() <= labels.items()


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Return gunicorn.conf.py's settings under the Deployment's environment."""
    for variable in CONTAINER["env"]:
        monkeypatch.setenv(variable["name"], variable["value"])
    return runpy.run_path(str(files.ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("rule", RULES)
def test_hooks_pod_meets_the_restricted_pod_security_rule(rule):
    assert RULES[rule](POD) == []


@pytest.mark.parametrize("rule", RULES)
def test_restricted_rule_check_catches_a_violation(rule):
    pod = copy.deepcopy(POD)
    VIOLATIONS[rule](pod)
    assert RULES[rule](pod) != []


def test_hooks_namespace_enforces_the_restricted_profile():
    namespace = files.only(LISTED, "Namespace")
    assert namespace["metadata"]["name"] == files.kustomization(files.INSTALL)["namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_hooks_run_two_replicas_spread_across_nodes():
    assert DEPLOYMENT["spec"]["replicas"] == 2
    assert selects(DEPLOYMENT["spec"]["selector"]["matchLabels"], POD_LABELS)
    [spread] = POD["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"] == DEPLOYMENT["spec"]["selector"]["matchLabels"]


def test_hooks_pod_carries_no_api_credentials():
    account = files.find(LISTED, "ServiceAccount", POD["serviceAccountName"])
    assert POD["automountServiceAccountToken"] is False
    assert account["automountServiceAccountToken"] is False


def test_root_filesystem_is_read_only_with_a_memory_backed_tmp():
    assert CONTAINER["securityContext"]["readOnlyRootFilesystem"] is True
    [mount] = CONTAINER["volumeMounts"]
    [volume] = POD["volumes"]
    assert (mount["name"], mount["mountPath"]) == (volume["name"], "/tmp")  # noqa: S108 (a mount path)
    assert volume["emptyDir"]["medium"] == "Memory"


@pytest.mark.parametrize("probe", ["livenessProbe", "readinessProbe"])
def test_probe_asks_a_get_route_of_the_app_on_the_named_port(probe):
    check = CONTAINER[probe]["httpGet"]
    routes = {rule.rule: rule.methods for rule in create_app().url_map.iter_rules()}
    assert "GET" in routes[check["path"]]
    assert check["port"] in [port["name"] for port in CONTAINER["ports"]]


def test_probes_are_liveness_healthz_and_readiness_readyz():
    assert CONTAINER["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert CONTAINER["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_container_port_is_the_port_gunicorn_binds(monkeypatch):
    [port] = CONTAINER["ports"]
    assert gunicorn_settings(monkeypatch)["bind"].rsplit(":", 1)[1] == str(port["containerPort"])


def test_gunicorn_runs_one_worker_per_core_of_the_cpu_limit(monkeypatch):
    cores = math.ceil(parse_quantity(CONTAINER["resources"]["limits"]["cpu"]))
    assert gunicorn_settings(monkeypatch)["workers"] == cores


def test_container_requests_and_limits_cpu_and_memory():
    resources = CONTAINER["resources"]
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}
    for name, request in resources["requests"].items():
        assert parse_quantity(request) <= parse_quantity(resources["limits"][name])


def test_container_image_is_the_one_the_kustomization_sets():
    assert [CONTAINER["image"]] == [i["name"] for i in files.kustomization(files.INSTALL)["images"]]


def test_service_sends_port_80_to_the_named_container_port():
    service = files.only(LISTED, "Service")
    assert selects(service["spec"]["selector"], POD_LABELS)
    [port] = service["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (80, CONTAINER["ports"][0]["name"])


def test_disruption_budget_keeps_a_replica_through_a_drain():
    budget = files.only(LISTED, "PodDisruptionBudget")
    assert selects(budget["spec"]["selector"]["matchLabels"], POD_LABELS)
    assert budget["spec"]["maxUnavailable"] < DEPLOYMENT["spec"]["replicas"]


def test_network_policy_admits_only_metacontroller_to_the_hooks_port():
    policy = files.only(LISTED, "NetworkPolicy")["spec"]
    assert selects(policy["podSelector"]["matchLabels"], POD_LABELS)
    assert policy["policyTypes"] == ["Ingress"]
    assert policy["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": METACONTROLLER_NAMESPACE}
                    }
                }
            ],
            "ports": [{"port": CONTAINER["ports"][0]["name"], "protocol": "TCP"}],
        }
    ]


@pytest.mark.parametrize(
    ("name", "aggregate_to", "verbs", "scale_verbs"),
    [
        pytest.param(
            "guestbook-editor",
            {"admin", "edit"},
            {"create", "update", "patch", "delete", "watch"},
            {"get", "update", "patch"},
            id="edit",
        ),
        pytest.param("guestbook-viewer", {"view"}, {"get", "list", "watch"}, {"get"}, id="view"),
    ],
)
def test_cluster_role_adds_guestbooks_to_the_built_in_roles(name, aggregate_to, verbs, scale_verbs):
    role = files.find(LISTED, "ClusterRole", name)
    crd = files.guestbook_crd()
    labels = role["metadata"]["labels"]
    prefix = "rbac.authorization.k8s.io/aggregate-to-"
    assert {key.removeprefix(prefix) for key in labels if key.startswith(prefix)} == aggregate_to
    plural = crd["spec"]["names"]["plural"]
    granted = {
        resource: set(rule["verbs"])
        for rule in role["rules"]
        for resource in rule["resources"]
        if rule["apiGroups"] == [crd["spec"]["group"]]
    }
    assert verbs <= granted[plural]
    assert scale_verbs <= granted[f"{plural}/scale"]
    assert {"get"} <= granted[f"{plural}/status"]


def test_metrics_directory_lies_on_the_writable_volume():
    env = {variable["name"]: variable["value"] for variable in CONTAINER["env"]}
    mounts = [mount["mountPath"] for mount in CONTAINER["volumeMounts"]]

    assert any(env["PROMETHEUS_MULTIPROC_DIR"].startswith(f"{path}/") for path in mounts)


def test_pods_invite_scraping_of_the_metrics_route_on_the_container_port():
    annotations = DEPLOYMENT["spec"]["template"]["metadata"]["annotations"]
    routes = {rule.rule for rule in create_app().url_map.iter_rules()}

    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] in routes
    assert int(annotations["prometheus.io/port"]) == CONTAINER["ports"][0]["containerPort"]


def test_termination_waits_out_the_pre_stop_delay_and_the_graceful_timeout(monkeypatch):
    pre_stop = CONTAINER["lifecycle"]["preStop"]["exec"]["command"]
    graceful = gunicorn_settings(monkeypatch)["graceful_timeout"]

    assert pre_stop[0] == "sleep"
    assert POD["terminationGracePeriodSeconds"] > int(pre_stop[1]) + graceful
