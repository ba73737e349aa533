"""`python -m hooks render FILE`: print the children a Guestbook turns into, and its status."""

import argparse
import sys

from hooks.render import FORMATS, STDIN, InputError, render_files

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line like every other error of the command."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(USAGE_ERROR)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        print(render_files(args.file, args.observed, output=args.format), end="")
    except InputError as err:
        print(f"render: {err}", file=sys.stderr)
        return USAGE_ERROR
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m hooks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    render = commands.add_parser(
        "render",
        help="print the children a Guestbook turns into, then its status as comments",
        description="Print the children the hooks would create for a Guestbook manifest, as "
        "YAML documents for `kubectl apply --dry-run=server -f -`, then the status as comments.",
    )
    render.add_argument(
        "file",
        metavar="FILE",
        help=f"a Guestbook manifest, YAML or JSON ({STDIN} reads standard input)",
    )
    render.add_argument(
        "--observed",
        metavar="FILE",
        help="a sync request, or a list of observed objects (YAML or JSON), to compute the "
        "status against",
    )
    render.add_argument(
        "--format",
        choices=FORMATS,
        default="yaml",
        help="yaml (children as documents, status as comments) or json (the sync hook's answer)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
