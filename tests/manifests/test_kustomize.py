"""`kubectl apply -k metacontroller/` installs valid objects in the right places, with our image."""

import tomllib

import pytest

from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors
from tests.manifests import files

KUSTOMIZATION = files.kustomization(files.INSTALL)
# Kinds that Kubernetes' own schemas do not cover; other tests check them
# against the CRD that defines them.
CUSTOM_KINDS = {"CompositeController", "Guestbook"}
CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "CompositeController",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}
KUSTOMIZE_FILES = {"kustomization.yaml", KUSTOMIZATION["openapi"]["path"]}


def kubernetes_objects(source: str) -> list[dict]:
    """Return the objects Kubernetes' schemas cover, as listed in the files or as built."""
    objects = (
        files.listed_objects(files.INSTALL)
        if source == "files"
        else files.built_objects(files.INSTALL)
    )
    return [o for o in objects if o["kind"] not in CUSTOM_KINDS]


def test_kustomization_lists_every_manifest_in_the_folder():
    on_disk = {path.name for path in files.INSTALL.glob("*.yaml")} - KUSTOMIZE_FILES
    assert sorted(KUSTOMIZATION["resources"]) == sorted(on_disk)


def test_kustomization_uses_current_fields_only():
    deprecated = {"bases", "commonLabels", "patchesStrategicMerge", "patchesJson6902", "vars"}
    assert deprecated & set(KUSTOMIZATION) == set()


@pytest.mark.parametrize("kubernetes_version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("source", ["files", "built"])
def test_every_object_is_valid_for_kubernetes_in_strict_mode(source, kubernetes_version):
    problems = {
        f"{o['kind']}/{o['metadata']['name']}": schema_errors(o, kubernetes_version)
        for o in kubernetes_objects(source)
    }
    assert {name: errors for name, errors in problems.items() if errors} == {}


def test_build_puts_namespaced_objects_in_guestbook_system_and_no_other():
    namespaces = {
        (o["kind"], o["metadata"].get("namespace")) for o in files.built_objects(files.INSTALL)
    }
    assert namespaces == {
        (kind, None if kind in CLUSTER_SCOPED else KUSTOMIZATION["namespace"])
        for kind, _ in namespaces
    }


def test_build_labels_every_object():
    [labels] = KUSTOMIZATION["labels"]
    for o in files.built_objects(files.INSTALL):
        assert labels["pairs"].items() <= o["metadata"]["labels"].items(), o["kind"]


def test_build_runs_the_image_of_this_version():
    [image] = KUSTOMIZATION["images"]
    deployment = files.only(files.built_objects(files.INSTALL), "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    version = tomllib.loads((files.ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert container["image"] == f"{image['newName']}:{image['newTag']}"
    assert image["newTag"] == version
