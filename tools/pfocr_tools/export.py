"""pfocr-export: figure gene table -> gene-set libraries (GMT, long TSV, BioThings-style JSON)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, groupby
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pandas is imported only for a table read whole
    import pandas as pd

from . import gmtsafe, manifest, organisms
from . import table as _table
from .cli import check_outputs, log, make_parser, run
from .errors import DataError, UsageError
from .figblocks import FigBlock, FigReader
from .table import (
    FLAVORS,
    REQUIRED,
    STRICT_SOURCES,
    SYNONYM_SOURCES,
    ByteBlock,
    NotGrouped,
    flavor_mask,
    log_reading_whole,
    open_output,
    read_table,
    rereadable,
    run_starts,
)

PROG = "pfocr-export"
T = TypeVar("T")
FORMATS = ("gmt", "tsv", "json", "ndjson")
PFOCR_URL = "https://pfocr.wikipathways.org/figures/{figid}.html"
FIGURE_URL = "https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/bin/{filename}"

DESCRIPTION = """\
Write the gene sets of a figure gene table: one set per figure (per organism with
--split-by-organism).

The defaults reproduce the official PFOCR release rule: strict rows only (genes matched
through a current official symbol), distinct gene IDs per figure in first-seen order, sets of
at least 3 genes, no maximum. GMT lines are <set name> TAB <title> TAB <id> TAB <id> ...;
the title is the figure title (tabs and line breaks made spaces, runs of spaces collapsed),
or the paper title when it is empty, or the figid.

Formats: gmt; tsv (long table set_name, title, <id column>, symbol: one line per distinct
gene of a set); json (a JSON array, one document per set in the BioThings PFOCR API shape:
_id, associatedWith.title, pfocrUrl, figureUrl, pmc, mentions.genes.ncbigene); ndjson (the
BioThings PFOCR plugin's input: one document per line and per figure of IN.tsv, --chemicals
and --diseases, with mentions.chemicals.{mesh,chebi}, mentions.diseases.{mesh,doid} and
mentions.genes.ncbigene; --flavor filters the genes only; no size rule).

IN.tsv may also be a figure chemical or disease table (from pfocr-extract --chemicals /
--diseases; the kind is read from its header): one set of ChEBI (default), MeSH or DOID IDs
per figure, split by the figure's organisms into <prefix>-chemical-<format>-<Genus_species>.
"""


def build_parser() -> argparse.ArgumentParser:
    p = make_parser(PROG, DESCRIPTION)
    p.add_argument("input", metavar="IN.tsv",
                   help="figure gene, chemical or disease table (from pfocr-extract / "
                        "pfocr-filter), or - for standard input (a gene table)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="library to write, - for standard output (default: standard output "
                        "unless --split-by-organism is given)")
    p.add_argument("--format", choices=FORMATS, default="gmt", help="output format (default: gmt)")
    p.add_argument("--flavor", choices=FLAVORS, default="strict",
                   help="gene rows to use: strict = official symbols only (default, as the "
                        "releases), synonyms = plus alias/previous/synonym matches, all = plus "
                        "family/complex expansions")
    p.add_argument("--min-size", type=int, default=3, metavar="N",
                   help="leave out sets with fewer than N distinct genes (default: 3)")
    p.add_argument("--max-size", type=int, default=None, metavar="N",
                   help="leave out sets with more than N distinct genes (default: no maximum)")
    p.add_argument("--set-name", choices=("figid", "alias"), default="figid",
                   help="set name: the figid (default, as the 2021 release) or the figid_alias "
                        "(PMC<id>__F<n>, the current release style; the figid when a figure "
                        "has no alias)")
    p.add_argument("--id-column", default="gene_id", metavar="COLUMN",
                   help="table column holding the identifiers to write (default: gene_id, "
                        "NCBI Gene; e.g. symbol, or ensembl / uniprot added by pfocr-remap; "
                        "|-joined IDs in a cell count one by one); for a chemical table "
                        "chebi (default) or mesh, for a disease table mesh (default) or doid")
    p.add_argument("--split-by-organism", metavar="DIR",
                   help="write one library per species into DIR, named "
                        "<prefix>-<format>-<Genus_species>.<format>")
    p.add_argument("--prefix", default="pfocr", metavar="TEXT",
                   help="file name prefix for --split-by-organism (default: pfocr; e.g. "
                        "pfocr-20260215 gives the release names)")
    p.add_argument("--chemicals", metavar="CHEMICALS.tsv",
                   help="with --format ndjson: the figure chemical table whose ChEBI and MeSH "
                        "IDs go into mentions.chemicals")
    p.add_argument("--diseases", metavar="DISEASES.tsv",
                   help="with --format ndjson: the figure disease table whose MeSH and DOID "
                        "IDs go into mentions.diseases")
    gmtsafe.add_arguments(p)
    manifest.add_arguments(p)
    return p


# --------------------------------------------------------------------------- gene sets


@dataclass
class GeneSet:
    figid: str
    name: str
    title: str
    pmcid: str
    taxid: str
    organism: str
    ids: dict[str, str] = field(default_factory=dict)  # id -> first symbol seen, in order


_SPACES = re.compile(r"\s+")


def clean_title(text: str) -> str:
    """One line of text: tabs, line breaks and runs of white space become one space."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # nothing to change (the common case: checked in C)
    return _SPACES.sub(" ", text).strip()


def _column(df: pd.DataFrame, name: str) -> list[str]:
    return df[name].tolist() if name in df.columns else [""] * len(df)


def build_sets(df: pd.DataFrame, flavor: str = "strict", id_column: str = "gene_id",
               set_name: str = "figid", by_organism: bool = False) -> list[GeneSet]:
    """Gene sets of a figure gene table, in first-seen order (no size filter).

    One set per figure, or per (organism, figure) with ``by_organism``; identifiers are
    distinct, in first-seen order; empty identifiers are skipped; a cell holding several
    identifiers joined by ``|`` (the ``ensembl`` / ``uniprot`` columns of pfocr-remap) gives
    each of them.
    """
    for col in (id_column, "figid", "taxid", "organism", "symbol", "source"):
        if col not in df.columns:
            raise DataError(f"not a figure gene table: missing column {col}")
    if set_name == "alias" and "figid_alias" not in df.columns:
        raise DataError("--set-name alias needs a figid_alias column")
    rows = df[flavor_mask(df, flavor)]
    sets: dict[tuple[str, str], GeneSet] = {}
    cols = zip(rows["figid"].tolist(), _column(rows, "figid_alias"), _column(rows, "figtitle"),
               _column(rows, "papertitle"), _column(rows, "pmcid"), rows["taxid"].tolist(),
               rows["organism"].tolist(), rows[id_column].tolist(), rows["symbol"].tolist(),
               strict=True)
    for figid, alias, title, ptitle, pmcid, taxid, organism, gid, symbol in cols:
        key = (taxid if by_organism else "", figid)
        gs = sets.get(key)
        if gs is None:
            name = alias if set_name == "alias" and alias else figid
            gs = sets[key] = GeneSet(
                figid=figid,
                name=clean_title(name),
                title=clean_title(title) or clean_title(ptitle) or figid,
                pmcid=pmcid or figid.split("__", 1)[0],
                taxid=taxid,
                organism=organism,
            )
        if "|" in gid:  # several IDs in one cell (e.g. the ensembl column of pfocr-remap)
            for one in gid.split("|"):
                if one and one not in gs.ids:
                    gs.ids[one] = symbol
        elif gid and gid not in gs.ids:
            gs.ids[gid] = symbol
    return list(sets.values())


def size_filter(sets: Sequence[GeneSet], min_size: int, max_size: int | None) -> list[GeneSet]:
    return [s for s in sets
            if len(s.ids) >= min_size and (max_size is None or len(s.ids) <= max_size)]


# --------------------------------------------------------------------------- formats


def render_gmt(sets: Sequence[GeneSet]) -> str:
    return "".join("\t".join((s.name, s.title, *s.ids)) + "\n" for s in sets)


def render_tsv(sets: Sequence[GeneSet], id_column: str = "gene_id") -> str:
    lines = ["\t".join(("set_name", "title", id_column, "symbol"))]
    for s in sets:
        for gid, symbol in s.ids.items():
            lines.append("\t".join((s.name, s.title, gid, clean_title(symbol))))
    return "\n".join(lines) + "\n"


def json_document(s: GeneSet, id_column: str = "gene_id") -> dict:
    """One BioThings PFOCR API style document (figure URL from the figid's file part)."""
    filename = s.figid.split("__", 1)[1] + ".jpg" if "__" in s.figid else ""
    key = "ncbigene" if id_column == "gene_id" else id_column
    return {
        "_id": s.figid,
        "associatedWith": {
            "title": s.title,
            "pfocrUrl": PFOCR_URL.format(figid=s.figid),
            "figureUrl": FIGURE_URL.format(pmcid=s.pmcid, filename=filename),
            "pmc": s.pmcid,
            "mentions": {"genes": {key: list(s.ids)}},
        },
    }


def render_json(sets: Sequence[GeneSet], id_column: str = "gene_id") -> str:
    if not sets:
        return "[]\n"
    docs = [json.dumps(json_document(s, id_column), ensure_ascii=False, sort_keys=False)
            for s in sets]
    return "[\n" + ",\n".join(docs) + "\n]\n"


def render(sets: Sequence[GeneSet], fmt: str, id_column: str) -> str:
    if fmt == "gmt":
        return render_gmt(sets)
    if fmt == "tsv":
        return render_tsv(sets, id_column)
    return render_json(sets, id_column)


def species_file_name(prefix: str, fmt: str, organism: str, taxid: str) -> str:
    """``<prefix>-<format>-<Genus_species>.<format>`` as the PFOCR releases name them."""
    name = organism
    if not name:
        org = organisms.by_taxid(taxid)
        name = org.scientific_name if org is not None else f"taxid{taxid}"
    safe = re.sub(r"[^A-Za-z0-9.]+", "_", name).strip("_.") or f"taxid{taxid}"
    return f"{prefix}-{fmt}-{safe}.{fmt}"


# --------------------------------------------------------------------------- CLI


#: what this run wrote (library paths, in order) and the figures it read, for the manifest
_RUN: dict = {"written": [], "figures": None, "columns": ()}


def _write(path: str, text: str) -> None:
    with open_output(path) as handle:
        handle.write(text)
    _RUN["written"].append(path)


def _describe(n_figs: int, kept: int, args: argparse.Namespace) -> str:
    size = f"{args.min_size}.." + ("" if args.max_size is None else str(args.max_size))
    return (f"{kept} set{'' if kept == 1 else 's'} written, {n_figs - kept} of {n_figs} "
            "figures left out "
            f"(rule: {args.flavor} rows, {size} distinct {args.id_column} values)")


def body(args: argparse.Namespace) -> int:
    if args.min_size < 0:
        raise UsageError("--min-size must be 0 or more")
    if args.max_size is not None and args.max_size < args.min_size:
        raise UsageError("--max-size must not be smaller than --min-size")
    if args.split_by_organism is None and args.output is None:
        args.output = "-"
    if "/" in args.prefix or not args.prefix.strip():
        raise UsageError("--prefix must be a file name part without '/'")
    check_outputs([args.input], [("-o", args.output), ("--manifest", args.manifest)])
    if args.output not in (None, "-"):
        check_writable(args.output)
    gmtsafe.check_arguments(args)
    manifest.check_arguments(args)
    _RUN.update(written=[], figures=None, columns=())
    outdir = args.split_by_organism
    if outdir is not None and os.path.exists(outdir) and not os.path.isdir(outdir):
        raise DataError("--split-by-organism: not a directory", outdir)
    from .entity_export import entity_body

    done = entity_body(args)  # chemical / disease tables and NDJSON; None for gene sets
    if done is not None:
        if args.format == "ndjson":
            _RUN["written"].append(args.output)
        _manifests(args, ())
        return done
    required = list(dict.fromkeys((*REQUIRED, args.id_column)))
    if args.set_name == "alias":
        required.append("figid_alias")
    with rereadable(args.input) as src:
        try:
            _stream(src, args, required)
        except NotGrouped as exc:
            log_reading_whole(exc)
            _whole(src, args, required)
        _manifests(args, _RUN["columns"])
    return 0


def _manifests(args: argparse.Namespace, columns: Sequence[str]) -> None:
    """The manifest(s) of what this run wrote: beside -o OUT, and in the --split-by-organism
    folder (one listing everything with --manifest PATH)."""
    argv = getattr(args, "argv", [])
    written = _RUN["written"]
    single = [p for p in written if p == args.output]
    split = [p for p in written if p != args.output]
    if args.manifest:
        manifest.for_export(args, argv, columns, _RUN["figures"], written, None)
        return
    if args.output is not None:
        manifest.for_export(args, argv, columns, _RUN["figures"], single,
                            _manifest_path(args.output))
    if args.split_by_organism is not None:
        manifest.for_export(args, argv, columns, _RUN["figures"], split,
                            manifest.manifest_path(None, args.split_by_organism, args.prefix,
                                                   args.format))


def _manifest_path(output: str) -> str | None:
    """``<output>.manifest.json`` for a library file (none for stdout or a device)."""
    if output == "-" or (os.path.exists(output) and not os.path.isfile(output)):
        return None
    return manifest.manifest_path(output)


def _whole(src: str, args: argparse.Namespace, required: Sequence[str]) -> None:
    """Export a table read whole (its figures' rows are scattered)."""
    df = read_table(src, required, name=args.input)
    _RUN.update(figures=df["figid"].nunique(), columns=tuple(df.columns))
    if args.split_by_organism is not None:
        _split(df, args)
    if args.output is not None:
        sets = build_sets(df, args.flavor, args.id_column, args.set_name)
        kept = size_filter(sets, args.min_size, args.max_size)
        n_taxa = df.loc[flavor_mask(df, args.flavor), "taxid"].nunique()
        _warn_taxa(n_taxa, args)
        kept = gmtsafe.finish(kept, args, args.output)
        _write(args.output, render(kept, args.format, args.id_column))
        _report(df["figid"].nunique(), len(kept), args)


def _warn_taxa(n_taxa: int, args: argparse.Namespace) -> None:
    """A library mixing several organisms' gene IDs: a warning, unless the per-species
    libraries are written beside it (then it is the all-species library asked for)."""
    if n_taxa <= 1 or args.format == "json":
        return
    if args.split_by_organism is not None:
        log.info("%s holds the sets of all %d organisms (for an overview; their gene IDs "
                 "differ): use the per-species libraries in %s for enrichment",
                 "standard output" if args.output == "-" else args.output, n_taxa,
                 args.split_by_organism)
        return
    log.warning("warning: the table holds gene rows of %d organisms, so sets mix their gene "
                "IDs; use pfocr-filter --organism or --split-by-organism", n_taxa)


def _report(n_figs: int, n_kept: int, args: argparse.Namespace) -> None:
    where = "standard output" if args.output == "-" else args.output
    log.info("%s to %s", _describe(n_figs, n_kept, args), where)
    if not n_kept:
        log.warning("warning: no gene set left (%d figures in the table); wrote an empty "
                    "%s", n_figs, args.format.upper())


class _Library:
    """One library written set by set (GMT lines, TSV lines or JSON documents)."""

    #: the TSV's last column: the first name seen for each ID
    LAST_COLUMN = "symbol"

    def __init__(self, handle: IO[str], fmt: str, id_column: str):
        self.handle = handle
        self.fmt = fmt
        self.id_column = id_column
        self.n = 0
        if fmt == "tsv":
            handle.write("\t".join(("set_name", "title", id_column, self.LAST_COLUMN)) + "\n")

    def tsv_lines(self, s: GeneSet) -> str:
        return render_tsv([s], self.id_column).split("\n", 1)[1]

    def document(self, s: GeneSet) -> dict:
        return json_document(s, self.id_column)

    def add(self, s: GeneSet) -> None:
        if self.fmt == "gmt":
            self.handle.write(render_gmt([s]))
        elif self.fmt == "tsv":
            self.handle.write(self.tsv_lines(s))
        else:
            doc = json.dumps(self.document(s), ensure_ascii=False, sort_keys=False)
            self.handle.write(("[\n" if not self.n else ",\n") + doc)
        self.n += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.handle.write("\n]\n" if self.n else "[]\n")


def _figure_sets(cols: tuple[list[str], ...], rows: Iterable[int],
                 meta: dict[str, tuple[str, str, str]], by_organism: bool) -> list[GeneSet]:
    """The gene sets of one figure's rows (build_sets on a part of a table); name, title and
    pmcid from the figure's first row (``meta``)."""
    figid_c, taxid_c, org_c, gid_c, symbol_c = cols
    sets: dict[str, GeneSet] = {}
    for i in rows:
        key = taxid_c[i] if by_organism else ""
        gs = sets.get(key)
        if gs is None:
            figid = figid_c[i]
            name, title, pmcid = meta[figid]
            gs = sets[key] = GeneSet(figid=figid, name=name, title=title, pmcid=pmcid,
                                     taxid=taxid_c[i], organism=org_c[i])
        gid = gid_c[i]
        if "|" in gid:
            for one in gid.split("|"):
                if one and one not in gs.ids:
                    gs.ids[one] = symbol_c[i]
        elif gid and gid not in gs.ids:
            gs.ids[gid] = symbol_c[i]
    return list(sets.values())


class _Taxon:
    """A species library of --split-by-organism, spooled to a temporary file until the end."""

    def __init__(self, taxid: str, organism: str, fmt: str, id_column: str, outdir: str,
                 dedupe: bool = False):
        self.taxid = taxid
        self.organism = organism
        self.n_sets = 0
        self.spool = library_spool(outdir)
        self.library = _Library(self.spool, fmt, id_column)
        self.guard = gmtsafe.NameGuard(dedupe=dedupe, where=organism or f"taxid {taxid}")


def _stream(src: str, args: argparse.Namespace, required: Sequence[str]) -> None:
    """Export block by block: only the sets of the figures of one block are in memory."""
    allowed = None if args.flavor == "all" else (
        STRICT_SOURCES | SYNONYM_SOURCES if args.flavor == "synonyms" else STRICT_SOURCES)
    outdir = args.split_by_organism
    if outdir is not None:
        make_outdir(outdir)
    rng = (args.min_size, args.max_size)
    taxa: dict[str, _Taxon] = {}
    guard = gmtsafe.NameGuard(dedupe=args.dedupe, where=args.output)
    finish = (args.format, args.description, args.max_title)
    flavor_taxa: set[str] = set()
    n_figs = 0
    #: GMT and JSON need the distinct IDs only (TSV also the first symbol of each)
    fast = args.format != "tsv"
    per_row = ("taxid", "organism", "symbol", "source", args.id_column)
    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(FigReader(
            src, required, name=args.input, rows=per_row,
            block_bytes=_table.byte_block_bytes() if args.format == "gmt" else None,
            sha256=not args.no_manifest))
        _RUN["columns"] = reader.header
        library = None
        if args.output is not None:
            # standard output spooled: a table found scattered later is exported again whole
            handle = stack.enter_context(open_output(args.output, spool=True))
            library = _Library(handle, args.format, args.id_column)

        def taxon_of(taxid: str, organism: str | None) -> _Taxon | None:
            """The species library of taxid (made, named organism, unless that is None)."""
            taxon = taxa.get(taxid)
            if taxon is None and organism is not None:
                taxon = taxa[taxid] = _Taxon(taxid, organism, args.format, args.id_column,
                                             outdir, args.dedupe)
                stack.callback(taxon.spool.close)
            return taxon

        def text_block(block: FigBlock) -> None:
            """The sets of one block of rows, from their text."""
            figs = block.column("figid")
            starts = block.runs("figid")
            meta = _figure_meta(block, starts, args.set_name)
            source = block.column("source")
            tax = block.column("taxid")
            gid = block.column(args.id_column)
            n = len(figs)
            if allowed is not None:  # keep the rows of the flavor's sources, in order
                keep = list(compress(range(n), map(allowed.__contains__, source)))
                if len(keep) < n:
                    if not keep:
                        return
                    pick = _picker(keep)
                    figs, tax, gid = list(pick(figs)), list(pick(tax)), list(pick(gid))
                    n = len(figs)
            else:
                keep = None
            flavor_taxa.update(tax)
            if fast and "|" not in "".join(gid):
                _fast_block(block, keep, figs, tax, gid, meta, library, guard, taxon_of,
                            outdir is not None, rng, finish)
                return
            cols = (figs, tax, block.column("organism"), gid, block.column("symbol"))
            if keep is not None and len(keep) < len(block):
                pick = _picker(keep)
                cols = (figs, tax, list(pick(cols[2])), gid, list(pick(cols[4])))
            bounds = run_starts(figs) + [n]
            for s, e in zip(bounds, bounds[1:], strict=False):
                rows = range(s, e)
                if library is not None:
                    for gs in _figure_sets(cols, rows, meta, False):
                        if _in_range(gs, *rng) and gmtsafe.finish_one(gs, guard, *finish):
                            library.add(gs)
                if outdir is not None:
                    for gs in _figure_sets(cols, rows, meta, True):
                        taxon = taxon_of(gs.taxid, gs.organism)
                        taxon.n_sets += 1
                        if _in_range(gs, *rng) and \
                                gmtsafe.finish_one(gs, taxon.guard, *finish):
                            taxon.library.add(gs)

        if args.format == "gmt":  # numpy on the bytes (gmtbytes), text where it must
            bytes_block = _bytes_gmt(reader, allowed, args, library, guard, flavor_taxa,
                                     taxon_of, rng, finish)
            for bblock in reader.byte_blocks("figid", grouped=True):
                n_figs += len(bblock.runs("figid"))
                if not bytes_block(bblock):
                    text_block(reader.text_block(bblock))
        else:
            for block in reader.blocks("figid", grouped=True):
                n_figs += len(block.runs("figid"))
                text_block(block)
        digest = reader.sha256()  # read to its end: the manifest need not read it again
        if digest is not None:
            manifest.remember_sha256(src, digest)
        if outdir is not None:
            _write_taxa(taxa, args)
        if library is not None:
            _warn_taxa(len(flavor_taxa), args)
            gmtsafe.log_renamed(guard)
            library.close()
    _RUN["figures"] = n_figs
    if args.output is not None:
        _RUN["written"].append(args.output)
        _report(n_figs, library.n if library is not None else 0, args)


def _picker(idx: list[int]):  # noqa: ANN202
    """A function giving the items at ``idx`` of a list, as a tuple (C speed)."""
    if len(idx) == 1:
        i = idx[0]
        return lambda values: (values[i],)
    return itemgetter(*idx)


class _ByteFirst:
    """``first_values`` of a ByteBlock, as text (for _figure_meta)."""

    def __init__(self, block: ByteBlock):
        self.block = block

    def first_values(self, name: str, starts: Sequence[int]) -> list[str]:
        return _table.decoded(self.block.values_at(name, starts))


def _bytes_gmt(reader: FigReader, allowed: frozenset[str] | None, args: argparse.Namespace,
               library: _Library | None, guard: gmtsafe.NameGuard, flavor_taxa: set[str],
               taxon_of, rng: tuple[int, int | None], finish: tuple  # noqa: ANN001
               ) -> Callable[[ByteBlock], bool]:
    """The GMT sets of a ByteBlock, with numpy (gmtbytes): a function writing them, False
    (nothing done) for a block that takes the text path (an ID cell holding ``|``, or an
    ID or a taxid wider than gmtbytes.MAX_ID_BYTES)."""
    import numpy as np

    from .gmtbytes import BlockText, GmtBlock, field_keys, first_seen_codes

    header = reader.header
    id_k, tax_k = header.index(args.id_column), header.index("taxid")
    wanted = None if allowed is None else [v.encode("utf-8") for v in sorted(allowed)]
    split = args.split_by_organism is not None

    def has_bar(block: ByteBlock, rows: Any) -> bool:
        data = block.data
        if b"|" not in data:
            return False
        bars = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("|"))
        start, end = block.bounds(id_k)
        at = np.searchsorted(bars, start[rows])
        inside = at < len(bars)
        return bool((bars[at[inside]] < end[rows][inside]).any())

    def write(layout, jobs: list[tuple[_Library, gmtsafe.NameGuard, int, int]],  # noqa: ANN001
              text: BlockText, figids: list[str], names: list[str], titles: list[str]
              ) -> None:
        """Write the sets in range of a layout: ``jobs``, (library, its name guard, first
        and end set number) each. Their lines are gathered at once (GmtBlock.lines) when
        every set name is new to its library; else a library's sets go one by one
        (NameGuard.check: the error, or --dedupe)."""
        chosen = layout.chosen(*rng)
        if not len(chosen):
            return
        parts = []
        for lib, names_guard, a, b in jobs:
            ca, cb = np.searchsorted(chosen, (a, b)).tolist()
            if ca == cb:
                continue
            figs = layout.figure[chosen[ca:cb]].tolist()
            set_names = list(map(names.__getitem__, figs))
            set_titles = list(map(titles.__getitem__, figs))
            if names_guard.take_new(set_names, list(map(figids.__getitem__, figs)),
                                    set_titles):  # every name new: all at once
                parts.append((lib, ca, cb))
                continue
            lines = []
            for s, f, name, title in zip(chosen[ca:cb].tolist(), figs, set_names,
                                         set_titles, strict=True):
                ids = layout.set_ids(text.block, id_k, s)
                name = names_guard.check(name, figids[f], title, ids)
                if name is not None:
                    lines.append("\t".join((name, title, *ids)))
            if lines:
                lib.handle.write("\n".join(lines) + "\n")
                lib.n += len(lines)
        if not parts:
            return
        if len(parts) < len(jobs) or sum(cb - ca for _lib, ca, cb in parts) < len(chosen):
            chosen = np.concatenate([chosen[ca:cb] for _lib, ca, cb in parts])
        out, ends = layout.lines(text, chosen)
        done = 0
        for lib, ca, cb in parts:
            k = cb - ca
            lib.handle.write(out[ends[done - 1] if done else 0:ends[done + k - 1]]
                             .decode("utf-8"))
            lib.n += k
            done += k

    def bytes_block(block: ByteBlock) -> bool:
        starts = block.runs("figid")
        nfig = len(starts)
        rows = np.flatnonzero(block.isin("source", wanted)) if wanted is not None \
            else np.arange(len(block))
        if not len(rows):
            return True
        gkeys = field_keys(block, id_k, rows)
        tkeys = field_keys(block, tax_k, rows)
        if gkeys is None or tkeys is None or has_bar(block, rows):
            return False
        frun = np.repeat(np.arange(nfig), np.diff(np.append(starts, len(block))))[rows]
        tcode, tfirst = first_seen_codes(tkeys)
        taxa = [v.decode("utf-8") for v in block.values_at(tax_k, rows[tfirst])]
        if library is not None:
            flavor_taxa.update(taxa)
        meta = _figure_meta(_ByteFirst(block), starts.tolist(), args.set_name)  # type: ignore[arg-type]
        figids = list(meta)  # the block's figures in order (distinct: it is grouped)
        gmt = _GmtLines(meta, finish)
        names = []
        titles = []
        for figid in figids:
            name, title = gmt(figid)
            names.append(name)
            titles.append(title)
        text = BlockText(block, id_k, [a + "\t" + b for a, b in zip(names, titles,
                                                                    strict=True)])
        one = len(taxa) == 1
        layout = GmtBlock(rows, frun, nfig, None if one else tcode, len(taxa), gkeys) \
            if split else None
        if library is not None:
            every = layout if one and layout is not None else \
                GmtBlock(rows, frun, nfig, None, 1, gkeys)
            write(every, [(library, guard, 0, len(every.starts))], text, figids, names,
                  titles)
        if layout is None:
            return True
        organism = None
        jobs = []
        for t, taxid in enumerate(taxa):
            taxon = taxon_of(taxid, None)
            if taxon is None:  # a new species library: named by the first row of its taxid
                if organism is None:
                    organism = block.values_at("organism", rows[tfirst])
                taxon = taxon_of(taxid, organism[t].decode("utf-8"))
            a, b = (0, len(layout.starts)) if one else layout.taxon_sets(t)
            taxon.n_sets += b - a
            jobs.append((taxon.library, taxon.guard, a, b))
        write(layout, jobs, text, figids, names, titles)
        return True

    return bytes_block


def _figure_meta(block: FigBlock, starts: list[int], set_name: str
                 ) -> dict[str, tuple[str, str, str]]:
    """figid -> (set name, title, pmcid) of each figure of a block, from the figure's first
    row (the title: the figure title, else the paper title, else the figid)."""
    figids = block.first_values("figid", starts)
    titles = block.first_values("figtitle", starts)
    ptitles = block.first_values("papertitle", starts)
    pmcids = block.first_values("pmcid", starts)
    names = block.first_values("figid_alias", starts) if set_name == "alias" else figids
    meta = {}
    for figid, name, title, ptitle, pmcid in zip(figids, names, titles, ptitles, pmcids,
                                                 strict=True):
        meta[figid] = (clean_title(name or figid),
                       clean_title(title) or clean_title(ptitle) or figid,
                       pmcid or figid.split("__", 1)[0])
    return meta


def _new_set(figid: str, taxid: str, organism: str, ids: list[str],
             meta: dict[str, tuple[str, str, str]]) -> GeneSet:
    name, title, pmcid = meta[figid]
    gs = GeneSet(figid=figid, name=name, title=title, pmcid=pmcid, taxid=taxid,
                 organism=organism)
    gs.ids = dict.fromkeys(ids)  # type: ignore[assignment]
    return gs


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def _grouped_ids(figs: Sequence[str], gid: Sequence[str]):  # noqa: ANN202
    """(figid, distinct non-empty IDs in first-seen order) per figure, C-level."""
    for figid, pairs in groupby(dict.fromkeys(zip(figs, gid, strict=True)), _FIRST):
        ids = list(map(_SECOND, pairs))
        if "" in ids:
            ids.remove("")
        yield figid, ids


def _fast_block(block: FigBlock, keep: list[int] | None, figs: list[str], tax: list[str],
                gid: list[str], meta: dict[str, tuple[str, str, str]],
                library: _Library | None, guard: gmtsafe.NameGuard, taxon_of,  # noqa: ANN001
                split: bool, rng: tuple[int, int | None], finish: tuple) -> None:
    """The sets of one block's flavor rows (one ID per cell): distinct (figure, ID) pairs
    with dict.fromkeys, grouped per figure; per organism, the same on each taxid's rows."""
    gmt = _GmtLines(meta, finish) if finish[0] == "gmt" else None
    if library is not None:
        _add_sets(_grouped_ids(figs, gid), "", library, guard, meta, rng, finish, gmt)
    if not split:
        return
    distinct = set(tax)
    if len(distinct) == 1:
        parts = [(tax[0], range(len(tax)))]
    else:
        order = sorted(distinct, key=tax.index)  # first seen first (new libraries in order)
        parts = [(t, list(compress(range(len(tax)), map(t.__eq__, tax)))) for t in order]
    organism = None
    for taxid, idx in parts:
        if isinstance(idx, range):
            t_figs, t_gid = figs, gid
        else:
            pick = _picker(idx)
            t_figs, t_gid = pick(figs), pick(gid)
        taxon = taxon_of(taxid, None)
        if taxon is None:  # a new species library: named by the first row of its taxid
            first = idx[0] if keep is None else keep[idx[0]]
            if organism is None:
                organism = block.column("organism")
            taxon = taxon_of(taxid, organism[first])
        taxon.n_sets += _add_sets(_grouped_ids(t_figs, t_gid), taxid, taxon.library,
                                  taxon.guard, meta, rng, finish, gmt)


class _GmtLines:
    """Per figure of a block, once: its GMT set name and column 2 (what finish_one makes)."""

    def __init__(self, meta: dict[str, tuple[str, str, str]], finish: tuple):
        self.meta = meta
        self.mode = finish[1]
        self.max_title = finish[2]
        self.done: dict[str, tuple[str, str]] = {}

    def __call__(self, figid: str) -> tuple[str, str]:
        got = self.done.get(figid)
        if got is None:
            name, title, _pmcid = self.meta[figid]
            title = gmtsafe.description(self.mode, figid,
                                        gmtsafe.safe_title(title, self.max_title))
            got = self.done[figid] = (name, title)
        return got


def _add_sets(sets, taxid: str, library: _Library, guard: gmtsafe.NameGuard,  # noqa: ANN001
              meta: dict[str, tuple[str, str, str]], rng: tuple[int, int | None],
              finish: tuple, gmt: _GmtLines | None) -> int:
    """Add the (figid, IDs) sets in range to a library; the number of sets seen."""
    lo, hi = rng
    n = 0
    if gmt is None:
        for figid, ids in sets:
            n += 1
            gs = _new_set(figid, taxid, "", ids, meta)
            if _in_range(gs, lo, hi) and gmtsafe.finish_one(gs, guard, *finish):
                library.add(gs)
        return n
    lines = []
    check = guard.check
    for figid, ids in sets:
        n += 1
        size = len(ids)
        if size < lo or (hi is not None and size > hi):
            continue
        name, title = gmt(figid)
        name = check(name, figid, title, ids)
        if name is not None:
            ids.insert(0, title)
            ids.insert(0, name)
            lines.append("\t".join(ids))
    if lines:
        library.handle.write("\n".join(lines) + "\n")
        library.n += len(lines)
    return n


def _in_range(gs: GeneSet, min_size: int, max_size: int | None) -> bool:
    return len(gs.ids) >= min_size and (max_size is None or len(gs.ids) <= max_size)


def make_outdir(path: str) -> None:
    """The --split-by-organism folder, made if missing (a one-line error if it cannot be)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create output directory: {exc.strerror}", path) from None


def file_names(named: Iterable[tuple[str, str, T]]) -> list[tuple[str, T]]:
    """(file name, item) of the species libraries (taxid, name, item), sorted by file name: a
    name that two taxids share gets ``_<taxid>`` on the later one."""
    files: list[tuple[str, T]] = []
    names: dict[str, str] = {}
    for taxid, name, item in named:
        if name in names and names[name] != taxid:
            stem, ext = name.rsplit(".", 1)
            name = f"{stem}_{taxid}.{ext}"
        names[name] = taxid
        files.append((name, item))
    return sorted(files, key=lambda f: f[0])


def library_spool(outdir: str) -> IO[str]:
    """A temporary file in the --split-by-organism folder for a species library written
    until the end (copy_spool): hidden, deleted when closed."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=outdir,
                                  prefix=".pfocr-export-")


def copy_spool(spool: IO[str], library: _Library, path: str) -> None:
    """A species library spooled to a temporary file, finished and written to ``path``."""
    library.close()
    spool.flush()
    spool.seek(0)
    with open_output(path) as handle:
        shutil.copyfileobj(spool, handle, 1 << 20)
    _RUN["written"].append(path)


def _write_taxa(taxa: dict[str, _Taxon], args: argparse.Namespace) -> None:
    outdir = args.split_by_organism
    files = file_names((taxid, species_file_name(args.prefix, args.format, taxon.organism,
                                                 taxid), taxon)
                       for taxid, taxon in taxa.items() if taxon.library.n)
    for name, taxon in files:
        path = os.path.join(outdir, name)
        copy_spool(taxon.spool, taxon.library, path)
        gmtsafe.log_renamed(taxon.guard)
        log.info("%s: %s", path, _describe(taxon.n_sets, taxon.library.n, args))
    if not files:
        log.warning("warning: no organism has a gene set left; nothing written to %s", outdir)
    else:
        log.info("%d species libraries written to %s", len(files), outdir)


def check_writable(path: str) -> None:
    """Fail before any work when the output cannot be written where asked."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DataError(f"cannot write output: directory {directory} does not exist", path)
    if os.path.isdir(path):
        raise DataError("cannot write output: is a directory", path)


def _split(df: pd.DataFrame, args: argparse.Namespace) -> None:
    outdir = args.split_by_organism
    make_outdir(outdir)
    sets = build_sets(df, args.flavor, args.id_column, args.set_name, by_organism=True)
    by_taxon: dict[str, list[GeneSet]] = {}
    for s in sets:
        by_taxon.setdefault(s.taxid, []).append(s)

    def rendered() -> Iterator[tuple[str, str, tuple[str, int, int]]]:
        for taxid, group in by_taxon.items():
            kept = size_filter(group, args.min_size, args.max_size)
            if not kept:
                continue
            name = species_file_name(args.prefix, args.format, group[0].organism, taxid)
            kept = gmtsafe.finish(kept, args, os.path.join(outdir, name))
            yield taxid, name, (render(kept, args.format, args.id_column), len(group),
                                len(kept))

    files = file_names(rendered())
    for name, (text, n_in, n_kept) in files:
        path = os.path.join(outdir, name)
        _write(path, text)
        log.info("%s: %s", path, _describe(n_in, n_kept, args))
    if not files:
        log.warning("warning: no organism has a gene set left; nothing written to %s", outdir)
    else:
        log.info("%d species libraries written to %s", len(files), outdir)


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    parser = build_parser()
    parser.set_defaults(argv=list(sys.argv[1:] if argv is None else argv))
    return run(PROG, body, parser, argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
