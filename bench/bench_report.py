#!/usr/bin/env python3
"""Time pfocr-report beside the plain line-split loop, with and without its plot process.

    python bench/bench_report.py TABLE.tsv [TABLE.tsv ...] [--runs 3]

For each table, alternately ``--runs`` times: the line-split loop of ``bench_corpus``, the
report as run (matplotlib imported and the plots drawn by a second process while the table is
read, when two CPUs are free) and, on Linux, the report pinned to one CPU (the plots then drawn
in the report process after the table, as before the plot process). Prints the best CPU time
(user + system of the process tree), the best wall time, the peak RSS of the tree and the
ratios to the loop, with the load average: compare the CPU column on a shared machine and the
wall column only on a quiet one. Numbers are printed, never asserted.

The peak RSS of the tree counts the pages the plot process and its fork share (copy on write)
once per process; one more run per variant samples the tree's PSS (Linux
``/proc/PID/smaps_rollup``: shared pages split between the processes sharing them), the memory
the run really takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import LOOP, cpu_run, loadavg  # noqa: E402
from bench_extract import timed_run, tree_pss_kib  # noqa: E402

ONE_CPU = ("import os, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
           "os.execv(sys.executable, [sys.executable, '-m', 'pfocr_tools.report', "
           "*sys.argv[1:]])")


def peak_pss(cmd: list[str]) -> int | None:
    """Peak PSS of the process tree of ``cmd`` (KiB, sampled every 20 ms: the fork lives for
    about 0.3 s); None off Linux."""
    if not os.path.exists("/proc/self/smaps_rollup"):
        return None
    return timed_run(cmd, tree_pss_kib, 0.02)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    variants = {"loop": lambda t, out: [py, "-c", LOOP, str(t)],
                "report": lambda t, out: [py, "-m", "pfocr_tools.report", str(t), "-o", out,
                                          "-q"]}
    if hasattr(os, "sched_setaffinity"):
        variants["report, 1 CPU"] = lambda t, out: [py, "-c", ONE_CPU, str(t), "-o", out, "-q"]
    print(f"{'table':24s} {'run':14s} {'CPU':>7s} {'ratio':>6s} {'wall':>7s} {'ratio':>6s} "
          f"{'peak RSS':>9s} {'peak PSS':>9s}  load average (after each round)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.html")
        for table in args.tables:
            best: dict[str, list[float]] = {}
            loads = []
            for _ in range(args.runs):
                for name, cmd in variants.items():
                    wall, peak, cpu = cpu_run(cmd(table, out))
                    cur = best.setdefault(name, [cpu, wall, peak])
                    best[name] = [min(cur[0], cpu), min(cur[1], wall), max(cur[2], peak)]
                loads.append(loadavg())
            loop_cpu, loop_wall = best["loop"][0], best["loop"][1]
            for name, (cpu, wall, peak) in best.items():
                pss = peak_pss(variants[name](table, out))
                shown = f"{pss / 1024:6.0f} MiB" if pss is not None else f"{'-':>9s}"
                print(f"{table.name:24s} {name:14s} {cpu:6.2f}s {cpu / loop_cpu:5.2f}x "
                      f"{wall:6.2f}s {wall / loop_wall:5.2f}x {peak / 1024:6.0f} MiB {shown}  "
                      f"{' | '.join(loads) if name == 'loop' else ''}", flush=True)


if __name__ == "__main__":
    main()
