"""The figure gene table: the one interchange format every pfocr tool reads and writes.

UTF-8, tab-separated, one header line, one row per (figure, organism, word, gene, source);
identical rows are collapsed and counted in ``occurrences``. Every value is text exactly as
the record wrote it (tabs and line breaks inside a value become a space, the only change).
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, compress, repeat
from operator import ne, not_, sub
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pandas is imported lazily: record parsing does not need it
    import pandas as pd

from .atomic import atomic_open
from .errors import DataError

T = TypeVar("T")

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

#: The per-figure columns: one value per figure (``figid`` itself is on every row: it is the
#: key). pfocr-extract writes them on the first row of each figure only and leaves them empty
#: on the figure's other rows (``--repeat-figure-columns``: on every row, as 0.1.0 did); a
#: reader takes a figure's value from the first non-empty cell among its rows, so both forms
#: read the same (``Block.column()``, ``read_table()``).
SHARED_COLUMNS: tuple[str, ...] = ("figid_alias", "pmcid", "figtitle", "papertitle", "year",
                                   "record_organisms", "organisms_ner", "mentioned_taxids")

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
    """The header line of a table file, plain or gzip (a DataError naming the file if it
    cannot be read)."""
    with TableReader(path, required=()) as reader:
        return list(reader.header)


def table_kind(path: str) -> str:
    """The kind of the table in ``path`` from its header (DataError if it is none of them)."""
    kind = kind_of(read_header(path))
    if kind is None:
        raise DataError("not a figure gene, chemical or disease table (no gene_id, chebi or "
                        "doid column)", path, 1)
    return kind


@contextlib.contextmanager
def kind_errors(kind: str) -> Iterator[None]:
    """A reader's "not a figure gene table" errors name the kind of table expected."""
    try:
        yield
    except DataError as exc:
        if kind != "genes" and exc.message.startswith("not a figure gene table"):
            raise DataError(exc.message.replace("figure gene table", KIND_NAMES[kind]),
                            exc.path, exc.line) from None
        raise


def read_kind_table(path: str, kind: str) -> pd.DataFrame:
    """Read a table of ``kind``; missing columns name the kind in the error."""
    with kind_errors(kind):
        return read_table(path, KIND_REQUIRED[kind])


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


def read_table(path: str, required: Sequence[str] = REQUIRED, name: str | None = None
               ) -> pd.DataFrame:
    """Read a whole figure gene table (every column as text). ``-`` reads standard input; a
    ``.gz`` file is decompressed. Memory grows with the table: the tools stream it with
    TableReader instead."""
    import pandas as pd

    with TableReader(path, required, name) as reader:
        frames = [block.frame() for block in reader.blocks(by=None)]
        if not frames:
            return pd.DataFrame({c: pd.Series([], dtype=str) for c in reader.header},
                                columns=list(reader.header))
    df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return fill_shared(df)


def fill_shared(df: pd.DataFrame) -> pd.DataFrame:
    """Every row of a figure with the figure's per-figure values (SHARED_COLUMNS): the
    first non-empty cell among the figure's rows, wherever they are in the table."""
    cols = [c for c in SHARED_COLUMNS if c in df.columns]
    if not cols or "figid" not in df.columns or df.empty:
        return df
    for col in cols:
        values = df[col]
        blank = values == ""
        if not blank.any() or blank.all():
            continue
        first = values[~blank].groupby(df["figid"][~blank], sort=False).first()
        df[col] = values.where(~blank, df["figid"].map(first).fillna(""))
    return df


def write_table(df: pd.DataFrame, path: str, chunk: int = 100_000) -> None:
    """Write a DataFrame as a figure gene table, atomically (``-`` is standard output; a
    ``.gz`` name is gzip-compressed)."""
    with open_output(path) as handle:
        handle.write("\t".join(str(c) for c in df.columns) + "\n")
        write_frame(handle, df, chunk)


def write_frame(handle: IO[str], df: pd.DataFrame, chunk: int = 100_000) -> None:
    """Write the rows of a DataFrame (no header) as TSV.

    Column-wise, in chunks: values are joined per column, and cleaned only in a column
    that holds a tab or line break.
    """
    for start in range(0, len(df), chunk):
        part = df.iloc[start:start + chunk]
        columns = []
        for name in part.columns:
            values = list(map(str, part[name].tolist()))
            blob = "".join(values)
            if "\t" in blob or "\n" in blob or "\r" in blob:
                values = [clean(v) for v in values]
            columns.append(values)
        if columns and columns[0]:
            handle.write("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")


# --------------------------------------------------------------------------- streaming
#
# Every table tool reads its input here, block by block, so that memory stays bounded
# whatever the table's size. A block holds whole figures: the rows of one figure are
# contiguous in every table the tools write (extract writes a figure's rows together; filter,
# remap keep the order), so per-figure work never spans two blocks. A table whose figures are
# scattered is detected (NotGrouped) and the tools fall back to reading it whole.

#: Bytes read per block (a block is cut at a figure boundary, so it may hold more).
BLOCK_BYTES = 2 << 20
#: Bytes read per block by the raw-byte readers of pfocr-report and pfocr-export's GMT path
#: (``byte_blocks``): fewer numpy calls than smaller blocks, measured best at 512 KiB.
BYTE_BLOCK = 512 << 10


def byte_block_bytes() -> int:
    """BYTE_BLOCK, never larger than BLOCK_BYTES (which tests make tiny to cut many blocks)."""
    return min(BYTE_BLOCK, BLOCK_BYTES)
#: Longest line a table may have (pfocr-extract writes lines far shorter: its values are
#: limited by --max-field-chars); a longer one is an error, so memory stays bounded.
MAX_LINE_BYTES = 16 << 20

#: Blocks between two runs of the (otherwise paused) cyclic garbage collector.
GC_EVERY = 256

_GZIP_MAGIC = b"\x1f\x8b"


class NotGrouped(Exception):  # noqa: N818 - a signal to fall back, not an error for the user
    """The rows of a figure are not contiguous in the table (``figid``, line number)."""

    def __init__(self, figid: str, line: int):
        self.figid = figid
        self.line = line
        super().__init__(f"rows of figure {figid} are not contiguous (again at line {line})")


def log_reading_whole(exc: NotGrouped, what: str = "the whole table") -> None:
    """Say (info) that a table's figures are scattered, so it is read whole."""
    import logging

    logging.getLogger("pfocr_tools").info(
        "the rows of figure %s are not together (line %d): reading %s", exc.figid, exc.line,
        what)


def is_gzip_name(path: str) -> bool:
    """True for a file name that asks for gzip compression (``.gz``, as cutadapt does)."""
    return path != "-" and path.lower().endswith(".gz")


def _open_input(path: str) -> IO[bytes]:
    """A binary handle on a table file, standard input (``-``) or a gzip file (by name or by
    its magic bytes; a Galaxy dataset has no extension)."""
    if path == "-":
        raw: IO[bytes] = _stdin_bytes()
    else:
        if not os.path.exists(path):
            raise DataError("no such file", path)
        if os.path.isdir(path):
            raise DataError("is a directory, expected a figure gene table (TSV)", path)
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path) from None
    peek = getattr(raw, "peek", None)
    head = peek(2)[:2] if peek is not None else b""
    if head == _GZIP_MAGIC or (is_gzip_name(path) and not head):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _stdin_bytes() -> IO[bytes]:
    """Standard input as bytes (a text stream without a buffer, as in tests, is encoded)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return buffer
    return io.BufferedReader(io.BytesIO(sys.stdin.read().encode("utf-8")))  # type: ignore[arg-type]


def sniff(first_line: str) -> str | None:
    """What a file whose first line is ``first_line`` looks like, when it is plainly not a
    figure gene table (None otherwise)."""
    line = first_line.lstrip("\ufeff").strip()
    fields = line.split("\t")
    if len(fields) >= 3 and all(f.strip().isdigit() for f in fields[2:] if f.strip()) \
            and any(f.strip() for f in fields[2:]):
        return "a GMT gene-set library"
    # a GMT of symbols (export --id-column symbol): a set name, a title with spaces or a URL,
    # then identifiers without white space (issue 14)
    if len(fields) >= 3 and fields[0] and not any(c.isspace() for c in fields[0]) \
            and (" " in fields[1].strip() or fields[1].startswith(("http://", "https://"))) \
            and all(f and not any(c.isspace() for c in f) for f in fields[2:]):
        return "a GMT gene-set library"
    if line.startswith(("[", "{")):
        return "JSON"
    if line.startswith("<"):
        return "HTML or XML"
    if line.startswith("---") or (":" in line and "\t" not in line):
        return "a YAML PFOCR record"
    if line.startswith("query\tspecies\tstatus"):
        return "a pfocr-remap report"
    if line.startswith("figid\tfigid_alias\tdecision"):
        return "a pfocr-filter log"
    return None


def decoded(values: list[bytes]) -> list[str]:
    """UTF-8 values (checked by the reader) as text: one decode for many (values of a field
    of a table, which holds no tab)."""
    if len(values) < 2:
        return [v.decode("utf-8") for v in values]
    return b"\t".join(values).decode("utf-8").split("\t")


def run_starts(values: Sequence[str]) -> list[int]:
    """Indexes where a run of equal values starts (0 first, for a non-empty list)."""
    if not values:
        return []
    starts = [0]
    starts += compress(range(1, len(values)), map(ne, values[1:], values[:-1]))
    return starts


def expand(values: Sequence[str], starts: Sequence[int], n: int) -> list[str]:
    """One value per run (``values[i]`` from ``starts[i]``) repeated to the run's length."""
    if len(starts) == 1:
        return [values[0]] * n
    ends = chain(starts[1:], (n,))
    return list(chain.from_iterable(map(repeat, values, map(int.__sub__, ends, starts))))


class Block:
    """Rows of whole figures: their text (no line ends) and the table's columns."""

    __slots__ = ("lines", "header", "first", "numbers", "_flat", "_index", "_runs")

    def __init__(self, lines: list[str], header: tuple[str, ...], flat: list[str],
                 first: int, numbers: list[int] | None):
        self.lines = lines
        self.header = header
        self.first = first
        self.numbers = numbers
        self._flat = flat
        self._index = {name: i for i, name in enumerate(header)}
        self._runs: tuple[list[int], list[int]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def line_number(self, i: int) -> int:
        """The file line number of row ``i``."""
        return self.numbers[i] if self.numbers is not None else self.first + i

    def column(self, name: str) -> list[str]:
        """The values of one column (a list of ``len(self)`` strings; "" for a missing column).
        A per-figure column (SHARED_COLUMNS) holds its figure's value on every row, whether
        the table repeats it or writes it on the figure's first row only."""
        if name in SHARED_COLUMNS and "figid" in self._index:
            return self.shared(name)
        return self.cells(name)

    def cells(self, name: str) -> list[str]:
        """The cells of one column as the table holds them ("" for a missing column)."""
        i = self._index.get(name)
        if i is None:
            return [""] * len(self.lines)
        return self._flat[i::len(self.header)]

    def runs(self) -> tuple[list[int], list[int]]:
        """Where each run of rows of one figure starts, and its length."""
        if self._runs is None:
            starts = run_starts(self.cells("figid"))
            self._runs = (starts, list(map(sub, [*starts[1:], len(self.lines)], starts)))
        return self._runs

    def figure_values(self, name: str) -> list[str]:
        """One value of a per-figure column per run (``runs()``): the first non-empty cell of
        the run's rows."""
        cells = self.cells(name)
        starts, lengths = self.runs()
        firsts = [cells[s] for s in starts]
        for k in compress(range(len(firsts)), map(not_, firsts)):
            if lengths[k] > 1:
                s = starts[k]
                firsts[k] = next(filter(None, cells[s:s + lengths[k]]), "")
        return firsts

    def shared(self, name: str) -> list[str]:
        """A per-figure column with its empty cells filled with their run's value (the
        first non-empty cell of the run); cells that hold a value keep it."""
        cells = self.cells(name)
        if "" not in cells:
            return cells
        starts, lengths = self.runs()
        if len(starts) == len(self.lines):  # one row per figure: nothing to fill
            return cells
        filled = expand(self.figure_values(name), starts, len(cells))
        return [c or f for c, f in zip(cells, filled, strict=True)]

    def rows(self) -> list[list[str]]:
        """The rows as lists of fields."""
        flat, n = self._flat, len(self.header)
        return [flat[i:i + n] for i in range(0, len(flat), n)]

    def frame(self, dtype: object = str) -> pd.DataFrame:
        """The block as a DataFrame of text columns (index 0..n-1); ``dtype=object`` is
        faster to build (plain Python strings)."""
        import pandas as pd

        return pd.DataFrame({name: self.column(name) for name in self.header},
                            columns=list(self.header), dtype=dtype)


class TableReader:
    """Stream a figure gene table in blocks of whole figures (bounded memory).

    ``path`` may be ``-`` (standard input) or a gzip file; ``name`` is the file name used in
    error messages (default: ``path``). Checks, with a one-line error naming the file and line:
    UTF-8 text, a header without repeated names holding the ``required`` columns, and the same
    number of fields on every row as in the header. Blank lines are skipped.
    """

    def __init__(self, path: str, required: Sequence[str] = REQUIRED, name: str | None = None,
                 block_bytes: int | None = None):
        self.path = path
        self.name = name or path
        self.block_bytes = block_bytes or BLOCK_BYTES
        self._fh = _open_input(path)
        self.line = 0
        try:
            raw = self._readline()
        except BaseException:
            self.close()
            raise
        if not raw.strip():
            self.close()
            raise DataError("empty file: expected a figure gene table with a header line",
                            self.name)
        self.line = 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.close()
            raise DataError(f"not UTF-8 text ({exc.reason})", self.name, 1) from None
        text = text.rstrip("\r\n").lstrip("\ufeff")
        self.header: tuple[str, ...] = tuple(text.split("\t"))
        seen: set[str] = set()
        for col in self.header:
            if col in seen:
                self.close()
                raise DataError(f"not a figure gene table: column {col!r} appears twice in "
                                "the header", self.name, 1)
            seen.add(col)
        missing = [c for c in required if c not in seen]
        if missing:
            self.close()
            kind = sniff(text)
            if kind is not None:
                raise DataError(f"looks like {kind}, expected a figure gene table (TSV)",
                                self.name, 1)
            raise DataError("not a figure gene table: missing column(s) " + ", ".join(missing),
                            self.name, 1)

    def _read(self, fn, *args):  # noqa: ANN001, ANN202
        try:
            return fn(*args)
        except (gzip.BadGzipFile, EOFError, OSError) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) \
                    and "gzip" not in str(exc).lower() and "compressed" not in str(exc):
                raise DataError(f"cannot read: {exc}", self.name) from None
            raise DataError(f"damaged gzip data: {exc}", self.name) from None

    def _readline(self, started: int = 0, before: bytes = b"") -> bytes:
        """The rest of a line of which ``started`` bytes were read already, at the end of
        ``before`` (the block read so far); the whole line at most MAX_LINE_BYTES (else a
        one-line error naming its line)."""
        room = MAX_LINE_BYTES - started
        data = self._read(self._fh.readline, room + 1)
        if len(data) > room:
            raise DataError(f"line longer than {MAX_LINE_BYTES:,} bytes: not a figure gene "
                            "table", self.name, self.line + 1 + before.count(b"\n"))
        return data

    def close(self) -> None:
        if self.path == "-":  # standard input stays open
            return
        with contextlib.suppress(Exception):
            self._fh.close()
            inner = getattr(self._fh, "fileobj", None)
            if inner is not None:
                inner.close()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _data(self) -> bytes:
        """The next block_bytes of the input, completed to the end of a line (b"" at the end)."""
        new = self._new_lines()
        if new is None:
            return b""
        chunk, rest = new
        return chunk + rest if rest else chunk

    def _chunks(self) -> Iterator[tuple[list[str], int, list[int] | None]]:
        """Raw blocks of lines: (lines, number of the first line, numbers or None)."""
        while True:
            data = self._data()
            if not data:
                return
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = self.line + 1 + data.count(b"\n", 0, exc.start)
                raise DataError(f"not UTF-8 text ({exc.reason})", self.name, line) from None
            if "\r" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            first = self.line + 1
            self.line += len(lines)
            numbers = None
            if "" in lines:
                numbers = [first + i for i, line in enumerate(lines) if line]
                lines = [line for line in lines if line]
            yield lines, first, numbers

    def _block(self, lines: list[str], first: int, numbers: list[int] | None) -> Block:
        n = len(self.header)
        flat = "\t".join(lines).split("\t")
        if len(flat) != len(lines) * n:
            field_count_error(lines, n, first, numbers, self.name)
        return Block(lines, self.header, flat, first, numbers)

    def blocks(self, by: str | None = "figid", grouped: bool = False) -> Iterator[Block]:
        """Blocks of rows; with ``by`` (a column) a block never cuts a run of equal values of
        that column; with ``grouped`` raise NotGrouped when a ``by`` value comes back after
        other values (its rows are not contiguous). The cyclic garbage collector is paused
        while the blocks are read (``gc_paused``)."""
        return gc_paused(self._blocks(by, grouped))

    def _blocks(self, by: str | None, grouped: bool) -> Iterator[Block]:
        key = self.header.index(by) if by is not None and by in self.header else None
        carry: list[str] = []
        carry_first = 0
        carry_numbers: list[int] | None = None
        closed = ClosedRuns() if grouped and key is not None else None
        for lines, first, numbers in self._chunks():
            if carry:
                if numbers is not None or carry_numbers is not None:
                    old = carry_numbers or list(range(carry_first, carry_first + len(carry)))
                    new = numbers or list(range(first, first + len(lines)))
                    numbers = old + new
                lines = carry + lines
                first = carry_first
                carry, carry_numbers = [], None
            if key is None or not lines:
                if lines:
                    yield self._block(lines, first, numbers)
                continue
            last = _field(lines[-1], key)
            j = len(lines) - 1
            while j >= 0 and _field(lines[j], key) == last:
                j -= 1
            carry = lines[j + 1:]
            carry_first = numbers[j + 1] if numbers is not None else first + j + 1
            carry_numbers = numbers[j + 1:] if numbers is not None else None
            if j >= 0:
                block = self._block(lines[:j + 1], first,
                                    numbers[:j + 1] if numbers is not None else None)
                if closed is not None:
                    closed.check(block, by)  # type: ignore[arg-type]
                yield block
        if carry:
            block = self._block(carry, carry_first, carry_numbers)
            if closed is not None:
                closed.check(block, by)  # type: ignore[arg-type]
            yield block

    # ------------------------------------------------------------------ bytes level

    def byte_blocks(self, by: str | None = "figid", grouped: bool = False
                    ) -> Iterator[ByteBlock]:
        """Like blocks(), but each block is a ByteBlock: the raw bytes of its lines and the
        byte offsets of their fields, found with numpy (no line or field is made a Python
        string unless asked for). The checks are those of blocks(), and the field count is
        checked on every line (not only in total). For tools that write most lines as they
        were read (pfocr-filter)."""
        return gc_paused(self._byte_blocks(by, grouped))

    def _check_utf8(self, data: bytes, start: int = 0, stop: int | None = None) -> None:
        """A one-line error naming the first line of ``data[start:stop]`` (the table's next
        lines, not yet counted in ``line``) that is not UTF-8."""
        bad = _utf8_error(data, start, len(data) if stop is None else stop)
        if bad is not None:
            at, reason = bad
            line = self.line + 1 + data.count(b"\n", start, at)
            raise DataError(f"not UTF-8 text ({reason})", self.name, line)

    def _new_lines(self) -> tuple[bytes, bytes] | None:
        """The next block_bytes of the input and the rest of its last line (``_data()`` in two
        parts, so that the byte path joins them to the rows it carries in one copy); None at
        the end."""
        chunk = self._read(self._fh.read, self.block_bytes)
        if not chunk:
            return None
        if chunk.endswith(b"\n"):
            return chunk, b""
        return chunk, self._readline(len(chunk) - (chunk.rfind(b"\n") + 1), chunk)

    def _byte_blocks(self, by: str | None, grouped: bool) -> Iterator[ByteBlock]:
        import numpy as np

        key = self.header.index(by) if by is not None and by in self.header else None
        closed = ClosedRuns() if grouped and key is not None else None
        # the rows of the last figure of the block before (checked already): their bytes, the
        # number of their first line and, for long rows only, the offsets of their control
        # bytes (short ones are scanned again with the new bytes: cheaper than joining arrays)
        carry, carry_first, carry_pos = b"", 0, None
        while True:
            new = self._new_lines()
            if new is None:
                break
            chunk, rest = new
            lf = b"" if (rest or chunk).endswith(b"\n") else b"\n"  # the file's last line
            data = b"".join((carry, chunk, rest, lf)) if carry or rest or lf else chunk
            at = len(carry)
            if not (chunk.isascii() and rest.isascii()):
                self._check_utf8(data, at, len(data) - len(lf))
            if b"\r" in chunk or b"\r" in rest:  # (a CR that ends the file stays)
                end = len(data) - len(lf)
                data = data[:at] + data[at:end].replace(b"\r\n", b"\n") + lf
            pos = _controls(data, at, carry_pos)
            block = ByteBlock(data, self.header, carry_first if at else self.line + 1, pos,
                              self.name)
            self.line = block.first + block.lines - 1
            carry, carry_pos = b"", None
            if key is None:
                if len(block):
                    yield block
                continue
            runs = block.runs(key)
            if not len(runs):
                continue
            last = int(runs[-1])
            cut = int(block.starts[last])
            carry, carry_first = data[cut:], block.line_number(last)
            if len(carry) > self.block_bytes:
                carry_pos = pos[np.searchsorted(pos, cut):] - cut
            if last == 0:
                continue
            block = block.head(last, runs[:-1])
            if closed is not None:
                closed.check_runs(block, key)
            yield block
        if carry:
            pos = _controls(carry) if carry_pos is None else carry_pos
            block = ByteBlock(carry, self.header, carry_first, pos, self.name)
            if closed is not None and key is not None:
                closed.check_runs(block, key)
            yield block


def _utf8_error(data: bytes, start: int, stop: int) -> tuple[int, str] | None:
    """The offset and reason of the first byte of ``data[start:stop]`` that is not UTF-8
    (None if it all is)."""
    import codecs

    try:
        codecs.utf_8_decode(memoryview(data)[start:stop], "strict", True)
    except UnicodeDecodeError as exc:
        return start + exc.start, exc.reason
    return None


def _controls(data: bytes, start: int = 0, before: Any = None) -> Any:
    """The offsets of the bytes up to 10 (the line feeds, the tabs, other control bytes) in
    ``data`` (a numpy array); ``before``: those of ``data[:start]``, known already."""
    import numpy as np

    arr = np.frombuffer(data, np.uint8)
    if before is None:
        return np.flatnonzero(arr <= 10)
    return np.concatenate((before, np.flatnonzero(arr[start:] <= 10) + start))


_MASKS: list[Any] = []
_PATTERNS: dict[int, Any] = {}


def _line_pattern(n: int, rows: int) -> Any:
    """The control bytes of ``rows`` lines of ``n`` fields: n - 1 tabs, a line feed (numpy;
    kept for blocks of up to 4 MiB of them, the common sizes)."""
    import numpy as np

    got = _PATTERNS.get(n)
    if got is None or len(got) < rows * n:
        got = np.tile(np.frombuffer(b"\t" * (n - 1) + b"\n", np.uint8), max(rows, 1 << 12))
        if len(got) <= 4 << 20:
            _PATTERNS[n] = got
    return got[:rows * n]


def word_masks() -> Any:
    """Masks keeping the first 0..8 bytes of a little-endian 64-bit word."""
    import numpy as np

    if not _MASKS:
        _MASKS.append(np.array([(1 << (8 * r)) - 1 for r in range(9)], dtype=np.uint64))
    return _MASKS[0]


_PREFIX: dict[int, Any] = {}


def _prefix_masks(nwords: int) -> Any:
    """Row ``m`` (0 .. 8 * nwords): masks of ``nwords`` little-endian 64-bit words that keep
    their first ``m`` bytes."""
    import numpy as np

    got = _PREFIX.get(nwords)
    if got is None:
        keep = np.minimum(np.maximum(np.arange(8 * nwords + 1)[:, None]
                                     - 8 * np.arange(nwords), 0), 8)
        got = _PREFIX[nwords] = word_masks()[keep]
    return got


#: Widest value ByteBlock.runs compares with numpy (wider ones are compared as bytes).
RUN_WIDTH = 64


class ByteBlock:
    """Rows of whole figures as raw bytes: ``data`` (UTF-8 checked, LF line ends, blank lines
    kept in ``data`` but not rows), and with numpy the byte offsets of each row (``starts``,
    ``ends``: the line feed) and of its tabs (``tabs``, one row of ``len(header) - 1``
    offsets per row). Fields become Python bytes only when asked for."""

    __slots__ = ("data", "header", "first", "numbers", "starts", "ends", "tabs", "lines",
                 "_index", "_runs", "_bounds")

    def __init__(self, data: bytes, header: tuple[str, ...], first: int, pos: Any,
                 name: str = ""):
        """``pos``: the offsets of the bytes up to 10 in ``data`` (line feeds, tabs and other
        control bytes: ``_controls()``)."""
        import numpy as np

        self.data = data
        self.header = header
        self.first = first
        self._index = {h: i for i, h in enumerate(header)}
        self._runs: tuple[int, Any] | None = None
        self._bounds: dict[int, tuple[Any, Any]] = {}
        self.numbers = None
        n = len(header)
        rows = len(pos) // n
        if n > 1 and rows * n == len(pos):
            # the common case, checked at once: every line is n - 1 tabs, then a line feed
            # (so no line is blank and every one holds n fields)
            grid = pos.reshape(rows, n)
            if np.array_equal(np.frombuffer(data, np.uint8)[pos], _line_pattern(n, rows)):
                ends = grid[:, -1]
                starts = np.empty(rows, dtype=pos.dtype)
                if rows:
                    starts[0] = 0
                    np.add(ends[:-1], 1, out=starts[1:])
                self.starts, self.ends, self.tabs = starts, ends, grid[:, :-1]
                self.lines = rows
                return
        self._general(np, pos, name)

    def _general(self, np: Any, pos: Any, name: str) -> None:
        """__init__ for any lines: blank lines skipped (``numbers``: the line numbers of the
        rows), other control bytes ignored, a one-line error naming the first line that does
        not hold as many fields as the header."""
        kind = np.frombuffer(self.data, np.uint8)[pos]
        feeds, tabs = pos[kind == 10], pos[kind == 9]
        self.lines = len(feeds)
        starts = np.empty(len(feeds), dtype=feeds.dtype)
        if len(feeds):
            starts[0] = 0
            starts[1:] = feeds[:-1] + 1
        ends = feeds
        blank = ends == starts
        if blank.any():
            keep = ~blank
            self.numbers = self.first + np.flatnonzero(keep)
            starts, ends = starts[keep], ends[keep]
        self.starts, self.ends = starts, ends
        n, rows = len(self.header), len(starts)
        counts = np.diff(np.searchsorted(tabs, ends), prepend=0)
        if len(tabs) != rows * (n - 1) or (counts != n - 1).any():
            i = int(np.flatnonzero(counts != n - 1)[0])
            got = int(counts[i]) + 1
            raise DataError(f"malformed TSV: {got} fields, the header has {n}"
                            f" ({'too few' if got < n else 'too many'})", name,
                            self.line_number(i))
        self.tabs = tabs.reshape(rows, n - 1)

    def __len__(self) -> int:
        return len(self.starts)

    def line_number(self, i: int) -> int:
        """The file line number of row ``i``."""
        return int(self.numbers[i]) if self.numbers is not None else self.first + i

    def head(self, rows: int, runs: Any = None) -> ByteBlock:
        """The first ``rows`` rows (the same data); ``runs``: their runs of the key column."""
        new = object.__new__(ByteBlock)
        new.data, new.header, new.first, new._index = \
            self.data, self.header, self.first, self._index
        new.starts, new.ends, new.tabs = self.starts[:rows], self.ends[:rows], self.tabs[:rows]
        new.numbers = self.numbers[:rows] if self.numbers is not None else None
        new.lines = new.line_number(rows - 1) - self.first + 1 if rows else 0
        new._runs = (self._runs[0], runs) if self._runs is not None and runs is not None \
            else None
        new._bounds = {k: (a[:rows], b[:rows]) for k, (a, b) in self._bounds.items()}
        return new

    def index(self, name: str) -> int | None:
        """The position of column ``name`` (None if the table has none)."""
        return self._index.get(name)

    def bounds(self, k: int) -> tuple[Any, Any]:
        """Start and end offsets of field ``k`` of every row (numpy arrays, read only: kept
        for the next call)."""
        got = self._bounds.get(k)
        if got is None:
            start = self.starts if k == 0 else self.tabs[:, k - 1] + 1
            if k:
                start.flags.writeable = False
            end = self.ends if k == len(self.header) - 1 else self.tabs[:, k]
            got = self._bounds[k] = (start, end)
        return got

    def values_at(self, name: str | int, rows: Any) -> list[bytes]:
        """The values of a column at the rows ``rows`` (b"" for a missing column)."""
        k = name if isinstance(name, int) else self._index.get(name)
        if k is None:
            return [b""] * len(rows)
        start, end = self.bounds(k)
        return self._slices(k, start[rows], end[rows])

    def column(self, name: str | int) -> list[bytes]:
        """The values of a column, one per row (b"" for a missing column)."""
        k = name if isinstance(name, int) else self._index.get(name)
        if k is None:
            return [b""] * len(self)
        return self._slices(k, *self.bounds(k))

    def _slices(self, k: int, start: Any, end: Any) -> list[bytes]:
        """``data[start[i]:end[i]]`` for each i, values of column ``k``."""
        import numpy as np

        if len(start) >= 64:
            lens = end - start + 1  # each value with the byte that ends it
            offs = np.cumsum(lens)
            total = int(offs[-1])
            if total <= 16 * len(start):
                # short values: gathered into one string and split there on that byte
                # (never in a value), faster than slicing the data once per value
                at = np.arange(total, dtype=np.intp)
                at += np.repeat(start - (offs - lens), lens)
                out = np.frombuffer(self.data, np.uint8)[at].tobytes().split(
                    b"\n" if k == len(self.header) - 1 else b"\t")
                out.pop()
                return out
        data = self.data
        return [data[a:b] for a, b in zip(start.tolist(), end.tolist(), strict=True)]

    def words(self, k: int, nwords: int) -> tuple[Any, Any, Any]:
        """Field ``k`` of every row as ``nwords`` little-endian 64-bit words (bytes past the
        field's end zeroed; a longer field is cut), its length, and the rows too near the end
        of the data to be read so (compare those as bytes). Lets numpy compare short fields
        of all rows at once."""
        import numpy as np

        start, end = self.bounds(k)
        lens = end - start
        size = len(self.data)
        slow = np.flatnonzero(start + 8 * nwords > size)
        out = np.zeros((len(start), nwords), dtype=np.uint64)
        if size >= 8:
            view = np.ndarray((size - 7,), dtype="<u8", buffer=self.data, strides=(1,))
            masks = word_masks()
            for j in range(nwords):
                at = np.minimum(start + 8 * j, size - 8)
                out[:, j] = view[at] & masks[np.clip(lens - 8 * j, 0, 8)]
        else:
            slow = np.arange(len(start))
        return out, lens, slow

    def runs(self, name: str | int) -> Any:
        """The rows where a run of equal values of a column starts (row 0 first)."""
        import numpy as np

        k = name if isinstance(name, int) else self._index[name]
        if self._runs is not None and self._runs[0] == k:
            return self._runs[1]
        n = len(self)
        if n == 0:
            return np.empty(0, dtype=np.intp)
        start, end = self.bounds(k)
        lens = end - start
        width = int(lens.max())
        if width <= RUN_WIDTH:
            # a value with the byte that ends it (a tab or line feed, never in a value) is
            # equal to the row's before it iff their first len + 1 bytes are: compare those
            # as 64-bit words, all rows at once
            nwords = width // 8 + 1
            reach = 8 * nwords
            size = len(self.data)
            # the rows whose words lie inside the data (the values start in order)
            ok = int(np.searchsorted(start, size - reach, side="right"))
            differ = np.empty(n - 1, dtype=bool)
            if ok > 1:
                view = np.ndarray((size - reach + 1, nwords), dtype="<u8", buffer=self.data,
                                  strides=(1, 8))
                words = view[start[:ok]]
                x = words[1:] ^ words[:-1]
                # the first words are inside every value's prefix: no mask
                full = (int(lens.min()) + 1) // 8
                if full < nwords:
                    x[:, full:] &= _prefix_masks(nwords - full)[lens[1:ok] + (1 - 8 * full)]
                acc = x[:, 0]
                for j in range(1, nwords):  # faster than .any(axis=1) on so few columns
                    acc = acc | x[:, j]
                np.not_equal(acc, 0, out=differ[:ok - 1])
            if ok < n:  # the last rows, as bytes
                lo, data = max(ok - 1, 0), self.data
                starts, ends = start[lo:].tolist(), end[lo:].tolist()
                for r in range(max(ok, 1) - lo, n - lo):
                    differ[r + lo - 1] = (data[starts[r]:ends[r]]
                                          != data[starts[r - 1]:ends[r - 1]])
        else:
            values = self.column(k)
            differ = np.fromiter(map(ne, values[1:], values[:-1]), dtype=bool, count=n - 1)
        runs = np.concatenate((np.zeros(1, dtype=np.intp), np.flatnonzero(differ) + 1))
        self._runs = (k, runs)
        return runs

    def isin(self, name: str, values: Iterable[bytes]) -> Any:
        """A boolean array: the row's value of column ``name`` is one of ``values``."""
        import numpy as np

        values = set(values)
        out = np.zeros(len(self), dtype=bool)
        k = self._index.get(name)
        if k is None:
            if b"" in values:
                out[:] = True
            return out
        if not values or not len(self):
            return out
        nwords = max(1, -(-max(map(len, values)) // 8))
        words, lens, slow = self.words(k, nwords)
        for value in values:
            packed = np.frombuffer(value.ljust(8 * nwords, b"\0"), dtype="<u8")
            out |= (lens == len(value)) & (words == packed).all(axis=1)
        if len(slow):
            start, end = self.bounds(k)
            data = self.data
            for i in slow.tolist():
                out[i] = data[int(start[i]):int(end[i])] in values
        return out

    def segments(self, mask: Any, replace: dict[int, bytes] | None = None
                 ) -> list[memoryview | bytes]:
        """The rows where ``mask`` is true, each with its line feed, as few slices of
        ``data`` as possible (adjacent rows in one slice); a row in ``replace`` (kept) is
        written as the line given there instead."""
        import numpy as np

        if replace:
            out: list[memoryview | bytes] = []
            lo = 0
            for row in sorted(replace):
                part = np.zeros(len(mask), dtype=bool)
                part[lo:row] = mask[lo:row]
                out += self.segments(part)
                out.append(replace[row])
                lo = row + 1
            part = np.zeros(len(mask), dtype=bool)
            part[lo:] = mask[lo:]
            return out + self.segments(part)
        rows = np.flatnonzero(mask)
        if not len(rows):
            return []
        a, b = self.starts[rows], self.ends[rows] + 1
        cut = np.flatnonzero(a[1:] != b[:-1]) + 1
        lo = a[np.concatenate((np.zeros(1, dtype=np.intp), cut))]
        hi = b[np.concatenate((cut - 1, [len(rows) - 1]))]
        view = memoryview(self.data)
        return [view[x:y] for x, y in zip(lo.tolist(), hi.tolist(), strict=True)]


def field_count_error(lines: Sequence[str] | Sequence[bytes], n: int, first: int,
                      numbers: Sequence[int] | None, name: str) -> None:
    """Raise the one-line error of the first line of ``lines`` (text or bytes) that does not
    hold ``n`` fields (``numbers``: their line numbers when not ``first``, ``first + 1``, ...);
    nothing if every line does."""
    for i, line in enumerate(lines):
        got = line.count("\t" if isinstance(line, str) else b"\t") + 1  # type: ignore[arg-type]
        if got != n:
            where = numbers[i] if numbers is not None else first + i
            raise DataError(f"malformed TSV: {got} fields, the header has {n}"
                            f" ({'too few' if got < n else 'too many'})", name, where)


def gc_paused(blocks: Iterator[T], every: int = 0, generation: int = 2) -> Iterator[T]:
    """``blocks``, with the cyclic garbage collector paused meanwhile (a block makes millions
    of short-lived tuples and lists, each of which would count towards a collection; none of
    them form cycles) and run (``generation``) once every ``every`` blocks (default GC_EVERY,
    about 512 MB of text)."""
    every = every or GC_EVERY
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for n, block in enumerate(blocks, 1):
            yield block
            if n % every == 0:
                gc.collect(generation)
    finally:
        if was_enabled:
            gc.enable()


def _field(line: str, i: int) -> str:
    return line.split("\t", i + 1)[i] if i else line.split("\t", 1)[0]


class ClosedRuns:
    """The values of a column (``by``, the figid) whose runs of rows are over: seen in earlier
    blocks, kept as the hashes of the values. A value that starts a run again raises
    NotGrouped naming its line.

    Hashes, not the strings: a string kept from every block would pin the memory arenas of
    all blocks (CPython's small-object allocator), so memory would grow with the table. A
    hash collision only makes a tool fall back to reading the table whole (never a wrong
    result). New hashes wait in a set, merged into a sorted array every MERGE_EVERY."""

    MERGE_EVERY = 1 << 16

    def __init__(self) -> None:
        import numpy as np

        self.old = np.empty(0, dtype=np.int64)  # sorted
        self.recent: set[int] = set()

    def check(self, block: Block, by: str) -> None:
        values = block.cells(by)
        starts = run_starts(values)
        self.check_starts([values[s] for s in starts], starts, block.line_number)

    def check_runs(self, block: ByteBlock, by: str | int) -> None:
        """check() for a ByteBlock: its runs of ``by`` values, as bytes."""
        starts = block.runs(by).tolist()
        self.check_starts(block.values_at(by, starts), starts, block.line_number)

    def check_starts(self, runs: Sequence[str] | Sequence[bytes], starts: Sequence[int],
                     line_number: Callable[[int], int]) -> None:
        """The values that start each run of a block (``runs``) and their rows (``starts``);
        ``line_number``: a row's line in the file."""
        import numpy as np

        hashes = list(map(hash, runs))
        old, recent = self.old, self.recent
        clash = len(set(runs)) != len(runs) or not recent.isdisjoint(hashes)
        if not clash and len(old):
            clash = bool(self._old_has(np.array(hashes, dtype=np.int64)).any())
        if clash:
            here: set[str | bytes] = set()
            for s, v in zip(starts, runs, strict=True):
                if v in here or hash(v) in recent or self._old_has(np.array([hash(v)]))[0]:
                    raise NotGrouped(v if isinstance(v, str) else v.decode("utf-8"),
                                     line_number(s))
                here.add(v)
        recent.update(hashes)
        if len(recent) > self.MERGE_EVERY:
            new = np.sort(np.fromiter(recent, dtype=np.int64, count=len(recent)))
            self.old = np.insert(old, np.searchsorted(old, new), new)
            recent.clear()

    def _old_has(self, hashes: Any) -> Any:
        """Which of ``hashes`` (a numpy array) are in ``old`` (a boolean array)."""
        import numpy as np

        at = np.minimum(np.searchsorted(self.old, hashes), len(self.old) - 1)
        return self.old[at] == hashes if len(self.old) else np.zeros(len(hashes), bool)


@contextlib.contextmanager
def rereadable(path: str) -> Iterator[str]:
    """A path that can be read twice: ``path`` itself, or for standard input (``-``) a
    temporary copy of it (deleted afterwards)."""
    if path != "-":
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix=".pfocr-stdin-", suffix=".tsv")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(_stdin_bytes(), out, 1 << 20)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def open_output(path: str, spool: bool = False) -> Iterator[IO[str]]:
    """atomic_open for text, gzip-compressed when the name ends in ``.gz`` (deterministic:
    no time stamp and no file name in the gzip header). ``spool``: standard output (``-``)
    is written to a temporary file and copied out only when the block succeeds (all or
    nothing, like a file: for a tool that may start over, e.g. on NotGrouped)."""
    if spool and path == "-":
        with _spooled_stdout() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
            yield text
            text.flush()
            text.detach()
        return
    if not is_gzip_name(path):
        with atomic_open(path) as handle:
            yield handle
        return
    with atomic_open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=GZIP_LEVEL) as gz:
            text = io.TextIOWrapper(gz, encoding="utf-8", newline="", write_through=False)
            yield text
            text.flush()
            text.detach()


@contextlib.contextmanager
def open_output_bytes(path: str, spool: bool = False) -> Iterator[IO[bytes]]:
    """open_output for bytes (UTF-8 text the caller encoded or read as it was). The bytes of
    a gzip stream depend on the sizes of the writes: the same text written in other pieces
    than open_output's gives other (equally valid) ``.gz`` bytes."""
    if spool and path == "-":
        with _spooled_stdout() as raw:
            yield raw
        return
    if path == "-" and getattr(sys.stdout, "buffer", None) is None:
        yield _TextSink(sys.stdout)  # type: ignore[misc]  # a text stream (as in tests)
        return
    if not is_gzip_name(path):
        with atomic_open(path, "wb") as handle:
            yield handle
        return
    with atomic_open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=GZIP_LEVEL) as gz:
            yield gz  # type: ignore[misc]


@contextlib.contextmanager
def _spooled_stdout() -> Iterator[IO[bytes]]:
    """A temporary file copied to standard output when the block succeeds (dropped if it
    raises)."""
    import codecs

    with tempfile.TemporaryFile(prefix=".pfocr-stdout-") as tmp:
        yield tmp  # type: ignore[misc]
        tmp.flush()
        tmp.seek(0)
        buffer = getattr(sys.stdout, "buffer", None)
        sys.stdout.flush()
        if buffer is not None:
            shutil.copyfileobj(tmp, buffer, 1 << 20)
            buffer.flush()
            return
        decoder = codecs.getincrementaldecoder("utf-8")()  # a text stream (as in tests)
        for chunk in iter(lambda: tmp.read(1 << 20), b""):
            sys.stdout.write(decoder.decode(chunk))
        sys.stdout.write(decoder.decode(b"", final=True))


class _TextSink:
    """A bytes writer onto a text stream without a buffer."""

    def __init__(self, text: IO[str]):
        self.text = text

    def write(self, data: bytes | memoryview) -> int:
        return self.text.write(bytes(data).decode("utf-8"))

    def writelines(self, parts: Iterable[bytes | memoryview]) -> None:
        for part in parts:
            self.write(part)


#: gzip level for ``.gz`` outputs (6, gzip's default: 1 is about 3x faster and 15 % larger).
GZIP_LEVEL = 6
