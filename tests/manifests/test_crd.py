"""The Guestbook CRD: a valid, fully described schema whose facts equal the hooks' own."""

import copy
import re
from types import MappingProxyType

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hooks import conditions, ingress, names, spec
from hooks.observed import MAX_NAME_LENGTH, OBJECT_NAME
from hooks.placement import FIELDS as PLACEMENT_FIELDS
from hooks.placement import SOFT_SPREAD, SPREAD
from hooks.quantity import MAX_EXPONENT, QUANTITY, QuantityError, parse_quantity
from hooks.resources import KINDS, MAX_RESOURCES
from hooks.spec import GROUP
from tests import apiserver
from tests.golden.cases import CASES
from tests.kube_schemas import KUBERNETES_VERSIONS, MINIMUM_VERSION, schema_errors
from tests.manifests import files, openapi

CRD = files.guestbook_crd()
SCHEMA = openapi.openapi_schema(CRD, "v1")
VERSION = CRD["spec"]["versions"][0]
STATUS_SCHEMA = SCHEMA["properties"]["status"]
IMAGE_FIELDS = ("spec.frontend.image", "spec.redis.leader.image", "spec.redis.follower.image")
RESOURCE_FIELDS = (
    "spec.frontend.resources",
    "spec.redis.leader.resources",
    "spec.redis.follower.resources",
)
QUANTITY_FIELD = "spec.frontend.resources.requests.cpu"
STORAGE = "spec.redis.leader.storage"
JSONPATH_STEP = re.compile(r'\.(?P<key>\w+)|\[\?\(@\.(?P<field>\w+)=="(?P<value>[^"]*)"\)\]')


def plain(value: object) -> object:
    """Return a value with every read-only mapping turned into a dict and tuple into a list."""
    if isinstance(value, MappingProxyType | dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    return value


def as_manifest(parsed: spec.GuestbookSpec) -> dict:
    """Return a parsed spec written back as the fully defaulted spec a person would write."""
    service = {"type": parsed.service.type, "port": parsed.service.port}
    if parsed.service.node_port is not None:
        service["nodePort"] = parsed.service.node_port
    if parsed.service.annotations:
        service["annotations"] = plain(parsed.service.annotations)
    frontend = {**_tier(parsed.frontend), "replicas": parsed.frontend.replicas, "service": service}
    if parsed.ingress is not None:
        frontend["ingress"] = _ingress(parsed.ingress)
    storage = {
        "enabled": parsed.storage.enabled,
        "size": parsed.storage.size,
        "accessMode": parsed.storage.access_mode,
    }
    if parsed.storage.storage_class is not None:
        storage["storageClassName"] = parsed.storage.storage_class
    leader = {**_tier(parsed.leader), "appendFsync": parsed.append_fsync, "storage": storage}
    follower = {**_tier(parsed.follower), "replicas": parsed.follower.replicas}
    return {"frontend": frontend, "redis": {"leader": leader, "follower": follower}}


def _tier(tier: spec.Tier) -> dict:
    return {"image": tier.image, "resources": plain(tier.resources), **plain(tier.placement)}


def _ingress(ingress: ingress.IngressSpec) -> dict:
    written = {"enabled": ingress.enabled, "path": ingress.path, "pathType": ingress.path_type}
    optional = {
        "ingressClassName": ingress.class_name,
        "host": ingress.host,
        "annotations": plain(ingress.annotations) or None,
    }
    written.update({key: value for key, value in optional.items() if value is not None})
    if ingress.tls is not None:
        written["tls"] = {"enabled": ingress.tls.enabled}
        if ingress.tls.secret_name is not None:
            written["tls"]["secretName"] = ingress.tls.secret_name
    return written


def guestbook_with(spec_fields: dict | None) -> dict:
    """Return a Guestbook manifest with the given spec (none at all for None)."""
    guestbook = {
        "apiVersion": apiserver.API_VERSION,
        "kind": "Guestbook",
        "metadata": {"name": "gb1"},
    }
    if spec_fields is not None:
        guestbook["spec"] = spec_fields
    return guestbook


def test_crd_is_a_valid_kubernetes_object():
    for version in KUBERNETES_VERSIONS:
        assert schema_errors(CRD, version) == [], f"Kubernetes {version}"


def test_crd_serves_the_guestbook_api_of_the_design():
    assert CRD["metadata"]["name"] == f"guestbooks.{GROUP}"
    assert CRD["spec"]["group"] == GROUP
    assert CRD["spec"]["scope"] == "Namespaced"
    assert CRD["spec"]["names"] == {
        "kind": "Guestbook",
        "listKind": "GuestbookList",
        "plural": "guestbooks",
        "singular": "guestbook",
        "shortNames": ["gb"],
    }
    assert [(v["name"], v["served"], v["storage"]) for v in CRD["spec"]["versions"]] == [
        ("v1", True, True)
    ]


def test_every_schema_field_has_a_description():
    # Root metadata is the exception: the API server forbids a description there.
    undescribed = [path for path, field in openapi.fields(SCHEMA) if not field.get("description")]
    assert undescribed == ["metadata"]


def test_schema_is_structural_as_the_api_server_requires():
    assert openapi.structural_problems(SCHEMA) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda s: s["properties"]["metadata"].update(description="x"),
            "metadata: only rules on name and generateName are allowed",
            id="described-metadata",
        ),
        pytest.param(
            lambda s: s["properties"]["spec"].pop("type"),
            "spec: type must not be empty",
            id="untyped-field",
        ),
        pytest.param(
            lambda s: s["properties"]["spec"].update(
                {"x-kubernetes-preserve-unknown-fields": True}
            ),
            "spec: keeps unknown fields",
            id="preserved-unknown-fields",
        ),
        pytest.param(
            lambda s: s["properties"]["status"]["properties"]["conditions"].pop("items"),
            "status.conditions: items must be specified",
            id="array-without-items",
        ),
        pytest.param(
            lambda s: s["properties"]["spec"].update(
                anyOf=[{"type": "string", "description": "x"}]
            ),
            "spec: anyOf may only be the int-or-string pair",
            id="nested-generics",
        ),
    ],
)
def test_structural_check_catches_a_broken_schema(change, problem):
    broken = copy.deepcopy(SCHEMA)
    change(broken)
    assert problem in openapi.structural_problems(broken)


@pytest.mark.parametrize(
    ("path", "default"),
    [
        pytest.param("spec.frontend.image", spec.FRONTEND_IMAGE, id="frontend-image"),
        pytest.param(
            "spec.frontend.replicas", spec.FRONTEND_REPLICAS.default, id="frontend-replicas"
        ),
        pytest.param("spec.frontend.service.type", spec.SERVICE_TYPES[0], id="service-type"),
        pytest.param("spec.frontend.service.port", spec.SERVICE_PORT.default, id="service-port"),
        pytest.param("spec.redis.leader.image", spec.LEADER_IMAGE, id="leader-image"),
        pytest.param("spec.redis.follower.image", spec.FOLLOWER_IMAGE, id="follower-image"),
        pytest.param(
            "spec.redis.follower.replicas", spec.FOLLOWER_REPLICAS.default, id="followers"
        ),
        *(pytest.param(path, plain(spec.DEFAULT_RESOURCES), id=path) for path in RESOURCE_FIELDS),
        *(
            pytest.param(
                f"{tier}.topologySpreadConstraints", plain(SOFT_SPREAD), id=f"{tier}-spread"
            )
            for tier in ("spec.frontend", "spec.redis.follower")
        ),
        pytest.param("spec.frontend.ingress.enabled", False, id="ingress-enabled"),
        pytest.param("spec.frontend.ingress.path", ingress.INGRESS_PATH, id="ingress-path"),
        pytest.param(
            "spec.frontend.ingress.pathType", ingress.PATH_TYPES[0], id="ingress-path-type"
        ),
        pytest.param("spec.frontend.ingress.tls.enabled", False, id="ingress-tls"),
        pytest.param("spec.redis.leader.appendFsync", spec.DEFAULT_APPEND_FSYNC, id="append-fsync"),
        pytest.param(f"{STORAGE}.enabled", True, id="storage-enabled"),
        pytest.param(f"{STORAGE}.size", spec.DEFAULT_STORAGE_SIZE, id="storage-size"),
        pytest.param(f"{STORAGE}.accessMode", spec.ACCESS_MODES[0], id="access-mode"),
    ],
)
def test_crd_default_equals_the_hooks_default(path, default):
    assert openapi.field_at(SCHEMA, path)["default"] == default


@pytest.mark.parametrize(
    "path",
    [
        *(f"spec.redis.leader.{field}" for field in PLACEMENT_FIELDS),
        *(f"spec.frontend.{field}" for field in PLACEMENT_FIELDS if field != SPREAD),
        "spec.frontend.ingress",
        "spec.frontend.ingress.tls.secretName",
    ],
)
def test_fields_without_a_default_in_the_hooks_have_none_in_the_crd(path):
    # The leader is one pod: nothing to spread. The Secret's default name needs the base.
    assert "default" not in openapi.field_at(SCHEMA, path)


def test_node_port_has_no_default_in_either_place():
    assert spec.NODE_PORT.default is None
    assert "default" not in openapi.field_at(SCHEMA, "spec.frontend.service.nodePort")


def test_the_storage_class_has_no_default_in_either_place():
    assert spec.parse_spec({}).storage.storage_class is None
    assert "default" not in openapi.field_at(SCHEMA, f"{STORAGE}.storageClassName")


@pytest.mark.parametrize(
    ("path", "bounds"),
    [
        pytest.param("spec.frontend.replicas", spec.FRONTEND_REPLICAS, id="frontend-replicas"),
        pytest.param("spec.redis.follower.replicas", spec.FOLLOWER_REPLICAS, id="followers"),
        pytest.param("spec.frontend.service.port", spec.SERVICE_PORT, id="service-port"),
        pytest.param("spec.frontend.service.nodePort", spec.NODE_PORT, id="node-port"),
    ],
)
def test_crd_bounds_equal_the_hooks_bounds(path, bounds):
    field = openapi.field_at(SCHEMA, path)
    assert (field["type"], field["minimum"], field["maximum"]) == (
        "integer",
        bounds.minimum,
        bounds.maximum,
    )


@pytest.mark.parametrize(
    ("path", "choices"),
    [
        pytest.param("spec.frontend.service.type", spec.SERVICE_TYPES, id="service-type"),
        pytest.param("spec.redis.leader.appendFsync", spec.APPEND_FSYNC, id="append-fsync"),
        pytest.param(f"{STORAGE}.accessMode", spec.ACCESS_MODES, id="access-mode"),
    ],
)
def test_crd_enums_equal_the_hooks_choices(path, choices):
    assert openapi.field_at(SCHEMA, path)["enum"] == list(choices)


@pytest.mark.parametrize(
    ("path", "pattern", "max_length"),
    [
        pytest.param(f"{STORAGE}.size", spec.STORAGE_SIZE, 8, id="size"),
        pytest.param(
            f"{STORAGE}.storageClassName", OBJECT_NAME, MAX_NAME_LENGTH, id="storage-class"
        ),
    ],
)
def test_crd_storage_patterns_equal_the_hooks_patterns(path, pattern, max_length):
    field = openapi.field_at(SCHEMA, path)
    assert (field["pattern"], field["maxLength"]) == (f"^{pattern.pattern}$", max_length)


def test_the_longest_size_the_pattern_allows_fits_its_max_length():
    assert len("999999Ti") == openapi.field_at(SCHEMA, f"{STORAGE}.size")["maxLength"]
    assert spec.parse_spec({"redis": {"leader": {"storage": {"size": "999999Ti"}}}})


def test_crd_path_types_equal_the_hooks_path_types():
    assert openapi.field_at(SCHEMA, "spec.frontend.ingress.pathType")["enum"] == list(
        ingress.PATH_TYPES
    )


@pytest.mark.parametrize("path", IMAGE_FIELDS)
def test_crd_image_rule_equals_the_hooks_image_rule(path):
    field = openapi.field_at(SCHEMA, path)
    assert (field["pattern"], field["maxLength"]) == (
        f"^{spec.IMAGE_PATTERN.pattern}$",
        spec.IMAGE_MAX_LENGTH,
    )


def test_crd_name_rule_equals_the_names_used_as_they_are():
    field = openapi.field_at(SCHEMA, "metadata.name")
    assert (field["pattern"], field["maxLength"]) == (
        f"^{names.PLAIN_NAME.pattern}$",
        names.MAX_BASE_LENGTH,
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("gb1", id="short"),
        pytest.param("a" * names.MAX_BASE_LENGTH, id="longest"),
        pytest.param("a" * (names.MAX_BASE_LENGTH + 1), id="one-too-long"),
        pytest.param("my-guestbook", id="dashed"),
        pytest.param("my--guestbook", id="double-dash"),
        pytest.param("1guestbook", id="leading-digit"),
        pytest.param("guestbook.example", id="dotted"),
        pytest.param("Guestbook", id="upper-case"),
        pytest.param("guestbook-", id="trailing-dash"),
    ],
)
def test_crd_accepts_exactly_the_names_the_hooks_use_unchanged(name):
    accepted = openapi.errors({**guestbook_with(None), "metadata": {"name": name}}, SCHEMA) == []
    assert accepted == (names.base_name(name) == name)


@pytest.mark.parametrize(
    "spec_fields",
    [
        pytest.param(None, id="no-spec"),
        pytest.param({}, id="empty-spec"),
        pytest.param({"frontend": {}}, id="empty-frontend"),
        pytest.param({"frontend": {"service": {"type": "NodePort"}}}, id="node-port-service"),
        pytest.param({"frontend": {"resources": {"limits": {"cpu": "1"}}}}, id="limits-only"),
        pytest.param({"frontend": {"resources": {}}}, id="empty-resources"),
        pytest.param({"redis": {"follower": {"replicas": 0}}}, id="no-followers"),
        pytest.param({"redis": {"leader": {"image": "redis:7"}}}, id="leader-image"),
        pytest.param(files.load_yaml(files.SAMPLES / "webapp_v1_guestbook_full.yaml")[0]["spec"],
                     id="full-sample"),
    ],
)  # fmt: skip
def test_crd_defaults_fill_in_what_the_hooks_assume(spec_fields):
    guestbook = guestbook_with(spec_fields)
    defaulted = openapi.with_defaults(guestbook, SCHEMA)
    assert openapi.errors(guestbook, SCHEMA) == []
    assert defaulted["spec"] == as_manifest(spec.parse_spec(guestbook.get("spec")))


@pytest.mark.parametrize("service_type", spec.SERVICE_TYPES)
@pytest.mark.parametrize("node_port", [None, 30080], ids=["no-node-port", "node-port"])
def test_node_port_rule_allows_it_only_where_the_hooks_do(service_type, node_port):
    service = {"type": service_type}
    if node_port is not None:
        service["nodePort"] = node_port
    allowed = node_port is None or service_type in spec.NODE_PORT_TYPES
    expected = (
        []
        if allowed
        else [
            "spec.frontend.service.nodePort: "
            "nodePort can only be set when type is NodePort or LoadBalancer"
        ]
    )
    assert openapi.errors(guestbook_with({"frontend": {"service": service}}), SCHEMA) == expected
    if not allowed:
        with pytest.raises(spec.SpecError) as error:
            spec.parse_spec({"frontend": {"service": service}})
        assert error.value.path == "spec.frontend.service.nodePort"


def storage_update(before: dict, after: dict) -> list[str]:
    """Return the API server's errors when the leader's storage changes from one to the other."""
    old, new = (guestbook_with({"redis": {"leader": {"storage": s}}}) for s in (before, after))
    assert openapi.errors(old, SCHEMA) == []
    return openapi.update_errors(old, new, SCHEMA)


GROW_ONLY = [f"{STORAGE}.size: size may grow but never shrink"]
CLASS_FIXED = [f"{STORAGE}.storageClassName: storageClassName cannot change or be removed once set"]


@pytest.mark.parametrize(
    ("before", "after", "refused"),
    [
        pytest.param({}, {"size": "2Gi"}, [], id="grow-from-the-default"),
        pytest.param({"size": "1Gi"}, {"size": "1024Mi"}, [], id="same-size-other-unit"),
        pytest.param({"size": "1536Mi"}, {"size": "2Gi"}, [], id="grow-across-units"),
        pytest.param({"size": "1Ti"}, {"size": "1025Gi"}, [], id="grow-by-a-gibibyte"),
        pytest.param({"size": "2Gi"}, {"size": "1Gi"}, GROW_ONLY, id="shrink"),
        pytest.param({"size": "2Gi"}, {}, GROW_ONLY, id="shrink-to-the-default"),
        pytest.param({"size": "1Gi"}, {"size": "1023Mi"}, GROW_ONLY, id="shrink-by-a-mebibyte"),
        pytest.param({}, {"storageClassName": "fast"}, [], id="set-a-class"),
        pytest.param({"storageClassName": "fast"}, {"storageClassName": "fast"}, [], id="same"),
        pytest.param(
            {"storageClassName": "fast"}, {"storageClassName": "slow"}, CLASS_FIXED, id="change"
        ),
        pytest.param({"storageClassName": "fast"}, {}, CLASS_FIXED, id="remove-the-class"),
        pytest.param(
            {},
            {"enabled": False},
            [f"{STORAGE}.enabled: enabled cannot change after the guestbook is created"],
            id="disable",
        ),
        pytest.param(
            {"enabled": False},
            {"enabled": True},
            [f"{STORAGE}.enabled: enabled cannot change after the guestbook is created"],
            id="enable",
        ),
        pytest.param(
            {},
            {"accessMode": "ReadWriteOncePod"},
            [f"{STORAGE}.accessMode: accessMode cannot change after the guestbook is created"],
            id="change-access-mode",
        ),
    ],
)
def test_crd_lets_storage_grow_and_set_a_class_but_changes_nothing_else(before, after, refused):
    assert storage_update(before, after) == refused


def test_an_existing_guestbook_without_storage_reads_as_enabled_and_cannot_disable_it():
    # A guestbook stored before these fields existed is defaulted as it is read.
    old = guestbook_with({})
    new = guestbook_with({"redis": {"leader": {"storage": {"enabled": False}}}})
    assert openapi.update_errors(old, new, SCHEMA) == [
        f"{STORAGE}.enabled: enabled cannot change after the guestbook is created"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("size", "0Gi", id="size-zero"),
        pytest.param("size", "1.5Gi", id="size-fraction"),
        pytest.param("size", "1G", id="size-decimal-unit"),
        pytest.param("size", "1000000Mi", id="size-seven-digits"),
        pytest.param("accessMode", "ReadWriteMany", id="access-mode-shared"),
        pytest.param("storageClassName", "Fast_SSD", id="class-not-a-name"),
        pytest.param("storageClassName", "", id="class-empty"),
        pytest.param("enabled", "yes", id="enabled-a-string"),
    ],
)
def test_crd_and_hooks_both_refuse_a_bad_storage_field(field, value):
    raw = {"redis": {"leader": {"storage": {field: value}}}}
    assert openapi.error_fields(openapi.errors(guestbook_with(raw), SCHEMA)) == [
        f"{STORAGE}.{field}"
    ]
    with pytest.raises(spec.SpecError) as error:
        spec.parse_spec(raw)
    assert error.value.path == f"{STORAGE}.{field}"


def test_crd_and_hooks_both_refuse_an_unknown_append_fsync():
    raw = {"redis": {"leader": {"appendFsync": "sometimes"}}}
    assert openapi.error_fields(openapi.errors(guestbook_with(raw), SCHEMA)) == [
        "spec.redis.leader.appendFsync"
    ]
    with pytest.raises(spec.SpecError, match=r"spec\.redis\.leader\.appendFsync"):
        spec.parse_spec(raw)


@pytest.mark.parametrize("sample", ["webapp_v1_guestbook.yaml", "webapp_v1_guestbook_full.yaml"])
def test_every_cel_rule_holds_on_each_defaulted_sample(sample):
    [manifest] = files.load_yaml(files.SAMPLES / sample)
    defaulted = openapi.with_defaults(manifest, SCHEMA)
    rules = [
        (path, rule["rule"])
        for path, field in [("", SCHEMA), *openapi.fields(SCHEMA)]
        for rule in field.get("x-kubernetes-validations", [])
    ]
    assert rules, "the CRD has CEL rules"
    checked = 0
    for path, rule in rules:
        value = defaulted
        for key in filter(None, path.split(".")):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue  # a rule applies only where its field is set (limits: never by default)
        # A transition rule compares with the value before an update: here, the same.
        assert openapi.rule_holds(rule, value, value) is True
        checked += 1
    assert checked >= len(rules) // 2


# Kubernetes' validateContainerResourceName: what the CRD's rule can express of it.
@pytest.mark.parametrize(
    ("name", "valid"),
    [
        pytest.param("cpu", True, id="cpu"),
        pytest.param("memory", True, id="memory"),
        pytest.param("ephemeral-storage", True, id="ephemeral-storage"),
        pytest.param("hugepages-2Mi", True, id="hugepages"),
        pytest.param("example.com/gpu", True, id="extended"),
        pytest.param("gpu", False, id="unprefixed-gpu"),
        pytest.param("pods", False, id="quota-resource"),
        pytest.param("storage", False, id="volume-resource"),
    ],
)
def test_the_crd_and_the_hooks_agree_on_container_resource_names(name, valid):
    resources = {"limits": {name: "2Mi"}, "requests": {"memory": "2Mi"}}
    if name.startswith("hugepages-"):
        resources["requests"][name] = "2Mi"
    if "/" in name:
        resources = {"limits": {name: 1}}
    guestbook = guestbook_with({"redis": {"leader": {"resources": resources}}})

    errors = openapi.errors(guestbook, SCHEMA)

    assert (errors == []) is valid, errors
    if valid:
        spec.parse_spec(guestbook["spec"])
    else:
        assert errors == [
            "spec.redis.leader.resources.limits: resource names are cpu, memory, "
            "ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource such "
            "as example.com/gpu"
        ]
        with pytest.raises(spec.SpecError) as error:
            spec.parse_spec(guestbook["spec"])
        assert error.value.path == f"spec.redis.leader.resources.limits.{name}"


def crd_accepts_quantity(value: object) -> bool:
    guestbook = guestbook_with({"frontend": {"resources": {"requests": {"cpu": value}}}})
    return openapi.errors(guestbook, SCHEMA) == []


def hooks_accept_quantity(value: object) -> bool:
    try:
        parse_quantity(value)
    except QuantityError:
        return False
    return True


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        *((v, True) for v in ["100m", "1Gi", "0.5", ".5", "1.", "+1", "2k", "1e3", "1E-3"]),
        *((v, True) for v in ["500u", "3n", "1Ei", "7", 2, 0]),
        *((v, False) for v in ["-1", -1, "1.2.3", "abc", "", "1 Gi", "1KiB", "1ki", "Mi"]),
        *((v, False) for v in ["e3", "0x10", "1e", "1Gi ", " 1"]),
    ],
    ids=repr,
)
def test_crd_and_hooks_agree_on_every_quantity(value, valid):
    assert (crd_accepts_quantity(value), hooks_accept_quantity(value)) == (valid, valid)


CRD_QUANTITY = openapi.field_at(SCHEMA, "spec.frontend.resources.requests")["additionalProperties"]


@settings(deadline=None)
@given(st.from_regex(CRD_QUANTITY["pattern"], fullmatch=True))
def test_hooks_accept_every_quantity_string_the_crd_accepts(text):
    exponent = re.search(r"[eE]([+-]?[0-9]+)$", text)
    # The hooks also bound the exponent, which a pattern cannot say simply.
    assume(exponent is None or abs(int(exponent[1])) <= MAX_EXPONENT)
    assert hooks_accept_quantity(text)


@settings(deadline=None)
@given(st.from_regex(QUANTITY, fullmatch=True))
def test_crd_accepts_every_quantity_string_the_hooks_accept(text):
    assume(hooks_accept_quantity(text))
    assert crd_accepts_quantity(text)


def test_scale_subresource_points_at_the_frontend():
    assert VERSION["subresources"] == {
        "status": {},
        "scale": {
            "specReplicasPath": ".spec.frontend.replicas",
            "statusReplicasPath": ".status.replicas",
            "labelSelectorPath": ".status.selector",
        },
    }


def test_scaling_sets_the_replicas_the_hooks_read():
    scale = VERSION["subresources"]["scale"]
    guestbook = guestbook_with({"frontend": {}})
    *parents, last = scale["specReplicasPath"].strip(".").split(".")
    target = guestbook
    for key in parents:
        target = target[key]
    target[last] = 7
    assert openapi.errors(guestbook, SCHEMA) == []
    assert spec.parse_spec(guestbook["spec"]).frontend.replicas == 7


@pytest.mark.parametrize("case", CASES)
def test_scale_status_paths_read_the_frontend_pods(case):
    request, response = files.golden(case)
    scale = VERSION["subresources"]["scale"]
    [selector] = jsonpath({"status": response["status"]}, scale["labelSelectorPath"])
    [replicas] = jsonpath({"status": response["status"]}, scale["statusReplicasPath"])
    base = names.base_name(request["parent"]["metadata"]["name"])
    frontend = names.child_name(base, names.FRONTEND)
    deployments = request["children"]["Deployment.apps/v1"].values()
    live = [d for d in deployments if d["metadata"]["name"] == frontend]
    assert replicas == sum(d["status"].get("replicas", 0) for d in live)
    assert dict(pair.split("=") for pair in selector.split(",")) == names.selector_labels(
        base, names.FRONTEND
    )


def jsonpath(obj: dict, path: str) -> list:
    """Evaluate the subset of kubectl's JSONPath that the printer columns use."""
    steps = list(JSONPATH_STEP.finditer(path))
    assert "".join(step[0] for step in steps) == path, f"unsupported JSONPath {path}"
    values = [obj]
    for step in steps:
        if step["key"]:
            values = [v[step["key"]] for v in values if isinstance(v, dict) and step["key"] in v]
        else:
            values = [
                item for v in values for item in v if item.get(step["field"]) == step["value"]
            ]
    return values


def schema_at(path: str) -> dict:
    """Return the schema of the field a printer column's JSONPath reads."""
    field = SCHEMA
    for step in JSONPATH_STEP.finditer(path):
        if step["key"]:
            field = field["properties"][step["key"]]
        else:
            field = field["items"]
            assert step["field"] in field["properties"]
    return field


def test_printer_columns_are_those_of_the_design():
    columns = [
        (c["name"], c["type"], c.get("priority", 0)) for c in VERSION["additionalPrinterColumns"]
    ]
    assert columns == [
        ("Ready", "string", 0),
        ("Frontend", "integer", 0),
        ("Desired", "integer", 0),
        ("URL", "string", 1),
        ("Storage", "string", 1),
        ("Age", "date", 0),
    ]


@pytest.mark.parametrize(
    "column",
    [c for c in VERSION["additionalPrinterColumns"] if c["name"] != "Age"],
    ids=lambda column: column["name"],
)
def test_printer_column_reads_a_declared_field_of_its_type(column):
    assert schema_at(column["jsonPath"])["type"] == column["type"]


def test_printer_columns_show_a_converged_guestbook():
    request, response = files.golden("all-ready")
    parent = openapi.with_defaults({**request["parent"], "status": response["status"]}, SCHEMA)
    shown = {
        c["name"]: jsonpath(parent, c["jsonPath"]) for c in VERSION["additionalPrinterColumns"]
    }
    assert shown == {
        "Ready": ["True"],
        "Frontend": [3],
        "Desired": [3],
        "URL": ["http://gb1-frontend.demo.svc:80"],
        "Storage": ["Bound"],
        "Age": [apiserver.CREATED],
    }
    assert f'@.type=="{conditions.READY}"' in VERSION["additionalPrinterColumns"][0]["jsonPath"]


@pytest.mark.parametrize("case", CASES)
def test_status_the_hooks_write_fits_the_status_schema_without_pruning(case):
    request, response = files.golden(case)
    written = {
        **response["status"],
        "observedGeneration": request["parent"]["metadata"]["generation"],
    }
    # The strict check names every field the API server would prune.
    assert openapi.schema_errors(written, STATUS_SCHEMA) == []


def test_status_schema_declares_only_what_the_hooks_write():
    written = {"observedGeneration"}  # Metacontroller adds it to every status it writes.
    for case in CASES:
        written |= set(leaf_paths(files.golden(case)[1]["status"]))
    declared = {
        path
        for path, field in openapi.fields(STATUS_SCHEMA)
        if field["type"] not in ("object", "array")
    }
    assert declared == written


def leaf_paths(value: object, path: str = "") -> list[str]:
    """Return the path of every scalar in a JSON value; list items share the path "[]"."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaf_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaf_paths(item, f"{path}[]")]
    return [path.lstrip(".")]


def test_the_readme_names_the_oldest_kubernetes_release_the_schemas_are_checked_against():
    readme = (files.ROOT / "README.md").read_text()
    oldest = ".".join(str(part) for part in MINIMUM_VERSION)

    assert KUBERNETES_VERSIONS[0] == oldest
    assert f"**Kubernetes {oldest} or newer.**" in readme


@pytest.mark.parametrize("field", [f"{r}.{kind}" for r in RESOURCE_FIELDS for kind in KINDS])
def test_the_crd_bounds_the_resource_names_as_the_hooks_do(field):
    assert openapi.field_at(SCHEMA, field)["maxProperties"] == MAX_RESOURCES
    too_many = {f"example.com/r{n}": 1 for n in range(MAX_RESOURCES + 1)}
    with pytest.raises(spec.SpecError) as error:
        spec.parse_spec(as_spec(field, too_many))
    assert error.value.path == field


def as_spec(field: str, value: object) -> dict:
    """Return a spec with `value` at the dotted `field` (which starts with spec.)."""
    *parents, last = field.split(".")[1:]
    root: dict = {}
    node = root
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return root
