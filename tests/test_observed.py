"""Malformed hook requests: the one corpus, each case refused with 400 naming what is wrong.

hooks/observed.py checks a request's shape for the HTTP edge and for sync()
and finalize() alike; the same table is put to both. Nothing malformed ever
reaches the hook's logic, and the server answers the next request in full.
"""

import orjson
import pytest

from hooks import RequestError, finalize, sync
from tests.samples import (
    FRONTEND,
    JSON,
    SAMPLE,
    SAMPLE_BYTES,
    assert_still_answering,
    post,
    raw,
    sample_text,
    sample_with,
    sample_without,
    walk,
)

NOT_A_NAME = "must be a Kubernetes object name (a DNS-1123 subdomain"


def not_a_name(name: str, case: str):
    """A case whose parent is named as no Kubernetes object can be."""
    error = f"parent.metadata.name {NOT_A_NAME}"
    return pytest.param(sample_with(("parent", "metadata", "name"), name), 400, error, id=case)


CORPUS = [
    # Not JSON at all, or JSON that Go's encoder never writes.
    pytest.param(raw(b""), 400, "request body is not valid JSON", id="empty-body"),
    pytest.param(
        raw(SAMPLE_BYTES[: len(SAMPLE_BYTES) // 2]),
        400,
        "request body is not valid JSON: unexpected end of data",
        id="truncated-json",
    ),
    pytest.param(
        raw(SAMPLE_BYTES + b"}"),
        400,
        "request body is not valid JSON: unexpected content after document",
        id="trailing-garbage",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": NaN'),
        400,
        "request body is not valid JSON",
        id="nan-generation",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": Infinity}}'),
        400,
        "request body is not valid JSON",
        id="infinity-in-spec",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": -Infinity}}'),
        400,
        "request body is not valid JSON",
        id="minus-infinity-in-spec",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": {"frontend": {"replicas": 1e400}}'),
        400,
        "request body is not valid JSON: number is infinity",
        id="number-beyond-double",
    ),
    pytest.param(
        sample_text('"spec": {}', '"spec": ' + "[" * 2000 + "]" * 2000),
        400,
        "request body is not valid JSON: depth limit exceeded",
        id="deep-nesting-in-spec",
    ),
    pytest.param(
        sample_text('"name": "gb1"', '"name": "gb1\\ud800"'),
        400,
        "request body is not valid JSON",
        id="lone-surrogate-in-name",
    ),
    pytest.param(
        raw(SAMPLE_BYTES.replace(b'"gb1"', b'"gb1\xff"', 1)),
        400,
        "request body is not valid JSON",
        id="invalid-utf8",
    ),
    pytest.param(
        raw(b"\xef\xbb\xbf" + SAMPLE_BYTES),
        400,
        "request body is not valid JSON: UTF-8 byte order mark",
        id="byte-order-mark",
    ),
    pytest.param(
        raw(b"{'parent': {}, 'children': {}}"), 400, "request body is not valid JSON", id="quotes"
    ),
    pytest.param(
        raw(SAMPLE_BYTES + b" // a comment"), 400, "request body is not valid JSON", id="comment"
    ),
    # Valid JSON, wrong top-level shape.
    pytest.param(raw(b"null"), 400, "request body must be a JSON object, got null", id="null"),
    pytest.param(
        raw(b"42"), 400, "request body must be a JSON object, got the number 42", id="number"
    ),
    pytest.param(
        raw(b"[" + SAMPLE_BYTES + b"]"),
        400,
        "request body must be a JSON object, got a list",
        id="request-in-a-list",
    ),
    pytest.param(sample_without(("parent",)), 400, "request has no parent", id="no-parent"),
    pytest.param(
        sample_with(("parent",), "gb1"),
        400,
        "parent must be an object, got the string 'gb1'",
        id="parent-a-string",
    ),
    pytest.param(
        sample_with(("parent",), []), 400, "parent must be an object, got a list", id="parent-list"
    ),
    pytest.param(
        sample_with(("parent", "metadata"), []),
        400,
        "parent has no metadata object",
        id="metadata-a-list",
    ),
    # Names that the API server would never store.
    pytest.param(
        sample_with(("parent", "metadata", "name"), 7),
        400,
        "parent.metadata.name is missing or not a non-empty string",
        id="name-a-number",
    ),
    not_a_name("GB1", "name-uppercase"),
    not_a_name("gästebuch", "name-unicode"),
    not_a_name("gb1\u0000", "name-nul-character"),
    not_a_name("gb1\n", "name-trailing-newline"),
    not_a_name("g" * 254, "name-254-characters"),
    not_a_name("a-" * 500_000 + "!", "name-of-a-megabyte"),
    pytest.param(
        sample_with(("parent", "metadata", "namespace"), "demo/other"),
        400,
        "parent.metadata.namespace must be a DNS-1123 label",
        id="namespace-with-slash",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "namespace"), 5),
        400,
        "parent.metadata.namespace must be a string, got the number 5",
        id="namespace-a-number",
    ),
    # Numbers as strings, and numbers no integer field can hold.
    pytest.param(
        sample_with(("parent", "metadata", "generation"), "2"),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got the string '2'",
        id="generation-a-string",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": 18446744073709551616'),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1",
        id="generation-beyond-64-bits",
    ),
    pytest.param(
        sample_text('"generation": 2', '"generation": 1e3'),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got the number 1000.0",
        id="generation-in-exponent-form",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "generation"), True),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got a boolean",
        id="generation-a-boolean",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "annotations"), ["webapp.my.domain/paused"]),
        400,
        "parent.metadata.annotations must be a map of strings",
        id="annotations-a-list",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "annotations"), {"webapp.my.domain/paused": True}),
        400,
        "parent.metadata.annotations must be a map of strings",
        id="annotation-a-boolean",
    ),
    # Observed children that Metacontroller could not have sent.
    pytest.param(sample_without(("children",)), 400, "request has no children map", id="no-map"),
    pytest.param(
        sample_with(("children",), []),
        400,
        "children must be a map of child types, got a list",
        id="children-a-list",
    ),
    pytest.param(
        sample_with(("children",), "none"),
        400,
        "children must be a map of child types, got the string 'none'",
        id="children-a-string",
    ),
    pytest.param(
        sample_with(("children", "Service.v1"), []),
        400,
        "children['Service.v1'] must be a map of objects, got a list",
        id="child-type-a-list",
    ),
    pytest.param(
        sample_with(("children", "Service.v1"), None),
        400,
        "children['Service.v1'] must be a map of objects, got null",
        id="child-type-null",
    ),
    pytest.param(
        sample_with((*FRONTEND[:2], "gb1-extra"), ["Deployment"]),
        400,
        "children['Deployment.apps/v1']['gb1-extra'] must be an object, got a list",
        id="child-a-list",
    ),
    pytest.param(
        sample_without((*FRONTEND, "kind")),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no kind",
        id="child-without-kind",
    ),
    pytest.param(
        sample_with((*FRONTEND, "kind"), 3),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no kind",
        id="child-kind-a-number",
    ),
    pytest.param(
        sample_without((*FRONTEND, "metadata")),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] has no metadata.name",
        id="child-without-metadata",
    ),
    pytest.param(
        sample_with((*FRONTEND, "metadata", "name"), "gb1-frontënd"),
        400,
        f"children['Deployment.apps/v1']['gb1-frontend'] metadata.name {NOT_A_NAME}",
        id="child-name-unicode",
    ),
    pytest.param(
        sample_with((*FRONTEND, "metadata", "name"), "gb1-frontend\u0007"),
        400,
        f"children['Deployment.apps/v1']['gb1-frontend'] metadata.name {NOT_A_NAME}",
        id="child-name-control-character",
    ),
    pytest.param(
        sample_with((*FRONTEND[:2], "demo/gb1-frontend"), walk(SAMPLE, list(FRONTEND))),
        400,
        "children holds two Deployment objects named 'gb1-frontend'",
        id="child-under-v1-and-v2-keys",
    ),
    pytest.param(
        sample_with(("finalizing",), "true"),
        400,
        "finalizing must be a boolean, got the string 'true'",
        id="finalizing-a-string",
    ),
    pytest.param(
        sample_with(("finalizing",), 1),
        400,
        "finalizing must be a boolean, got the number 1",
        id="finalizing-a-number",
    ),
    # Shapes no API server ever sends, named where they break.
    pytest.param(
        sample_with(("parent", "metadata", "generation"), -1),
        400,
        "parent.metadata.generation must be an integer from 0 to 2^63-1, got the number -1",
        id="generation-negative",
    ),
    pytest.param(
        sample_with(("parent", "metadata", "name"), ""),
        400,
        "parent.metadata.name is missing or not a non-empty string",
        id="name-empty",
    ),
    pytest.param(
        sample_with(("parent",), None), 400, "parent must be an object, got null", id="parent-null"
    ),
    pytest.param(
        sample_with(FRONTEND, None),
        400,
        "children['Deployment.apps/v1']['gb1-frontend'] must be an object, got null",
        id="child-null",
    ),
]


@pytest.mark.parametrize(("body", "status", "error"), CORPUS)
def test_a_malformed_request_gets_a_json_400_naming_the_problem(client, body, status, error):
    response = post(client, body())

    assert response.status_code == status
    assert response.mimetype == JSON
    assert response.get_json()["error"].startswith(error)
    assert_still_answering(client)


# The request's top level (the body, `finalizing`, the presence of parent and
# children) is the HTTP edge's to check; below it, sync() and finalize() raise.
EDGE_ERRORS = ("request body", "request has no", "finalizing")
LIBRARY_CASES = [case for case in CORPUS if not case.values[2].startswith(EDGE_ERRORS)]


@pytest.mark.parametrize("hook", [sync, finalize])
@pytest.mark.parametrize(("body", "status", "error"), LIBRARY_CASES)
def test_sync_and_finalize_raise_the_request_error_the_server_answers_with(
    hook, body, status, error
):
    request = orjson.loads(body())

    with pytest.raises(RequestError) as caught:
        hook(request["parent"], request["children"])

    assert str(caught.value).startswith(error)
