"""Regenerate tests/golden/<case>/{request,response}.json: `make golden`, then review the diff."""

import json
from pathlib import Path

from hooks import sync
from tests.golden.cases import CASES, NOW

HERE = Path(__file__).parent
SAMPLE = HERE.parent.parent / "samples" / "sync-request.json"
SAMPLE_CASE = "all-ready"  # the request the README's curl example sends


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def main() -> None:
    for name, build in CASES.items():
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        request = build()
        write_json(folder / "request.json", request)
        write_json(folder / "response.json", sync(request["parent"], request["children"], now=NOW))
        print(f"wrote {folder.relative_to(HERE.parent.parent)}")
        if name == SAMPLE_CASE:
            write_json(SAMPLE, request)


if __name__ == "__main__":
    main()
