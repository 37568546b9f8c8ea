"""pfocr-filter --figures-from: apply one figure decision to any figure table.

Filter the gene table by organism, then keep the chemical and disease rows of the same
figures with ``--figures-from`` the filtered gene table (or any other figure table).

Both tables are streamed (bounded memory: what grows is one entry per figure of FIGS.tsv);
an input table whose figures' rows are scattered is read whole.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only for a table read whole
    import pandas as pd

from .cli import log
from .errors import DataError, UsageError
from .export import check_writable
from .table import (
    KIND_NAMES,
    KIND_REQUIRED,
    ByteBlock,
    NotGrouped,
    TableReader,
    kind_of,
    log_reading_whole,
    open_output,
    open_output_bytes,
    read_header,
    read_kind_table,
    read_table,
    rereadable,
    table_kind,
    write_rows,
)


def check_gene_table(path: str) -> None:
    """--organism filters a gene table: say what to do with a chemical or disease table."""
    kind = kind_of(read_header(path))
    if kind in ("chemicals", "diseases"):
        raise UsageError(f"{path} is a {KIND_NAMES[kind]}: --organism filters the gene "
                         "table; keep the same figures here with --figures-from the filtered "
                         "gene table")


def narrow_organisms(out: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """A chemical / disease row's organisms become those of its figure's rows in the (filtered)
    gene table, so the species libraries follow the gene filter's choice."""
    orgs: dict[str, dict[str, str]] = {}
    for figid, taxid, organism in zip(genes["figid"].tolist(), genes["taxid"].tolist(),
                                      genes["organism"].tolist(), strict=True):
        if taxid:
            orgs.setdefault(figid, {}).setdefault(taxid, organism)
    return _narrowed(out, {f: ("|".join(o), "|".join(o.values())) for f, o in orgs.items()})


def _narrowed(out: pd.DataFrame, orgs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """``out`` with taxid / organism of each row those of ``orgs`` for its figure."""
    out = out.copy()
    figids = out["figid"].tolist()
    none = ("", "")
    out["taxid"] = [orgs.get(f, none)[0] for f in figids]
    out["organism"] = [orgs.get(f, none)[1] for f in figids]
    return out


class _Figures:
    """The figures of FIGS.tsv (as bytes), and for narrowing each figure's organisms."""

    def __init__(self, path: str, narrow_for: str | None):
        self.keep: set[bytes] = set()
        self.kind: str | None = None
        #: figid -> (taxids, organisms), "|"-joined, first seen first (only to narrow)
        self.orgs: dict[bytes, tuple[bytes, bytes]] | None = None
        with TableReader(path, ("figid",)) as reader:
            self.kind = kind_of(reader.header)
            narrow = narrow_for in ("chemicals", "diseases") and self.kind == "genes"
            seen: dict[bytes, dict[bytes, bytes]] = {}
            keep = self.keep
            for block in reader.byte_blocks(None):
                if not narrow:
                    keep.update(block.values_at("figid", block.runs("figid")))
                    continue
                figs = block.column("figid")
                keep.update(figs)
                prev = None
                for pair in zip(figs, block.column("taxid"), block.column("organism"),
                                strict=True):
                    if pair[1] and pair[:2] != prev:
                        seen.setdefault(pair[0], {}).setdefault(pair[1], pair[2])
                        prev = pair[:2]
            if narrow:
                self.orgs = {f: (b"|".join(o), b"|".join(o.values())) for f, o in seen.items()}

    def text_orgs(self) -> dict[str, tuple[str, str]] | None:
        if self.orgs is None:
            return None
        return {f.decode("utf-8"): (t.decode("utf-8"), o.decode("utf-8"))
                for f, (t, o) in self.orgs.items()}


@contextlib.contextmanager
def _kind_reader(path: str, kind: str | None, name: str) -> Iterator[TableReader]:
    """A TableReader for a table of ``kind``; missing columns name the kind in the error (as
    read_kind_table does)."""
    try:
        reader = TableReader(path, KIND_REQUIRED[kind] if kind else ("figid",), name=name)
    except DataError as exc:
        if kind not in (None, "genes") and exc.message.startswith("not a figure gene table"):
            raise DataError(exc.message.replace("figure gene table", KIND_NAMES[kind]),
                            exc.path, exc.line) from None
        raise
    with reader:
        yield reader


def figures_from_body(args: argparse.Namespace) -> int:
    """Keep the rows of IN.tsv whose figure FIGS.tsv holds; log one line per figure."""
    for flag, bad in (("--by record", args.by != "genes"),
                      ("--exclude-mentions", args.exclude_mentions),
                      ("--allow-mention", bool(args.allow_mention)),
                      ("--evidence", args.evidence is not None),
                      ("--confidence", args.confidence is not None)):
        if bad:
            raise UsageError(f"{flag} goes with --organism, not with --figures-from")
    if args.figures_from == "-":
        raise UsageError("--figures-from needs a file (standard input is for IN.tsv)")
    for path in (args.output, args.log):
        if path not in (None, "-"):
            check_writable(path)
    kind = table_kind(args.input) if args.input != "-" else None
    figs = _Figures(args.figures_from, kind)
    with rereadable(args.input) as src:
        try:
            counts = _stream(src, args, kind, figs)
        except NotGrouped as exc:
            log_reading_whole(exc)
            counts = _whole(src, args, kind, figs)
    n_figs, n_kept, n_out, n_in = counts
    what = KIND_NAMES.get(kind or "", "table")
    log.info("%s: %d figures: %d kept, %d dropped (not in %s); %d of %d rows written to %s",
             what, n_figs, n_kept, n_figs - n_kept, args.figures_from,
             n_out, n_in, "standard output" if args.output == "-" else args.output)
    if n_out == 0 and n_in:  # an empty input (no chemicals asked for) passes quietly
        log.warning("warning: no rows left; wrote a table with the header only")
    return 0


def _log_row(fid: bytes, alias: bytes, kept: bool, rows_in: int, genes: int,
             mentioned: bytes) -> str:
    return "\t".join((
        fid.decode("utf-8"), alias.decode("utf-8"), "kept" if kept else "dropped",
        "kept" if kept else "not in the --figures-from table", str(rows_in),
        str(rows_in if kept else 0), str(genes), mentioned.decode("utf-8"), "")) + "\n"


def _stream(src: str, args: argparse.Namespace, kind: str | None, figs: _Figures
            ) -> tuple[int, int, int, int]:
    """Filter IN.tsv block by block; raise NotGrouped for a scattered table. Returns the
    numbers of figures, kept figures, rows written and rows read."""
    import numpy as np

    from .filter import LOG_COLUMNS

    keep = figs.keep
    orgs = figs.orgs if kind in ("chemicals", "diseases") else None
    n_figs = n_kept = n_out = n_in = 0
    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(_kind_reader(src, kind, args.input))
        header = reader.header
        count_genes = kind == "genes" and "gene_id" in header
        # standard output is spooled: a scattered table found late starts over (NotGrouped)
        out = stack.enter_context(open_output_bytes(args.output, spool=True))
        log_out = stack.enter_context(open_output(args.log, spool=True)) if args.log else None
        out.write(("\t".join(header) + "\n").encode("utf-8"))
        if log_out is not None:
            log_out.write("\t".join(LOG_COLUMNS) + "\n")
        ti = header.index("taxid") if orgs is not None else 0
        oi = header.index("organism") if orgs is not None else 0
        for block in reader.byte_blocks("figid", grouped=True):
            n = len(block)
            runs = block.runs("figid")
            rows_in = np.diff(runs, append=n)
            fids = block.values_at("figid", runs)
            kept = np.fromiter(map(keep.__contains__, fids), dtype=bool, count=len(fids))
            mask = np.repeat(kept, rows_in)
            n_in += n
            n_figs += len(fids)
            n_kept += int(kept.sum())
            n_out += int(mask.sum())
            if orgs is None:
                out.writelines(block.segments(mask))
            else:
                out.writelines(_narrow_lines(block, np.flatnonzero(mask), orgs, ti, oi))
            if log_out is None:
                continue
            genes = [0] * len(fids)
            if count_genes and kept.any():
                rows = np.flatnonzero(mask)
                fig_of = np.repeat(np.arange(len(fids)), rows_in)[rows].tolist()
                for f, g in set(zip(fig_of, block.values_at("gene_id", rows), strict=True)):
                    if g:
                        genes[f] += 1
            log_out.write("".join(map(
                _log_row, fids, block.values_at("figid_alias", runs), kept.tolist(),
                rows_in.tolist(), genes, block.values_at("mentioned_taxids", runs))))
    return n_figs, n_kept, n_out, n_in


def _narrow_lines(block: ByteBlock, rows: Any, orgs: dict[bytes, tuple[bytes, bytes]], ti: int,
                  oi: int) -> list[bytes]:
    """The lines of ``rows`` with their taxid and organism those of their figure in
    FIGS.tsv."""
    none = (b"", b"")
    data = block.data
    fi = block.index("figid")
    lines = []
    for a, b in zip(block.starts[rows].tolist(), block.ends[rows].tolist(), strict=True):
        fields = data[a:b].split(b"\t")
        fields[ti], fields[oi] = orgs.get(fields[fi], none)
        lines.append(b"\t".join(fields) + b"\n")
    return lines


def _whole(src: str, args: argparse.Namespace, kind: str | None, figs: _Figures
           ) -> tuple[int, int, int, int]:
    """Filter IN.tsv read whole (its figures' rows are scattered)."""
    from .filter import LOG_COLUMNS

    keep = {f.decode("utf-8") for f in figs.keep}
    df = read_table(src, ("figid",), name=args.input) if kind is None \
        else read_kind_table(src, kind)
    mask = df["figid"].isin(keep)
    out = df[mask]
    orgs = figs.text_orgs()
    if kind in ("chemicals", "diseases") and orgs is not None:
        out = _narrowed(out, orgs)
    with open_output(args.output) as handle:
        write_rows(handle, out.to_numpy().tolist(), list(df.columns))
    n_in = df.groupby("figid", sort=False).size()
    n_kept = out.groupby("figid", sort=False).size()
    genes = (out[out["gene_id"] != ""].groupby("figid", sort=False)["gene_id"].nunique()
             if "gene_id" in out.columns and kind == "genes" else None)
    alias = (df.drop_duplicates("figid").set_index("figid")["figid_alias"]
             if "figid_alias" in df.columns else None)
    mentioned = (df.drop_duplicates("figid").set_index("figid")["mentioned_taxids"]
                 if "mentioned_taxids" in df.columns else None)
    if args.log:
        with open_output(args.log) as handle:
            rows = []
            for fid, rows_in in n_in.items():
                kept = fid in keep
                rows.append((
                    fid, alias[fid] if alias is not None else "",
                    "kept" if kept else "dropped",
                    "kept" if kept else "not in the --figures-from table",
                    str(rows_in), str(int(n_kept.get(fid, 0))),
                    str(int(genes.get(fid, 0))) if genes is not None else "0",
                    mentioned[fid] if mentioned is not None else "", ""))
            write_rows(handle, rows, LOG_COLUMNS)
    return len(n_in), len(n_kept), len(out), len(df)
