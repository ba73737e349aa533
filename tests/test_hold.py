"""Holding: an invalid spec returns every observed child as last applied, or 422 when one cannot be.

The one table of the rule (every spec value the CRD schema would refuse),
put to the server with every child annotated (200, all held) and with one
child lacking Metacontroller's annotation (422, nothing changes); the emulator
scenarios in tests/test_convergence.py drive the same rule end to end.
"""

import copy
import json
from typing import Any

import pytest

from hooks.applied import LAST_APPLIED
from hooks.conditions import INVALID_SPEC
from hooks.hold import HoldError, held_children
from hooks.observed import read_children
from tests.samples import FRONTEND, SAMPLE, by_kind_and_name, held, post, walk

# Spec values the CRD schema would refuse: the answer holds every observed child
# as last applied (or is 422 when one cannot be held), never a 200 that drops one.
HOSTILE_SPECS = [
    pytest.param({"frontend": {"replicas": "3"}}, "spec.frontend.replicas", id="replicas-string"),
    pytest.param({"frontend": {"replicas": 10**25}}, "spec.frontend.replicas", id="replicas-huge"),
    pytest.param({"frontend": {"replicas": 2**63}}, "spec.frontend.replicas", id="replicas-2^63"),
    pytest.param({"frontend": {"replicas": True}}, "spec.frontend.replicas", id="replicas-bool"),
    pytest.param({"frontend": {"replicas": -1}}, "spec.frontend.replicas", id="replicas-negative"),
    pytest.param({"frontend": {"replicas": 2.5}}, "spec.frontend.replicas", id="replicas-float"),
    pytest.param({"frontend": {"image": ""}}, "spec.frontend.image", id="image-empty"),
    pytest.param({"frontend": {"image": "a b"}}, "spec.frontend.image", id="image-with-space"),
    pytest.param({"frontend": {"image": "x" * 100_000}}, "spec.frontend.image", id="image-long"),
    pytest.param(
        {"frontend": {"service": {"type": "loadbalancer"}}},
        "spec.frontend.service.type",
        id="service-type-lowercase",
    ),
    pytest.param(
        {"frontend": {"service": {"nodePort": 30080}}},
        "spec.frontend.service.nodePort",
        id="node-port-on-cluster-ip",
    ),
    pytest.param(
        {"frontend": {"resources": {"requests": {"cpu": "lots"}}}},
        "spec.frontend.resources.requests.cpu",
        id="quantity-not-a-quantity",
    ),
    pytest.param(
        {"redis": {"follower": {"replicas": 11}}},
        "spec.redis.follower.replicas",
        id="followers-over-maximum",
    ),
    pytest.param({"redis": {"leader": {"replicas": 2}}}, "spec.redis.leader.replicas", id="leader"),
    pytest.param({"frontend": {"replica": 3}}, "spec.frontend.replica", id="unknown-field-typo"),
    pytest.param(["frontend"], "spec", id="spec-a-list"),
    pytest.param("frontend: {}", "spec", id="spec-a-string"),
]


def hostile_spec_request(spec: Any, *, annotated: bool = True) -> dict:
    request = copy.deepcopy(SAMPLE)
    request["parent"]["spec"] = spec
    if not annotated:
        del walk(request, list(FRONTEND))["metadata"]["annotations"][LAST_APPLIED]
    return request


@pytest.mark.parametrize(("spec", "field"), HOSTILE_SPECS)
def test_an_invalid_spec_holds_every_observed_child_as_last_applied(client, spec, field):
    request = hostile_spec_request(spec)

    response = post(client, json.dumps(request).encode())

    assert response.status_code == 200
    body = response.get_json()
    assert by_kind_and_name(body["children"]) == held(request)
    stalled = next(c for c in body["status"]["conditions"] if c["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", INVALID_SPEC)
    assert f": {field}" in stalled["message"]


@pytest.mark.parametrize(("spec", "field"), HOSTILE_SPECS)
def test_an_invalid_spec_with_a_child_that_cannot_be_held_gets_422(client, spec, field):
    response = post(client, json.dumps(hostile_spec_request(spec, annotated=False)).encode())

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error.startswith(f"{field}: ")
    assert error.endswith(
        f"; Deployment gb1-frontend has no {LAST_APPLIED} annotation (server-side apply, "
        "or an adopted object), so it cannot be held as it is"
    )


@pytest.mark.parametrize(
    "annotation",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param('{"kind": "Service", "metadata": {"name": "gb1-frontend"}}', id="other-kind"),
        pytest.param('{"kind": "Deployment", "metadata": {"name": "other"}}', id="other-name"),
        pytest.param("[]", id="not-an-object"),
        pytest.param(
            '{"kind": "Deployment", "metadata": {"name": "gb1-frontend"},'
            ' "spec": {"replicas": NaN}}',
            id="not-json-nan",
        ),
    ],
)
def test_an_annotation_that_is_not_the_childs_own_object_cannot_be_held(annotation):
    request = copy.deepcopy(SAMPLE)
    walk(request, list(FRONTEND))["metadata"]["annotations"][LAST_APPLIED] = annotation

    with pytest.raises(HoldError) as caught:
        held_children(read_children(request["children"]))

    assert str(caught.value) == (
        f"Deployment gb1-frontend has a {LAST_APPLIED} annotation that is not its own object"
    )
