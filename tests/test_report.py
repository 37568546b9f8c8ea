"""pfocr-report: numbers against the input, GMT and remap sections, empty and bad input,
determinism, self-containment, Galaxy's sanitiser, and a real headless Chromium rendering."""

from __future__ import annotations

import base64
import csv
import html.parser
import json
import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from pfocr_tools import report

from .conftest import RECORDS, TEST_DATA

DATA = TEST_DATA / "report"
SMALL = DATA / "small.tsv"
SMALL_GMT = DATA / "small-human.gmt"
REMAP = DATA / "remap-report.tsv"
STRICT = {"hgnc_symbol", "ncbigene_symbol"}
SYNONYMS = STRICT | {"hgnc_alias_symbol", "hgnc_prev_symbol", "ncbigene_synonym"}
PLOTS = ("organisms", "set-sizes", "years", "top-genes", "gmt-set-sizes", "remap-status")


# ----------------------------------------------------------------------------- helpers


def cli(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pfocr_tools.report", *map(str, args)],
                          input=stdin, capture_output=True, timeout=300)


class Page(html.parser.HTMLParser):
    """The parts of a report the tests read: tables by id, rows by id, images, links."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.heads: Counter[str] = Counter()
        self._thead = False
        self.rows: dict[str, list[str]] = {}
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: Counter[str] = Counter()
        self._tables: list[str] = []
        self._row: list[str] | None = None
        self._row_id: str | None = None
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        if "id" in a:
            self.ids.add(a["id"] or "")
        if tag == "table":
            self._tables.append(a.get("id") or "")
            self.tables.setdefault(a.get("id") or "", [])
        elif tag == "thead":
            self._thead = True
        elif tag == "tr":
            self._row, self._row_id = [], a.get("id")
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "img":
            self.images.append({k: v or "" for k, v in a.items()})
        elif tag == "a":
            self.links.append(a.get("href") or "")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "thead":
            self._thead = False
        elif tag == "tr" and self._row is not None:
            self.tables[self._tables[-1]].append(self._row)
            if self._thead:
                self.heads[self._tables[-1]] += 1
            if self._row_id:
                self.rows[self._row_id] = self._row
            self._row = None
        elif tag == "table" and self._tables:
            self._tables.pop()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def number(self, row_id: str) -> float:
        return num(self.rows[row_id][-1])

    def body(self, table_id: str) -> list[list[str]]:
        return self.tables[table_id][self.heads[table_id]:]


def num(text: str) -> float:
    return float(text.replace(",", ""))


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


class Expected:
    """The report's numbers, recomputed from the table with plain Python (no pandas)."""

    def __init__(self, rows: list[dict[str, str]], flavor: str, lo: int, hi: int | None):
        def in_flavor(src: str) -> bool:
            return (flavor == "all" or (flavor == "synonyms" and src in SYNONYMS)
                    or src in STRICT)

        self.rows = len(rows)
        self.figures = len({r["figid"] for r in rows})
        self.genes = len({r["gene_id"] for r in rows if r["gene_id"]})
        self.organisms = len({r["taxid"] for r in rows if r["taxid"]})
        self.papers = len({r["pmcid"] for r in rows if r["pmcid"]})
        self.no_gene = sum(1 for r in rows if not r["gene_id"])
        self.sets: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in rows:
            if in_flavor(r["source"]) and r["gene_id"]:
                self.sets[(r["figid"], r["taxid"])].add(r["gene_id"])
        self.kept = {k: v for k, v in self.sets.items()
                     if len(v) >= lo and (hi is None or len(v) <= hi)}
        self.below = sum(1 for v in self.sets.values() if len(v) < lo)
        self.above = sum(1 for v in self.sets.values() if hi is not None and len(v) > hi)
        self.lib_genes = len(set().union(*self.kept.values())) if self.kept else 0
        self.sources = Counter(r["source"] for r in rows)
        names: dict[str, str] = {}
        for r in rows:
            names.setdefault(r["taxid"], r["organism"])
        self.per_organism = Counter(names[t] for _, t in self.kept)
        self.dropped_per_organism = Counter(names[t] for k, t in [(k, k[1]) for k in self.sets]
                                            if k not in self.kept)
        year = {}
        for r in rows:
            year.setdefault(r["figid"], r["year"])
        self.years = Counter(year[f] or "unknown" for f in {f for f, _ in self.kept})
        figs_per_gene: dict[str, set[str]] = defaultdict(set)
        for (figid, _), genes in self.kept.items():
            for g in genes:
                figs_per_gene[g].add(figid)
        self.gene_figures = {g: len(f) for g, f in figs_per_gene.items()}
        sizes = [len(v) for v in self.kept.values()]
        self.sizes = sorted(len(v) for v in self.sets.values())
        self.smallest = min(sizes, default=0)
        self.largest = max(sizes, default=0)
        self.median = statistics.median(sizes) if sizes else 0


@pytest.fixture(scope="module")
def records_table(tmp_path_factory) -> Path:
    """The figure gene table of every bundled record, made by the real pfocr-extract."""
    out = tmp_path_factory.mktemp("table") / "all.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(RECORDS),
                           "-o", str(out), "--jobs", "1"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return out


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("flavor", "lo", "hi"), [("strict", 3, None), ("all", 5, 20),
                                                  ("synonyms", 1, 10)])
def test_numbers_equal_the_table(tmp_path: Path, records_table: Path, flavor: str, lo: int,
                                 hi: int | None) -> None:
    out = tmp_path / "r.html"
    args = [records_table, "-o", out, "--flavor", flavor, "--min-size", str(lo)]
    if hi is not None:
        args += ["--max-size", str(hi)]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr.decode()
    page = Page(out.read_text("utf-8"))
    exp = Expected(read_rows(records_table), flavor, lo, hi)

    assert page.number("table-numbers-figures") == exp.figures == 86
    assert page.number("table-numbers-genes") == exp.genes
    assert page.number("table-numbers-organisms") == exp.organisms
    assert page.number("table-numbers-papers") == exp.papers
    assert page.number("table-numbers-rows") == exp.rows == 2600
    assert page.number("table-numbers-rows_without_gene_id") == exp.no_gene
    assert page.number("library-numbers-sets") == len(exp.kept)
    assert page.number("library-numbers-figures") == len({f for f, _ in exp.kept})
    assert page.number("library-numbers-genes") == exp.lib_genes
    assert page.number("library-numbers-organisms") == len({t for _, t in exp.kept})
    assert page.number("library-numbers-sets_below_min") == exp.below
    if hi is not None:
        assert page.number("library-numbers-sets_above_max") == exp.above
    else:
        assert "library-numbers-sets_above_max" not in page.rows
    assert page.number("library-numbers-smallest") == exp.smallest
    assert page.number("library-numbers-largest") == exp.largest
    assert page.number("library-numbers-median") == pytest.approx(exp.median, abs=0.05)

    # the cards repeat the headline numbers
    cards = [num(c.split()[0]) for c in page.tables["cards"][0]]
    assert cards == [exp.figures, exp.genes, exp.organisms, len(exp.kept)]

    # rows per source
    assert {r[0]: num(r[2]) for r in page.body("source-table")} == dict(exp.sources)
    flavors = {r[0]: r[1:] for r in page.body("flavor-table")}
    assert num(flavors["all"][0]) == exp.rows
    assert num(flavors[flavor][3]) == len(exp.sets)
    assert num(flavors[flavor][4]) == len(exp.kept)

    # organisms: sets in the library and outside the cut-offs
    org = {r[0]: (num(r[2]), num(r[3])) for r in page.body("organism-table")}
    assert {k: v[0] for k, v in org.items() if v[0]} == dict(exp.per_organism)
    assert {k: v[1] for k, v in org.items() if v[1]} == dict(exp.dropped_per_organism)

    # set sizes: the buckets add up to every set, and to the library within the cut-offs
    buckets = page.body("size-table")
    assert sum(num(r[1]) for r in buckets) == len(exp.sets)
    assert sum(num(r[2]) for r in buckets) == len(exp.kept)
    assert sum(1 for s in exp.sizes if 5 <= s <= 9) == sum(
        num(r[1]) for r in buckets if r[0] == "5\u20139")

    # years
    years = {r[0]: num(r[1]) for r in page.body("year-table")}
    assert years == dict(exp.years)

    # top genes: counts are right, sorted, and nothing left out counts more
    genes = page.body("gene-table")
    assert len(genes) == min(25, len(exp.gene_figures))
    counts = [num(r[4]) for r in genes]
    assert counts == sorted(counts, reverse=True)
    for r in genes:
        assert num(r[4]) == exp.gene_figures[r[2]]
    shown = {r[2] for r in genes}
    assert all(n <= counts[-1] for g, n in exp.gene_figures.items() if g not in shown)

    # largest / smallest sets, linked to their PFOCR pages
    ext = page.body("extremes-table")
    largest = [num(r[1]) for r in ext if r[0] == "largest"]
    assert largest[0] == exp.largest
    assert largest == sorted(largest, reverse=True)
    smallest = [num(r[1]) for r in ext if r[0] == "smallest"]
    assert smallest == sorted(smallest)
    if len(exp.kept) > 10:
        assert smallest[0] == exp.smallest and len(ext) == 10
    pages = [h for h in page.links if h.startswith("https://pfocr.wikipathways.org/figures/")]
    assert len(pages) == len(ext)
    figids = {f for f, _ in exp.kept}
    for href, row in zip(pages, ext, strict=True):
        figid = href.removeprefix("https://pfocr.wikipathways.org/figures/").removesuffix(".html")
        assert figid == row[2] and figid in figids


def test_small_table_known_values(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    # 7 figures; strict sets >= 3: PMC100003 (2 genes) and two 1-2 gene sets of PMC8377849
    # are left out
    assert page.number("table-numbers-figures") == 7
    assert page.number("library-numbers-sets") == 8
    assert page.number("library-numbers-sets_below_min") == 2
    assert page.number("library-numbers-largest") == 30
    rows = {r[2]: r for r in page.body("extremes-table")}
    fig1 = rows["PMC7048131__12964_2020_527_Fig1_HTML"]
    assert fig1[1] == "4" and fig1[3] == "Homo sapiens" and fig1[4] == "2020"
    assert "https://pfocr.wikipathways.org/figures/PMC7048131__12964_2020_527_Fig1_HTML.html" \
        in page.links
    # top genes: ties are ranked by symbol, so the order never depends on the input order
    genes = [(-num(r[4]), r[1]) for r in page.body("gene-table")]
    assert genes == sorted(genes) and len(genes) == 25


# ----------------------------------------------------------------------------- GMT and remap


def read_gmt_plain(path: Path) -> dict[str, set[str]]:
    sets = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            name, _title, *genes = line.split("\t")
            sets[name] = {g for g in genes if g}
    return sets


def test_gmt_section(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "--gmt", str(SMALL_GMT), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    sets = read_gmt_plain(SMALL_GMT)
    sizes = sorted(len(s) for s in sets.values())
    assert page.number("gmt-numbers-sets") == len(sets) == 5
    assert page.number("gmt-numbers-genes") == len(set().union(*sets.values()))
    assert page.number("gmt-numbers-named_after_table_figures") == 5
    assert page.number("gmt-numbers-same_genes_as_table") == 5
    assert page.number("gmt-numbers-smallest") == sizes[0]
    assert page.number("gmt-numbers-largest") == sizes[-1]
    assert page.number("gmt-numbers-median") == statistics.median(sizes)
    assert sum(num(r[1]) for r in page.body("gmt-size-table")) == 5
    assert "plot-gmt-set-sizes" in page.ids


def test_gmt_alias_names_changed_sets_and_unknown_sets(tmp_path: Path) -> None:
    lines = SMALL_GMT.read_text("utf-8").splitlines()
    # figid_alias as the set name (current-schema figure), one gene dropped, one foreign set
    fields = lines[0].split("\t")
    assert fields[0] == "PMC8377849__12915_2021_1095_Fig10_HTML"
    fields[0] = "PMC8377849__F10"
    fields2 = lines[1].split("\t")[:-1]
    gmt = tmp_path / "lib.gmt"
    gmt.write_text("\n".join(["\t".join(fields), "\t".join(fields2), *lines[2:],
                              "", "OTHER_SET\tnot in the table\t1\t2\t3"]) + "\n", "utf-8")
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "--gmt", str(gmt), "-q",
                        "--max-size", "10"]) == 0
    page = Page(out.read_text("utf-8"))
    assert page.number("gmt-numbers-sets") == 6
    assert page.number("gmt-numbers-named_after_table_figures") == 5
    assert page.number("gmt-numbers-same_genes_as_table") == 4
    sizes = [len(s) for s in read_gmt_plain(gmt).values()]
    assert page.number("gmt-numbers-outside_cutoffs") == sum(1 for s in sizes
                                                             if s < 3 or s > 10)


def test_remap_section(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "--remap-report", str(REMAP), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    rows = read_rows(REMAP)
    queries = Counter(r["status"] for r in rows)
    table_rows: Counter[str] = Counter()
    for r in rows:
        table_rows[r["status"]] += int(r["rows"])
    got = {r[0]: (num(r[1]), num(r[2]), num(r[3])) for r in page.body("remap-table")}
    total = got.pop("total")
    assert total == (11, 100, sum(table_rows.values())) == (11, 100, 45)
    assert {k: v[0] for k, v in got.items() if v[0]} == dict(queries)
    assert {k: v[2] for k, v in got.items() if v[2]} == dict(table_rows)
    # the four statuses always show, in their order, then any other status
    assert list(got) == ["mapped", "ambiguous", "unmapped", "retired-replaced", "family"]
    assert got["mapped"][1] == round(100 * 7 / 11, 1)
    assert "plot-remap-status" in page.ids


def test_remap_report_without_rows_column(tmp_path: Path) -> None:
    remap = tmp_path / "remap.tsv"
    remap.write_text("query\tstatus\nA\tmapped\nB\tunmapped\nC\tmapped\n", "utf-8")
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "--remap-report", str(remap), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    assert page.tables["remap-table"][0] == ["status", "queries", "percent"]
    got = {r[0]: num(r[1]) for r in page.body("remap-table")}
    assert got == {"mapped": 2, "ambiguous": 0, "unmapped": 1, "retired-replaced": 0,
                   "total": 3}


def test_real_remap_report(tmp_path: Path) -> None:
    """pfocr-remap (offline index) -> its --report -> pfocr-report: the counts agree."""
    remapped, rep = tmp_path / "remapped.tsv", tmp_path / "remap.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.remap", str(SMALL), "-o",
                           str(remapped), "--report", str(rep)], capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    out = tmp_path / "r.html"
    assert report.main([str(remapped), "-o", str(out), "--remap-report", str(rep), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    rows = read_rows(rep)
    got = {r[0]: (num(r[1]), num(r[3])) for r in page.body("remap-table")}
    assert got.pop("total") == (len(rows), sum(int(r["rows"]) for r in rows))
    assert {k: v[0] for k, v in got.items() if v[0]} == dict(Counter(r["status"] for r in rows))
    # what the remapped table itself records
    table = read_rows(remapped)
    got_rows = {r[0]: num(r[1]) for r in page.body("table-remap-table")}
    assert got_rows.pop("total") == len(table)
    assert {k: v for k, v in got_rows.items() if v} == dict(
        Counter(r["remap_status"] for r in table))
    assert page.number("table-remap-numbers-changed") == sum(
        1 for r in table if r["gene_id"] != r["source_gene_id"])
    assert page.number("table-remap-numbers-genes_before") == len(
        {r["source_gene_id"] for r in table if r["source_gene_id"]})
    assert page.number("table-remap-numbers-genes_after") == len(
        {r["gene_id"] for r in table if r["gene_id"]})


def test_table_remap_columns_changed_ids(tmp_path: Path) -> None:
    """A table with remap's columns where some IDs changed (as --to entrez does)."""
    lines = SMALL.read_text("utf-8").splitlines()
    header = lines[0].split("\t")
    gi = header.index("gene_id")
    out_lines = ["\t".join([*header, "source_gene_id", "remap_status"])]
    for i, line in enumerate(lines[1:]):
        f = line.split("\t")
        status = ("mapped", "retired-replaced", "unmapped", "family")[i % 4]
        new_id = f[gi] + "0" if status == "retired-replaced" else f[gi]
        out_lines.append("\t".join([*f[:gi], new_id, *f[gi + 1:], f[gi], status]))
    table = tmp_path / "remapped.tsv"
    table.write_text("\n".join(out_lines) + "\n", "utf-8")
    out = tmp_path / "r.html"
    assert report.main([str(table), "-o", str(out), "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    got = {r[0]: num(r[1]) for r in page.body("table-remap-table")}
    assert got == {"mapped": 35, "ambiguous": 0, "unmapped": 35, "retired-replaced": 35,
                   "family": 35, "total": 140}
    assert page.number("table-remap-numbers-changed") == 35
    # a plain table has no such section
    plain = tmp_path / "plain.html"
    assert report.main([str(SMALL), "-o", str(plain), "-q"]) == 0
    assert "table-remap" not in Page(plain.read_text("utf-8")).ids


# ----------------------------------------------------------------------------- empty input


def test_empty_table_says_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text(SMALL.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    out = tmp_path / "r.html"
    proc = cli(empty, "-o", out, "--png-dir", tmp_path / "png")
    assert proc.returncode == 0, proc.stderr.decode()
    text = out.read_text("utf-8")
    page = Page(text)
    assert "The input table has no rows" in text
    assert page.number("table-numbers-figures") == 0
    assert page.number("library-numbers-sets") == 0
    assert page.images == []
    assert list((tmp_path / "png").iterdir()) == []


def test_empty_library_and_empty_gmt_and_remap(tmp_path: Path) -> None:
    gmt = tmp_path / "empty.gmt"
    gmt.write_text("", "utf-8")
    remap = tmp_path / "remap.tsv"
    remap.write_text("input\tstatus\n", "utf-8")
    out = tmp_path / "r.html"
    assert report.main([str(SMALL), "-o", str(out), "--min-size", "500", "--gmt", str(gmt),
                        "--remap-report", str(remap), "-q"]) == 0
    text = out.read_text("utf-8")
    page = Page(text)
    assert "No gene set passes the cut-offs" in text
    assert "The GMT library has no gene sets" in text
    assert "The remap report has no rows" in text
    assert page.number("library-numbers-sets") == 0
    assert page.number("gmt-numbers-sets") == 0
    # every set is below the cut-off: the size histogram still shows them
    assert {i["id"] for i in page.images} == {"plot-organisms", "plot-set-sizes"}


# ----------------------------------------------------------------------------- bad input


def _bad_cases(tmp: Path) -> dict[str, tuple[list[str], str]]:
    head = SMALL.read_text("utf-8").splitlines()[0]
    notable = tmp / "notable.tsv"
    notable.write_text("a\tb\n1\t2\n", "utf-8")
    latin = tmp / "latin1.tsv"
    latin.write_bytes((head + "\n").encode() + b"x\t" * 16 + b"caf\xe9\n")
    short = tmp / "short.gmt"
    short.write_text("S1\tt\t1\t2\nS2\n", "utf-8")
    dup = tmp / "dup.gmt"
    dup.write_text("S1\tt\t1\nS2\tt\t2\nS1\tt\t3\n", "utf-8")
    gmt_latin = tmp / "latin1.gmt"
    gmt_latin.write_bytes(b"S1\tt\t1\nS\xe92\tt\t2\n")
    nostatus = tmp / "nostatus.tsv"
    nostatus.write_text("input\tstate\nA\tmapped\n", "utf-8")
    emptyremap = tmp / "empty-remap.tsv"
    emptyremap.write_text("", "utf-8")
    shortrow = tmp / "shortrow.tsv"
    shortrow.write_text("input\tstatus\nA\tmapped\nB\n", "utf-8")
    badrows = tmp / "badrows.tsv"
    badrows.write_text("query\tstatus\trows\nA\tmapped\t2\nB\tmapped\tmany\n", "utf-8")
    s = str(SMALL)
    return {
        "missing columns": ([str(notable)], f"{notable}:1: not a figure gene table"),
        "not UTF-8 table": ([str(latin)], f"{latin}:2: not UTF-8"),
        "no such table": ([str(tmp / "nope.tsv")], "nope.tsv: no such file"),
        "table is a directory": ([str(tmp)], "is a directory"),
        "short GMT line": ([s, "--gmt", str(short)], f"{short}:2: not a GMT line"),
        "repeated set": ([s, "--gmt", str(dup)], f"{dup}:3: gene set 'S1' repeats line 1"),
        "not UTF-8 GMT": ([s, "--gmt", str(gmt_latin)], f"{gmt_latin}:2: not UTF-8"),
        "no GMT": ([s, "--gmt", str(tmp / "nope.gmt")], "nope.gmt: no such file"),
        "no status column": ([s, "--remap-report", str(nostatus)],
                             f"{nostatus}:1: not a remap report: no 'status' column"),
        "empty remap report": ([s, "--remap-report", str(emptyremap)], "empty file"),
        "short remap row": ([s, "--remap-report", str(shortrow)],
                            f"{shortrow}:3: 1 field(s), the header has 2"),
        "rows not a count": ([s, "--remap-report", str(badrows)],
                             f"{badrows}:3: rows is not a count: 'many'"),
    }


@pytest.mark.parametrize("case", [
    "missing columns", "not UTF-8 table", "no such table", "table is a directory",
    "short GMT line", "repeated set", "not UTF-8 GMT", "no GMT", "no status column",
    "empty remap report", "short remap row", "rows not a count"])
def test_bad_input_one_line_error_no_output(tmp_path: Path, case: str, capsys) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    args, message = _bad_cases(bad)[case]
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "r.html"
    argv = [*args, "-o", str(out), "--png-dir", str(outdir / "png")]
    before = _children()
    if case in ("missing columns", "short GMT line"):  # the real entry point, in a process
        proc = cli(*argv)
        code, err = proc.returncode, proc.stderr.decode()
    else:
        code = report.main(argv)
        err = capsys.readouterr().err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pfocr-report: error: "), err
    assert message in lines[0]
    assert "Traceback" not in err
    assert list(outdir.iterdir()) == []
    assert _children() == before  # the plot process ended and reaped


@pytest.mark.parametrize("args", [["--max-size", "2"], ["--min-size", "-1"],
                                  ["--images", "link"], ["--flavor", "nope"]])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    proc = cli(SMALL, "-o", tmp_path / "r.html", *args)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines()[-1].startswith("pfocr-report: error: ")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- output form


def full_args(out: Path, png: Path | None = None) -> list[str]:
    args = [str(SMALL), "-o", str(out), "--gmt", str(SMALL_GMT), "--remap-report", str(REMAP)]
    return args + (["--png-dir", str(png)] if png else [])


def test_deterministic_html_and_pngs(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    proc = cli(*full_args(a / "r.html", a / "png"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert report.main(full_args(b / "r.html", b / "png") + ["-q"]) == 0
    assert (a / "r.html").read_bytes() == (b / "r.html").read_bytes()
    names = sorted(p.name for p in (a / "png").iterdir())
    assert names == sorted(f"{p}.png" for p in PLOTS)
    for name in names:
        png = (a / "png" / name).read_bytes()
        assert png == (b / "png" / name).read_bytes()
        # no time stamps or software tags: only the chunks an image needs
        chunks = png_chunks(png)
        assert not {"tIME", "tEXt", "iTXt", "zTXt"} & set(chunks), chunks


def _small_report() -> report.Report:
    from pfocr_tools.table import read_table

    df = read_table(str(SMALL))
    rep = report.compute(df, "strict", 3, None, "small.tsv")
    report.add_gmt(rep, report.read_gmt(str(SMALL_GMT)), df)
    report.add_remap(rep, report.read_remap_report(str(REMAP)), str(REMAP))
    return rep


def _fields(plots: list) -> list[tuple]:
    return [(p.name, p.title, p.png, p.width, p.height) for p in plots]


def test_plot_process_draws_the_same_plots() -> None:
    """The plot process (matplotlib imported while the table is read) and drawing in this
    process give the same PNG bytes."""
    from pfocr_tools.report_worker import PlotWorker

    rep = _small_report()
    here = report.make_plots(rep)
    with PlotWorker() as worker:
        there = report.make_plots(rep, worker)
    assert [p.name for p in here] == list(PLOTS)
    assert _fields(there) == _fields(here)


def _children() -> list[int]:
    pid = os.getpid()
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_plot_process_failures_are_one_line_errors() -> None:
    from pfocr_tools.report_worker import PlotError, PlotWorker, render

    before = _children()
    with PlotWorker() as worker, pytest.raises(PlotError) as err:
        worker.render([("no_such_plot", (), {})])
    assert str(err.value) == "plots: no plot function 'no_such_plot'"
    short = [("years_bar", ([2001, 2002], [1], 0), {})]  # counts too short
    with PlotWorker() as worker, pytest.raises(PlotError) as err:
        worker.render(short)
    there = str(err.value)
    assert there.startswith("plots: ValueError: zip() argument 2 is shorter")
    assert there.count("\n") == 0
    with pytest.raises(PlotError) as err:  # in this process: the same error
        render(short)
    assert str(err.value) == there
    if hasattr(signal, "SIGKILL"):
        with PlotWorker() as worker:
            assert worker.proc is not None
            os.kill(worker.proc.pid, signal.SIGKILL)
            with pytest.raises(PlotError) as err:
                worker.render([("years_bar", ([2001], [1], 0), {})])
        assert str(err.value) == "plots: the plot process failed (killed by SIGKILL)"
    assert _children() == before  # every plot process reaped


def test_plot_process_error_from_the_cli(tmp_path: Path) -> None:
    """matplotlib failing in the plot process: one line, exit 1, no output."""
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.report", str(SMALL), "-o",
                           str(out / "r.html"), "--png-dir", str(out / "png")],
                          capture_output=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "no-such-backend"})
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert err.startswith("pfocr-report: error: plots: ValueError: Key backend: "
                          "'no-such-backend' is not a valid value"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(out.iterdir()) == []


def png_chunks(png: bytes) -> list[str]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        out.append(png[pos + 4:pos + 8].decode("ascii"))
        pos += 12 + length
    return out


def test_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    png = tmp_path / "png"
    assert report.main(full_args(out, png) + ["-q"]) == 0
    text = out.read_text("utf-8")
    page = Page(text)
    low = text.lower()
    for banned in ("<script", "<iframe", "<object", "<embed", "@import", "url(", "<style",
                   "javascript:", "onload=", "onerror="):
        assert banned not in low, banned
    # links only to PFOCR figure pages; no other URL is fetched
    assert all(h.startswith("https://pfocr.wikipathways.org/figures/") for h in page.links)
    assert page.tags["link"] == 1 and 'href="data:text/css;base64,' in text
    assert "http://" not in text
    assert [i["id"] for i in page.images] == [f"plot-{p}" for p in PLOTS]
    for img in page.images:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        data = base64.b64decode(img["src"][len(prefix):], validate=True)
        assert data == (png / f"{img['id'].removeprefix('plot-')}.png").read_bytes()
        w, _h = struct.unpack(">II", data[16:24])
        # 8 inches at 144 dpi, shown 768 CSS px wide (96 px per inch) by the style sheet;
        # no width/height attributes (a sanitised page shows only the alt text)
        assert w == 8 * 144
        assert "width" not in img and "height" not in img and img["class"] == "plot"
        assert img["alt"].endswith("(plot)")
    css = base64.b64decode(text.split('href="data:text/css;base64,', 1)[1].split('"', 1)[0])
    assert b"img.plot{width:768px;" in css


def test_link_mode_golden(tmp_path: Path) -> None:
    """--images link: the same page with <img src="NAME.png">; golden file (plot bytes aside,
    which follow the installed matplotlib)."""
    out = tmp_path / "report.html"
    assert report.main(full_args(out, tmp_path) + ["--images", "link", "-q"]) == 0
    page = Page(out.read_text("utf-8"))
    assert [i["src"] for i in page.images] == [f"{p}.png" for p in PLOTS]
    for p in PLOTS:
        assert (tmp_path / f"{p}.png").is_file()
    golden = DATA / "expected-small-link.html"
    assert out.read_text("utf-8") == golden.read_text("utf-8")


def test_stdin_and_stdout(tmp_path: Path) -> None:
    proc = cli("-", "-o", "-", stdin=SMALL.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    text = proc.stdout.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "standard input" in text
    assert Page(text).number("table-numbers-figures") == 7


def test_survives_galaxy_sanitiser(tmp_path: Path) -> None:
    sanitize = pytest.importorskip("galaxy.util.sanitize_html").sanitize_html
    out = tmp_path / "r.html"
    assert report.main(full_args(out) + ["-q"]) == 0
    text = out.read_text("utf-8")
    original = Page(text)
    clean = sanitize(text)
    page = Page(clean)
    # nothing leaks as text before the heading (no CSS, no title), every section and every
    # number table is still there
    assert clean.lstrip().startswith("<h1>")
    for tid in original.tables:
        assert page.tables[tid] == original.tables[tid], tid
    assert page.tags["h2"] == original.tags["h2"]
    assert page.links == original.links
    # the default sanitiser drops data: images but keeps their alt text; with data URLs
    # allowed (or the tool allow-listed) every plot survives
    assert all("src" not in i and i["alt"] for i in page.images)
    kept = Page(sanitize(text, allow_data_urls=True))
    assert [i["src"] for i in kept.images] == [i["src"] for i in original.images]
    # link mode survives the default sanitiser with its images
    linked = tmp_path / "l.html"
    assert report.main(full_args(linked, tmp_path / "png") + ["--images", "link", "-q"]) == 0
    lpage = Page(sanitize(linked.read_text("utf-8")))
    assert [i["src"] for i in lpage.images] == [f"{p}.png" for p in PLOTS]


# ----------------------------------------------------------------------------- Chromium


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (scripts/system-deps.sh installs it)")
        pytest.skip("chromium is not installed (run scripts/system-deps.sh)")
    return path


def run_chromium(browser: str, tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
           "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, url]
    # a private HOME: CI may have none, and the browser must not touch the user's files
    env = {**os.environ, "HOME": str(profile), "XDG_CONFIG_HOME": str(profile / "config"),
           "XDG_CACHE_HOME": str(profile / "cache")}
    return subprocess.run(cmd, capture_output=True, timeout=180, stdin=subprocess.DEVNULL,
                          env=env)


PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {id: i.id, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight};
  });
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    images: imgs,
    css: getComputedStyle(document.querySelector("h2")).borderBottomStyle,
    height: document.documentElement.scrollHeight
  });
  document.body.appendChild(probe);
});
</script>"""


def probe_report(browser: str, tmp: Path, html_file: Path) -> dict:
    """Load the report (plus a test-only probe script) and read what the browser saw."""
    probed = html_file.with_name("probed-" + html_file.name)
    probed.write_text(html_file.read_text("utf-8").replace("</body>", PROBE + "\n</body>"),
                      "utf-8")
    proc = run_chromium(browser, tmp, probed.as_uri(), "--dump-dom")
    dom = proc.stdout.decode("utf-8", "replace")
    start = dom.find('<pre id="probe">')
    assert start >= 0, (proc.returncode, proc.stderr.decode()[-2000:])
    text = dom[start + len('<pre id="probe">'):dom.index("</pre>", start)]
    return json.loads(html.unescape(text))


def screenshot(browser: str, tmp: Path, html_file: Path, png: Path, height: int = 3000):
    from PIL import Image

    proc = run_chromium(browser, tmp, html_file.as_uri(), f"--screenshot={png}",
                        f"--window-size=1200,{height}")
    assert png.is_file(), (proc.returncode, proc.stderr.decode()[-2000:])
    return Image.open(png).convert("RGB")


def test_chromium_renders_every_plot(tmp_path: Path, chromium: str, records_table: Path) -> None:
    out = tmp_path / "report.html"
    proc = cli(records_table, "-o", out, "--gmt", SMALL_GMT, "--remap-report", REMAP,
               "--png-dir", tmp_path / "png")
    assert proc.returncode == 0, proc.stderr.decode()
    seen = probe_report(chromium, tmp_path, out)
    expected = Page(out.read_text("utf-8")).images
    assert [i["id"] for i in seen["images"]] == [f"plot-{p}" for p in PLOTS]
    for img, want in zip(seen["images"], expected, strict=True):
        assert img["complete"], img
        # loaded and decoded: the browser's natural size is the PNG's own size
        data = base64.b64decode(want["src"].split(",", 1)[1])
        assert (img["w"], img["h"]) == struct.unpack(">II", data[16:24]), img
    assert seen["css"] == "solid"  # the data: stylesheet applied
    assert seen["height"] > 2500

    shot = screenshot(chromium, tmp_path, out, tmp_path / "shot.png")
    assert shot.size == (1200, 3000)
    colors = shot.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50, "screenshot is (nearly) one colour"
    white = sum(n for n, c in colors if min(c) > 245)
    assert white < 0.95 * 1200 * 3000, "screenshot is blank"
    # the plots' blue bars are on screen
    blue = sum(n for n, c in colors if c == (0x2A, 0x6F, 0x97))
    assert blue > 5000


def test_chromium_renders_empty_report(tmp_path: Path, chromium: str) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text(SMALL.read_text("utf-8").splitlines()[0] + "\n", "utf-8")
    out = tmp_path / "report.html"
    assert report.main([str(empty), "-o", str(out), "-q"]) == 0
    seen = probe_report(chromium, tmp_path, out)
    assert seen["images"] == []
    shot = screenshot(chromium, tmp_path, out, tmp_path / "shot.png", height=900)
    colors = shot.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 10


def test_many_organisms_and_odd_values(tmp_path: Path) -> None:
    """25 organisms (the plot groups all past the 20th), odd years, an unknown source, rows
    without a gene ID and markup in titles: all reported, nothing breaks, titles escaped."""
    header = SMALL.read_text("utf-8").splitlines()[0].split("\t")
    rows = []
    for k in range(25):
        for g in range(3 + k % 4):
            row = dict.fromkeys(header, "")
            row.update(figid=f"FIG{k:02d}", taxid=str(1000 + k), organism=f"Species{k:02d} x",
                       word=f"G{g}", symbol=f"G{g}", source="ncbigene_symbol",
                       gene_id=str(100 * k + g), year=("2019", "19", "n/a", "")[k % 4],
                       figtitle="<script>alert(1)</script> & co", occurrences="1")
            rows.append(row)
    rows.append({**rows[0], "source": "mystery_source", "gene_id": ""})
    table = tmp_path / "t.tsv"
    table.write_text("\t".join(header) + "\n" + "".join(
        "\t".join(r[c] for c in header) + "\n" for r in rows), "utf-8")
    out = tmp_path / "r.html"
    assert report.main([str(table), "-o", str(out), "--png-dir", str(tmp_path / "png"),
                        "-q"]) == 0
    text = out.read_text("utf-8")
    page = Page(text)
    assert len(page.body("organism-table")) == 25
    assert page.number("table-numbers-rows_without_gene_id") == 1
    assert page.number("library-numbers-sets") == 25
    assert {r[0]: num(r[1]) for r in page.body("year-table")} == {"2019": 7, "unknown": 18}
    assert "mystery_source" in {r[0] for r in page.body("source-table")}
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert (tmp_path / "png" / "organisms.png").is_file()


def test_output_to_a_fifo_stays_a_fifo(tmp_path: Path) -> None:
    """-o on a device or FIFO (e.g. /dev/null) writes to it, never renames a file over it."""
    import stat
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert report.main([str(SMALL), "-o", str(fifo), "-q"]) == 0
    reader.join(timeout=60)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith(b"<!DOCTYPE html>")


def test_chromium_link_mode_loads_png_files(tmp_path: Path, chromium: str) -> None:
    """--images link (Galaxy's extra files layout): the browser loads every NAME.png beside
    the report."""
    site = tmp_path / "site"
    assert report.main(full_args(site / "report.html", site) + ["--images", "link", "-q"]) == 0
    seen = probe_report(chromium, tmp_path, site / "report.html")
    assert [i["id"] for i in seen["images"]] == [f"plot-{p}" for p in PLOTS]
    for img in seen["images"]:
        png = (site / f"{img['id'].removeprefix('plot-')}.png").read_bytes()
        assert img["complete"] and (img["w"], img["h"]) == struct.unpack(">II", png[16:24])


def test_size_rows_count_every_bucket() -> None:
    """The size table's buckets (counted by bisection) against a plain count, for random
    sizes and cut-offs."""
    import random
    from types import SimpleNamespace

    from pfocr_tools.report import SIZE_BUCKETS, _size_rows, in_range

    rnd = random.Random(7)
    values = [1, 2, 3, 4, 5, 9, 10, 19, 20, 49, 50, 99, 100, 199, 200, 499, 500, 900]
    for _ in range(500):
        lo = rnd.choice([0, 1, 2, 3, 5, 10, 600])
        hi = rnd.choice([None, 3, 4, 50, 200, 1000])
        if hi is not None and hi < max(lo, 1):
            hi = None
        report = SimpleNamespace(min_size=lo, max_size=hi)  # the two fields it reads
        sizes = [rnd.choice(values) for _ in range(rnd.randint(0, 40))]
        want = []
        for b_lo, b_hi in SIZE_BUCKETS:
            inside = [s for s in sizes if s >= b_lo and (b_hi is None or s <= b_hi)]
            if inside:
                label = f"{b_lo}" if b_lo == b_hi else (
                    f"{b_lo}\u2013{b_hi}" if b_hi is not None else f"{b_lo}+")
                want.append((label, len(inside), sum(in_range(s, lo, hi) for s in inside)))
        assert _size_rows(sizes, report) == want  # type: ignore[arg-type]


def test_plot_shares_balance_the_drawing() -> None:
    """The plots are shared by drawing time: the costliest alone when it outweighs the rest
    of its share's candidates, the order of the jobs kept inside each share."""
    from pfocr_tools.report_worker import shares

    def jobs(*names: str) -> list[tuple[str, tuple, dict]]:
        return [(name, (), {}) for name in names]

    four = jobs("organisms_bar", "size_histogram", "years_bar", "top_genes_bar")
    assert shares(four) == ([0, 3], [1, 2])  # 9 + 24 beside 15 + 11
    assert shares(jobs("years_bar", "years_bar")) == ([0], [1])
    assert shares(jobs("top_genes_bar")) == ([0], [])
    six = jobs("organisms_bar", "size_histogram", "years_bar", "top_genes_bar",
               "size_histogram", "status_bar")
    first, second = shares(six)
    assert sorted(first + second) == list(range(6))
    assert first == sorted(first) and second == sorted(second)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork")
def test_shared_plots_are_the_plots_drawn_here() -> None:
    """Two processes (this one and a fork) draw the same PNG bytes as one, in the order asked;
    an error in either share is the one-line error of drawing here, and the fork is reaped."""
    from pfocr_tools.report_worker import PlotError, render, render_shared, shares

    jobs = report.plot_jobs(_small_report())
    mine, theirs = shares(jobs)
    assert mine and theirs
    before = _children()
    assert _fields(render_shared(jobs)) == _fields(render(jobs))
    good_top = ("top_genes_bar", (["A (1) H. sapiens"], [3]), {})
    bad_top = ("top_genes_bar", (["A (1) H. sapiens", "B (2) H. sapiens"], [3]), {})
    good_years = ("years_bar", ([2001], [1], 0), {})
    bad_years = ("years_bar", ([2001, 2002], [1], 0), {})  # counts too short
    for asked, bad, whose in (([good_top, bad_years], 1, 1), ([bad_top, good_years], 0, 0)):
        assert shares(asked)[whose] == [bad]  # 1: the fork's share, 0: this process's
        with pytest.raises(PlotError) as here:
            render([asked[bad]])
        assert str(here.value).startswith("plots: ValueError: zip() argument 2 is shorter")
        with pytest.raises(PlotError) as err:
            render_shared(asked)
        assert str(err.value) == str(here.value)
    assert _children() == before


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not hasattr(os, "fork"),
                    reason="no SIGKILL or os.fork")
def test_shared_plots_fork_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork dying without an answer (a crash of matplotlib's C code, the OOM killer; here
    it kills itself) is a one-line error, not a hang."""
    from pfocr_tools import report_plots
    from pfocr_tools.report_worker import PlotError, render_shared, shares

    def crash(*args: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    jobs = [("top_genes_bar", (["A (1) H. sapiens"], [3]), {}), ("years_bar", ([2001], [1], 0), {})]
    assert shares(jobs) == ([0], [1])  # years_bar is the fork's
    monkeypatch.setattr(report_plots, "years_bar", crash)
    before = _children()
    with pytest.raises(PlotError) as err:
        render_shared(jobs)
    assert str(err.value) == "plots: the second plot process failed (killed by SIGKILL)"
    assert _children() == before
