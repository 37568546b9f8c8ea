#!/usr/bin/env python3
"""Benchmark pfocr-filter and pfocr-export on a large synthetic figure gene table.

    python bench/bench_export.py --copies 400 [--workdir DIR] [--keep]

Extracts the real records of ``test-data/records`` once, then writes a table holding COPIES
copies of every figure (unique figids), and times, as subprocesses (wall time and peak
resident memory of the process, sampled from /proc):

* ``pfocr-filter --organism human --exclude-mentions`` and ``--organism mouse``,
* ``pfocr-export`` (GMT) of the human table, and ``--split-by-organism`` of the whole table.

Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-data" / "records"


def build_table(dest: Path, copies: int) -> tuple[Path, int]:
    base = dest / "base.tsv"
    subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(RECORDS), "-o", str(base),
                    "-q"], check=True)
    header, *rows = base.read_text("utf-8").splitlines()
    table = dest / "table.tsv"
    n = 0
    with table.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(copies):
            suffix = f"__syn{i:06d}"
            for row in rows:
                figid, rest = row.split("\t", 1)
                out.write(f"{figid}{suffix}\t{rest}\n")
                n += 1
    return table, n


def peak_rss_kb(pid: int, stop: threading.Event, result: list[int]) -> None:
    peak = 0
    while not stop.is_set():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.02)
    result.append(peak)


def timed(label: str, args: list[str]) -> None:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", *args], stderr=subprocess.PIPE, text=True)
    stop, peak = threading.Event(), []
    sampler = threading.Thread(target=peak_rss_kb, args=(proc.pid, stop, peak))
    sampler.start()
    _, err = proc.communicate()
    stop.set()
    sampler.join()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed:\n{err}")
    print(f"{label:<40} {elapsed:7.2f} s  peak RSS {peak[0] / 1024:7.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=400)
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        table, n = build_table(work, args.copies)
        size = table.stat().st_size / 1e6
        print(f"table: {n} rows, {size:.0f} MB ({args.copies} copies of the test records)")
        human = work / "human.tsv"
        timed("filter --organism human --exclude-mentions",
              ["pfocr_tools.filter", str(table), "-o", str(human), "--organism", "human",
               "--exclude-mentions", "--log", str(work / "log.tsv"), "-q"])
        timed("filter --organism mouse",
              ["pfocr_tools.filter", str(table), "-o", str(work / "mouse.tsv"),
               "--organism", "mouse", "-q"])
        timed("export human GMT", ["pfocr_tools.export", str(human), "-o",
                                   str(work / "human.gmt"), "-q"])
        timed("export --split-by-organism (all)", ["pfocr_tools.export", str(table),
                                                   "--split-by-organism", str(work / "split"),
                                                   "-q"])
        timed("export json (all)", ["pfocr_tools.export", str(table), "--format", "json",
                                    "-o", str(work / "all.json"), "-q"])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
