"""`python -m hooks render`: golden previews, what a user can pipe into kubectl, and bad input."""

import json
import subprocess
import sys

import pytest
import yaml

from hooks import sync
from hooks.applied import LAST_APPLIED
from hooks.migration import COPY_SCRIPT
from hooks.render import InputError, render_files
from tests import golden
from tests.apiserver import guestbook
from tests.golden.cases import NOW, before_storage
from tests.kube_schemas import KUBERNETES_VERSIONS, schema_errors
from tests.render import CASES, ROOT, golden_path, render_case

SAMPLE = "samples/webapp_v1_guestbook.yaml"
GUESTBOOK = """\
apiVersion: webapp.my.domain/v1
kind: Guestbook
metadata:
  name: gb1
  namespace: demo
"""


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run the command line from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "hooks", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def status_of(output: str) -> dict:
    """Return the status written as comments after the documents."""
    comments = output[output.index("# Status, computed against") :].splitlines()[1:]
    return yaml.safe_load("\n".join(line.removeprefix("#   ") for line in comments))


def documents(output: str) -> list[dict]:
    return [document for document in yaml.safe_load_all(output) if document is not None]


@pytest.mark.parametrize("name", list(CASES))
def test_the_preview_equals_its_golden_output(name):
    assert render_case(name) == golden_path(name).read_text()


@pytest.mark.parametrize(
    "sample", [SAMPLE, "samples/webapp_v1_guestbook_full.yaml"], ids=["minimal", "full"]
)
def test_the_command_prints_the_sync_children_as_documents_then_the_status(sample):
    result = run("render", sample)
    assert (result.returncode, result.stderr) == (0, "")
    manifest = yaml.safe_load((ROOT / sample).read_text())
    answer = sync(manifest, {}, now=NOW)
    assert documents(result.stdout) == answer["children"]
    stamped = status_of(result.stdout)
    for condition in [*stamped["conditions"], *answer["status"]["conditions"]]:
        condition.pop("lastTransitionTime")  # the command reads the clock
    assert stamped == answer["status"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_previewed_child_is_a_valid_kubernetes_object(version):
    for child in documents(render_case("guestbook-full")):
        assert schema_errors(child, version) == [], child["metadata"]["name"]


def test_json_output_is_the_sync_answer():
    result = run("render", SAMPLE, "--format", "json")
    answer = json.loads(result.stdout)
    expected = sync(yaml.safe_load((ROOT / SAMPLE).read_text()), {}, now=NOW)
    assert answer["children"] == expected["children"]
    assert answer.keys() == {"children", "status"}


def test_the_manifest_can_come_from_standard_input():
    result = run("render", "-", stdin=(ROOT / SAMPLE).read_text())
    assert (result.returncode, documents(result.stdout)) == (0, documents(render_case("guestbook")))


def test_observed_objects_as_a_kubectl_list_read_like_a_sync_request():
    request = json.loads((ROOT / "samples" / "sync-request.json").read_text())
    items = [child for members in request["children"].values() for child in members.values()]
    files = {
        "gb1.yaml": (ROOT / "tests" / "render" / "gb1.yaml").read_text(),
        "list.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}),
        "docs.yaml": yaml.safe_dump_all(items),
    }
    expected = render_case("observed-ready")
    for observed in ("list.yaml", "docs.yaml"):
        assert render_files("gb1.yaml", observed, read=files.__getitem__, now=NOW) == expected


def test_a_migration_previews_its_job_with_the_script_as_a_literal_block():
    parent = yaml.safe_load((ROOT / "tests" / "render" / "gb1.yaml").read_text())
    files = {
        "gb1.yaml": yaml.safe_dump(parent),
        "observed.yaml": yaml.safe_dump_all(before_storage(guestbook())),
    }

    output = render_files("gb1.yaml", "observed.yaml", read=files.__getitem__, now=NOW)

    job = next(d for d in documents(output) if d["kind"] == "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["sh", "-c", COPY_SCRIPT]
    assert "        - |\n          set -eu\n" in output


def test_a_paused_new_guestbook_previews_no_children_and_says_it_is_paused():
    paused = GUESTBOOK + "  annotations: {webapp.my.domain/paused: 'true'}\n"
    output = render_files("gb.yaml", read={"gb.yaml": paused}.__getitem__, now=NOW)
    assert output.startswith("# Status, computed against no observed objects")
    assert {c["type"]: c["status"] for c in status_of(output)["conditions"]}["Paused"] == "True"


def unheld_request() -> str:
    request = json.loads((ROOT / "samples" / "sync-request.json").read_text())
    child = request["children"]["Service.v1"]["gb1-frontend"]
    del child["metadata"]["annotations"][LAST_APPLIED]
    return json.dumps(request)


BAD_INPUT = [
    pytest.param("", None, "gb.yaml: expected one Guestbook, found 0 documents", id="empty"),
    pytest.param(
        GUESTBOOK + "---\n" + GUESTBOOK,
        None,
        "gb.yaml: expected one Guestbook, found 2 documents",
        id="two documents",
    ),
    pytest.param(
        "kind: Guestbook\nspec: [",
        None,
        "gb.yaml: not valid YAML or JSON: expected the node content, but found '<stream end>' at "
        "line 2, column 8",
        id="not YAML",
    ),
    pytest.param(
        "- a\n- b\n", None, "gb.yaml: expected a Guestbook object, got a list", id="a list"
    ),
    pytest.param(
        GUESTBOOK.replace("kind: Guestbook", "kind: Deployment"),
        None,
        "gb.yaml: kind must be Guestbook, got the string 'Deployment'",
        id="another kind",
    ),
    pytest.param(
        GUESTBOOK.replace("/v1", "/v2"),
        None,
        "gb.yaml: apiVersion must be webapp.my.domain/v1, got the string 'webapp.my.domain/v2'",
        id="another version",
    ),
    pytest.param(
        GUESTBOOK.replace("  name: gb1\n", ""),
        None,
        "gb.yaml: metadata.name is missing",
        id="no name",
    ),
    pytest.param(
        GUESTBOOK + "spec: {frontend: {replicas: -1}}\n",
        None,
        "gb.yaml: spec.frontend.replicas: must be between 0 and 100, got -1",
        id="replicas out of range",
    ),
    pytest.param(
        GUESTBOOK + "spec: {redis: {sentinel: 2}}\n",
        None,
        "gb.yaml: spec.redis.sentinel: unknown field (known fields: leader, follower)",
        id="unknown field",
    ),
    pytest.param(
        GUESTBOOK + "spec:\n  frontend: {replicas: 2, replicas: 3}\n",
        None,
        "gb.yaml: not valid YAML or JSON: repeated key 'replicas' at line 7, column 27",
        id="repeated key",
    ),
    pytest.param(
        GUESTBOOK + "  annotations: {webapp.my.domain/paused: 'yes'}\n",
        None,
        'gb.yaml: metadata.annotations[webapp.my.domain/paused]: must be "true" to pause or '
        "\"false\" to run, got 'yes'",
        id="bad pause annotation",
    ),
    pytest.param(
        GUESTBOOK,
        "- {kind: Service}\n",
        "seen.yaml: observed object 1 has no metadata.name",
        id="observed object without a name",
    ),
    pytest.param(
        GUESTBOOK,
        "- {metadata: {name: a}}\n- 3\n",
        "seen.yaml: observed object 1 is not an object with a kind",
        id="observed object without a kind",
    ),
    pytest.param(
        GUESTBOOK,
        '{"parent": {}, "children": []}',
        "seen.yaml: children must be a map of child types, got a list",
        id="sync request with children a list",
    ),
    pytest.param(
        GUESTBOOK + "  annotations: {webapp.my.domain/paused: 'true'}\n",
        unheld_request(),
        "seen.yaml: paused; Service gb1-frontend has no "
        "metacontroller.k8s.io/last-applied-configuration annotation (server-side apply, or an "
        "adopted object), so it cannot be held as it is",
        id="paused with an observed child that cannot be held",
    ),
]


@pytest.mark.parametrize(("manifest", "observed", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_naming_the_problem(manifest, observed, message):
    files = {"gb.yaml": manifest, "seen.yaml": observed}
    with pytest.raises(InputError) as raised:
        render_files("gb.yaml", observed and "seen.yaml", read=files.__getitem__, now=NOW)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        pytest.param(
            ["render", "missing.yaml"],
            "render: missing.yaml: cannot be read: No such file or directory",
            id="a missing file",
        ),
        pytest.param(
            ["render", "hooks"],
            "render: hooks: cannot be read: Is a directory",
            id="a directory",
        ),
        pytest.param(
            ["render", SAMPLE, "--observed", "-"],
            "render: -: not valid YAML or JSON: mapping values are not allowed here at line 1, "
            "column 5",
            id="observed objects that are not YAML",
        ),
        pytest.param(
            ["render", SAMPLE, "--format", "xml"],
            "python -m hooks render: error: argument --format: invalid choice: 'xml' (choose "
            "from 'yaml', 'json') (see --help)",
            id="an unknown format",
        ),
        pytest.param(
            [],
            "python -m hooks: error: the following arguments are required: command (see --help)",
            id="no command",
        ),
    ],
)
def test_the_command_exits_2_with_one_line_naming_the_problem(args, stderr):
    result = run(*args, stdin="a: b: c\n")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", stderr + "\n")


def test_a_guestbook_as_kubectl_get_prints_it_previews_like_the_sync_hook_answers():
    request = json.loads((ROOT / "samples" / "sync-request.json").read_text())
    files = {
        "live.yaml": yaml.safe_dump(request["parent"]),
        "request.json": json.dumps(request),
    }
    output = render_files("live.yaml", "request.json", output="json", read=files.__getitem__)
    expected = golden.answer("all-ready")
    assert json.loads(output) == expected
