#!/usr/bin/env python3
"""Benchmark pfocr-extract on a synthetic corpus built from the real test records.

    python bench/bench_extract.py --records 100000 [--workdir DIR] [--keep]
    python bench/bench_extract.py --corpus DIR --repeat 3 --busy 2 --no-csafe

Builds N records in the pfocr-database layout (``_figures/<figid>.md`` and, for current-schema
records, ``_data/<figid>-genes.tsv``) by copying the real records of ``test-data/records`` with
unique figids, then measures side by side:

* a plain PyYAML libyaml ``CSafeLoader`` parse of the same pages (read + parse, one process),
* ``pfocr-extract`` with one and with two worker processes (wall time, CPU time of the
  process tree, peak memory of the whole process tree, sampled from /proc), best of
  ``--repeat`` runs, on a quiet machine and, with ``--busy N``, beside N spinning processes.

Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


def _tree_pids(pid: int) -> list[int]:
    """A process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
    tree, stack = [], [pid]
    while stack:
        tree.append(stack.pop())
        stack.extend(children.get(tree[-1], []))
    return tree


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    for p in _tree_pids(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except OSError:
            continue
    return total


def tree_pss_kib(pid: int) -> int:
    """Proportional memory (PSS: a page shared by k processes counts 1/k in each) of a process
    and all its descendants, in KiB (Linux /proc/PID/smaps_rollup)."""
    total = 0
    for p in _tree_pids(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += sum(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except OSError:
            continue
    return total


def timed_run(cmd: list[str], measure: Callable[[int], int] = _tree_rss_kib,
              every: float = 0.1) -> tuple[float, int]:
    """Wall time and the peak of ``measure`` (the process tree's RSS, KiB) sampled every
    ``every`` seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, measure(proc.pid))
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode()}")
    return elapsed, peak


def cpu_timed_run(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system of the command and its children) and peak RSS of
    the process tree (KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    old = os.environ.copy()
    try:
        os.environ.update(env or {})
        wall, peak = timed_run(cmd)
    finally:
        os.environ.clear()
        os.environ.update(old)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def busy(n: int) -> list[subprocess.Popen]:
    """``n`` processes that only spin (a loaded machine); the caller kills them."""
    return [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--workdir", help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus afterwards")
    ap.add_argument("--corpus", help="an existing corpus folder (from build_corpus) to use")
    ap.add_argument("--repeat", type=int, default=1, help="runs per setting; the best is shown")
    ap.add_argument("--busy", type=int, default=0, metavar="N",
                    help="also measure with N spinning background processes (a loaded machine)")
    ap.add_argument("--jobs", default="1,2", help="job counts to measure (default: 1,2)")
    ap.add_argument("--no-csafe", action="store_true", help="skip the CSafeLoader baseline")
    ap.add_argument("--pythonpath", help="run pfocr-extract from this source folder instead "
                    "(e.g. an older version's tools/, for a side-by-side comparison)")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-bench-"))
    if args.corpus:
        corpus = Path(args.corpus)
        pages = sorted((corpus / "_figures").glob("*.md"))
        print(f"corpus: {len(pages)} records in {corpus}")
    else:
        corpus = work / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        t0 = time.perf_counter()
        pages = build_corpus(corpus, args.records)
        print(f"corpus: {args.records} records in {corpus} "
              f"({time.perf_counter() - t0:.1f} s to build)")
    n = len(pages)
    exe = [sys.executable, "-m", "pfocr_tools.extract"]
    env = {"PYTHONPATH": args.pythonpath} if args.pythonpath else None
    # warm the page cache once so every contender reads from memory
    csafe_parse(pages[: min(len(pages), 2000)])
    if not args.no_csafe:
        t_yaml = csafe_parse(pages)
        print(f"PyYAML CSafeLoader parse (1 process): {t_yaml:7.2f} s  "
              f"({n / t_yaml:,.0f} records/s)")
    out = work / "out.tsv"
    for load in sorted({0, args.busy}):
        spinners = busy(load)
        try:
            for jobs in (int(j) for j in args.jobs.split(",")):
                runs = [cpu_timed_run([*exe, str(corpus), "-o", str(out), "--jobs", str(jobs),
                                       "-q"], env) + (loadavg(),)
                        for _ in range(args.repeat)]
                wall, cpu, peak, la = min(runs)
                print(f"pfocr-extract --jobs {jobs}, {load} busy processes: wall {wall:6.2f} s "
                      f"(runs {', '.join(f'{r[0]:.1f}' for r in runs)}), CPU {cpu:6.2f} s, "
                      f"{n / wall:,.0f} records/s, peak RSS {peak / 1024:.0f} MiB; "
                      f"load average {la}", flush=True)
                if out.exists() and not args.no_csafe and load == 0 and jobs == 1:
                    print(f"  {t_yaml / wall:.1f}x the CSafeLoader parse")
        finally:
            for proc in spinners:
                proc.kill()
                proc.wait()
    size = out.stat().st_size
    print(f"output: {size / 1e6:.1f} MB, {sum(1 for _ in open(out, 'rb')) - 1:,} rows")
    if not args.keep:
        if not args.corpus or not args.workdir:
            shutil.rmtree(work)
        else:
            out.unlink()


if __name__ == "__main__":
    main()
