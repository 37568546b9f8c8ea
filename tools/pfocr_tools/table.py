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

#: The figure columns every table kind starts with (the gene table's first 11 columns).
FIGURE_HEAD: tuple[str, ...] = COLUMNS[:11]

#: Column order of the figure chemical table (documented in README.md).
CHEMICAL_COLUMNS: tuple[str, ...] = (*FIGURE_HEAD, "word", "match", "name", "mesh", "chebi",
                                     "occurrences")

#: Column order of the figure disease table (documented in README.md).
DISEASE_COLUMNS: tuple[str, ...] = (*FIGURE_HEAD, "word", "match", "name", "mesh", "doid",
                                    "occurrences")

#: The table kinds: their full column order and the columns a reader needs at the least.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "genes": COLUMNS, "chemicals": CHEMICAL_COLUMNS, "diseases": DISEASE_COLUMNS,
}
KIND_REQUIRED: dict[str, tuple[str, ...]] = {
    "genes": REQUIRED,
    "chemicals": ("figid", "taxid", "organism", "word", "mesh", "chebi"),
    "diseases": ("figid", "taxid", "organism", "word", "mesh", "doid"),
}
KIND_NAMES = {"genes": "figure gene table", "chemicals": "figure chemical table",
              "diseases": "figure disease table"}
#: Identifier columns of each kind (``--id-column`` choices of pfocr-export).
KIND_ID_COLUMNS = {"chemicals": ("chebi", "mesh"), "diseases": ("doid", "mesh")}


def kind_of(columns: Sequence[str]) -> str | None:
    """The table kind a header shows: genes, chemicals or diseases (None if none fits).

    A ``chebi`` column makes a chemical table, a ``doid`` column a disease table, a
    ``gene_id`` column a gene table.
    """
    cols = set(columns)
    if "chebi" in cols and "gene_id" not in cols:
        return "chemicals"
    if "doid" in cols and "gene_id" not in cols:
        return "diseases"
    if "gene_id" in cols or "symbol" in cols:
        return "genes"
    return None


def read_header(path: str) -> list[str]:
    """The header line of a table file (a DataError naming the file if it cannot be read)."""
    if not os.path.exists(path):
        raise DataError("no such file", path)
    if os.path.isdir(path):
        raise DataError("is a directory, expected a figure table (TSV)", path)
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    if not first.strip():
        raise DataError("empty file: expected a figure table with a header line", path)
    return first.rstrip("\r\n").split("\t")


def table_kind(path: str) -> str:
    """The kind of the table in ``path`` from its header (DataError if it is none of them)."""
    kind = kind_of(read_header(path))
    if kind is None:
        raise DataError("not a figure gene, chemical or disease table (no gene_id, chebi or "
                        "doid column)", path, 1)
    return kind


def read_kind_table(path: str, kind: str) -> pd.DataFrame:
    """Read a table of ``kind``; missing columns name the kind in the error."""
    import pandas as pd  # noqa: F401  (read_table imports it)

    try:
        return read_table(path, KIND_REQUIRED[kind])
    except DataError as exc:
        if kind != "genes" and exc.message.startswith("not a figure gene table"):
            raise DataError(exc.message.replace("figure gene table", KIND_NAMES[kind]),
                            exc.path, exc.line) from None
        raise


STRICT_SOURCES = frozenset({"hgnc_symbol", "ncbigene_symbol"})
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
