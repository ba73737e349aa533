"""Deletion protection: the admission policy's CEL, run offline on admission requests.

`admit` does what the API server's ValidatingAdmissionPolicy plugin does with
one policy and its binding: a request that matchConstraints does not match
is allowed; otherwise each validation's expression runs with the admission
variables (object, oldObject, request, params, namespaceObject), and the
first one that is false, or that fails to evaluate (failurePolicy Fail),
denies the request with its messageExpression (or its message).
"""

import celpy
import pytest

from hooks.spec import API_VERSION, GROUP
from tests.manifests import files

POLICY = files.only(
    files.load_yaml(files.INSTALL / "deletion-protection-policy.yaml"), "ValidatingAdmissionPolicy"
)
BINDING = files.only(
    files.load_yaml(files.INSTALL / "deletion-protection-binding.yaml"),
    "ValidatingAdmissionPolicyBinding",
)
PROTECTION = "webapp.my.domain/deletion-protection"
REMOVE = f"kubectl annotate guestbook gb1 -n demo {PROTECTION}-"


def guestbook(annotations: dict | None) -> dict:
    metadata = {"name": "gb1", "namespace": "demo", "uid": "1234"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": API_VERSION, "kind": "Guestbook", "metadata": metadata, "spec": {}}


def admission(operation: str, annotations: dict | None) -> dict:
    """Return the admission variables the API server binds for a request on guestbook gb1."""
    old = guestbook(annotations) if operation in ("UPDATE", "DELETE") else None
    new = guestbook(annotations) if operation in ("CREATE", "UPDATE") else None
    request = {
        "operation": operation,
        "kind": {"group": GROUP, "version": "v1", "kind": "Guestbook"},
        "resource": {"group": GROUP, "version": "v1", "resource": "guestbooks"},
        "name": "gb1",
        "namespace": "demo",
        "userInfo": {"username": "alice"},
    }
    return {
        "object": new,
        "oldObject": old,
        "request": request,
        "params": None,
        "namespaceObject": {"metadata": {"name": "demo"}},
    }


def matches(variables: dict) -> bool:
    """Whether matchConstraints' resourceRules select the request."""
    request = variables["request"]
    return any(
        request["operation"] in rule["operations"]
        and request["resource"]["group"] in rule["apiGroups"]
        and {request["resource"]["version"], "*"} & set(rule["apiVersions"])
        and request["resource"]["resource"] in rule["resources"]
        for rule in POLICY["spec"]["matchConstraints"]["resourceRules"]
    )


def evaluate(expression: str, variables: dict) -> object:
    environment = celpy.Environment()
    program = environment.program(environment.compile(expression))
    return program.evaluate({name: celpy.json_to_cel(value) for name, value in variables.items()})


def admit(variables: dict) -> str | None:
    """Return why the policy denies the request, or None when it allows it."""
    if not matches(variables):
        return None
    for validation in POLICY["spec"]["validations"]:
        try:
            allowed = evaluate(validation["expression"], variables)
        except celpy.CELEvalError as error:
            assert POLICY["spec"]["failurePolicy"] == "Fail"
            return f"expression failed: {error}"
        if not isinstance(allowed, celpy.celtypes.BoolType):
            return f"expression gave {allowed!r}, not a boolean"
        if not allowed:
            return _message(validation, variables)
    return None


def _message(validation: dict, variables: dict) -> str:
    try:
        return str(evaluate(validation["messageExpression"], variables))
    except celpy.CELEvalError:
        return validation["message"]


def test_deleting_a_protected_guestbook_is_denied_with_how_to_unprotect_it():
    denied = admit(admission("DELETE", {PROTECTION: "true"}))

    assert denied is not None
    assert "guestbook gb1 is protected from deletion" in denied
    assert denied.endswith(f"remove the annotation first: {REMOVE}")


@pytest.mark.parametrize(
    "annotations",
    [
        pytest.param(None, id="no-annotations"),
        pytest.param({}, id="empty-annotations"),
        pytest.param({"team": "web"}, id="other-annotations"),
        pytest.param({PROTECTION: "false"}, id="false"),
        pytest.param({PROTECTION: "True"}, id="not-exactly-true"),
    ],
)
def test_deleting_an_unprotected_guestbook_is_allowed(annotations):
    assert admit(admission("DELETE", annotations)) is None


@pytest.mark.parametrize("operation", ["CREATE", "UPDATE"])
def test_a_protected_guestbook_can_still_be_created_and_changed(operation):
    variables = admission(operation, {PROTECTION: "true"})

    assert not matches(variables)
    assert admit(variables) is None


def test_the_policy_watches_only_deletes_of_guestbooks():
    assert POLICY["spec"]["matchConstraints"]["resourceRules"] == [
        {
            "apiGroups": [GROUP],
            "apiVersions": ["*"],
            "operations": ["DELETE"],
            "resources": ["guestbooks"],
        }
    ]


def test_the_fallback_message_says_how_to_unprotect_too():
    # The API server falls back to `message` when messageExpression fails.
    [validation] = POLICY["spec"]["validations"]

    assert validation["message"].endswith(f"kubectl annotate guestbook NAME {PROTECTION}-")


def test_the_binding_denies_through_the_policy():
    assert BINDING["spec"] == {
        "policyName": POLICY["metadata"]["name"],
        "validationActions": ["Deny"],
    }


def test_the_default_install_lists_the_policy_and_its_binding():
    # test_kustomize.py checks every listed object against the Kubernetes schemas.
    listed = files.listed_objects(files.INSTALL)

    assert files.only(listed, "ValidatingAdmissionPolicy") == POLICY
    assert files.only(listed, "ValidatingAdmissionPolicyBinding") == BINDING
