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

# The oldest Kubernetes release we support (README's install section says so).
MINIMUM_VERSION = (1, 30)
SCHEMA_FOLDER = re.compile(r"v(\d+)\.(\d+)\.0-local-strict")


def _supported_versions() -> tuple[str, ...]:
    """Every release from the minimum to the newest whose strict schemas the package ships."""
    folders = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    found = sorted(
        (int(match[1]), int(match[2]))
        for entry in folders.iterdir()
        if (match := SCHEMA_FOLDER.fullmatch(entry.name))
    )
    return tuple(f"{major}.{minor}" for major, minor in found if (major, minor) >= MINIMUM_VERSION)


KUBERNETES_VERSIONS = _supported_versions()


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
