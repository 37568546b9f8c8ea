"""pfocr-report's plot process: matplotlib imported and the plots drawn beside the table read.

Importing matplotlib takes about 0.4 s of CPU and drawing the plots about 0.4 s more; the
table is read on one core. :class:`PlotWorker` starts a child Python at once (``python -c``,
the parent's own interpreter and ``sys.path``: the same on every platform, no fork or spawn
start method, nothing to install), which imports :mod:`report_plots` while the parent reads
the table, then receives the plot data on its stdin and answers with the PNGs on its stdout.
With two plots or more it forks once the data is there (:func:`render_shared`): the fork draws
about half of them at the same time, with matplotlib already imported (the table is read by
then, so the report process only waits: 0.57 -> 0.37 s at 91k records).

This module imports no matplotlib: the parent never does when the child runs.

Protocol: the parent writes one pickle, ``[(function name, args, kwargs), ...]`` (plain
lists, numbers and strings), and closes the child's stdin; the child answers with one pickle,
``("ok", [(name, title, png, width, height), ...])`` or ``("error", message)``, and exits.
The child's stdout carries only that answer (anything else printing there goes to stderr);
its stderr is captured and passed on (matplotlib warnings), or its last line is the error
when the child died without an answer. EOF before a request (the parent had nothing to plot
or stopped): the child exits quietly.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Sequence

from .errors import PfocrError

#: The plot functions of report_plots the parent may ask for.
FUNCTIONS = ("organisms_bar", "size_histogram", "years_bar", "top_genes_bar", "status_bar")

_BOOT = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
         "from pfocr_tools.report_worker import serve; serve()")

Job = tuple[str, tuple, dict]


class Plot:
    """A rendered plot: PNG bytes and its size in pixels."""

    def __init__(self, name: str, title: str, png: bytes, width: int, height: int):
        self.name = name
        self.title = title
        self.png = png
        self.width = width
        self.height = height


class PlotError(PfocrError):
    """The plot process failed (exit code 1)."""


def render(jobs: Sequence[Job]) -> list:
    """The plots of ``jobs``, drawn in this process. A failure of matplotlib (its import or a
    plot) is a :class:`PlotError`, one line, as from the plot process."""
    try:
        from . import report_plots
    except Exception as exc:
        raise PlotError(f"plots: {_one_line(exc)}") from exc
    plots = []
    for func, args, kwargs in jobs:
        if func not in FUNCTIONS:
            raise PlotError(f"plots: no plot function {func!r}")
        try:
            plots.append(getattr(report_plots, func)(*args, **kwargs))
        except Exception as exc:
            raise PlotError(f"plots: {_one_line(exc)}") from exc
    return plots


class PlotWorker:
    """The child process; use as a context manager: leaving the block always ends the child
    (killed if it has not answered) and reaps it, whatever the parent is unwinding from."""

    def __init__(self) -> None:
        from .cli import signals_deferred

        self.proc: subprocess.Popen | None = None
        try:
            # SIGTERM, SIGHUP, SIGINT held back while the child starts, so that the child is
            # in self.proc before one can stop the run (they arrive as the block ends)
            with signals_deferred():
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", _BOOT, json.dumps(sys.path)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child (if it still runs) and reap it."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # closes the pipes and waits

    def render(self, jobs: Sequence[Job]) -> list:
        """The plots of ``jobs``, drawn by the child (which then exits)."""
        proc, self.proc = self.proc, None
        if proc is None:
            raise PlotError("plots: the plot process was closed")
        request = pickle.dumps([(f, tuple(a), dict(k)) for f, a, k in jobs],
                               protocol=pickle.HIGHEST_PROTOCOL)
        try:
            out, err = proc.communicate(request)
        except BaseException:  # stopped while waiting: end the child too
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
            raise
        message = err.decode("utf-8", "replace")
        try:
            status, value = pickle.loads(out)
        except Exception:  # noqa: BLE001 - no answer, or cut short: the child died
            status = "died"
        if status == "ok":
            if message:
                sys.stderr.write(message)  # warnings, as if drawn here
            return [Plot(*fields) for fields in value]
        if status == "died":
            value = f"the plot process failed ({_exit_status(proc.returncode)})"
            lines = [line.strip() for line in message.splitlines() if line.strip()]
            if lines:
                value += f": {lines[-1]}"
        raise PlotError(f"plots: {value}")


def serve() -> None:
    """The child's side: import the plots, read the request, answer, exit."""
    from .cli import worker_signals

    worker_signals()  # SIGINT is the parent's; die with the parent (Linux)
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, never into the answer
    sys.stdout = sys.stderr
    try:
        try:
            from . import report_plots  # noqa: F401 - the slow import, before the request
        except Exception as exc:
            raise PlotError(f"plots: {_one_line(exc)}") from exc
        try:
            jobs = pickle.load(sys.stdin.buffer)
        except EOFError:  # nothing to plot, or the parent stopped
            return
        plots = render_shared(jobs) if len(jobs) > 1 and CAN_FORK else render(jobs)
        result: tuple = ("ok", [_fields(p) for p in plots])
    except Exception as exc:  # noqa: BLE001 - a bad request too: still one line for the parent
        result = _failure(exc)
    answer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    answer.close()
    sys.stderr.flush()
    os._exit(0)  # the parent waits for the exit: skip tearing matplotlib down (~50 ms)


#: Drawing time of each plot (centiseconds, 91k records), to share the plots between two
#: processes (the figures' texts are most of it: top genes has about 60).
COST = {"top_genes_bar": 24, "size_histogram": 15, "years_bar": 11, "organisms_bar": 9,
        "status_bar": 9}
#: Share the plots with a fork of the plot process: where os.fork is (not on Windows), except
#: macOS, where a fork without exec is unsafe after some system libraries are loaded.
CAN_FORK = hasattr(os, "fork") and sys.platform != "darwin"


def shares(jobs: Sequence[Job]) -> tuple[list[int], list[int]]:
    """The indexes of ``jobs`` in two shares of about the same drawing time (the costliest
    first, each to the share with less so far); the first share is never the smaller."""
    order = sorted(range(len(jobs)), key=lambda i: (-COST.get(jobs[i][0], 10), i))
    first: list[int] = []
    second: list[int] = []
    load = [0, 0]
    for i in order:
        side = 0 if load[0] <= load[1] else 1
        (first, second)[side].append(i)
        load[side] += COST.get(jobs[i][0], 10)
    return sorted(first), sorted(second)


def render_shared(jobs: Sequence[Job]) -> list:
    """``render(jobs)`` in two processes: this one and a fork of it (matplotlib already
    imported, nothing to load again), each drawing a share of the plots at the same time (the
    report process waits meanwhile: a second CPU is free). The plots are the same as drawn in
    one process, in the order of ``jobs``. The fork answers on a pipe as the plot process
    answers its parent; it dies with this process (Linux)."""
    mine, theirs = shares(jobs)
    sys.stderr.flush()
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return render(jobs)
    try:
        pid = os.fork()
    except OSError:  # no process to spare: all here
        os.close(read_end)
        os.close(write_end)
        return render(jobs)
    if pid == 0:  # the fork: draw its share, answer, exit (never returns to the caller)
        code = 1  # (the reader gone, or anything unforeseen)
        try:
            os.close(read_end)
            from .cli import worker_signals

            worker_signals()  # as the plot process's: dies with it (Linux)
            try:
                answer: tuple = ("ok", [_fields(p) for p in render([jobs[i] for i in theirs])])
            except Exception as exc:  # noqa: BLE001 - one line for the plot process
                answer = _failure(exc)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
            sys.stderr.flush()
            code = 0
        finally:
            os._exit(code)  # no cleanup of what this process's parent holds
    os.close(write_end)
    try:
        drawn = dict(zip(mine, render([jobs[i] for i in mine]), strict=True))
    except BaseException:
        os.close(read_end)
        _end(pid, kill=True)
        raise
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    status = _end(pid)
    try:
        kind, value = pickle.loads(data)
    except Exception:  # noqa: BLE001 - no answer, or cut short: the fork died
        raise PlotError(f"plots: the second plot process failed ({status})") from None
    if kind != "ok":
        raise PlotError(f"plots: {value}")
    drawn.update(zip(theirs, (Plot(*fields) for fields in value), strict=True))
    return [drawn[i] for i in range(len(jobs))]


def _end(pid: int, kill: bool = False) -> str:
    """Reap the fork (killed first with ``kill``); its exit status, as words."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    return _exit_status(os.waitstatus_to_exitcode(status))


def _failure(exc: Exception) -> tuple:
    """A plot process's answer for a failure: ("error", one line, without the "plots: " the
    reader of the answer puts before it)."""
    if isinstance(exc, PlotError):
        return ("error", exc.message.removeprefix("plots: "))
    return ("error", _one_line(exc))


def _fields(plot: Plot) -> tuple:
    return (plot.name, plot.title, plot.png, plot.width, plot.height)


def _exit_status(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
