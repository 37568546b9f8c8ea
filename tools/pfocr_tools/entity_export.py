"""pfocr-export for the figure chemical and disease tables, and the BioThings NDJSON.

Chemical / disease sets: one per figure (per organism of the figure with
``--split-by-organism``, named ``<prefix>-chemical-<format>-<Genus_species>.<format>``), the
distinct identifiers of ``--id-column`` in first-seen order, the same size rule as genes.

NDJSON (``--format ndjson``): one BioThings PFOCR document per line and per figure that
appears in any of the tables given (gene table, ``--chemicals``, ``--diseases``), in
first-seen order::

    {"_id": figid, "associatedWith": {"title", "pfocrUrl", "figureUrl", "pmc",
     "mentions": {"chemicals": {"mesh": [], "chebi": []}, "diseases": {"mesh": [], "doid": []},
                  "genes": {"ncbigene": []}}}}

IDs are strings without prefixes; ``--flavor`` filters the genes only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only where a table is read whole
    import pandas as pd

    from .table import Block

from .atomic import atomic_open
from .cli import log
from .errors import DataError, UsageError
from .export import (
    _RUN,
    FIGURE_URL,
    PFOCR_URL,
    GeneSet,
    _describe,
    _in_range,
    _Library,
    clean_title,
    copy_spool,
    file_names,
    library_spool,
    make_outdir,
    species_file_name,
)
from .figblocks import FigBlock, FigReader
from .table import (
    KIND_ID_COLUMNS,
    KIND_NAMES,
    KIND_REQUIRED,
    REQUIRED,
    STRICT_SOURCES,
    SYNONYM_SOURCES,
    NotGrouped,
    TableReader,
    flavor_mask,
    kind_errors,
    kind_of,
    log_reading_whole,
    open_output,
    read_header,
    read_kind_table,
    read_table,
    rereadable,
    table_kind,
)

#: Default identifier column of each entity kind (``--id-column`` left at gene_id).
DEFAULT_ID = {"chemicals": "chebi", "diseases": "mesh"}
#: The singular used in split file names (``pfocr-<date>-chemical-gmt-<Species>.gmt``).
SINGULAR = {"chemicals": "chemical", "diseases": "disease"}
BTE_KEYS = {"chemicals": ("mesh", "chebi"), "diseases": ("mesh", "doid")}


def _column(df: pd.DataFrame, name: str) -> list[str]:
    return df[name].tolist() if name in df.columns else [""] * len(df)


class EntitySets:
    """Chemical / disease sets of a figure chemical or disease table (no size filter), built
    row by row as the table streams: only the sets are kept (a figure's distinct IDs), never
    the table.

    One set per figure, or with ``by_organism`` one per organism of the figure (the
    ``|``-joined ``taxid`` / ``organism`` cells); IDs distinct in first-seen order, each
    mapped to the first word that named it. A figure without an organism is left out of the
    split libraries. A set is made at its figure's first row (which holds the per-figure
    values in every table pfocr-extract writes), so rows need not be grouped by figure.
    """

    def __init__(self, id_column: str, set_name: str = "figid", by_organism: bool = False):
        self.id_column = id_column
        self.alias = set_name == "alias"
        self.by_organism = by_organism
        self.sets: dict[tuple[str, str], GeneSet] = {}
        self.figures: dict[str, None] = {}
        self.no_organism: dict[str, None] = {}  # figures without an organism

    def add(self, block: Block) -> None:
        sets = self.sets
        figs = block.column("figid")
        taxid_col = block.column("taxid")
        self.figures.update(dict.fromkeys(figs))
        self.no_organism.update(dict.fromkeys(
            f for f, t in zip(figs, taxid_col, strict=True) if not t))
        cols = zip(figs, block.column("figid_alias"), block.column("figtitle"),
                   block.column("papertitle"), block.column("pmcid"), taxid_col,
                   block.column("organism"), block.column(self.id_column),
                   block.column("word"), strict=True)
        for figid, alias, title, ptitle, pmcid, taxids, orgs, oid, word in cols:
            if self.by_organism:
                tax_list = taxids.split("|") if taxids else []
                org_list = orgs.split("|") if orgs else []
                org_list += [""] * (len(tax_list) - len(org_list))
                pairs = list(zip(tax_list, org_list, strict=False))
            else:
                pairs = [("", "")]
            for taxid, organism in pairs:
                key = (taxid, figid)
                gs = sets.get(key)
                if gs is None:
                    name = alias if self.alias and alias else figid
                    gs = sets[key] = GeneSet(
                        figid=figid, name=clean_title(name),
                        title=clean_title(title) or clean_title(ptitle) or figid,
                        pmcid=pmcid or figid.split("__", 1)[0], taxid=taxid,
                        organism=organism)
                if oid and oid not in gs.ids:
                    gs.ids[oid] = word


class _EntityLibrary(_Library):
    """One chemical or disease library written set by set: export's _Library, with the first
    word naming each ID in the TSV and the IDs as the JSON document's mentions."""

    LAST_COLUMN = "word"

    def __init__(self, handle: IO[str], fmt: str, kind: str, id_column: str):
        self.kind = kind
        super().__init__(handle, fmt, id_column)

    def tsv_lines(self, s: GeneSet) -> str:
        return "".join(f"{s.name}\t{s.title}\t{oid}\t{clean_title(word)}\n"
                       for oid, word in s.ids.items())

    def document(self, s: GeneSet) -> dict:
        doc = super().document(s)
        doc["associatedWith"]["mentions"] = {self.kind: {self.id_column: list(s.ids)}}
        return doc


class _EntityTaxon:
    """A species library of --split-by-organism, spooled to a temporary file until the end."""

    def __init__(self, first: GeneSet, kind: str, args: argparse.Namespace):
        from . import gmtsafe
        self.taxid = first.taxid
        self.name = species_file_name(f"{args.prefix}-{SINGULAR[kind]}", args.format,
                                      first.organism, first.taxid)
        self.n_sets = 0  # the organism's sets
        self.n_in_range = 0  # ... within the size cut-offs
        self.spool = library_spool(args.split_by_organism)
        self.library = _EntityLibrary(self.spool, args.format, kind, args.id_column)
        self.guard = gmtsafe.NameGuard(dedupe=args.dedupe,
                                       where=os.path.join(args.split_by_organism, self.name))


class _EntityExport:
    """The libraries of one chemical or disease export, fed the sets of whole figures at a
    time (``add``): species libraries spooled, the -o library written as it goes."""

    def __init__(self, kind: str, args: argparse.Namespace, stack: contextlib.ExitStack):
        from . import gmtsafe

        self.kind = kind
        self.args = args
        self.stack = stack
        self.taxa: dict[str, _EntityTaxon] = {}
        self.no_organism = 0
        self.figures = 0
        self.library = None
        self.guard = gmtsafe.NameGuard(dedupe=args.dedupe, where=args.output)
        if args.output is not None:
            handle = stack.enter_context(open_output(args.output, spool=True))
            self.library = _EntityLibrary(handle, args.format, kind, args.id_column)

    def add(self, split: EntitySets | None, whole: EntitySets | None) -> None:
        from . import gmtsafe

        args = self.args
        finish = (args.format, args.description, args.max_title)
        lo, hi = args.min_size, args.max_size
        if split is not None:
            self.no_organism += len(split.no_organism)
            for s in split.sets.values():
                taxon = self.taxa.get(s.taxid)
                if taxon is None:
                    taxon = self.taxa[s.taxid] = _EntityTaxon(s, self.kind, args)
                    self.stack.callback(taxon.spool.close)
                taxon.n_sets += 1
                if _in_range(s, lo, hi):
                    taxon.n_in_range += 1
                    if gmtsafe.finish_one(s, taxon.guard, *finish):
                        taxon.library.add(s)
        if whole is not None and self.library is not None:
            self.figures += len(whole.figures)
            for s in whole.sets.values():
                if _in_range(s, lo, hi) \
                        and gmtsafe.finish_one(s, self.guard, *finish):
                    self.library.add(s)

    def close(self) -> None:
        """Write the species libraries, close the -o library (it is renamed into place when
        the export's ExitStack closes), and log what was written."""
        from . import gmtsafe
        args, kind = self.args, self.kind
        if args.split_by_organism is not None:
            outdir = args.split_by_organism
            if self.no_organism:
                log.info("%d figures have no organism (no gene rows) and are in no species "
                         "library", self.no_organism)
            taxa = [(taxid, taxon.name, taxon) for taxid, taxon in self.taxa.items()
                    if taxon.n_in_range]
            for _taxid, _name, taxon in taxa:
                gmtsafe.log_renamed(taxon.guard)
            files = file_names(taxa)
            for name, taxon in files:
                path = os.path.join(outdir, name)
                copy_spool(taxon.spool, taxon.library, path)
                log.info("%s: %s", path, _describe(taxon.n_sets, taxon.library.n, args).replace(
                    f"{args.flavor} rows, ", ""))
            if not files:
                log.warning("warning: no organism has a %s set left; nothing written to %s",
                            SINGULAR[kind], outdir)
            else:
                log.info("%d species libraries written to %s", len(files), outdir)
        if self.library is not None:
            gmtsafe.log_renamed(self.guard)
            self.library.close()


def export_entities(path: str, kind: str, args: argparse.Namespace) -> int:
    """pfocr-export of a chemical or disease table (GMT, TSV or JSON; split or not), block by
    block: only the sets of one block's figures are in memory (species libraries are spooled
    to temporary files). A table whose figures' rows are scattered is read again with the
    sets of the whole table in memory."""
    if args.split_by_organism is not None:
        make_outdir(args.split_by_organism)
    with rereadable(path) as src:
        try:
            _export_entities(src, path, kind, args, grouped=True)
        except NotGrouped as exc:
            log_reading_whole(exc)
            _export_entities(src, path, kind, args, grouped=False)
    return 0


def _export_entities(src: str, path: str, kind: str, args: argparse.Namespace,
                     grouped: bool) -> None:
    """export_entities over the blocks of whole figures (``grouped``), or over the whole table
    (its sets, built as the blocks come, written at the end)."""
    split_on = args.split_by_organism is not None
    with contextlib.ExitStack() as stack:
        out = _EntityExport(kind, args, stack)
        with kind_errors(kind), TableReader(src, KIND_REQUIRED[kind], name=path) as reader:
            if args.set_name == "alias" and "figid_alias" not in reader.header:
                raise DataError("--set-name alias needs a figid_alias column", path)

            def new() -> tuple[EntitySets | None, EntitySets | None]:
                return (EntitySets(args.id_column, args.set_name, by_organism=True)
                        if split_on else None,
                        EntitySets(args.id_column, args.set_name)
                        if args.output is not None else None)

            split, whole = new()
            for block in reader.blocks("figid", grouped=grouped):
                for builder in (split, whole):
                    if builder is not None:
                        builder.add(block)
                if grouped:  # the sets of this block's figures are complete
                    out.add(split, whole)
                    split, whole = new()
            if not grouped:
                out.add(split, whole)
        out.close()
    # the -o library is in place now (the ExitStack renamed it)
    if args.output is not None:
        _RUN["written"].append(args.output)
        n_kept = out.library.n if out.library is not None else 0
        log.info("%s to %s", _describe(out.figures, n_kept, args).replace(
            f"{args.flavor} rows, ", ""), "standard output" if args.output == "-" else args.output)
        if not n_kept:
            log.warning("warning: no %s set left (%d figures in the table); wrote an empty %s",
                        SINGULAR[kind], out.figures, args.format.upper())


# --------------------------------------------------------------------------- NDJSON


@dataclass
class Document:
    figid: str
    title: str
    pmcid: str
    mentions: dict[str, dict[str, dict[str, None]]] = field(default_factory=dict)


def _blank_mentions(gene_key: str) -> dict[str, dict[str, dict[str, None]]]:
    return {"chemicals": {"mesh": {}, "chebi": {}}, "diseases": {"mesh": {}, "doid": {}},
            "genes": {gene_key: {}}}


def build_documents(tables: Sequence[tuple[str, pd.DataFrame]], flavor: str = "strict",
                    id_column: str = "gene_id") -> list[Document]:
    """One document per figure of any table, in first-seen order (genes, chemicals,
    diseases); distinct IDs of each kind in first-seen order."""
    gene_key = "ncbigene" if id_column == "gene_id" else id_column
    docs: dict[str, Document] = {}
    for kind, df in tables:
        figs = zip(df["figid"].tolist(), _column(df, "figtitle"), _column(df, "papertitle"),
                   _column(df, "pmcid"), strict=True)
        for figid, title, ptitle, pmcid in figs:
            if figid not in docs:
                docs[figid] = Document(figid, clean_title(title) or clean_title(ptitle) or figid,
                                       pmcid or figid.split("__", 1)[0],
                                       _blank_mentions(gene_key))
        if kind == "genes":
            rows = df[flavor_mask(df, flavor)]
            targets = [(id_column, gene_key)]
        else:
            rows = df
            targets = [(c, c) for c in BTE_KEYS[kind]]
        for column, key in targets:
            for figid, value in zip(rows["figid"].tolist(), rows[column].tolist(), strict=True):
                if not value:
                    continue
                bucket = docs[figid].mentions[kind][key]
                for one in value.split("|") if "|" in value else (value,):
                    if one:
                        bucket.setdefault(one, None)
    return list(docs.values())


def ndjson_line(doc: Document) -> str:
    filename = doc.figid.split("__", 1)[1] + ".jpg" if "__" in doc.figid else ""
    body = {
        "_id": doc.figid,
        "associatedWith": {
            "title": doc.title,
            "pfocrUrl": PFOCR_URL.format(figid=doc.figid),
            "figureUrl": FIGURE_URL.format(pmcid=doc.pmcid, filename=filename),
            "pmc": doc.pmcid,
            "mentions": {kind: {key: list(ids) for key, ids in per.items()}
                         for kind, per in doc.mentions.items()},
        },
    }
    return json.dumps(body, ensure_ascii=False) + "\n"


def export_ndjson(tables: Sequence[tuple[str, str, pd.DataFrame]],
                  args: argparse.Namespace) -> int:
    """The NDJSON of tables read whole (their figures' rows are scattered)."""
    docs = build_documents([(k, df) for k, _, df in tables], args.flavor, args.id_column)
    with atomic_open(args.output) as handle:
        for doc in docs:
            handle.write(ndjson_line(doc))
    _log_ndjson(len(docs), [(k, p) for k, p, _ in tables], args)
    return 0


def _log_ndjson(n_docs: int, tables: Sequence[tuple[str, str]], args: argparse.Namespace
                ) -> None:
    log.info("%d documents written to %s (%s genes; from %s)", n_docs,
             "standard output" if args.output == "-" else args.output, args.flavor,
             ", ".join(f"{KIND_NAMES[k]} {p}" for k, p in tables))


# NDJSON, streamed: every table is read block by block (a block holds whole figures). The
# documents of the gene table's figures are written as its figures complete; the chemical and
# disease mentions they need are looked up in a temporary on-disk SQLite database filled
# first from the (smaller) chemical and disease tables, one row per figure; the figures of
# those tables without gene rows follow, in first-seen order (as build_documents orders
# them). Memory stays bounded whatever the tables' sizes; a table whose figures' rows are
# scattered makes the caller read the tables whole instead (NotGrouped).

_SQL_IN = 500  # figids per SELECT ... IN (...)


def _distinct_ids(values: Sequence[str]) -> list[str]:
    """Distinct non-empty IDs in first-seen order; a ``|``-joined cell gives each of them."""
    ids = dict.fromkeys(values)
    if any("|" in v for v in ids):
        ids = dict.fromkeys(one for v in ids for one in v.split("|"))
    ids.pop("", None)
    return list(ids)


def _figure_head(block: FigBlock, starts: Sequence[int]) -> list[tuple[str, str, str]]:
    """(figid, title, pmcid) of each figure of a block, from its first row."""
    out = []
    for figid, title, ptitle, pmcid in zip(block.first_values("figid", starts),
                                           block.first_values("figtitle", starts),
                                           block.first_values("papertitle", starts),
                                           block.first_values("pmcid", starts), strict=True):
        out.append((figid, clean_title(title) or clean_title(ptitle) or figid,
                    pmcid or figid.split("__", 1)[0]))
    return out


def _entity_rows(path: str, kind: str, name: str | None = None):  # noqa: ANN202
    """(figid, title, pmcid, IDs of the first BTE key, IDs of the second) per figure of a
    chemical or disease table, streamed."""
    first, second = BTE_KEYS[kind]
    with kind_errors(kind):
        reader = FigReader(path, KIND_REQUIRED[kind], name=name, rows=(first, second))
    with reader:
        for block in reader.blocks("figid", grouped=True):
            starts = block.runs("figid")
            a_col, b_col = block.column(first), block.column(second)
            ends = [*starts[1:], len(block)]
            for (figid, title, pmcid), s, e in zip(_figure_head(block, starts), starts, ends,
                                                   strict=True):
                yield (figid, title, pmcid, "\t".join(_distinct_ids(a_col[s:e])),
                       "\t".join(_distinct_ids(b_col[s:e])))


def _ndjson_doc(figid: str, title: str, pmcid: str, genes: Sequence[str], gene_key: str,
                ent: dict[str, tuple[str, str]]) -> str:
    filename = figid.split("__", 1)[1] + ".jpg" if "__" in figid else ""
    mentions = {}
    for kind in ("chemicals", "diseases"):
        a, b = ent.get(kind, ("", ""))
        k1, k2 = BTE_KEYS[kind]
        mentions[kind] = {k1: a.split("\t") if a else [], k2: b.split("\t") if b else []}
    mentions["genes"] = {gene_key: list(genes)}
    body = {
        "_id": figid,
        "associatedWith": {
            "title": title,
            "pfocrUrl": PFOCR_URL.format(figid=figid),
            "figureUrl": FIGURE_URL.format(pmcid=pmcid, filename=filename),
            "pmc": pmcid,
            "mentions": mentions,
        },
    }
    return json.dumps(body, ensure_ascii=False) + "\n"


def _take(db, figids: Sequence[str]) -> dict[str, dict[str, tuple[str, str]]]:  # noqa: ANN001
    """The chemical / disease mentions of ``figids`` (removed from the database)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    seqs = []
    for i in range(0, len(figids), _SQL_IN):
        part = list(figids[i:i + _SQL_IN])
        marks = ",".join("?" * len(part))
        for seq, kind, figid, a, b in db.execute(
                f"SELECT seq, kind, figid, a, b FROM ent WHERE figid IN ({marks})", part):
            found.setdefault(figid, {})[kind] = (a, b)
            seqs.append((seq,))
    if seqs:
        db.executemany("DELETE FROM ent WHERE seq = ?", seqs)
    return found


def stream_ndjson(tables: Sequence[tuple[str, str]], args: argparse.Namespace,
                  names: dict[str, str] | None = None) -> int:
    """The NDJSON of the tables (kind, path; genes first if given), streamed (see above);
    ``names``: path -> the name messages give (IN.tsv read from standard input). Raises
    NotGrouped (nothing written) when a table's figures' rows are scattered."""
    import sqlite3
    import tempfile

    names = names or {}
    gene_key = "ncbigene" if args.id_column == "gene_id" else args.id_column
    allowed = None if args.flavor == "all" else (
        STRICT_SOURCES | SYNONYM_SOURCES if args.flavor == "synonyms" else STRICT_SOURCES)
    n_docs = 0
    with contextlib.ExitStack() as stack:
        db = sqlite3.connect("")  # a private temporary on-disk database
        stack.callback(db.close)
        db.execute("CREATE TABLE ent (seq INTEGER PRIMARY KEY, kind TEXT, figid TEXT, "
                   "title TEXT, pmcid TEXT, a TEXT, b TEXT)")
        for kind, path in tables:
            if kind != "genes":
                db.executemany("INSERT INTO ent (kind, figid, title, pmcid, a, b) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               ((kind, *row) for row in _entity_rows(path, kind,
                                                                     names.get(path))))
        db.execute("CREATE INDEX ent_figid ON ent (figid)")
        # the documents go to a spool first: a gene table found scattered half-way through
        # leaves nothing behind (the caller then reads the tables whole)
        spool = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8",
                                                           newline=""))
        write = spool.write
        genes = [p for k, p in tables if k == "genes"]
        if genes:
            required = list(dict.fromkeys((*REQUIRED, args.id_column)))
            with FigReader(genes[0], required, name=names.get(genes[0]),
                           rows=("source", args.id_column)) as reader:
                for block in reader.blocks("figid", grouped=True):
                    starts = block.runs("figid")
                    heads = _figure_head(block, starts)
                    ids = block.column(args.id_column)
                    src = block.column("source")
                    ends = [*starts[1:], len(block)]
                    ent = _take(db, [h[0] for h in heads])
                    for (figid, title, pmcid), s, e in zip(heads, starts, ends, strict=True):
                        cells = ids[s:e]
                        if allowed is not None:
                            cells = list(compress(cells, map(allowed.__contains__,
                                                             src[s:e])))
                        write(_ndjson_doc(figid, title, pmcid, _distinct_ids(cells),
                                          gene_key, ent.get(figid, {})))
                        n_docs += 1
        # the figures without gene rows: chemicals first, then diseases (first-seen order)
        while True:
            row = db.execute("SELECT seq, kind, figid, title, pmcid, a, b FROM ent "
                             "ORDER BY kind = 'diseases', seq LIMIT 1").fetchone()
            if row is None:
                break
            _seq, _kind, figid, title, pmcid, _a, _b = row
            ent = _take(db, [figid])
            write(_ndjson_doc(figid, title, pmcid, [], gene_key, ent.get(figid, {})))
            n_docs += 1
        spool.flush()
        spool.seek(0)
        with atomic_open(args.output) as handle:
            shutil.copyfileobj(spool, handle, 1 << 20)
    _log_ndjson(n_docs, [(k, names.get(p, p)) for k, p in tables], args)
    return 0


# --------------------------------------------------------------------------- dispatch


def entity_body(args: argparse.Namespace) -> int | None:
    """Handle the chemical / disease / NDJSON cases of pfocr-export; None for the gene-only
    cases, which the gene code path handles as before."""
    extra = [("chemicals", args.chemicals), ("diseases", args.diseases)]
    extra = [(k, p) for k, p in extra if p]
    kind = "genes"
    if args.input != "-":
        try:
            kind = kind_of(read_header(args.input)) or "genes"
        except DataError:  # the gene table reader gives its own error
            kind = "genes"
    if args.format != "ndjson" and not extra and kind == "genes":
        return None
    if args.format != "ndjson":
        if extra:
            raise UsageError("--chemicals and --diseases go with --format ndjson (give a "
                             "chemical or disease table as IN.tsv for its sets)")
        if args.id_column == "gene_id":
            args.id_column = DEFAULT_ID[kind]
        if args.id_column not in KIND_ID_COLUMNS[kind]:
            raise UsageError(f"--id-column for a {KIND_NAMES[kind]} is one of "
                             + ", ".join(KIND_ID_COLUMNS[kind]))
        return export_entities(args.input, kind, args)
    if args.split_by_organism is not None:
        raise UsageError("--format ndjson writes one document per figure; it does not go "
                         "with --split-by-organism")
    if args.output is None:
        args.output = "-"
    tables = []
    for k, path in extra:
        if path == "-":
            raise UsageError(f"--{k} needs a file (standard input is for IN.tsv)")
        got = table_kind(path)
        if got != k:
            raise DataError(f"--{k} expects a {KIND_NAMES[k]}, this is a {KIND_NAMES[got]}",
                            path, 1)
    if kind in dict(extra):
        raise UsageError(f"IN.tsv is a {KIND_NAMES[kind]}; do not give --{kind} as well")
    order = {"genes": 0, "chemicals": 1, "diseases": 2}
    with rereadable(args.input) as src:
        paths = sorted([(kind, src), *extra], key=lambda t: order[t[0]])
        try:
            return stream_ndjson(paths, args, {src: args.input})
        except NotGrouped as exc:
            log_reading_whole(exc, "the tables whole")
        for k, path in paths:
            if k == "genes":
                required = list(dict.fromkeys((*REQUIRED, args.id_column)))
                tables.append((k, path, read_table(path, required)))
            else:
                tables.append((k, path, read_kind_table(path, k)))
        return export_ndjson(tables, args)
