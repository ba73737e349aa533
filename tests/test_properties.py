"""Properties that hold for every valid Guestbook, and every invalid one, found by hypothesis.

Valid: every child validates against the Kubernetes schemas in strict mode,
every name and label is one Kubernetes accepts, two guestbooks never share a
child, and the answer is the same every time. Invalid: the 200 answer holds
every observed child as last applied, or the answer is 422.
"""

import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks import sync
from hooks.app import create_app
from hooks.conditions import INVALID_SPEC
from hooks.hold import LAST_APPLIED
from hooks.names import base_name
from hooks.spec import ACCESS_MODES, APPEND_FSYNC, PAUSED_ANNOTATION, SERVICE_TYPES, STORAGE_SIZE
from tests.apiserver import converged, guestbook, sync_request
from tests.kube_names import (
    is_dns_1035_label,
    is_dns_1123_subdomain,
    is_label_value,
    is_qualified_name,
)
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
# Bounded for a shared two-core machine; deadline off because its timing is noisy.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(PROPERTY, max_examples=60)

# Names: DNS-1123 subdomains up to 253 characters, with the shapes that matter
# most (short plain names, the 48-character edge, dots, leading digits) drawn often.
dns_label = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
long_names = st.lists(dns_label, min_size=1, max_size=8).map(
    lambda labels: ".".join(labels)[:253].rstrip(".-")
)
names = st.one_of(
    st.from_regex(r"[a-z]([-a-z0-9]{0,46}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9][-a-z0-9]{45,50}[a-z0-9]", fullmatch=True),
    long_names,
).filter(bool)

images = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
    min_size=1,
    max_size=80,
).filter(lambda image: not any(character.isspace() for character in image))
resource_names = st.sampled_from(["cpu", "memory", "ephemeral-storage", "example.com/gpu"])
suffixes = st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi"])


@st.composite
def resources(draw) -> dict:
    """Requests and limits the API server accepts (see tests/test_resources.py for its rules)."""
    requests, limits = {}, {}
    for name in draw(st.lists(resource_names, unique=True, max_size=3)):
        extended = "/" in name
        # Extended resources are whole numbers and cannot be overcommitted.
        suffix = draw(st.sampled_from(["", "k"]) if extended else suffixes)
        amount = draw(st.integers(0, 10_000))
        kept = draw(
            st.sampled_from(["limit", "both"] if extended else ["request", "limit", "both"])
        )
        if kept != "limit":
            requests[name] = f"{amount}{suffix}"
        if kept != "request":
            extra = 0 if extended else draw(st.integers(0, 100))
            limits[name] = f"{amount + extra}{suffix}"
    chosen = {"requests": requests, "limits": limits}
    return {kind: values for kind, values in chosen.items() if values or draw(st.booleans())}


KEY_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?"
annotation_keys = st.one_of(
    st.from_regex(rf"[a-z]{{1,10}}(\.[a-z]{{1,10}}){{0,2}}/{KEY_NAME}", fullmatch=True),
    st.from_regex(KEY_NAME, fullmatch=True),
)


@st.composite
def services(draw) -> dict:
    service = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(SERVICE_TYPES),
                "port": st.integers(1, 65535),
                "annotations": st.dictionaries(annotation_keys, st.text(max_size=40), max_size=3),
            },
        )
    )
    if service.get("type") in ("NodePort", "LoadBalancer") and draw(st.booleans()):
        service["nodePort"] = draw(st.integers(30000, 32767))
    return service


# Placement and Ingress values that Kubernetes accepts, of the shapes people write.
spread_keys = st.sampled_from(["kubernetes.io/hostname", "topology.kubernetes.io/zone"])
PLACEMENT = {
    "nodeSelector": st.dictionaries(
        st.sampled_from(["kubernetes.io/os", "example.com/disk"]),
        st.sampled_from(["linux", "ssd", ""]),
        max_size=2,
    ),
    "tolerations": st.lists(
        st.fixed_dictionaries(
            {"operator": st.sampled_from(["Exists"])},
            optional={
                "key": st.sampled_from(["example.com/pool", ""]),
                "effect": st.sampled_from(["NoSchedule", "NoExecute"]),
                "tolerationSeconds": st.integers(0, 3600),
            },
        ),
        max_size=2,
    ),
    "affinity": st.fixed_dictionaries(
        {},
        optional={
            "podAntiAffinity": st.just(
                {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "podAffinityTerm": {
                                "topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "x"}},
                            },
                        }
                    ]
                }
            )
        },
    ),
    "topologySpreadConstraints": st.lists(
        st.fixed_dictionaries(
            {
                "maxSkew": st.integers(1, 5),
                "topologyKey": spread_keys,
                "whenUnsatisfiable": st.sampled_from(["DoNotSchedule", "ScheduleAnyway"]),
            }
        ),
        max_size=2,
        unique_by=lambda c: (c["topologyKey"], c["whenUnsatisfiable"]),
    ),
    "priorityClassName": st.sampled_from(["guestbook-high", "system-cluster-critical"]),
    "imagePullSecrets": st.lists(
        st.fixed_dictionaries({"name": st.sampled_from(["registry", "mirror"])}),
        max_size=2,
        unique_by=lambda s: s["name"],
    ),
}
ingresses = st.fixed_dictionaries(
    {},
    optional={
        "enabled": st.booleans(),
        "ingressClassName": st.sampled_from(["nginx", "traefik"]),
        "host": st.sampled_from(["gb.example.com", "*.example.com"]),
        "path": st.sampled_from(["/", "/guestbook"]),
        "pathType": st.sampled_from(["Prefix", "ImplementationSpecific"]),
        "annotations": st.dictionaries(annotation_keys, st.text(max_size=20), max_size=2),
        "tls": st.fixed_dictionaries(
            {}, optional={"enabled": st.booleans(), "secretName": st.sampled_from(["gb-tls"])}
        ),
    },
).filter(lambda ingress: "host" in ingress or not ingress.get("tls", {}).get("enabled"))


def tier(replicas: st.SearchStrategy | None) -> st.SearchStrategy:
    fields = {"image": images, "resources": resources(), **PLACEMENT}
    if replicas is not None:
        fields["replicas"] = replicas
    return st.fixed_dictionaries({}, optional=fields)


storages = st.fixed_dictionaries(
    {},
    optional={
        "enabled": st.booleans(),
        "size": st.from_regex(STORAGE_SIZE, fullmatch=True),
        "storageClassName": dns_label,
        "accessMode": st.sampled_from(ACCESS_MODES),
    },
)
leaders = st.builds(
    lambda fields, more: {**fields, **more},
    tier(None),
    st.fixed_dictionaries(
        {}, optional={"appendFsync": st.sampled_from(APPEND_FSYNC), "storage": storages}
    ),
)


frontends = st.fixed_dictionaries(
    {},
    optional={
        "image": images,
        "replicas": st.integers(0, 100),
        "resources": resources(),
        "service": services(),
        "ingress": ingresses,
        **PLACEMENT,
    },
)
specs = st.fixed_dictionaries(
    {},
    optional={
        "frontend": frontends,
        "redis": st.fixed_dictionaries(
            {}, optional={"leader": leaders, "follower": tier(st.integers(0, 10))}
        ),
    },
)


def answer(name: str, spec: dict, observed: list[dict] | None = None) -> dict:
    parent = guestbook(name=name, spec=spec)
    return sync(parent, sync_request(parent, observed or [])["children"], now=NOW)


def label_sets(value) -> list[dict]:
    """Return every label map in an object: labels, matchLabels and matchExpressions."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key in ("labels", "matchLabels"):
                found.append(child)
            elif key == "matchExpressions":
                found += [{e["key"]: value} for e in child for value in e["values"]]
            else:
                found += label_sets(child)
    elif isinstance(value, list):
        for child in value:
            found += label_sets(child)
    return found


@pytest.mark.slow
@PROPERTY
@given(name=names, spec=specs)
def test_every_child_of_every_valid_guestbook_passes_the_strict_kubernetes_schemas(name, spec):
    for child in answer(name, spec)["children"]:
        for version in KUBERNETES_VERSIONS:
            assert schema_errors(child, version) == [], (version, child)


@PROPERTY
@given(name=names, spec=specs)
def test_every_name_label_and_annotation_is_one_kubernetes_accepts(name, spec):
    for child in answer(name, spec)["children"]:
        child_name = child["metadata"]["name"]
        if child["kind"] == "Service":
            assert is_dns_1035_label(child_name), child_name
        else:
            assert is_dns_1123_subdomain(child_name), child_name
        for labels in label_sets(child):
            for key, value in labels.items():
                assert is_qualified_name(key), key
                assert is_label_value(value), value
        for key in child["metadata"].get("annotations", {}):
            assert is_qualified_name(key), key


@PROPERTY
@given(pair=st.lists(names, min_size=2, max_size=2, unique=True))
def test_two_guestbooks_never_share_a_child(pair):
    first, second = ({c["metadata"]["name"] for c in answer(n, {})["children"]} for n in pair)

    assert first.isdisjoint(second)


# Names whose children are named after a hashed stem rather than the name itself.
digit_first = st.from_regex(r"[0-9]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True)
hashed_names = st.one_of(long_names, digit_first).filter(
    lambda name: name and base_name(name) != name
)


@PROPERTY
@given(name=hashed_names)
def test_a_name_never_shares_a_child_with_a_guestbook_named_after_its_stem(name):
    first, second = (
        {c["metadata"]["name"] for c in answer(n, {})["children"]} for n in (name, base_name(name))
    )

    assert first.isdisjoint(second)


@PROPERTY
@given(name=names, spec=specs)
def test_the_same_request_gets_the_same_bytes(name, spec):
    parent = guestbook(name=name, spec=spec)
    request = sync_request(parent, converged(parent))

    first = sync(request["parent"], request["children"], now=NOW)
    again = sync(json.loads(json.dumps(request["parent"])), request["children"], now=NOW)

    assert orjson.dumps(first, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        again, option=orjson.OPT_SORT_KEYS
    )


# Invalid specs: one bad value placed into an otherwise valid spec.
not_integers = st.one_of(
    st.text(max_size=5), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
).filter(lambda value: not isinstance(value, int) or isinstance(value, bool))
BAD_VALUES = {
    ("frontend", "replicas"): st.one_of(
        st.integers(max_value=-1), st.integers(min_value=101), not_integers
    ),
    ("redis", "follower", "replicas"): st.one_of(
        st.integers(max_value=-1), st.integers(min_value=11), not_integers
    ),
    ("frontend", "image"): st.one_of(
        st.just(""), st.text(min_size=1).map(lambda text: f"{text} x"), st.integers()
    ),
    ("redis", "leader", "image"): st.sampled_from(["", " ", "redis 6"]),
    ("frontend", "service", "type"): st.text(max_size=12).filter(lambda t: t not in SERVICE_TYPES),
    ("frontend", "service", "port"): st.one_of(st.integers(max_value=0), st.integers(65536)),
    ("frontend", "resources", "requests", "cpu"): st.sampled_from(["lots", "-1", "1.2.3", ""]),
    ("frontend", "colour"): st.text(max_size=5),
    ("redis", "sentinel"): st.integers(),
    ("redis",): st.one_of(st.text(max_size=5), st.lists(st.integers(), max_size=2)),
    ("frontend", "tolerations"): st.sampled_from(
        [[{"operator": "Matches"}], [{"effect": "Never"}], {"key": "a"}]
    ),
    ("redis", "follower", "topologySpreadConstraints"): st.sampled_from(
        [[{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]]
    ),
    ("frontend", "ingress"): st.sampled_from(
        [{"host": "10.0.0.1"}, {"tls": {"enabled": True}}, {"pathType": "Exact"}, {"host": "A"}]
    ),
}


@st.composite
def invalid_specs(draw) -> dict:
    spec = json.loads(json.dumps(draw(specs)))
    path = draw(st.sampled_from(sorted(BAD_VALUES)))
    place = spec
    for key in path[:-1]:
        if not isinstance(place.get(key), dict):
            place[key] = {}
        place = place[key]
    place[path[-1]] = draw(BAD_VALUES[path])
    return spec


APP = create_app({"TESTING": True})
pauses = st.sampled_from([None, "true", "yes", "True", ""])


def held_or_refused(parent: dict, applied: dict, unannotated: set[int]) -> tuple[dict, dict]:
    """POST a sync for `parent` over the children of `applied`; return the answer and the held."""
    observed = converged(parent, applied)
    for index in unannotated:
        if index < len(observed):
            del observed[index]["metadata"]["annotations"][LAST_APPLIED]
    held = {
        (c["kind"], c["metadata"]["name"]): json.loads(c["metadata"]["annotations"][LAST_APPLIED])
        for c in observed
        if LAST_APPLIED in c["metadata"]["annotations"]
    }
    # Python's json, not the app's: hypothesis finds integers beyond 64 bits.
    request = json.dumps(sync_request(parent, observed))
    response = APP.test_client().post("/sync", data=request, content_type="application/json")
    if len(held) < len(observed):
        assert response.status_code == 422, response.get_json()
        return {}, held
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {(c["kind"], c["metadata"]["name"]): c for c in body["children"]} == held
    return body, held


@pytest.mark.slow
@FEW
@given(
    name=names,
    applied=specs,
    spec=invalid_specs(),
    pause=pauses,
    unannotated=st.sets(st.integers(0, 7), max_size=2),
)
def test_an_invalid_spec_holds_every_observed_child_or_gets_422(
    name, applied, spec, pause, unannotated
):
    annotations = None if pause is None else {PAUSED_ANNOTATION: pause}
    parent = guestbook(name=name, spec=spec, annotations=annotations, generation=3)

    body, _ = held_or_refused(parent, applied, unannotated)

    for condition in body.get("status", {}).get("conditions", []):
        if condition["type"] == "Stalled":
            assert (condition["status"], condition["reason"]) == ("True", INVALID_SPEC)


@pytest.mark.slow
@FEW
@given(
    name=names,
    applied=specs,
    spec=specs,
    pause=pauses.filter(lambda value: value is not None),
    unannotated=st.sets(st.integers(0, 7), max_size=2),
)
def test_a_pause_of_any_value_holds_every_observed_child_or_gets_422(
    name, applied, spec, pause, unannotated
):
    parent = guestbook(name=name, spec=spec, annotations={PAUSED_ANNOTATION: pause})

    held_or_refused(parent, applied, unannotated)
