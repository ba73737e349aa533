"""The Kubebuilder workflow: `make docker-build`, `install`, `deploy`, `build-installer` with IMG.

`make build-installer` runs for real, since it needs no cluster. The targets that talk to a
cluster are read from `make --dry-run`, and the build that deploy and undeploy pipe into
kubectl is run on its own.
"""

import copy
import os
import subprocess
from pathlib import Path

import pytest

from tests.manifests import files

RELEASE_IMAGE = "registry.example.com/team/guestbook-hooks:1.2.3"
[_IMAGE] = files.kustomization(files.INSTALL)["images"]
DEFAULT_IMAGE = f"{_IMAGE['newName']}:{_IMAGE['newTag']}"
# What `make install` applies: the API, without the hooks that serve it.
API_KINDS = {
    "CustomResourceDefinition",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
}
FOUNDATION_KINDS = {"Namespace", "CustomResourceDefinition"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
# What the caller's environment or an outer `make test IMG=...` would pass down to make.
MAKE_ENVIRONMENT = {
    *("MAKEFLAGS", "MFLAGS", "MAKELEVEL"),
    *("IMG", "DIST", "KUBECTL", "CONTAINER_TOOL", "ignore-not-found"),
}
DIGEST = "sha256:" + "0123456789abcdef" * 4

Identity = tuple[str, str | None, str]


def make(*arguments: str, **extra_environment: str) -> str:
    """Run make in the project, free of the caller's make variables; return its output."""
    command = [files.tool("make", "the make targets"), *arguments]
    environment = {k: v for k, v in os.environ.items() if k not in MAKE_ENVIRONMENT}
    environment.update(extra_environment)
    result = subprocess.run(
        command, cwd=files.ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"make {' '.join(arguments)} failed:\n{result.stderr}"
    return result.stdout


def dry_run(target: str, *variables: str) -> str:
    """Return the one command that `make --dry-run target` prints."""
    [command] = make("--dry-run", target, *variables).splitlines()
    return command


def piped_objects(command: str, consumer: str) -> list[dict]:
    """Run the build that a printed `BUILD | consumer` command pipes; return its objects."""
    build, bar, rest = command.rpartition(" | ")
    assert (bar, rest) == (" | ", consumer), command
    files.tool("kubectl", "the kustomize build")
    result = subprocess.run(
        ["sh", "-c", build], cwd=files.ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return files.parse_yaml(result.stdout)


def build_installer(image: str, dist: Path, **environment: str) -> str:
    """Run `make build-installer IMG=image DIST=dist`; return the file it writes."""
    files.tool("kubectl", "the installer")
    make("build-installer", f"IMG={image}", f"DIST={dist}", **environment)
    return (dist / "install.yaml").read_text()


def identity(o: dict) -> Identity:
    return o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]


def hooks_containers(objects: list[dict]) -> list[dict]:
    spec = files.find(objects, "Deployment", "guestbook-hooks")["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def with_hooks_image(objects: list[dict], image: str) -> list[dict]:
    """Return a copy of the objects whose hooks containers run `image`."""
    copied = copy.deepcopy(objects)
    for container in hooks_containers(copied):
        container["image"] = image
    return copied


def crd_name(resource: dict) -> str:
    """Name of the CRD that serves a Metacontroller resource rule (`apiVersion`, `resource`)."""
    group = resource["apiVersion"].rpartition("/")[0]
    return f"{resource['resource']}.{group}"


def needs(o: dict, crds: set[str]) -> set[Identity]:
    """What must exist before the API server takes the object, or its controller can use it."""
    found = set()
    if "namespace" in o["metadata"]:
        found.add(("Namespace", None, o["metadata"]["namespace"]))
    if o["kind"] in WORKLOAD_KINDS:
        # Kubernetes makes each namespace's "default" account itself.
        account = o["spec"]["template"]["spec"].get("serviceAccountName", "default")
        if account != "default":
            found.add(("ServiceAccount", o["metadata"].get("namespace"), account))
    if o["kind"] == "CompositeController":
        # Metacontroller looks the parent and children up in discovery as it starts the
        # controller; the parent must be ours, the children may be built into Kubernetes.
        parent = crd_name(o["spec"]["parentResource"])
        children = {crd_name(child) for child in o["spec"].get("childResources", [])}
        found |= {("CustomResourceDefinition", None, n) for n in {parent} | (children & crds)}
    if o["kind"] == "ValidatingAdmissionPolicyBinding":
        found.add(("ValidatingAdmissionPolicy", None, o["spec"]["policyName"]))
    return found


@pytest.fixture(scope="module")
def installer(tmp_path_factory) -> str:
    return build_installer(RELEASE_IMAGE, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(installer) -> list[dict]:
    return files.parse_yaml(installer)


@pytest.fixture(scope="module")
def built() -> list[dict]:
    return files.built_objects(files.INSTALL)


def test_installer_holds_the_objects_of_the_install_and_only_the_image_differs(installed, built):
    assert sorted(map(identity, installed)) == sorted(map(identity, built))
    restored = with_hooks_image(installed, DEFAULT_IMAGE)
    assert {identity(o): o for o in restored} == {identity(o): o for o in built}


def test_installer_runs_img_in_the_hooks_and_names_the_default_image_nowhere(installer, installed):
    assert [c["image"] for c in hooks_containers(installed)] == [RELEASE_IMAGE]
    assert DEFAULT_IMAGE not in installer


def test_installer_opens_with_the_namespaces_and_crds(installed):
    kinds = [o["kind"] for o in installed]
    foundation = [kind for kind in kinds if kind in FOUNDATION_KINDS]
    assert set(foundation) == FOUNDATION_KINDS
    assert kinds[: len(foundation)] == foundation


def test_installer_puts_every_object_after_what_it_needs(installed):
    crds = {o["metadata"]["name"] for o in installed if o["kind"] == "CustomResourceDefinition"}
    position = {identity(o): i for i, o in enumerate(installed)}
    problems = [
        f"{identity(o)} needs {need}, " + ("which is missing" if need not in position else "later")
        for i, o in enumerate(installed)
        for need in sorted(needs(o, crds))
        if position.get(need, len(installed)) > i
    ]
    assert problems == []


def test_installer_holds_no_object_of_a_kind_it_defines(installed):
    # kubectl maps the kind of every object in its input before it applies the first
    # (ApplyOptions.GetObjects in kubectl's cmd/apply/apply.go), so an object whose CRD
    # comes in the same file fails on a fresh cluster, whatever the order.
    defined = {
        (f"{o['spec']['group']}/{version['name']}", o["spec"]["names"]["kind"])
        for o in installed
        if o["kind"] == "CustomResourceDefinition"
        for version in o["spec"]["versions"]
    }
    assert {(o["apiVersion"], o["kind"]) for o in installed} & defined == set()


@pytest.mark.parametrize(
    ("image", "running"),
    [
        pytest.param(
            "localhost:5000/guestbook-hooks:1.10",
            "localhost:5000/guestbook-hooks:1.10",
            id="a-registry-port-and-a-tag-that-reads-as-a-number",
        ),
        pytest.param(
            "localhost:5000/guestbook-hooks",
            "localhost:5000/guestbook-hooks:latest",
            id="no-tag-means-latest-as-in-docker",
        ),
        pytest.param(
            f"registry.example.com/guestbook-hooks@{DIGEST}",
            f"registry.example.com/guestbook-hooks@{DIGEST}",
            id="a-digest",
        ),
    ],
)
def test_installer_runs_img_as_docker_reads_it(image, running, tmp_path):
    installed = files.parse_yaml(build_installer(image, tmp_path))
    assert [c["image"] for c in hooks_containers(installed)] == [running]


def test_build_installer_leaves_the_repository_and_no_overlay_behind(tmp_path):
    before = {path: path.read_bytes() for path in files.INSTALL.rglob("*") if path.is_file()}
    (tmp_path / "dist").mkdir()
    (tmp_path / "tmp").mkdir()
    build_installer(RELEASE_IMAGE, tmp_path / "dist", TMPDIR=str(tmp_path / "tmp"))
    after = {path: path.read_bytes() for path in files.INSTALL.rglob("*") if path.is_file()}
    assert after == before
    assert [path.name for path in (tmp_path / "dist").iterdir()] == ["install.yaml"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_deploy_applies_what_build_installer_writes(installed):
    command = dry_run("deploy", f"IMG={RELEASE_IMAGE}")
    assert piped_objects(command, "kubectl apply -f -") == installed


def test_undeploy_deletes_every_object_deploy_applies(installed):
    command = dry_run("undeploy", "ignore-not-found=true")
    deleted = piped_objects(command, "kubectl delete --ignore-not-found=true -f -")
    assert list(map(identity, deleted)) == list(map(identity, installed))


def test_install_applies_the_api_alone_and_uninstall_deletes_it(built):
    install = dry_run("install").split()
    uninstall = dry_run("uninstall").split()
    assert install[:2] == ["kubectl", "apply"]
    assert uninstall[:3] == ["kubectl", "delete", "--ignore-not-found=false"]
    assert uninstall[3:] == install[2:]
    assert set(install[2::2]) == {"-f"}
    applied = [o for path in install[3::2] for o in files.load_yaml(files.ROOT / path)]
    api = [o for o in built if o["kind"] in API_KINDS]
    assert sorted(map(identity, applied)) == sorted(map(identity, api))


def test_docker_build_tags_the_image_that_deploy_runs_by_default():
    release = f"IMG={RELEASE_IMAGE}"
    assert dry_run("docker-build") == f"docker build --tag {DEFAULT_IMAGE} ."
    assert dry_run("docker-build", release) == f"docker build --tag {RELEASE_IMAGE} ."
    assert dry_run("docker-push", release) == f"docker push {RELEASE_IMAGE}"
