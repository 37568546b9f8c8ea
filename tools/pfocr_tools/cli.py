"""Helpers shared by the thin command-line front ends."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .errors import PfocrError

log = logging.getLogger("pfocr_tools")


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit 2) that names the program."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser(prog: str, description: str) -> ArgumentParser:
    parser = ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only warnings and errors on stderr"
    )
    return parser


def setup_logging(prog: str, quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False


def progress_enabled() -> bool:
    """Progress bars only when a person is watching stderr."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def run(prog: str, body: Callable[[argparse.Namespace], int], parser: ArgumentParser,
        argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run ``body``; map our exceptions to one-line errors and exit codes."""
    args = parser.parse_args(argv)
    setup_logging(prog, getattr(args, "quiet", False))
    try:
        return body(args)
    except PfocrError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"{prog}: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 1
