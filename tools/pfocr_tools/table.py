"""The figure gene table: the one interchange format every pfocr tool reads and writes.

UTF-8, tab-separated, one header line, one row per (figure, organism, word, gene, source);
identical rows are collapsed and counted in ``occurrences``. Every value is text exactly as
the record wrote it (tabs and line breaks inside a value become a space, the only change).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported lazily: record parsing does not need it
    import pandas as pd

from .atomic import atomic_open
from .errors import DataError

#: Column order of the figure gene table (documented in README.md).
COLUMNS: tuple[str, ...] = (
    "figid",
    "figid_alias",
    "pmcid",
    "figtitle",
    "papertitle",
    "year",
    "record_organisms",
    "organisms_ner",
    "mentioned_taxids",
    "taxid",
    "organism",
    "word",
    "match",
    "symbol",
    "source",
    "gene_id",
    "occurrences",
)

#: Columns every tool needs at the least; extra columns (e.g. added by remap) are kept.
REQUIRED: tuple[str, ...] = ("figid", "taxid", "organism", "word", "symbol", "source", "gene_id")

# pfocr_release: rows read from an official release GMT (official symbols only)
STRICT_SOURCES = frozenset({"hgnc_symbol", "ncbigene_symbol", "pfocr_release"})
SYNONYM_SOURCES = frozenset({"hgnc_alias_symbol", "hgnc_prev_symbol", "ncbigene_synonym"})
FAMILY_SOURCES = frozenset({"bioentities_symbol", "famplex_relations"})
FLAVORS = ("all", "synonyms", "strict")

_CLEAN = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def clean(value: str) -> str:
    """Make a value safe for one TSV cell (tabs and line breaks become spaces)."""
    return value.translate(_CLEAN)


def source_in_flavor(source: str, flavor: str) -> bool:
    """True if a row matched through ``source`` belongs to gene sets of ``flavor``.

    strict: official symbols only; synonyms: plus alias/previous/synonym matches;
    all: everything, including family/complex expansions and any source not known here.
    """
    if flavor == "all":
        return True
    if source in STRICT_SOURCES:
        return True
    if flavor == "synonyms":
        return source in SYNONYM_SOURCES
    if flavor == "strict":
        return False
    raise ValueError(f"unknown flavor {flavor!r}")


def flavor_mask(df: pd.DataFrame, flavor: str) -> pd.Series:
    import pandas as pd

    if flavor == "all":
        return pd.Series(True, index=df.index)
    allowed = set(STRICT_SOURCES)
    if flavor == "synonyms":
        allowed |= SYNONYM_SOURCES
    elif flavor != "strict":
        raise ValueError(f"unknown flavor {flavor!r}")
    return df["source"].isin(allowed)


def write_rows(handle, rows: Iterable[Sequence[str]], header: Sequence[str] = COLUMNS) -> int:
    """Write a header (unless empty) and rows (cleaned strings) as TSV; return the row count."""
    write = handle.write
    if header:
        write("\t".join(header) + "\n")
    n = 0
    for row in rows:
        write("\t".join(row) + "\n")
        n += 1
    return n


def read_table(path: str, required: Sequence[str] = REQUIRED) -> pd.DataFrame:
    """Read a figure gene table (every column as text). ``-`` reads standard input."""
    import sys

    import pandas as pd

    source = sys.stdin if path == "-" else path
    if path != "-":
        if not os.path.exists(path):
            raise DataError("no such file", path)
        if os.path.isdir(path):
            raise DataError("is a directory, expected a figure gene table (TSV)", path)
    try:
        df = pd.read_csv(
            source,
            sep="\t",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            encoding="utf-8",
            encoding_errors="strict",
        )
    except pd.errors.EmptyDataError:
        raise DataError("empty file: expected a figure gene table with a header line",
                        path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[-1]
        raise DataError(f"malformed TSV: {msg}", path) from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(
            "not a figure gene table: missing column(s) " + ", ".join(missing), path, 1
        )
    return df


def write_table(df: pd.DataFrame, path: str, chunk: int = 100_000) -> None:
    """Write a DataFrame as a figure gene table, atomically (``-`` is standard output).

    Column-wise, in chunks: values are joined per column, and cleaned only in a column
    that holds a tab or line break.
    """
    with atomic_open(path) as handle:
        handle.write("\t".join(str(c) for c in df.columns) + "\n")
        for start in range(0, len(df), chunk):
            part = df.iloc[start:start + chunk]
            columns = []
            for name in part.columns:
                values = [v if isinstance(v, str) else str(v) for v in part[name].tolist()]
                blob = "".join(values)
                if "\t" in blob or "\n" in blob or "\r" in blob:
                    values = [clean(v) for v in values]
                columns.append(values)
            if columns and columns[0]:
                handle.write("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")
