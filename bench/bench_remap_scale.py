#!/usr/bin/env python3
"""Benchmark pfocr-remap at corpus scale with realistic term diversity (issue 10, item 4).

    python bench/bench_remap_scale.py [--rows 3000000] [--terms 110000] [--latency 0.1]

Draws ``--terms`` distinct genes (human, mouse, rat, zebrafish, then other species of the
shipped gene index) and builds a figure gene table of ``--rows`` rows (30 rows per figure)
whose ``gene_id`` and ``symbol`` columns hold them: every drawn gene at least once, the rest
drawn at random. Then runs pfocr-remap as a separate process and prints wall time, rows/s and
the peak memory of the process tree:

* local backend, ``--from gene_id`` and ``--from symbol``;
* MyGene.info backend (``--from gene_id``) against the test server (tests/mygene_server.py,
  given documents made from the same index genes and an indexed query so that the server
  itself is not the bottleneck) with ``--latency`` seconds per request; the request count is
  printed beside its minimum (one query per 1,000 distinct IDs, and one for the metadata).

Numbers are printed, never asserted; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import shlex
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_extract import timed_run  # noqa: E402
from pfocr_tools import geneindex  # noqa: E402
from pfocr_tools.table import COLUMNS  # noqa: E402

from tests.mygene_server import DEFAULT_SCOPES, MyGeneServer, _fold  # noqa: E402

SPECIES_ORDER = (9606, 10090, 10116, 7955)
ROWS_PER_FIGURE = 30


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def draw_genes(n: int) -> list[tuple[int, int, str, str, str]]:
    """``n`` genes (gene_id, taxid, symbol, ensembl, uniprot) of the shipped index."""
    db = sqlite3.connect(geneindex.shipped_index())
    rows = db.execute("SELECT gene_id, taxid, symbol, ensembl, uniprot FROM gene "
                      "ORDER BY gene_id").fetchall()
    rank = {t: i for i, t in enumerate(SPECIES_ORDER)}
    rows.sort(key=lambda r: (rank.get(r[1], len(rank)), r[0]))
    return rows[:n]


def build_table(path: Path, genes: list[tuple], n_rows: int) -> None:
    rng = random.Random(10)
    col = {c: i for i, c in enumerate(COLUMNS)}
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("\t".join(COLUMNS) + "\n")
        row = [""] * len(COLUMNS)
        for i in range(n_rows):
            gene_id, taxid, symbol, _, _ = genes[i] if i < len(genes) else rng.choice(genes)
            fig = i // ROWS_PER_FIGURE
            row[col["figid"]] = f"PMC{fig:07d}__F1"
            row[col["pmcid"]] = f"PMC{fig:07d}"
            row[col["figtitle"]] = f"Figure {fig}"
            row[col["year"]] = "2020"
            row[col["taxid"]] = str(taxid)
            row[col["organism"]] = ""
            row[col["word"]] = row[col["match"]] = row[col["symbol"]] = symbol
            row[col["source"]] = "ncbigene_symbol"
            row[col["gene_id"]] = str(gene_id)
            row[col["occurrences"]] = "1"
            out.write("\t".join(row) + "\n")


class IndexedServer(MyGeneServer):
    """The test server with dictionary look-ups instead of a scan of every document."""

    def __init__(self, docs: list[dict[str, Any]]):
        super().__init__(docs)
        self.by_symbol: dict[str, list[dict[str, Any]]] = {}
        for d in docs:
            self.by_symbol.setdefault(_fold(d["symbol"]), []).append(d)

    def query(self, form: dict[str, str]) -> list[dict[str, Any]]:
        splitter = shlex.shlex(form.get("q", ""), posix=True)
        splitter.whitespace = ", +\t\n"
        splitter.whitespace_split = True
        scopes = [s.strip() for s in form.get("scopes", DEFAULT_SCOPES).split(",") if s]
        species = self._species(form.get("species"))
        out: list[dict[str, Any]] = []
        for term in splitter:
            cands = []
            if "entrezgene" in scopes and term in self.by_id:
                cands.append(self.by_id[term])
            if "symbol" in scopes:
                cands.extend(self.by_symbol.get(_fold(term), []))
            hits = []
            for doc in cands:
                if species is not None and int(doc["taxid"]) not in species:
                    continue
                score = self._matches(doc, term, scopes)
                if score:
                    hits.append((-score, int(doc["_id"]), doc))
            hits.sort(key=lambda h: (h[0], h[1]))
            if not hits:
                out.append({"query": term, "notfound": True})
            for neg, _, doc in hits:
                item = {"query": term, "_score": -neg}
                item.update(self._project(doc, form.get("fields")))
                out.append(item)
        return out


def mygene_docs(genes: list[tuple]) -> list[dict[str, Any]]:
    docs = []
    for gene_id, taxid, symbol, ensembl, uniprot in genes:
        doc: dict[str, Any] = {"_id": str(gene_id), "entrezgene": gene_id, "symbol": symbol,
                               "taxid": taxid}
        if ensembl:
            doc["ensembl"] = {"gene": ensembl.split("|")[0]}
        if uniprot:
            doc["uniprot"] = {"Swiss-Prot": uniprot.split("|")[0]}
        docs.append(doc)
    return docs


def cpu_run(cmd: list[str]) -> tuple[float, int, float]:
    """timed_run, plus the CPU time (user + system) of the command: less disturbed than wall
    time by other jobs on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = timed_run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, peak, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report(label: str, wall: float, peak_kib: int, rows: int, extra: str = "",
           cpu: float = 0.0) -> None:
    print(f"{label:44s} {wall:7.1f} s (CPU {cpu:5.1f} s) {rows / wall:10,.0f} rows/s "
          f"{peak_kib / 1024:6.0f} MiB  {extra}  (load average {loadavg()})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--terms", type=int, default=110_000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--skip-mygene", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-remap-scale-") as name:
        tmp = Path(name)
        genes = draw_genes(args.terms)
        table = tmp / "table.tsv"
        build_table(table, genes, args.rows)
        print(f"table: {args.rows:,} rows, {len(genes):,} distinct gene IDs "
              f"({table.stat().st_size / 1e6:.0f} MB); load average {loadavg()}")
        py = [sys.executable, "-m", "pfocr_tools.remap", str(table), "-o",
              str(tmp / "out.tsv"), "-q", "--report", str(tmp / "report.tsv")]
        for frm in ("gene_id", "symbol"):
            wall, peak, cpu = cpu_run([*py, "--from", frm, "--to", "entrez,ensembl"])
            report(f"local --from {frm}", wall, peak, args.rows, cpu=cpu)
        if args.skip_mygene:
            return
        server = IndexedServer(mygene_docs(genes)).start()
        try:
            server.latency = args.latency
            wall, peak, cpu = cpu_run([*py, "--backend", "mygene", "--mygene-url",
                                       server.url, "--no-cache", "--to", "entrez,ensembl"])
            # one query per 1,000 IDs (their documents carry what annotation needs) + metadata
            minimum = math.ceil(len(genes) / 1000) + 1
            report(f"mygene --from gene_id ({args.latency * 1000:.0f} ms latency)", wall,
                   peak, args.rows, f"{server.requests()} requests (minimum {minimum})", cpu)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
