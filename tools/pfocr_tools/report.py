"""pfocr-report: a self-contained HTML summary of a figure gene table (and its exported library).

The report is one HTML file: headline numbers, plots (embedded PNGs), and the numbers of every
plot as plain tables, so it reads the same offline, in a browser without JavaScript, and after
Galaxy's HTML sanitiser (which drops styles and, by default, data: images: the tables stay).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import contextlib
import csv
import functools
import html
import os
import statistics
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .report_worker import PlotWorker

from . import __version__
from .atomic import atomic_open, made_dir
from .cli import check_outputs, log, make_parser, run, usable_cpus
from .errors import DataError, UsageError
from .table import (
    FAMILY_SOURCES,
    FLAVORS,
    STRICT_SOURCES,
    SYNONYM_SOURCES,
    NotGrouped,
    flavor_mask,
    log_reading_whole,
    read_table,
    rereadable,
)

PROG = "pfocr-report"
#: The page template (tools/pfocr_tools/templates/).
TEMPLATE = "report.html.j2"

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
    n = sorted_values.size
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.empty(starts.size, dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = n - starts[-1]
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


def start_plot_worker() -> PlotWorker | None:
    """A plot process that imports matplotlib while this one reads the table, when there is a
    second CPU to run it on; None (draw the plots here, after the table) otherwise, or when a
    process cannot be started."""
    if usable_cpus() < 2 or not sys.executable or getattr(sys, "frozen", False):
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
    """(bucket label, sets, sets within the cut-offs) per SIZE_BUCKETS bucket holding a set
    (counted by bisection on the sorted sizes)."""
    ordered = sorted(sizes)

    def between(lo: int, hi: int | None) -> int:
        end = len(ordered) if hi is None else bisect_right(ordered, hi)
        return max(0, end - bisect_left(ordered, lo))

    rows = []
    cut_lo, cut_hi = report.min_size, report.max_size
    for lo, hi in SIZE_BUCKETS:
        n = between(lo, hi)
        if not n:
            continue
        label = f"{lo}" if lo == hi else (f"{lo}\u2013{hi}" if hi is not None else f"{lo}+")
        top = hi if cut_hi is None else (cut_hi if hi is None else min(hi, cut_hi))
        rows.append((label, n, between(max(lo, cut_lo), top)))
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
    return _environment().get_template(TEMPLATE).render(context)


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
                from .report_stream import stream_report

                report = stream_report(src, args, name, gmt)
            except NotGrouped as exc:
                log_reading_whole(exc)
                df = read_table(src, name=args.input)
                report = compute(df, args.flavor, args.min_size, args.max_size, name)
                if gmt is not None:
                    add_gmt(report, gmt, df)
        if args.remap_report:
            add_remap(report, read_remap_report(args.remap_report), args.remap_report)
        if worker is None:
            plots = make_plots(report)
            extra = _other_sections(args)
        else:  # the rest of the page is made here while the plot process draws
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                drawn = pool.submit(make_plots, report, worker)
                extra = _other_sections(args)
                _environment().get_template(TEMPLATE)  # compiled (0.15 s) meanwhile too
                plots = drawn.result()
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


def _other_sections(args: argparse.Namespace) -> dict[str, object]:
    """The template values of the page's other sections: the chemicals and diseases tables,
    the export manifest beside the GMT."""
    entities = None
    if args.chemicals or args.diseases:
        from .report_entities import entity_sections

        entities = entity_sections([("chemicals", args.chemicals), ("diseases", args.diseases)],
                                   args.min_size, args.max_size)
    return {"entities": entities, "manifest": _manifest_section(args.gmt)}


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    return run(PROG, body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())

