"""pfocr-report: a self-contained HTML summary of a figure gene table (and its exported library).

The report is one HTML file: headline numbers, plots (embedded PNGs), and the numbers of every
plot as plain tables, so it reads the same offline, in a browser without JavaScript, and after
Galaxy's HTML sanitiser (which drops styles and, by default, data: images: the tables stay).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import functools
import heapq
import html
import os
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import and_, itemgetter, ne
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .report_worker import PlotWorker

from . import __version__
from .atomic import atomic_open, made_dir
from .cli import check_outputs, log, make_parser, run
from .errors import DataError, UsageError
from .figblocks import FigBlock, FigReader
from .table import (
    FAMILY_SOURCES,
    FLAVORS,
    STRICT_SOURCES,
    SYNONYM_SOURCES,
    Block,
    NotGrouped,
    flavor_mask,
    log_reading_whole,
    read_table,
    rereadable,
)

PROG = "pfocr-report"

DESCRIPTION = """\
Summarise a figure gene table (from pfocr-extract / pfocr-filter / pfocr-remap) as one
self-contained HTML report: headline numbers, figures per organism, gene-set sizes with the
size cut-offs marked, figures per publication year, the most frequent genes, the largest and
smallest sets (linked to their PFOCR pages), and optionally the exported GMT library and the
remap status breakdown. No JavaScript, no external files: it opens offline.

A gene set is one figure's distinct gene IDs for one organism, from the rows of the chosen
--flavor; the library is the sets with --min-size <= size <= --max-size (as pfocr-export).
"""

PFOCR_FIGURE_URL = "https://pfocr.wikipathways.org/figures/{}.html"
TOP_GENES = 25
TOP_ORGANISMS = 20
EXTREMES = 5
REMAP_STATUSES = ("mapped", "ambiguous", "unmapped", "retired-replaced")
SIZE_BUCKETS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 199),
                (200, 499), (500, None))
TITLE_CHARS = 110


def build_parser() -> argparse.ArgumentParser:
    p = make_parser(PROG, DESCRIPTION)
    p.add_argument("input", metavar="IN.tsv", help="figure gene table, or - for standard input")
    p.add_argument("-o", "--output", required=True, metavar="REPORT.html",
                   help="HTML report to write (- for standard output)")
    p.add_argument("--flavor", choices=FLAVORS, default="strict",
                   help="rows that make the gene sets: strict = official symbols, synonyms = "
                        "plus alias/previous/synonym matches, all = plus family/complex "
                        "expansions (default: strict, as pfocr-export)")
    p.add_argument("--min-size", type=int, default=3, metavar="N",
                   help="smallest gene set in the library (default: 3, as pfocr-export)")
    p.add_argument("--max-size", type=int, default=None, metavar="N",
                   help="largest gene set in the library (default: no limit)")
    p.add_argument("--gmt", metavar="LIB.gmt",
                   help="the exported GMT library: summarised and compared with the table")
    p.add_argument("--remap-report", metavar="REPORT.tsv",
                   help="pfocr-remap's report (TSV with a status column): status breakdown")
    p.add_argument("--png-dir", metavar="DIR",
                   help="also write every plot as DIR/<plot>.png (DIR is created if needed)")
    p.add_argument("--images", choices=("embed", "link"), default="embed",
                   help="embed: plots inside the HTML as data: URLs (default, one file); "
                        "link: <img src=\"<plot>.png\"> next to the report (needs --png-dir "
                        "set to the report's folder, or to a Galaxy html dataset's extra "
                        "files folder)")
    p.add_argument("--title", default="PFOCR gene-set library report", metavar="TEXT",
                   help="heading of the report")
    p.add_argument("--chemicals", metavar="CHEMICALS.tsv",
                   help="the figure chemical table (pfocr-extract --chemicals): counts, top "
                        "chemicals and ChEBI set sizes")
    p.add_argument("--diseases", metavar="DISEASES.tsv",
                   help="the figure disease table (pfocr-extract --diseases): counts, top "
                        "diseases and MeSH set sizes")
    return p


# ---------------------------------------------------------------------------- inputs


@dataclass
class GmtLibrary:
    path: str
    names: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    sets: list[frozenset[str]] = field(default_factory=list)


def read_gmt(path: str) -> GmtLibrary:
    """Read a GMT file: ``name<TAB>title<TAB>gene...`` per line (empty lines are skipped)."""
    lib = GmtLibrary(path)
    label = os.path.basename(path)
    seen: dict[str, int] = {}
    for lineno, line in enumerate(_read_lines(path, "GMT library"), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise DataError("not a GMT line: expected <set name><TAB><title><TAB><genes...>",
                            path, lineno)
        name = fields[0].strip()
        if not name:
            raise DataError("empty gene-set name", path, lineno)
        if name in seen:
            raise DataError(f"gene set {name!r} repeats line {seen[name]}", path, lineno)
        seen[name] = lineno
        genes = frozenset(g.strip() for g in fields[2:] if g.strip())
        lib.names.append(name)
        lib.titles.append(fields[1])
        lib.sets.append(genes)
    log.debug("%s: %d gene sets", label, len(lib.sets))
    return lib


def _read_lines(path: str, what: str) -> list[str]:
    if not os.path.exists(path):
        raise DataError("no such file", path)
    if os.path.isdir(path):
        raise DataError(f"is a directory, expected a {what}", path)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text ({exc.reason})", path, line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").split("\n")[: -1 if text.endswith("\n") else None]


@dataclass
class RemapCounts:
    """A remap report counted per status: its rows (queries) and, when it has a ``rows``
    column (pfocr-remap's report), the figure gene table rows they stand for."""

    queries: Counter[str]
    rows: Counter[str] | None


def read_remap_report(path: str) -> RemapCounts:
    """Count the rows of a remap report per ``status`` (other columns are ignored)."""
    lines = _read_lines(path, "remap report (TSV)")
    if not lines or not lines[0].strip():
        raise DataError("empty file: expected a remap report with a header line", path)
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    if "status" not in header:
        raise DataError("not a remap report: no 'status' column", path, 1)
    col = header.index("status")
    rows_col = header.index("rows") if "rows" in header else None
    # per-shard reports concatenated (the CWL workflow's merge): their header lines repeat,
    # and a (query, species) looked up in several shards is one query whose rows add up
    key_cols = [header.index(c) for c in ("query", "species") if c in header]
    first_status: dict[tuple[str, ...], str] = {}
    queries: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    for lineno, row in enumerate(reader, start=2):
        if not row or row == [""] or row == header:
            continue
        if len(row) != len(header):
            raise DataError(f"{len(row)} field(s), the header has {len(header)}", path, lineno)
        status = row[col].strip()
        if not status:
            raise DataError("empty status", path, lineno)
        if len(key_cols) == 2:
            key = tuple(row[i] for i in key_cols)
            seen = first_status.get(key)
            if seen is None:
                first_status[key] = status
                queries[status] += 1
            else:
                status = seen
        else:
            queries[status] += 1
        if rows_col is not None:
            value = row[rows_col].strip()
            if not value.isdigit():
                raise DataError(f"rows is not a count: {value!r}", path, lineno)
            rows[status] += int(value)
    return RemapCounts(queries, rows if rows_col is not None else None)


# ---------------------------------------------------------------------------- numbers


def source_flavor(source: str) -> str:
    """The narrowest flavor whose gene sets include rows matched through ``source``."""
    if source in STRICT_SOURCES:
        return "strict"
    if source in SYNONYM_SOURCES:
        return "synonyms"
    return "all"


def _within(sizes: pd.Series, min_size: int, max_size: int | None) -> pd.Series:

    inside = sizes >= min_size
    return inside & (sizes <= max_size) if max_size is not None else inside


def in_range(size: int, min_size: int, max_size: int | None) -> bool:
    return size >= min_size and (max_size is None or size <= max_size)


@dataclass
class Report:
    """Everything the HTML shows, computed from the inputs (plain data, no plotting)."""

    input_name: str
    flavor: str
    min_size: int
    max_size: int | None
    table: dict[str, int]
    sources: list[tuple[str, str, int, int, int]]
    flavors: list[tuple[str, int, int, int, int, int]]
    library: dict[str, int | float]
    sizes: list[int]
    organisms: list[tuple[str, str, int, int, int]]
    years: list[tuple[int, int]]
    years_unknown: int
    top_genes: list[tuple[str, str, str, int]]
    largest: list[dict[str, str | int]]
    smallest: list[dict[str, str | int]]
    gmt: dict[str, int | float] | None = None
    gmt_sizes: list[int] | None = None
    gmt_name: str = ""
    remap: list[tuple[str, int, int | None]] | None = None
    remap_name: str = ""
    table_remap: dict[str, object] | None = None


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    import pandas as pd

    return df[name] if name in df.columns else pd.Series("", index=df.index, dtype=object)


def organism_names(df: pd.DataFrame) -> dict[str, str]:
    """taxid -> organism name as the table writes it (the first name seen for the taxid)."""

    pairs = df.loc[:, ["taxid", "organism"]].drop_duplicates("taxid")
    return dict(zip(pairs["taxid"], pairs["organism"], strict=True))


class _Codes:
    """Integer codes of the figid, taxid and gene_id columns, for fast set arithmetic.

    A gene-set member is the number ``(figure * n_taxa + taxon) * n_genes + gene``; a set is
    ``figure * n_taxa + taxon``.
    """

    def __init__(self, df: pd.DataFrame):
        import numpy as np
        import pandas as pd

        self.fig, self.figs = pd.factorize(df["figid"])
        self.tax, self.taxa = pd.factorize(df["taxid"])
        self.gene, self.genes = pd.factorize(df["gene_id"])
        self.n_tax = max(len(self.taxa), 1)
        self.n_gene = max(len(self.genes), 1)
        if len(self.figs) * self.n_tax * self.n_gene >= 2**62:
            raise DataError("too many distinct figures x organisms x genes to summarise")
        self.has_gene = (df["gene_id"] != "").to_numpy()
        self.members = ((self.fig.astype(np.int64) * self.n_tax + self.tax) * self.n_gene
                        + self.gene)

    def members_of(self, mask: np.ndarray) -> np.ndarray:
        """Distinct (figure, organism, gene) members of the rows in ``mask`` with a gene."""

        return _sorted_unique(self.members[mask & self.has_gene])

    def sets(self, members: np.ndarray) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        keys, sizes = _runs(members // self.n_gene)
        return pd.DataFrame({
            "key": keys,
            "figid": np.asarray(self.figs, dtype=object)[keys // self.n_tax],
            "taxid": np.asarray(self.taxa, dtype=object)[keys % self.n_tax],
            "size": sizes.astype(np.int64),
        })


def _nunique(codes: np.ndarray, mask: np.ndarray | None = None) -> int:
    """Distinct values among non-negative integer codes (optionally of the rows in mask)."""
    import numpy as np

    values = codes if mask is None else codes[mask]
    return int(np.count_nonzero(np.bincount(values))) if values.size else 0


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique, by hashing then sorting the (fewer) distinct values: faster on big arrays."""
    import numpy as np
    import pandas as pd

    return np.sort(pd.unique(values))


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    import numpy as np

    if not sorted_values.size:
        return sorted_values, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    counts = np.diff(np.r_[starts, sorted_values.size])
    return sorted_values[starts], counts


def compute(df: pd.DataFrame, flavor: str, min_size: int, max_size: int | None,
            input_name: str) -> Report:
    import numpy as np
    import pandas as pd

    c = _Codes(df)
    has_gene = c.has_gene
    pmcid = _col(df, "pmcid")
    table = {
        "rows": len(df),
        "figures": len(c.figs),
        "papers": pmcid[pmcid != ""].nunique(),
        "genes": _nunique(c.gene, has_gene),
        "organisms": _nunique(c.tax, (df["taxid"] != "").to_numpy()),
        "rows_without_gene_id": int((~has_gene).sum()),
    }

    sources = []
    source = df["source"].to_numpy()
    for src in sorted(set(source.tolist())):
        m = source == src
        sources.append((str(src), source_flavor(str(src)), int(m.sum()), _nunique(c.fig, m),
                        _nunique(c.gene, m & has_gene)))
    sources.sort(key=lambda r: (-r[2], r[0]))

    flavors = []
    members = np.empty(0, dtype=np.int64)
    for fl in ("strict", "synonyms", "all"):
        m = flavor_mask(df, fl).to_numpy()
        fl_members = c.members_of(m)
        fl_sets = c.sets(fl_members)
        kept_n = int(_within(fl_sets["size"], min_size, max_size).sum())
        flavors.append((fl, int(m.sum()), _nunique(c.fig, m), _nunique(c.gene, m & has_gene),
                        len(fl_sets), kept_n))
        if fl == flavor:
            members = fl_members

    sets = c.sets(members).sort_values(["figid", "taxid"], kind="mergesort")
    sets["kept"] = _within(sets["size"], min_size, max_size)
    kept = sets.loc[sets["kept"]]
    names = organism_names(df)

    # the library's members: (figure, organism, gene) of the kept sets
    lib = members[np.isin(members // c.n_gene, kept["key"].to_numpy())]
    lib_tax = (lib // c.n_gene) % c.n_tax
    lib_gene = lib % c.n_gene
    sizes_kept = kept["size"].tolist()
    library: dict[str, int | float] = {
        "sets": len(kept),
        "figures": kept["figid"].nunique(),
        "genes": _nunique(lib_gene),
        "organisms": kept["taxid"].nunique(),
        "sets_below_min": int((sets["size"] < min_size).sum()),
        "sets_above_max": int((sets["size"] > max_size).sum()) if max_size is not None else 0,
        "smallest": min(sizes_kept) if sizes_kept else 0,
        "median": statistics.median(sizes_kept) if sizes_kept else 0,
        "largest": max(sizes_kept) if sizes_kept else 0,
    }
    tax_gene = _sorted_unique(lib_tax * c.n_gene + lib_gene)
    t_codes, t_counts = _runs(tax_gene // c.n_gene)
    genes_per_taxid = {c.taxa[k]: n for k, n in zip(t_codes.tolist(), t_counts.tolist(),
                                                     strict=True)}

    organisms = []
    for taxid, grp in sets.groupby("taxid", sort=True):
        k = int(grp["kept"].sum())
        organisms.append((names.get(str(taxid), ""), str(taxid), k, len(grp) - k,
                          int(genes_per_taxid.get(taxid, 0))))
    organisms.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))

    figmeta = df.drop_duplicates("figid").set_index("figid")
    year_of = {f: _year(y) for f, y in zip(figmeta.index, _col(figmeta, "year"), strict=True)}
    year_counts: Counter[int] = Counter()
    unknown = 0
    for fig in kept["figid"].unique().tolist():
        y = year_of.get(fig)
        if y is None:
            unknown += 1
        else:
            year_counts[y] += 1

    top_genes = []
    # rows pfocr-remap marked unmapped keep their old IDs and words: not ranked (issue 14)
    mapped = (df["remap_status"] != "unmapped").to_numpy() if "remap_status" in df.columns \
        else np.ones(len(df), dtype=bool)
    ranked_lib = lib if mapped.all() else \
        lib[np.isin(lib, c.members_of(flavor_mask(df, flavor).to_numpy() & mapped))]
    if ranked_lib.size:
        # figures per gene: a set is one figure of one organism, so members count figures
        r_tax = (ranked_lib // c.n_gene) % c.n_tax
        tg, counts = _runs(np.sort(r_tax * c.n_gene + ranked_lib % c.n_gene))
        floor = np.sort(counts)[::-1][min(TOP_GENES, counts.size) - 1]
        cand_keys, cand_n = tg[counts >= floor], counts[counts >= floor]
        row_keys = c.tax.astype(np.int64) * c.n_gene + c.gene
        m = flavor_mask(df, flavor).to_numpy() & has_gene & mapped & \
            np.isin(row_keys, cand_keys)
        symbols = (pd.DataFrame({"key": row_keys[m], "symbol": df["symbol"].to_numpy()[m]})
                   .groupby(["key", "symbol"]).size().rename("k").reset_index()
                   .sort_values(["key", "k", "symbol"], ascending=[True, False, True],
                                kind="mergesort")
                   .drop_duplicates("key"))
        symbol_of = dict(zip(symbols["key"].tolist(), symbols["symbol"], strict=True))
        ranked = sorted(
            ((int(n), symbol_of[int(k)], c.taxa[int(k) // c.n_gene], c.genes[int(k) % c.n_gene])
             for k, n in zip(cand_keys, cand_n, strict=True)),
            key=lambda r: (-r[0], r[1], r[2], r[3]))
        for n, symbol, taxid, gene_id in ranked[:TOP_GENES]:
            top_genes.append((symbol, gene_id, names.get(taxid, taxid), n))

    def describe(row) -> dict[str, str | int]:
        meta = figmeta.loc[row.figid]
        title = str(meta.get("figtitle", "")) or str(meta.get("papertitle", ""))
        return {"figid": row.figid, "figid_alias": str(meta.get("figid_alias", "")),
                "organism": names.get(row.taxid, row.taxid), "taxid": row.taxid,
                "size": int(row.size), "title": title, "year": str(meta.get("year", ""))}

    by_size = kept.sort_values(["size", "figid", "taxid"], ascending=[False, True, True],
                               kind="mergesort")
    largest = [describe(r) for r in by_size.head(EXTREMES).itertuples()]
    rest = by_size.iloc[len(largest):]
    small = rest.sort_values(["size", "figid", "taxid"], kind="mergesort").head(EXTREMES)
    smallest = [describe(r) for r in small.itertuples()]

    return Report(
        input_name=input_name, flavor=flavor, min_size=min_size, max_size=max_size,
        table=table, sources=sources, flavors=flavors, library=library,
        sizes=sorted(int(s) for s in sets["size"]), organisms=organisms,
        years=sorted(year_counts.items()), years_unknown=unknown, top_genes=top_genes,
        largest=largest, smallest=smallest, table_remap=table_remap_numbers(df),
    )


def table_remap_numbers(df: pd.DataFrame) -> dict[str, object] | None:
    """What pfocr-remap changed, from the columns it adds (None for a table it did not touch):
    rows per ``remap_status``, and with ``source_gene_id`` the rows whose gene ID changed and
    the distinct gene IDs before and after."""
    if "remap_status" not in df.columns:
        return None
    counts = Counter(df["remap_status"].tolist())
    statuses = list(REMAP_STATUSES) + sorted(set(counts) - set(REMAP_STATUSES))
    out: dict[str, object] = {"statuses": [(s or "(empty)", counts[s]) for s in statuses]}
    if "source_gene_id" in df.columns:
        before, after = df["source_gene_id"], df["gene_id"]
        out["changed"] = int((before != after).sum())
        out["genes_before"] = before[before != ""].nunique()
        out["genes_after"] = after[after != ""].nunique()
    return out


def _year(value: str) -> int | None:
    value = value.strip()
    if len(value) == 4 and value.isdigit() and 1800 <= int(value) <= 2200:
        return int(value)
    return None


def add_gmt(report: Report, lib: GmtLibrary, df: pd.DataFrame) -> None:
    """Summarise a GMT library and compare it, set by set, with the table's gene sets.

    A GMT set is matched to a figure by its name (figid, figid with ``.jpg``, or
    figid_alias); it is "the same" when its genes equal that figure's distinct gene IDs of
    the report's flavor, over all organisms (pfocr-export's sets) or for one organism
    (``--split-by-organism``).
    """

    meta = df.drop_duplicates("figid")
    alias_to_figid = {a: f for f, a in zip(meta["figid"].tolist(),
                                           _col(meta, "figid_alias").tolist(), strict=True) if a}
    figids = set(meta["figid"].tolist())
    named: list[str] = []  # the figure each GMT set is named after ("" for none)
    for name in lib.names:
        figid = name if name in figids else name.removesuffix(".jpg")
        if figid not in figids:
            figid = alias_to_figid.get(name, "")
        named.append(figid)
    wanted = {f for f in named if f}
    rows = df.loc[flavor_mask(df, report.flavor) & (df["gene_id"] != "")
                  & df["figid"].isin(wanted), ["figid", "taxid", "gene_id"]].drop_duplicates()
    per_figure: dict[str, set[str]] = {}
    per_organism: dict[tuple[str, str], set[str]] = {}
    for figid, taxid, gene in zip(rows["figid"].tolist(), rows["taxid"].tolist(),
                                  rows["gene_id"].tolist(), strict=True):
        per_figure.setdefault(figid, set()).add(gene)
        per_organism.setdefault((figid, taxid), set()).add(gene)
    organism_sets: dict[str, list[set[str]]] = {}
    for (figid, _taxid), genes in per_organism.items():
        organism_sets.setdefault(figid, []).append(genes)
    matched = same = 0
    for figid, genes in zip(named, lib.sets, strict=True):
        if not figid:
            continue
        matched += 1
        if genes == per_figure.get(figid, set()) or genes in organism_sets.get(figid, []):
            same += 1
    gmt_numbers(report, lib, matched, same)


def gmt_numbers(report: Report, lib: GmtLibrary, matched: int, same: int) -> None:
    """The GMT summary of a report: ``matched`` sets named after a table figure, ``same`` of
    them with that figure's genes."""
    sizes = [len(s) for s in lib.sets]
    genes_all: set[str] = set().union(*lib.sets) if lib.sets else set()
    report.gmt = {
        "sets": len(lib.sets),
        "genes": len(genes_all),
        "named_after_table_figures": matched,
        "same_genes_as_table": same,
        "outside_cutoffs": sum(not in_range(s, report.min_size, report.max_size)
                               for s in sizes),
        "smallest": min(sizes) if sizes else 0,
        "median": statistics.median(sizes) if sizes else 0,
        "largest": max(sizes) if sizes else 0,
    }
    report.gmt_sizes = sorted(sizes)
    report.gmt_name = os.path.basename(lib.path)


def add_remap(report: Report, counts: RemapCounts, path: str) -> None:
    statuses = list(REMAP_STATUSES) + sorted(set(counts.queries) - set(REMAP_STATUSES))
    report.remap = [(s, counts.queries[s], counts.rows[s] if counts.rows is not None else None)
                    for s in statuses]
    report.remap_name = os.path.basename(path)


# ---------------------------------------------------------------------------- streaming


class _Figure:
    """The first row of a figure: what describe() and the year count need."""

    __slots__ = ("alias", "title", "year")

    def __init__(self, alias: str, title: str, year: str):
        self.alias = alias
        self.title = title
        self.year = year


_FT = itemgetter(0, 1)
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
#: the flavors, narrowest first, and their levels (a source's level: its narrowest flavor)
_LEVELS = {"strict": 0, "synonyms": 1, "all": 2}
_GENE = itemgetter(2)
_TAX_GENE = itemgetter(1, 2)


def _picker(idx: list[int]):  # noqa: ANN202
    """A function giving the items at ``idx`` of a list, as a tuple (C speed)."""
    if len(idx) == 1:
        i = idx[0]
        return lambda values: (values[i],)
    return itemgetter(*idx)


class Aggregate:
    """The report's numbers, gathered block by block (a block holds whole figures): only
    aggregates are kept (distinct genes, counts per organism and source, the sizes of the gene
    sets, the few largest and smallest sets), never the table."""

    def __init__(self, header: Sequence[str], flavor: str, min_size: int,
                 max_size: int | None, gmt: GmtLibrary | None = None):
        self.header = set(header)
        self.flavor = flavor
        self.min_size = min_size
        self.max_size = max_size
        self.rows = 0
        self.figures = 0
        self.papers: set[str] = set()
        self.genes: set[str] = set()
        self.taxa: set[str] = set()
        self.no_gene = 0
        self.src_rows: Counter[str] = Counter()
        self.src_figs: Counter[str] = Counter()
        self.src_gene: set[tuple[str, str]] = set()  # (source, gene) pairs of the table
        self.levels: dict[str, int] = {}  # source -> the narrowest flavor's level
        self.fl_rows: Counter[str] = Counter()
        self.fl_figs: Counter[str] = Counter()
        self.fl_sets: Counter[str] = Counter()
        self.fl_kept: Counter[str] = Counter()
        self.sizes: list[int] = []
        self.below = self.above = 0
        self.kept_sizes: list[int] = []
        self.kept_figs = 0
        self.lib_genes: set[str] = set()
        self.lib_taxa: set[str] = set()
        self.tax_kept: Counter[str] = Counter()
        self.tax_dropped: Counter[str] = Counter()
        self.lib_tax_genes: set[tuple[str, str]] = set()  # (taxid, gene) of the library
        self.gene_sets: Counter[tuple[str, str]] = Counter()
        self.symbols: Counter[tuple[str, str, str]] = Counter()
        self.names: dict[str, str] = {}
        self.years: Counter[int] = Counter()
        self.years_unknown = 0
        self.largest: list[tuple] = []
        self.smallest: list[tuple] = []
        self.remap = "remap_status" in self.header
        self.statuses: Counter[str] = Counter()
        self.changed = 0
        self.before: set[str] = set()
        self.gmt = gmt
        self.gmt_index = {name: i for i, name in enumerate(gmt.names)} if gmt else {}
        self.gmt_best: dict[int, tuple[int, int, bool]] = {}

    def block(self, block: Block) -> None:
        figs = block.column("figid")
        tax = block.column("taxid")
        gene = block.column("gene_id")
        src = block.column("source")
        sym = block.column("symbol")
        n = len(figs)
        self.rows += n
        self.papers.update(block.first_values("pmcid", block.runs("figid"))
                           if isinstance(block, FigBlock) else block.column("pmcid"))
        # (the table's genes: from the (source, gene) pairs below, in report())
        block_taxa = set(tax)
        self.taxa |= block_taxa
        self.no_gene += gene.count("")
        new_taxa = block_taxa.difference(self.names)
        if new_taxa:
            org = block.column("organism")
            for t in new_taxa:  # the first row of a taxid names it
                self.names[t] = org[tax.index(t)]
        if self.remap:
            status_col = block.column("remap_status")
            known = {st: status_col.count(st) for st in REMAP_STATUSES}  # list.count: fast
            if sum(known.values()) == n:
                self.statuses.update({st: k for st, k in known.items() if k})
            else:
                self.statuses.update(status_col)
            if "source_gene_id" in self.header:
                before = block.column("source_gene_id")
                self.changed += sum(map(ne, before, gene))
                self.before.update(before)  # (after: the gene IDs, self.genes)
        if isinstance(block, FigBlock):
            starts = block.runs("figid")
        else:
            starts = [0]
            starts += compress(range(1, n), map(ne, figs[1:], figs[:-1]))
        self.figures += len(starts)
        # rows, figures and genes per source (a figure lies in one block: distinct figures
        # add up over blocks); the (figure, taxid, gene) members of each flavor's rows, and
        # their sizes per (figure, taxid) set: all picked and counted in C
        level = self.levels
        src_fig = set(zip(src, figs, strict=True))
        c_src = Counter({s: src.count(s) for s in set(map(_FIRST, src_fig))})
        for s in c_src:
            if s not in level:
                level[s] = _LEVELS[source_flavor(s)]
        self.src_rows.update(c_src)
        self.src_figs.update(map(_FIRST, src_fig))
        self.src_gene.update(zip(src, gene, strict=True))
        trip = list(zip(figs, tax, gene, strict=True))
        if "" in gene:  # members have a gene
            trip_g, src_g = list(compress(trip, gene)), list(compress(src, gene))
        else:
            trip_g, src_g = trip, src
        chosen: set[tuple[str, str, str]] = set()
        chosen_sizes: Counter[tuple[str, str]] = Counter()
        ranked: set[tuple[str, str, str]] = set()
        # rows pfocr-remap marked unmapped are left out of the gene ranking (issue 14)
        status = block.column("remap_status") if self.remap else None
        if status is not None and "unmapped" not in status:
            status = None  # no unmapped row in this block: every member is ranked
        done: tuple[frozenset[str], set, Counter] | None = None
        for fl, lv in (("all", 2), ("synonyms", 1), ("strict", 0)):
            fl_src = frozenset(s for s in c_src if level[s] <= lv)
            self.fl_rows[fl] += sum(c_src[s] for s in fl_src)
            everything = len(fl_src) == len(c_src)
            if everything:
                self.fl_figs[fl] += len(starts)
            else:
                self.fl_figs[fl] += len(set(compress(
                    map(_SECOND, src_fig), map(fl_src.__contains__, map(_FIRST, src_fig)))))
            if done is not None and done[0] == fl_src:
                members, sizes = done[1], done[2]
            else:
                members = set(trip_g) if everything else \
                    set(compress(trip_g, map(fl_src.__contains__, src_g)))
                sizes = Counter(map(_FT, members))
                done = (fl_src, members, sizes)
            self.fl_sets[fl] += len(sizes)
            values = sizes.values()  # sets within the cut-offs, counted in C (lo <= hi)
            self.fl_kept[fl] += sum(map(self.min_size.__le__, values)) - (
                sum(map(self.max_size.__lt__, values)) if self.max_size is not None else 0)
            if fl != self.flavor:
                continue
            chosen, chosen_sizes = members, sizes
            mask = None if everything else list(map(fl_src.__contains__, src))
            if status is not None:
                ok = list(map("unmapped".__ne__, status))
                mask = ok if mask is None else list(map(and_, mask, ok))
            rows = zip(tax, gene, sym, strict=True)
            self.symbols.update(rows if mask is None else compress(rows, mask))
            if status is None:
                ranked = chosen
            else:
                ranked = set(compress(trip, map(and_, mask, map(bool, gene))))  # type: ignore[arg-type]
        self._sets(block, starts, chosen, ranked, chosen_sizes)

    def _sets(self, block: Block, starts: list[int], members: set[tuple[str, str, str]],
              ranked: set[tuple[str, str, str]], sizes: Counter[tuple[str, str]]) -> None:
        """The gene sets of the chosen flavor in a block (``sizes``: members per set)."""
        figs = block.column("figid")
        if isinstance(block, FigBlock):  # the figures' first rows (no per-row lists)
            def first(name: str) -> list[str]:
                return block.first_values(name, starts)
        else:
            def first(name: str) -> list[str]:
                col = block.column(name)
                return [col[s] for s in starts]
        meta = {f: _Figure(a, t or p, y) for f, a, t, p, y in zip(
            [figs[s] for s in starts], first("figid_alias"), first("figtitle"),
            first("papertitle"), first("year"), strict=True)}
        lo, hi = self.min_size, self.max_size
        kept_figs: set[str] = set()
        kept_keys: set[tuple[str, str]] = set()
        extremes = []
        self.sizes += sizes.values()
        for (f, t), size in sizes.items():
            if size < lo:
                self.below += 1
            if hi is not None and size > hi:
                self.above += 1
            if not in_range(size, lo, hi):
                self.tax_dropped[t] += 1
                continue
            self.tax_kept[t] += 1
            self.kept_sizes.append(size)
            kept_figs.add(f)
            kept_keys.add((f, t))
            extremes.append((size, f, t))
        if kept_keys:
            # the members of the kept sets, picked in C
            if len(kept_keys) == len(sizes):
                kept_members: Sequence[tuple[str, str, str]] = list(members)
                kept_ranked = ranked
            else:
                inside = kept_keys.__contains__
                kept_members = list(compress(members, map(inside, map(_FT, members))))
                kept_ranked = compress(ranked, map(inside, map(_FT, ranked)))
            self.lib_genes.update(map(_GENE, kept_members))
            self.lib_tax_genes.update(map(_TAX_GENE, kept_members))
            self.gene_sets.update(map(_TAX_GENE, kept_ranked))
        self.lib_taxa.update(t for _f, t in kept_keys)
        self.kept_figs += len(kept_figs)
        for f in kept_figs:
            y = _year(meta[f].year)
            if y is None:
                self.years_unknown += 1
            else:
                self.years[y] += 1
        if extremes:
            big = [(-size, f, t, meta[f]) for size, f, t in extremes]
            small = [(size, f, t, meta[f]) for size, f, t in extremes]
            key = itemgetter(0, 1, 2)
            self.largest = heapq.nsmallest(EXTREMES, self.largest + big, key=key)
            self.smallest = heapq.nsmallest(2 * EXTREMES, self.smallest + small, key=key)
        if self.gmt_index:
            sets: dict[tuple[str, str], list[str]] = {}
            for f, t, g in members:
                sets.setdefault((f, t), []).append(g)
            self._gmt(figs, block.column("figid_alias"), starts, sets)

    def _gmt(self, figs: list[str], alias: list[str], starts: list[int],
             sets: dict[tuple[str, str], list[str]]) -> None:
        """Match the GMT sets named after the figures of a block (add_gmt's rule)."""
        index = self.gmt_index
        assert self.gmt is not None
        for s in starts:
            figid, al = figs[s], alias[s]
            hits = []
            for priority, name in ((0, figid), (1, figid + ".jpg"), (2, al)):
                i = index.get(name) if name else None
                if i is not None:
                    hits.append((priority, i))
            if not hits:
                continue
            per_org = [frozenset(g) for (f, _t), g in sets.items() if f == figid]
            whole = frozenset().union(*per_org) if per_org else frozenset()
            seq = self.figures + s  # later figures win an alias (as a dict built in order)
            for priority, i in hits:
                rank = (priority, -seq)
                best = self.gmt_best.get(i)
                if best is None or rank < best[:2]:
                    genes = self.gmt.sets[i]
                    self.gmt_best[i] = (priority, -seq, genes == whole or genes in per_org)

    def report(self, input_name: str) -> Report:
        names = self.names
        src_genes: dict[str, set[str]] = {s: set() for s in self.src_rows}
        for s, g in self.src_gene:
            src_genes[s].add(g)
        self.genes = set().union(*src_genes.values())
        self.papers.discard("")
        self.genes.discard("")
        self.taxa.discard("")
        table = {"rows": self.rows, "figures": self.figures, "papers": len(self.papers),
                 "genes": len(self.genes), "organisms": len(self.taxa),
                 "rows_without_gene_id": self.no_gene}
        fl_genes: dict[str, set[str]] = {}
        for fl, lv in _LEVELS.items():
            fl_genes[fl] = set().union(*(g for s, g in src_genes.items()
                                         if self.levels[s] <= lv))
        sources = []
        for s in sorted(self.src_rows):
            genes = src_genes[s]
            genes.discard("")
            sources.append((s, source_flavor(s), self.src_rows[s], self.src_figs[s],
                            len(genes)))
        sources.sort(key=lambda r: (-r[2], r[0]))
        flavors = []
        for fl in ("strict", "synonyms", "all"):
            genes = fl_genes[fl]
            genes.discard("")
            flavors.append((fl, self.fl_rows[fl], self.fl_figs[fl], len(genes),
                            self.fl_sets[fl], self.fl_kept[fl]))
        kept = self.kept_sizes
        library: dict[str, int | float] = {
            "sets": len(kept),
            "figures": self.kept_figs,
            "genes": len(self.lib_genes),
            "organisms": len(self.lib_taxa),
            "sets_below_min": self.below,
            "sets_above_max": self.above if self.max_size is not None else 0,
            "smallest": min(kept) if kept else 0,
            "median": statistics.median(kept) if kept else 0,
            "largest": max(kept) if kept else 0,
        }
        organisms = []
        genes_per_taxid = Counter(map(itemgetter(0), self.lib_tax_genes))
        for taxid in sorted(set(self.tax_kept) | set(self.tax_dropped)):
            organisms.append((names.get(taxid, ""), taxid, self.tax_kept[taxid],
                              self.tax_dropped[taxid], genes_per_taxid[taxid]))
        organisms.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
        top_genes = []
        if self.gene_sets:
            counts = sorted(self.gene_sets.values(), reverse=True)
            floor = counts[min(TOP_GENES, len(counts)) - 1]
            cands = {k: n for k, n in self.gene_sets.items() if n >= floor}
            best: dict[tuple[str, str], tuple[int, str]] = {}
            for (t, g, symbol), k in self.symbols.items():
                if (t, g) in cands:
                    cur = best.get((t, g))
                    if cur is None or (-k, symbol) < cur:
                        best[(t, g)] = (-k, symbol)
            ranked = sorted(((n, best[k][1], k[0], k[1]) for k, n in cands.items()),
                            key=lambda r: (-r[0], r[1], r[2], r[3]))
            for n, symbol, taxid, gene_id in ranked[:TOP_GENES]:
                top_genes.append((symbol, gene_id, names.get(taxid, taxid), n))

        def describe(size: int, figid: str, taxid: str, meta: _Figure) -> dict[str, str | int]:
            return {"figid": figid, "figid_alias": meta.alias,
                    "organism": names.get(taxid, taxid), "taxid": taxid, "size": size,
                    "title": meta.title, "year": meta.year}

        largest = [describe(-n, f, t, m) for n, f, t, m in self.largest]
        top = {(f, t) for _, f, t, _ in self.largest}
        smallest = [describe(n, f, t, m) for n, f, t, m in self.smallest
                    if (f, t) not in top][:EXTREMES]
        table_remap = None
        if self.remap:
            statuses = list(REMAP_STATUSES) + sorted(set(self.statuses) - set(REMAP_STATUSES))
            table_remap = {"statuses": [(s or "(empty)", self.statuses[s]) for s in statuses]}
            if "source_gene_id" in self.header:
                self.before.discard("")
                table_remap.update(changed=self.changed, genes_before=len(self.before),
                                   genes_after=len(self.genes))
        return Report(
            input_name=input_name, flavor=self.flavor, min_size=self.min_size,
            max_size=self.max_size, table=table, sources=sources, flavors=flavors,
            library=library, sizes=sorted(self.sizes), organisms=organisms,
            years=sorted(self.years.items()), years_unknown=self.years_unknown,
            top_genes=top_genes, largest=largest, smallest=smallest, table_remap=table_remap,
        )

    def add_gmt(self, report: Report) -> None:
        assert self.gmt is not None
        matched = len(self.gmt_best)
        same = sum(1 for _, _, ok in self.gmt_best.values() if ok)
        gmt_numbers(report, self.gmt, matched, same)


# ---------------------------------------------------------------------------- plots


def plot_jobs(report: Report) -> list[tuple[str, tuple, dict]]:
    """The report's plots as (report_plots function, args, kwargs): plain data, drawn here or
    by the plot process (:mod:`report_worker`)."""
    jobs: list[tuple[str, tuple, dict]] = []
    if report.organisms:
        shown = report.organisms[:TOP_ORGANISMS]
        labels = [o[0] or o[1] or "(no organism)" for o in shown]
        kept = [o[2] for o in shown]
        dropped = [o[3] for o in shown]
        italic = [bool(o[0]) for o in shown]
        rest = report.organisms[TOP_ORGANISMS:]
        if rest:
            labels.append(f"{len(rest)} other organisms")
            kept.append(sum(o[2] for o in rest))
            dropped.append(sum(o[3] for o in rest))
            italic.append(False)
        jobs.append(("organisms_bar", (labels, kept, dropped, report.min_size, report.max_size,
                                       italic), {}))
    if report.sizes:
        jobs.append(("size_histogram", (list(report.sizes), report.min_size, report.max_size),
                     {}))
    if report.years:
        jobs.append(("years_bar", ([y for y, _ in report.years], [n for _, n in report.years],
                                   report.years_unknown), {}))
    if report.top_genes:
        jobs.append(("top_genes_bar", ([_gene_label(g, report) for g in report.top_genes],
                                       [g[3] for g in report.top_genes]), {}))
    if report.gmt_sizes:
        jobs.append(("size_histogram", (list(report.gmt_sizes), report.min_size,
                                        report.max_size),
                     {"name": "gmt-set-sizes", "title": f"Gene-set sizes in {report.gmt_name}"}))
    if report.remap and sum(r[1] for r in report.remap):
        jobs.append(("status_bar", ([r[0] for r in report.remap], [r[1] for r in report.remap]),
                     {}))
    return jobs


def make_plots(report: Report, worker: PlotWorker | None = None) -> list:
    """The report's plots (report_worker.Plot), drawn by ``worker`` (which then ends) or, without
    one, in this process."""
    from .report_worker import render

    jobs = plot_jobs(report)
    if worker is None:
        return render(jobs)
    if not jobs:
        worker.close()
        return []
    return worker.render(jobs)


def _cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_plot_worker() -> PlotWorker | None:
    """A plot process that imports matplotlib while this one reads the table, when there is a
    second CPU to run it on; None (draw the plots here, after the table) otherwise, or when a
    process cannot be started."""
    if _cpus() < 2 or not sys.executable or getattr(sys, "frozen", False):
        return None  # one CPU; no interpreter to run (embedded, frozen)
    from .report_worker import PlotWorker

    try:
        return PlotWorker()
    except OSError as exc:
        log.debug("no plot process (%s): plots drawn after the table", exc)
        return None


def _gene_label(gene: tuple[str, str, str, int], report: Report) -> str:
    symbol, gene_id, organism, _ = gene
    label = f"{symbol or '?'} ({gene_id})"
    if len({g[2] for g in report.top_genes}) > 1:
        label += f" {_abbrev(organism)}"
    return label


def _abbrev(organism: str) -> str:
    parts = organism.split()
    if len(parts) >= 2:
        return f"{parts[0][0]}. {' '.join(parts[1:])}"
    return organism


# ---------------------------------------------------------------------------- HTML

CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:14px;color:#1d2a33;
max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.45;background:#fff}
h1{font-size:24px;margin:0 0 4px;color:#123a52}
h3{font-size:15px;margin:12px 0 4px;color:#123a52}
h2{font-size:18px;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid #2a6f97;
color:#123a52}
p.meta{color:#556;margin:0 0 16px}
table.cards{border-collapse:separate;border-spacing:12px 0;margin:8px -12px}
table.cards td{border:none;background:#eef3f7;border-top:4px solid #2a6f97;padding:10px 18px;
color:#445;min-width:150px}
span.big{font-size:28px;font-weight:bold;color:#123a52}
div.cols{display:flex;flex-wrap:wrap;gap:32px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}
th,td{border:1px solid #cfd8df;padding:3px 8px;vertical-align:top}
th{background:#eef3f7;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.headline td.n{font-size:16px;font-weight:bold;color:#123a52}
img.plot{width:768px;max-width:100%;height:auto;display:block;margin:8px 0}
p.empty{font-size:16px;padding:12px;background:#fff4e5;border:1px solid #f0c36d}
details{margin:4px 0 12px}
summary{cursor:pointer;color:#2a6f97}
.small{font-size:12px;color:#556}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _pfocr_url(figid: str) -> str:
    return PFOCR_FIGURE_URL.format(quote(figid, safe=""))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "\u2026"


def _cutoffs(report: Report) -> str:
    if report.max_size is None:
        return f"size \u2265 {report.min_size:,}"
    return f"{report.min_size:,} \u2264 size \u2264 {report.max_size:,}"


@functools.lru_cache(maxsize=1)
def _environment():
    """The Jinja2 environment of the report templates (tools/pfocr_tools/templates/).

    Every ``{{ value }}`` is escaped with :func:`html.escape` (as the report always did) unless
    it is Markup, the output of a template macro.
    """
    import jinja2
    from markupsafe import Markup

    def finalize(value: object) -> object:
        return value if isinstance(value, Markup) else Markup(_e(value))

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pfocr_tools", "templates"),
        autoescape=True, finalize=finalize, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters.update(n=_n, short=_short, cutoffs=_cutoffs, pfocr_url=_pfocr_url)
    return env


def _size_rows(sizes: Sequence[int], report: Report) -> list[tuple[str, int, int]]:
    rows = []
    for lo, hi in SIZE_BUCKETS:
        n = sum(1 for s in sizes if s >= lo and (hi is None or s <= hi))
        if not n:
            continue
        label = f"{lo}" if lo == hi else (f"{lo}\u2013{hi}" if hi is not None else f"{lo}+")
        inside = sum(1 for s in sizes if s >= lo and (hi is None or s <= hi)
                     and in_range(s, report.min_size, report.max_size))
        rows.append((label, n, inside))
    return rows


def _remap_rows(report: Report) -> dict[str, object] | None:
    """The remap status table: (status, queries, percent[, table rows]), then the total
    (status None)."""
    if report.remap is None:
        return None
    total = sum(r[1] for r in report.remap)
    with_rows = report.remap[0][2] is not None
    rows: list[tuple] = []
    for status, n, nrows in report.remap:
        pct = round(100 * n / total, 1) if total else 0
        rows.append((status, n, pct, *((nrows,) if with_rows else ())))
    rows.append((None, total, 100 if total else 0,
                 *((sum(r[2] or 0 for r in report.remap),) if with_rows else ())))
    return {"rows": rows, "with_rows": with_rows}


def _table_remap_rows(numbers: dict[str, object] | None) -> list[tuple]:
    if numbers is None:
        return []
    statuses: list[tuple[str, int]] = numbers["statuses"]  # type: ignore[assignment]
    total = sum(n for _, n in statuses)
    return ([(st, n, round(100 * n / total, 1) if total else 0) for st, n in statuses]
            + [(None, total, 100 if total else 0)])


def render_html(report: Report, plots: Sequence, images: str, title: str,
                extra: dict[str, object] | None = None) -> str:
    """The report page, from templates/report.html.j2 (``extra``: more template values, e.g.
    the chemicals and diseases section)."""
    plot_info = {}
    for plot in plots:
        if images == "link":
            src = quote(f"{plot.name}.png")
        else:
            src = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
        plot_info[plot.name] = {"src": src, "title": plot.title}
    unknown = [s[0] for s in report.sources
               if s[0] not in STRICT_SOURCES | SYNONYM_SOURCES | FAMILY_SOURCES]
    context = {
        "report": report,
        "plots": plot_info,
        "title": title,
        "version": __version__,
        "css": base64.b64encode(CSS.strip().encode("utf-8")).decode("ascii"),
        "top_genes": TOP_GENES,
        "size_rows": _size_rows(report.sizes, report),
        "gmt_size_rows": _size_rows(report.gmt_sizes or [], report),
        "ranked_genes": [(i, *g) for i, g in enumerate(report.top_genes, start=1)],
        "extremes": [(label, s) for label, sets in (("largest", report.largest),
                                                    ("smallest", report.smallest))
                     for s in sets],
        "unknown_sources": ", ".join(unknown),
        "remap": _remap_rows(report),
        "table_remap_rows": _table_remap_rows(report.table_remap),
        "entities": None,
        "manifest": None,
    }
    context.update(extra or {})
    return _environment().get_template("report.html.j2").render(context)


# ---------------------------------------------------------------------------- CLI


def _open_output(path: str):
    """atomic_open, except for an existing device or FIFO (``-o /dev/null``), which is written
    directly: renaming a temporary file over it would replace the device with a plain file."""
    if path != "-" and os.path.exists(path) and not os.path.isfile(path) \
            and not os.path.isdir(path):
        return open(path, "w", encoding="utf-8", newline="")
    return atomic_open(path)


def body(args: argparse.Namespace) -> int:
    if args.min_size < 0:
        raise UsageError(f"--min-size must be 0 or more, not {args.min_size}")
    if args.max_size is not None and args.max_size < max(args.min_size, 1):
        raise UsageError(f"--max-size {args.max_size} is below --min-size {args.min_size}")
    if args.images == "link" and not args.png_dir:
        raise UsageError("--images link needs --png-dir (the PNGs the report links to)")
    check_outputs([args.input, args.gmt, args.remap_report], [("-o", args.output)])

    name = "standard input" if args.input == "-" else os.path.basename(args.input)
    # matplotlib is imported by a second process while this one reads the table; leaving the
    # block ends that process (killed if the table was bad) and reaps it
    with start_plot_worker() or contextlib.nullcontext() as worker:
        gmt = read_gmt(args.gmt) if args.gmt else None
        with rereadable(args.input) as src:
            try:
                report = _stream(src, args, name, gmt)
            except NotGrouped as exc:
                log_reading_whole(exc)
                df = read_table(src, name=args.input)
                report = compute(df, args.flavor, args.min_size, args.max_size, name)
                if gmt is not None:
                    add_gmt(report, gmt, df)
        if args.remap_report:
            add_remap(report, read_remap_report(args.remap_report), args.remap_report)
        plots = make_plots(report, worker)
    extra = None
    if args.chemicals or args.diseases:
        from .report_entities import entity_sections

        extra = {"entities": entity_sections([("chemicals", args.chemicals),
                                              ("diseases", args.diseases)],
                                             args.min_size, args.max_size)}
    extra = {**(extra or {}), "manifest": _manifest_section(args.gmt)}
    text = render_html(report, plots, args.images, args.title, extra)

    with contextlib.ExitStack() as stack:  # the PNGs and the HTML, all or none
        if args.png_dir:
            if os.path.exists(args.png_dir) and not os.path.isdir(args.png_dir):
                raise DataError("--png-dir exists and is not a directory", args.png_dir)
            stack.enter_context(made_dir(args.png_dir))
            for plot in plots:
                stack.enter_context(atomic_open(os.path.join(args.png_dir, f"{plot.name}.png"),
                                                "wb")).write(plot.png)
        with _open_output(args.output) as handle:
            handle.write(text)
    lib = report.library
    log.info("%s: %s figures, %s gene sets in the library (%s rows, %s), %d plots -> %s",
             name, f"{report.table['figures']:,}", f"{lib['sets']:,}", report.flavor,
             _cutoffs(report), len(plots), args.output)
    return 0


def _manifest_section(gmt: str | None) -> dict[str, object] | None:
    """The pfocr-export manifest beside the GMT (or in its folder), when there is one."""
    if not gmt:
        return None
    from . import manifest

    path = manifest.find_for(gmt)
    if path is None:
        return None
    try:
        doc = manifest.load(path)
    except DataError as exc:
        log.warning("warning: %s; the report leaves the manifest out", exc)
        return None
    return {"name": os.path.basename(path), "rows": manifest.summary_rows(doc)}


def _stream(src: str, args: argparse.Namespace, name: str, gmt: GmtLibrary | None) -> Report:
    """The report's numbers from the table read block by block (bounded memory)."""
    rows = ("taxid", "organism", "symbol", "source", "gene_id", "remap_status",
            "source_gene_id")
    with FigReader(src, name=args.input, rows=rows) as reader:
        agg = Aggregate(reader.header, args.flavor, args.min_size, args.max_size, gmt)
        for block in reader.blocks("figid", grouped=True):
            agg.block(block)
    report = agg.report(name)
    if gmt is not None:
        agg.add_gmt(report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    return run(PROG, body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())

