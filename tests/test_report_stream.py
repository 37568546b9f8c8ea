"""pfocr-report's streaming aggregation (report_stream.Aggregate) against the whole-table compute().

The table here is random but made to reach every path of Aggregate: gene IDs seen with a
second taxid (keys of their own), genes with more than one symbol, rows without a gene ID
or taxid, unknown sources and remap statuses, unmapped rows, changed source gene IDs, gene
IDs and symbols longer than 7 bytes (hashed gene keys) and than the byte path compares,
shared aliases and GMT sets named every way; each is read in blocks of about 1 KB, with
gene IDs looked up by their bytes (gmtbytes.KeyCodes), also with a hash that collides all
the time.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from pfocr_tools import gmtbytes, report, report_stream
from pfocr_tools.figblocks import FigReader
from pfocr_tools.table import (
    COLUMNS,
    FAMILY_SOURCES,
    STRICT_SOURCES,
    SYNONYM_SOURCES,
    flavor_mask,
    read_table,
)

HEADER = (*COLUMNS[:16], "source_gene_id", "occurrences", "remap_status", "remap_match")
ROWS = ("taxid", "organism", "symbol", "source", "gene_id", "remap_status", "source_gene_id")
TAXA = [("9606", "Homo sapiens"), ("10090", "Mus musculus"), ("7955", "Danio rerio"),
        ("", "")]
SOURCES = sorted(STRICT_SOURCES | SYNONYM_SOURCES | FAMILY_SOURCES) + ["some_new_source"]
STATUSES = ["mapped"] * 16 + ["unmapped"] * 2 + ["ambiguous", "retired-replaced", "odd", ""]


def random_table(path: Path, seed: int, figures: int = 90) -> Path:
    rnd = random.Random(seed)
    genes = [f"G{i}" for i in range(160)] + [f"LONGGENEID{i:04d}" for i in range(20)]
    home = {g: rnd.randrange(3) for g in genes}
    symbol = {g: (f"S{g}" if rnd.random() < 0.9 else f"LONGSYMBOL_{g}") for g in genes}
    aliases = ["", "", "", "shared-alias", "other-alias"]
    lines = ["\t".join(HEADER)]
    for f in range(figures):
        figid = f"PMC{seed}{f:04d}__F{rnd.randrange(3)}"
        title = rnd.choice(["", f"Figure {f}", "Wnt signalling"])
        head = [figid, rnd.choice(aliases), f"PMC{seed}{f // 2:04d}", title,
                f"Paper {f // 2}", rnd.choice(["2001", "1999", "", "abc", "2020"]),
                "Homo sapiens", "", ""]
        fig_tax = rnd.randrange(3)
        for _ in range(rnd.randint(1, 30)):
            gene = rnd.choice(genes) if rnd.random() > 0.05 else ""
            t = home.get(gene, fig_tax)
            if rnd.random() < 0.15:
                t = rnd.randrange(len(TAXA))
            taxid, organism = TAXA[t]
            sym = symbol.get(gene, "")
            if rnd.random() < 0.1:
                sym = rnd.choice(["ALT1", "ALT2", sym.lower()])
            before = gene if rnd.random() < 0.9 else rnd.choice(["", "OLD1", rnd.choice(genes)])
            row = [*head, taxid, organism, "w", "m", sym, rnd.choice(SOURCES), gene, before,
                   "1", rnd.choice(STATUSES), "gene_id"]
            lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def gmt_for(df, flavor: str, seed: int) -> report.GmtLibrary:
    """GMT sets named by figid, figid.jpg, alias and nothing known; some with the genes of
    their figure (all organisms, or one), some not."""
    rnd = random.Random(seed)
    rows = df.loc[flavor_mask(df, flavor) & (df["gene_id"] != "")]
    per_fig: dict[str, set[str]] = {}
    per_org: dict[tuple[str, str], set[str]] = {}
    for f, t, g in zip(rows["figid"], rows["taxid"], rows["gene_id"], strict=True):
        per_fig.setdefault(f, set()).add(g)
        per_org.setdefault((f, t), set()).add(g)
    lib = report.GmtLibrary("lib.gmt")
    figids = list(dict.fromkeys(df["figid"]))
    names = [*rnd.sample(figids, 12), *(f + ".jpg" for f in rnd.sample(figids, 5)),
             "shared-alias", "other-alias", "nothing-known"]
    for name in dict.fromkeys(names):
        f = name.removesuffix(".jpg")
        choice = rnd.random()
        if choice < 0.4:
            genes = per_fig.get(f, set())
        elif choice < 0.6:
            genes = next((g for (ff, _t), g in per_org.items() if ff == f), {"X"})
        else:
            genes = {"G1", "G2"}
        lib.names.append(name)
        lib.titles.append("t")
        lib.sets.append(frozenset(genes))
    return lib


def streamed(reader, flavor: str, lo: int, hi: int | None, gmt: report.GmtLibrary,
             byte_path: bool = False) -> report.Report:
    """The numbers of Aggregate over the reader's text blocks, or (``byte_path``) as
    pfocr-report streams: the byte path, the text path for a block it cannot take."""
    with reader:
        agg = report_stream.Aggregate(reader.header, flavor, lo, hi, gmt)
        if byte_path:
            for block in reader.byte_blocks("figid", grouped=True):
                if not agg.byte_block(block):
                    agg.block(reader.text_block(block))
        else:
            for block in reader.blocks("figid", grouped=True):
                agg.block(block)
    got = agg.report("t")
    agg.add_gmt(got)
    return got


@pytest.mark.parametrize("lookup", ["keys", "collisions"])
@pytest.mark.parametrize(("seed", "flavor", "lo", "hi"), [
    (1, "strict", 3, None), (2, "synonyms", 1, 5), (3, "all", 2, 40), (4, "strict", 0, 1)])
def test_streamed_numbers_equal_compute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        lookup: str, seed: int, flavor: str, lo: int,
                                        hi: int | None) -> None:
    if lookup == "collisions":  # every hashed gene key one of three: collisions all the time
        monkeypatch.setattr(gmtbytes, "hash_words", lambda k: k[:, 0] % np.uint64(3))
    path = random_table(tmp_path / "t.tsv", seed)
    df = read_table(str(path))
    gmt = gmt_for(df, flavor, seed)
    want = report.compute(df, flavor, lo, hi, "t")
    report.add_gmt(want, gmt, df)
    assert want.top_genes and want.largest and want.table_remap
    got = streamed(FigReader(str(path), block_bytes=1024, rows=ROWS), flavor, lo, hi, gmt)
    assert got == want
    got = streamed(FigReader(str(path), block_bytes=1024, rows=ROWS), flavor, lo, hi, gmt,
                   byte_path=True)
    assert got == want
    # values wider than the byte path compares: some blocks take the text path
    monkeypatch.setattr(gmtbytes, "MAX_ID_BYTES", 12)
    got = streamed(FigReader(str(path), block_bytes=1024, rows=ROWS), flavor, lo, hi, gmt,
                   byte_path=True)
    assert got == want
    assert want.gmt is not None and want.gmt["same_genes_as_table"] > 0


def test_a_later_figure_wins_an_alias_across_blocks(tmp_path: Path) -> None:
    """Two figures share an alias (a GMT set is named by it): the later one's genes count,
    as in add_gmt(), also when the earlier one starts deep inside a bigger block."""
    lines = ["\t".join(HEADER)]

    def figure(figid: str, alias: str, genes: list[str]) -> None:
        for g in genes:
            lines.append("\t".join([figid, alias, "PMC1", "T", "P", "2001", "", "", "",
                                    "9606", "Homo sapiens", "w", "m", g, "hgnc_symbol", g, g,
                                    "1", "mapped", "gene_id"]))

    for i in range(40):  # the first block: many rows before the aliased figure
        figure(f"PMC{i}__F1", "", [f"A{i}", f"B{i}"])
    figure("PMC100__F1", "shared", ["G1", "G2", "G3"])
    for i in range(3):
        figure(f"PMCc{i}__F1", "", [f"C{i}"])
    figure("PMC200__F1", "shared", ["H1", "H2"])
    path = tmp_path / "t.tsv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    lib = report.GmtLibrary("lib.gmt", ["shared"], ["t"], [frozenset({"H1", "H2"})])
    df = read_table(str(path))
    want = report.compute(df, "strict", 1, None, "t")
    report.add_gmt(want, lib, df)
    assert want.gmt is not None and want.gmt["same_genes_as_table"] == 1
    got = streamed(FigReader(str(path), block_bytes=4096, rows=ROWS), "strict", 1, None, lib)
    assert got == want


def test_byte_path_with_columns_first_and_last(tmp_path: Path) -> None:
    """The byte path reads its columns' offsets from a copy of the tabs of those columns
    only: the same numbers when a column it reads is the table's first or last."""
    path = random_table(tmp_path / "t.tsv", 6)
    rows = [line.split("\t") for line in path.read_text("utf-8").splitlines()]
    order = sorted(range(len(HEADER)), key=lambda i: (HEADER[i] != "taxid",
                                                     HEADER[i] == "symbol", i))
    moved = tmp_path / "moved.tsv"
    moved.write_text("".join("\t".join(r[i] for i in order) + "\n" for r in rows), "utf-8")
    assert moved.read_text("utf-8").startswith("taxid\t")
    df = read_table(str(path))
    lib = report.GmtLibrary("lib.gmt")
    want = report.compute(df, "all", 1, None, "t")
    report.add_gmt(want, lib, df)
    got = streamed(FigReader(str(moved), block_bytes=1024, rows=ROWS), "all", 1, None, lib,
                   byte_path=True)
    assert got == want
