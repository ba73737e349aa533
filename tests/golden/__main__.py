"""Regenerate tests/golden/<answer>.json: `make golden`, then review the diff."""

import json
from pathlib import Path

from hooks import sync
from tests.golden import HERE, answer_file, request
from tests.golden.cases import CASES, NOW

SAMPLE = HERE.parent.parent / "samples" / "sync-request.json"
SAMPLE_CASE = "all-ready"  # the request the README's curl example sends


def dumped(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def main() -> None:
    written: dict[Path, str] = {}
    for case in CASES:
        built = request(case)
        text = dumped(sync(built["parent"], built["children"], now=NOW))
        path = answer_file(case)
        if written.setdefault(path, text) != text:
            raise SystemExit(f"{case} answers differently from the case it shares {path.name} with")
        if case == SAMPLE_CASE:
            SAMPLE.write_text(dumped(built))
    for stale in set(HERE.glob("*.json")) - set(written):
        stale.unlink()
    for path, text in written.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
