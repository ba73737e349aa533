"""Golden previews of `python -m hooks render`: each case is a command line and its output."""

from pathlib import Path

from hooks.render import render_files
from tests import ROOT
from tests.golden.cases import NOW

HERE = Path(__file__).parent
# name -> (FILE, --observed FILE or None, --format), paths from the repository root.
CASES = {
    "guestbook": ("samples/webapp_v1_guestbook.yaml", None, "yaml"),
    "guestbook-full": ("samples/webapp_v1_guestbook_full.yaml", None, "yaml"),
    "guestbook-full-json": ("samples/webapp_v1_guestbook_full.yaml", None, "json"),
    "observed-ready": ("tests/render/gb1.yaml", "samples/sync-request.json", "yaml"),
    "no-storage": ("tests/render/gb1-no-storage.yaml", None, "yaml"),
}


def render_case(name: str) -> str:
    """Return what `python -m hooks render` prints for the case, at the golden cases' time."""
    manifest, observed, output = CASES[name]
    return render_files(
        str(ROOT / manifest),
        None if observed is None else str(ROOT / observed),
        output=output,
        now=NOW,
    )


def golden_path(name: str) -> Path:
    """Return the file holding the case's expected output (not *.yaml: no linter reads it)."""
    return HERE / f"{name}.out"
