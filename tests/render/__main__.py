"""Regenerate the golden previews in tests/render/: `make golden`, then review the diff."""

from tests.render import CASES, ROOT, golden_path, render_case


def main() -> None:
    for name in CASES:
        path = golden_path(name)
        path.write_text(render_case(name))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
