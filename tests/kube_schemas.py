"""Validate objects against the real Kubernetes OpenAPI schemas, offline and in strict mode.

kubernetes-validate bundles the schemas of every Kubernetes release, but its
validate() re-reads and re-compiles a schema on every call; this keeps one
compiled validator per (Kubernetes version, apiVersion, kind).
"""

import functools
import json
import re
from importlib import resources

import jsonschema
import referencing
from jsonschema.protocols import Validator

# The oldest and newest Kubernetes releases we support.
KUBERNETES_VERSIONS = ("1.30", "1.37")


def schema_errors(obj: dict, kubernetes_version: str) -> list[str]:
    """Return a message for every way `obj` breaks its kind's strict schema; [] when valid."""
    validator = _validator(kubernetes_version, obj["apiVersion"], obj["kind"])
    return [
        f"{'.'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(obj)
    ]


@functools.cache
def _validator(kubernetes_version: str, api_version: str, kind: str) -> Validator:
    # kubernetes-validate's file naming: "networking.k8s.io/v1" -> "networking-v1".
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = _schema_folder(kubernetes_version)
    schema = json.loads(folder.joinpath(f"{kind.lower()}-{group_version}.json").read_text())
    registry = referencing.Resource.from_contents(schema) @ referencing.Registry()
    registry = _definitions(kubernetes_version) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


@functools.cache
def _definitions(kubernetes_version: str) -> referencing.Resource:
    text = _schema_folder(kubernetes_version).joinpath("_definitions.json").read_text()
    return referencing.Resource.from_contents(json.loads(text))


def _schema_folder(kubernetes_version: str):
    folder = f"v{kubernetes_version}.0-local-strict"
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", folder)
