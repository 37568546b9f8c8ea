#!/usr/bin/env python3
"""Benchmark pfocr-organisms (offline) on a synthetic corpus built from the real test records.

    python bench/bench_organisms.py --records 10000 [--workdir DIR] [--keep]

Builds N records like bench_extract.py (copies of test-data/records with unique figids) and
measures ``pfocr-organisms`` next to ``pfocr-extract --jobs 1`` on the same corpus: wall time
and peak memory of the process tree. Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_extract import build_corpus, timed_run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--workdir", help="where to build the corpus (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus afterwards")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-bench-"))
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    build_corpus(corpus, args.records)
    print(f"corpus: {args.records} records in {corpus}")
    out = work / "out.tsv"
    for name, cmd in (
        ("pfocr-extract --jobs 1", [sys.executable, "-m", "pfocr_tools.extract", str(corpus),
                                    "-o", str(out), "--jobs", "1", "-q"]),
        ("pfocr-organisms", [sys.executable, "-m", "pfocr_tools.organism_evidence",
                             str(corpus), "-o", str(out), "-q"]),
    ):
        t, peak = timed_run(cmd)
        print(f"{name:24s} {t:7.2f} s  ({args.records / t:,.0f} records/s, "
              f"peak RSS {peak / 1024:.0f} MiB)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
