"""Helpers shared by the thin command-line front ends."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence

from . import __version__
from .atomic import is_device
from .errors import DataError, PfocrError, UsageError

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


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so every ``with`` block unwinds (temporary
    files, spill folders, worker processes) exactly as for SIGINT's KeyboardInterrupt."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _stop_signals_raise():
    """While the tool runs, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, _raise_terminated) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGTERM, SIGHUP and SIGINT back while the block runs (they are delivered when it
    ends). Used around starting worker processes: an exception raised inside ``fork()``'s
    at-fork callbacks would be printed and swallowed, and the run would go on."""
    held = {*STOP_SIGNALS, signal.SIGINT}
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_signals() -> None:
    """In a worker process: die on SIGTERM/SIGHUP, leave SIGINT to the main process (which
    stops the workers while it cleans up)."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them back
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies (even by SIGKILL or the OOM
    killer), so no orphan waits forever on the task queue."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def usable_cpus() -> int:
    """The CPUs this process may run on (a Slurm or cgroup cpuset, ``taskset``; Python 3.13's
    ``-X cpu_count``), not all of the node's."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(inputs: Iterable[str | None], outputs: Iterable[tuple[str, str | None]]
                  ) -> None:
    """Usage error (exit 2), before any work, when an output would replace an input or two
    outputs share one path (an output that is a folder: a data error, exit 1, as before).
    ``outputs`` holds (option name, path) pairs; ``-``, None and devices such as /dev/null
    are never in conflict."""
    def real(path: str | None) -> bool:  # /dev/null, a FIFO: written to, never replaced
        return bool(path) and path != "-" and not is_device(path)

    outs = [(opt, path) for opt, path in outputs if path and real(path)]
    for _, path in outs:
        if os.path.isdir(path):
            raise DataError("cannot write output: is a directory", path)
    ins = [p for p in inputs if p and real(p)]
    for opt, path in outs:
        for inp in ins:
            if os.path.isfile(inp) and _same_file(path, inp):
                raise UsageError(f"{opt} {path} is also an input; it would be replaced")
    for i, (opt, path) in enumerate(outs):
        for opt2, path2 in outs[i + 1:]:
            if _same_file(path, path2):
                raise UsageError(f"{opt} and {opt2} name one file ({path}); one would be lost")


def check_retry_options(timeout: float, retries: int, backoff: float) -> None:
    """Usage error (exit 2) unless --timeout is positive and finite, --retries and --backoff
    not negative (and --backoff finite): the network tools' shared rule."""
    if (retries < 0 or timeout <= 0 or backoff < 0
            or not math.isfinite(timeout) or not math.isfinite(backoff)):
        raise UsageError("--retries, --timeout and --backoff must be positive finite numbers")


def run(prog: str, body: Callable[[argparse.Namespace], int], parser: ArgumentParser,
        argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run ``body``; map our exceptions to one-line errors and exit codes."""
    args = parser.parse_args(argv)
    setup_logging(prog, getattr(args, "quiet", False))
    try:
        with _stop_signals_raise():
            return body(args)
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"{prog}: stopped by {name}; temporary files removed", file=sys.stderr)
        return 128 + exc.signum
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
