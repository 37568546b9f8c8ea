"""pfocr-filter --figures-from: apply one figure decision to any figure table.

Filter the gene table by organism, then keep the chemical and disease rows of the same
figures with ``--figures-from`` the filtered gene table (or any other figure table).
"""

from __future__ import annotations

import argparse

import pandas as pd

from .atomic import atomic_open
from .cli import log
from .errors import UsageError
from .export import check_writable
from .table import (
    KIND_NAMES,
    kind_of,
    read_header,
    read_kind_table,
    read_table,
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
    out = out.copy()
    figids = out["figid"].tolist()
    out["taxid"] = ["|".join(orgs.get(f, {})) for f in figids]
    out["organism"] = ["|".join(orgs.get(f, {}).values()) for f in figids]
    return out


def figures_from_body(args: argparse.Namespace) -> int:
    """Keep the rows of IN.tsv whose figure FIGS.tsv holds; log one line per figure."""
    from .filter import LOG_COLUMNS

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
    figs = read_table(args.figures_from, ("figid",))
    keep = set(figs["figid"].tolist())
    kind = table_kind(args.input) if args.input != "-" else None
    if kind is None:
        df = read_table(args.input, ("figid",))
    else:
        df = read_kind_table(args.input, kind)
    mask = df["figid"].isin(keep)
    out = df[mask]
    if kind in ("chemicals", "diseases") and kind_of(list(figs.columns)) == "genes":
        out = narrow_organisms(out, figs)
    with atomic_open(args.output) as handle:
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
        with atomic_open(args.log) as handle:
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
    what = KIND_NAMES.get(kind or "", "table")
    log.info("%s: %d figures: %d kept, %d dropped (not in %s); %d of %d rows written to %s",
             what, len(n_in), len(n_kept), len(n_in) - len(n_kept), args.figures_from,
             len(out), len(df), "standard output" if args.output == "-" else args.output)
    if len(out) == 0 and len(df):  # an empty input (no chemicals asked for) passes quietly
        log.warning("warning: no rows left; wrote a table with the header only")
    return 0
