#!/usr/bin/env python3
"""Benchmark the whole by-hand pipeline at corpus scale (issue 10).

    python bench/bench_corpus.py                      # 91,000 records (about 3-5 min)
    python bench/bench_corpus.py --records 10000,91000 --columns

Builds N synthetic records from the real test records (``bench_extract.build_corpus``), runs
extract -> filter (human, mouse, rat, --exclude-mentions) -> remap (local) -> export
--split-by-organism -> report, and prints per step: wall time, peak resident memory of the
whole process tree (sampled from /proc every 0.1 s), the ratio to a plain Python loop that
reads and splits every line of the step's input table, the CPU time (user + system) of the
step and of the loop and their ratio (less disturbed than wall time by other jobs on a shared
machine), and the input's bytes per row. The load average is printed beside the numbers: the
machine may be shared, so timings are noisy.

``--columns`` adds the bytes per row of each column of the extract table and of the
column-cut options weighed in README "Corpus scale". Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_extract import build_corpus, timed_run  # noqa: E402

LOOP = """\
import sys
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        n += len(line.split("\\t"))
"""

#: Per-figure columns (the same on every gene row of a figure).
FIGURE_COLUMNS = ("figid", "figid_alias", "pmcid", "figtitle", "papertitle", "year",
                  "record_organisms", "organisms_ner", "mentioned_taxids")


def cpu_run(cmd: list[str]) -> tuple[float, int, float]:
    """timed_run, plus the CPU time (user + system) of the command and its children: less
    sensitive than wall time to other jobs on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = timed_run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak, cpu


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rows_of(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b"")) - 1


def column_bytes(path: Path, sample: int = 500_000) -> None:
    """Bytes per row of each column as written (the per-figure columns on each figure's first
    row only), what repeating them on every row (``--repeat-figure-columns``) would take, and
    the column-cut options weighed before (first ``sample`` rows)."""
    shared_cols = [c for c in FIGURE_COLUMNS if c != "figid"]
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        shared_at = [header.index(c) for c in shared_cols]
        sums = [0] * len(header)
        full = [0] * len(header)  # the same with the per-figure values on every row
        n = 0
        raw = []
        last, values = None, [0] * len(shared_at)
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            for i, v in enumerate(cells):
                sums[i] += len(v.encode()) + 1
                full[i] += len(v.encode()) + 1
            if cells[0] != last:
                last = cells[0]
                values = [len(cells[i].encode()) for i in shared_at]
            else:
                for i, b in zip(shared_at, values, strict=True):
                    full[i] += b - len(cells[i].encode())
            if n < 100_000:
                raw.append(line)
            n += 1
            if n >= sample:
                break
    per = {c: s / n for c, s in zip(header, full, strict=True)}
    total = sum(per.values())
    written = sum(sums) / n
    print(f"\ncolumn bytes per row with the per-figure values on every row (first {n:,} rows; "
          f"total {total:.0f} B/row):")
    for c, b in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"  {c:18s} {b:6.1f} B  {100 * b / total:4.1f} %")

    def without(cols: tuple[str, ...]) -> float:
        return total - sum(per[c] for c in cols)
    options = {
        "as written: per-figure columns once": written,
        "repeated on every row (0.1.0)": total,
        "papertitle only in --figures": without(("papertitle",)),
        "papertitle, figtitle in --figures": without(("papertitle", "figtitle")),
        "+ record_organisms, organisms_ner": without(("papertitle", "figtitle",
                                                      "record_organisms", "organisms_ner")),
        "gene rows: figid + gene columns only": without(tuple(shared_cols)),
    }
    print("options (bytes per gene row, plain text):")
    for name, b in options.items():
        print(f"  {name:40s} {b:6.0f} B")
    data = "".join(raw).encode()
    print(f"  gzip -6 of the table as written (first {len(raw):,} rows) "
          f"{len(gzip.compress(data, 6)) / len(raw):6.1f} B"
          f"  (level 1: {len(gzip.compress(data, 1)) / len(raw):.1f} B)")


def run_pipeline(work: Path, records: int, jobs: int) -> list[tuple]:
    corpus = work / f"corpus-{records}"
    if corpus.exists():
        shutil.rmtree(corpus)
    t0 = time.perf_counter()
    build_corpus(corpus, records)
    print(f"\ncorpus: {records:,} records in {corpus} ({time.perf_counter() - t0:.1f} s to "
          f"build); load average {loadavg()}", flush=True)
    py = sys.executable
    table = work / "table.tsv"
    human = work / "human.tsv"
    remapped = work / "remapped.tsv"
    steps = [
        (f"extract -j {jobs}", None,
         [py, "-m", "pfocr_tools.extract", str(corpus), "-o", str(table), "--jobs", str(jobs),
          "-q"]),
        ("filter (3 species, --exclude-mentions)", table,
         [py, "-m", "pfocr_tools.filter", str(table), "-o", str(human), "--organism",
          "human,mouse,rat", "--exclude-mentions", "-q"]),
        ("remap (local)", human,
         [py, "-m", "pfocr_tools.remap", str(human), "-o", str(remapped), "--report",
          str(work / "remap-report.tsv"), "-q"]),
        ("export --split-by-organism", remapped,
         [py, "-m", "pfocr_tools.export", str(remapped), "--split-by-organism",
          str(work / "libraries"), "-q"]),
        ("report", remapped,
         [py, "-m", "pfocr_tools.report", str(remapped), "-o", str(work / "report.html"),
          "-q"]),
    ]
    results = []
    total = 0.0
    for label, src, cmd in steps:
        loop_t = loop_cpu = None
        if src is not None:
            loop_t, _, loop_cpu = cpu_run([py, "-c", LOOP, str(src)])
        wall, peak, cpu = cpu_run(cmd)
        total += wall
        size = rows = None
        if src is not None:
            size, rows = src.stat().st_size, rows_of(src)
        results.append((records, label, wall, peak, loop_t, size, rows, loadavg(), cpu,
                        loop_cpu))
        print_row(results[-1])
    print(f"{'':8s} {'pipeline total':42s} {total:7.1f} s   (load average {loadavg()})")
    shutil.rmtree(corpus)
    return results


def print_header() -> None:
    print(f"\n{'records':>8s} {'step':42s} {'wall':>7s}   {'peak RSS':>9s} {'loop':>7s} "
          f"{'ratio':>6s} {'cpu':>7s} {'loop cpu':>8s} {'cpu ratio':>9s} {'in B/row':>8s} "
          f"{'in rows':>10s}  load average")


def print_row(r: tuple) -> None:
    records, label, wall, peak, loop_t, size, rows, load, cpu, loop_cpu = r
    loop = f"{loop_t:6.1f}s" if loop_t else "      -"
    ratio = f"{wall / loop_t:5.1f}x" if loop_t else "     -"
    cpu_s = f"{cpu:6.1f}s"
    loop_c = f"{loop_cpu:7.1f}s" if loop_cpu else "       -"
    cpu_ratio = f"{cpu / loop_cpu:8.1f}x" if loop_cpu else "        -"
    bpr = f"{size / max(rows, 1):8.0f}" if size else "       -"
    nrows = f"{rows:10,d}" if rows is not None else "         -"
    print(f"{records:8,d} {label:42s} {wall:6.1f}s {peak / 1024:7.0f} MiB {loop} {ratio} "
          f"{cpu_s} {loop_c} {cpu_ratio} {bpr} {nrows}  {load}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", default="91000",
                    help="comma-separated corpus sizes (default 91000)")
    ap.add_argument("--jobs", type=int, default=2, help="extract --jobs (default 2)")
    ap.add_argument("--columns", action="store_true",
                    help="also print bytes per row per column and of the column-cut options")
    ap.add_argument("--workdir", help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the outputs afterwards")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-bench-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; load average {loadavg()}")
    results = []
    try:
        for n in (int(x) for x in args.records.split(",")):
            print_header()
            results += run_pipeline(work, n, args.jobs)
            if args.columns:
                column_bytes(work / "table.tsv")
        print("\nsummary")
        print_header()
        for r in results:
            print_row(r)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
