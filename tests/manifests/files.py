"""Load the project's manifests: as written in their files, or as kustomize builds them."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests import ROOT
from tests import golden as golden_answers

INSTALL = ROOT / "metacontroller"
SAMPLES = ROOT / "samples"
METACONTROLLER_CRDS = ROOT / "tests" / "data" / "metacontroller-crds.yaml"


def parse_yaml(text: str) -> list[dict]:
    """Return every non-empty document of a YAML stream."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def load_yaml(path: Path) -> list[dict]:
    """Return every non-empty document of a YAML file."""
    return parse_yaml(path.read_text())


def tool(name: str, needed_for: str) -> str:
    """Return the path of a command; skip the test when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed, so {needed_for} cannot be checked")
    return path


def kustomization(folder: Path) -> dict:
    """Return a folder's kustomization.yaml."""
    return yaml.safe_load((folder / "kustomization.yaml").read_text())


def listed_objects(folder: Path) -> list[dict]:
    """Return the objects of every file a kustomization lists, as written (not transformed)."""
    return [doc for name in kustomization(folder)["resources"] for doc in load_yaml(folder / name)]


def built_objects(folder: Path) -> list[dict]:
    """Return what `kubectl kustomize folder` builds; skip the test when kubectl is absent."""
    kubectl = tool("kubectl", "kustomize builds")
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {folder.name}/ failed:\n{result.stderr}"
    return parse_yaml(result.stdout)


def find(objects: list[dict], kind: str, name: str) -> dict:
    """Return the one object of that kind and name."""
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def only(objects: list[dict], kind: str) -> dict:
    """Return the one object of that kind."""
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def guestbook_crd() -> dict:
    """Return the Guestbook CRD as written."""
    return only(load_yaml(INSTALL / "crd-guestbooks.yaml"), "CustomResourceDefinition")


def composite_controller() -> dict:
    """Return the CompositeController as written."""
    return only(load_yaml(INSTALL / "compositecontroller.yaml"), "CompositeController")


def golden(case: str) -> tuple[dict, dict]:
    """Return one golden case's (request, recorded answer)."""
    return golden_answers.request(case), golden_answers.answer(case)
