"""Benchmark pfocr-remap.

1. MyGene.info backend against the test server (tests/mygene_server.py) with 100 ms injected
   latency per request, on a 1,000-figure table built from the example records: the number of
   requests and the time of pfocr-remap (cold cache, warm cache) side by side with the naive
   use of the client (one ``querymany`` per figure; the client's 1 s pause between batches is
   switched off, which favours the naive way).
2. Local backend: table rows per second of the remapping itself and of the whole command
   (read, remap, write) on a large table (default 1,000,000 rows).

    python bench/bench_remap.py [--figures 1000] [--rows 1000000] [--latency 0.1]

Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pfocr_tools import geneindex, remap  # noqa: E402
from pfocr_tools.table import read_table, write_table  # noqa: E402

from tests.mygene_server import MyGeneServer  # noqa: E402


def base_table(tmp: Path) -> pd.DataFrame:
    path = tmp / "records.tsv"
    subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(ROOT / "test-data/records"),
                    "-o", str(path), "-q"], check=True)
    return read_table(str(path))


def replicate_figures(df: pd.DataFrame, figures: int) -> pd.DataFrame:
    """A table of ``figures`` figures: copies of the real figures with new figids."""
    figids = list(dict.fromkeys(df["figid"]))
    parts = []
    for i in range(figures):
        src = figids[i % len(figids)]
        part = df[df["figid"] == src].copy()
        part["figid"] = f"{src}__copy{i}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def replicate_rows(df: pd.DataFrame, rows: int) -> pd.DataFrame:
    reps = math.ceil(rows / len(df))
    big = pd.concat([df] * reps, ignore_index=True).iloc[:rows].copy()
    big["figid"] = big["figid"] + "__" + (big.index // len(df)).astype(str)
    return big


def bench_mygene(df: pd.DataFrame, tmp: Path, latency: float) -> None:
    server = MyGeneServer.from_file(ROOT / "test-data/remap/mygene-genes.json").start()
    server.latency = latency
    table = tmp / "figures.tsv"
    write_table(df, str(table))
    distinct = df.loc[df["gene_id"] != "", "gene_id"].nunique()
    print(f"\n== MyGene.info backend: {df['figid'].nunique()} figures, {len(df)} rows, "
          f"{distinct} distinct gene IDs, {latency * 1000:.0f} ms per request")
    cache = tmp / "cache"
    for label in ("pfocr-remap, cold cache", "pfocr-remap, warm cache"):
        server.reset()
        server.latency = latency
        start = time.perf_counter()
        rc = remap.main([str(table), "-o", str(tmp / "out.tsv"), "--backend", "mygene",
                         "--mygene-url", server.url, "--cache-dir", str(cache), "-q"])
        took = time.perf_counter() - start
        assert rc == 0
        print(f"{label:34s} {server.requests():5d} requests  {took:7.2f} s"
              f"   (minimum ceil({distinct}/1000) = {math.ceil(distinct / 1000)})")

    import mygene

    server.reset()
    server.latency = latency
    mg = mygene.MyGeneInfo()
    mg.url = server.url
    mg.delay = 0
    start = time.perf_counter()
    for _, part in df.groupby("figid", sort=False):
        terms = sorted(set(part["gene_id"]) - {""})
        if terms:
            mg.querymany(terms, scopes="entrezgene,retired", species="9606",
                         fields=remap_fields(), returnall=True, verbose=False)
    took = time.perf_counter() - start
    print(f"{'naive: querymany per figure':34s} {server.requests():5d} requests  {took:7.2f} s")
    server.stop()


def remap_fields() -> str:
    from pfocr_tools.mygene_backend import FIELDS

    return FIELDS


def bench_local(df: pd.DataFrame, tmp: Path, rows: int) -> None:
    big = replicate_rows(df, rows)
    table = tmp / "big.tsv"
    write_table(big, str(table))
    backend = remap.LocalBackend(geneindex.GeneIndex(cache_dir=str(tmp / "idx")))
    print(f"\n== local backend: {len(big):,} rows, {big['gene_id'].nunique():,} distinct IDs")
    for source in ("gene_id", "symbol", "word"):
        opts = remap.Options(from_=source, to=("entrez", "ensembl", "uniprot", "symbol"))
        start = time.perf_counter()
        out, _ = remap.remap(big, backend, opts)
        took = time.perf_counter() - start
        print(f"remap() --from {source:8s} {len(big) / took:12,.0f} rows/s  ({took:.2f} s, "
              f"{len(out):,} rows out)")
    start = time.perf_counter()
    rc = remap.main([str(table), "-o", str(tmp / "big-out.tsv"), "-q",
                     "--cache-dir", str(tmp / "idx"), "--to", "entrez,ensembl"])
    took = time.perf_counter() - start
    assert rc == 0
    print(f"whole command (read+remap+write) {len(big) / took:12,.0f} rows/s  ({took:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--skip-mygene", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-remap-") as name:
        tmp = Path(name)
        df = base_table(tmp)
        if not args.skip_mygene:
            bench_mygene(replicate_figures(df, args.figures), tmp, args.latency)
        bench_local(df, tmp, args.rows)
    print(f"\n(python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
