#!/usr/bin/env python3
"""Benchmark pfocr-extract on a synthetic corpus built from the real test records.

    python bench/bench_extract.py --records 100000 [--workdir DIR] [--keep]

Builds N records in the pfocr-database layout (``_figures/<figid>.md`` and, for current-schema
records, ``_data/<figid>-genes.tsv``) by copying the real records of ``test-data/records`` with
unique figids, then measures side by side:

* a plain PyYAML libyaml ``CSafeLoader`` parse of the same pages (read + parse, one process),
* ``pfocr-extract`` with one and with two worker processes (wall time, peak memory of the
  whole process tree, sampled from /proc).

Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-data" / "records"


def build_corpus(dest: Path, n: int) -> list[Path]:
    figs, data = dest / "_figures", dest / "_data"
    figs.mkdir(parents=True)
    data.mkdir()
    templates = []
    for page in sorted(RECORDS.glob("*/_figures/*.md")):
        figid = page.stem
        tsv = page.parent.parent / "_data" / f"{figid}-genes.tsv"
        templates.append((figid, page.read_text("utf-8"),
                          tsv.read_text("utf-8") if tsv.exists() else None))
    pages = []
    for i in range(n):
        figid, text, tsv = templates[i % len(templates)]
        new = f"{figid}__syn{i:07d}"
        path = figs / f"{new}.md"
        path.write_text(text.replace(f"figid: {figid}\n", f"figid: {new}\n", 1), "utf-8")
        if tsv is not None:
            (data / f"{new}-genes.tsv").write_text(tsv, "utf-8")
        pages.append(path)
    return pages


def csafe_parse(pages: list[Path]) -> float:
    loader = yaml.CSafeLoader
    t0 = time.perf_counter()
    for page in pages:
        text = page.read_text("utf-8")
        fm = text[4:].split("\n---", 1)[0]
        yaml.load(fm, Loader=loader)
    return time.perf_counter() - t0


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def timed_run(cmd: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode()}")
    return elapsed, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--workdir", help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus afterwards")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-bench-"))
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    t0 = time.perf_counter()
    pages = build_corpus(corpus, args.records)
    print(f"corpus: {args.records} records in {corpus} ({time.perf_counter() - t0:.1f} s to build)")
    exe = [sys.executable, "-m", "pfocr_tools.extract"]
    # warm the page cache once so every contender reads from memory
    csafe_parse(pages[: min(len(pages), 2000)])
    t_yaml = csafe_parse(pages)
    print(f"PyYAML CSafeLoader parse (1 process):  {t_yaml:7.2f} s  "
          f"({args.records / t_yaml:,.0f} records/s)")
    out = work / "out.tsv"
    results = {}
    for jobs in (1, 2):
        t, peak = timed_run([*exe, str(corpus), "-o", str(out), "--jobs", str(jobs), "-q"])
        results[jobs] = t
        print(f"pfocr-extract --jobs {jobs}:               {t:7.2f} s  "
              f"({args.records / t:,.0f} records/s, peak RSS {peak / 1024:.0f} MiB)")
    size = out.stat().st_size
    print(f"output: {size / 1e6:.1f} MB, {sum(1 for _ in open(out, 'rb')) - 1:,} rows")
    print(f"speed-up over CSafeLoader parse: {t_yaml / results[1]:.1f}x (1 job), "
          f"{t_yaml / results[2]:.1f}x (2 jobs)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
