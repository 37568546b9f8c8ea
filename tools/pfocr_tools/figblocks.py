"""A faster block reader for the tools that need only some columns per row (export, report).

``table.TableReader`` splits every field of every row (``"\\t".join(lines).split("\\t")``):
about 31 M strings for the 91k-record remapped table, most of them the per-figure columns
(figid ... mentioned_taxids: 77 % of the bytes) repeated on every gene row. ``FigReader``
splits each line only from the right, as far as the per-row columns a tool asks for
(``rows``): the rest of the line (the *head*, normally the per-figure columns) stays one
string. Rows with an equal head form a *head run*; a head column is split once per run and
repeated, so ``column()`` gives exactly the values ``table.Block.column()`` gives.

Every check of ``TableReader`` is kept: it opens the file (gzip, standard input) and checks
the header; ``_chunks`` here is its copy (UTF-8, the longest line, blank lines, CR LF) that
counts a chunk's lines only when a line runs past the chunk (TableReader counts them for every
chunk); ``_block`` is replaced (these two private methods of ``table.TableReader`` are
overridden: a change there must be mirrored here). The number of fields of every
row is checked here (exactly, line by line: a row with one field too many and another with
one too few no longer cancel out). ``blocks(grouped=True)`` raises ``table.NotGrouped`` like
``TableReader``, with a cheaper check (sorted hashes merged in batches, so small blocks stay
cheap). Blocks are small by default (256 KiB): the objects of a block then stay in the CPU
caches (splitting the 91k table's lines measured about 1.35x faster in 64 KiB blocks than in
2 MiB ones; export ran the same from 64 to 512 KiB).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator, Sequence
from operator import itemgetter, methodcaller

from . import table as _table
from .table import (
    REQUIRED,
    ClosedRuns,
    TableReader,
    expand,
    field_count_error,
    gc_paused,
    run_starts,
)

#: Bytes read per block (cut at a figure boundary).
BLOCK_BYTES = 256 << 10
#: Bytes of text between two runs of the (otherwise paused) cyclic garbage collector.
GC_BYTES = 512 << 20


class FigBlock:
    """Rows of whole figures; ``column()`` as ``table.Block.column()``."""

    __slots__ = ("lines", "header", "first", "numbers", "_index", "_rows", "_cut", "_heads",
                 "_hstarts", "_hfields", "_cache", "_runs", "_runidx")

    def __init__(self, lines: list[str], header: tuple[str, ...], first: int,
                 numbers: list[int] | None, rows: list[list[str]], cut: int,
                 heads: list[str], hstarts: list[int]):
        self.lines = lines
        self.header = header
        self.first = first
        self.numbers = numbers
        self._index = {name: i for i, name in enumerate(header)}
        self._rows = rows
        self._cut = cut  # columns 0 .. cut-1 are in the head
        self._heads = heads
        self._hstarts = hstarts
        self._hfields: list[list[str]] | None = None
        self._cache: dict[str, list[str]] = {}
        self._runs: dict[str, list[int]] = {}
        self._runidx: dict[str, list[int]] = {}  # head runs where a head column's runs start

    def __len__(self) -> int:
        return len(self.lines)

    def line_number(self, i: int) -> int:
        return self.numbers[i] if self.numbers is not None else self.first + i

    def head_fields(self) -> list[list[str]]:
        """The head columns of each head run (split once per run)."""
        if self._hfields is None:
            heads = self._heads
            self._hfields = [heads[s].split("\t") for s in self._hstarts]
        return self._hfields

    def column(self, name: str) -> list[str]:
        """The values of one column (a list of ``len(self)`` strings; "" for a missing one)."""
        got = self._cache.get(name)
        if got is not None:
            return got
        i = self._index.get(name)
        n = len(self.lines)
        if i is None:
            got = [""] * n
        elif i >= self._cut:
            got = list(map(itemgetter(i - self._cut + 1), self._rows))
        elif self._cut == 1:  # the head is this one column
            got = self._heads
        else:
            got = expand(list(map(itemgetter(i), self.head_fields())), self._hstarts, n)
        self._cache[name] = got
        return got

    def _per_head_run(self, i: int) -> list[str]:
        """Head column ``i``: its value in each head run."""
        if self._cut == 1:
            heads = self._heads
            return [heads[s] for s in self._hstarts]
        return list(map(itemgetter(i), self.head_fields()))

    def runs(self, name: str) -> list[int]:
        """The rows where a run of equal ``name`` values starts (run_starts, kept); for a
        head column found per head run, not per row."""
        got = self._runs.get(name)
        if got is None:
            i = self._index.get(name)
            if i is not None and i < self._cut:
                idx = run_starts(self._per_head_run(i))
                hstarts = self._hstarts
                got = [hstarts[j] for j in idx]
                self._runidx[name] = idx
            else:
                got = run_starts(self.column(name))
            self._runs[name] = got
        return got

    def first_values(self, name: str, starts: Sequence[int]) -> list[str]:
        """The values of a column at the rows ``starts`` (e.g. the first row of each figure:
        ``runs("figid")``, then a head column is read per head run, without a per-row list)."""
        i = self._index.get(name)
        if i is not None and i < self._cut and name not in self._cache:
            for key, got in self._runs.items():
                if got is starts and key in self._runidx:
                    values = self._per_head_run(i)
                    return [values[j] for j in self._runidx[key]]
        col = self.column(name)
        return [col[s] for s in starts]


def _run_firsts(block: FigBlock, by: str) -> tuple[list[str], list[int]]:
    """The values that start the runs of ``by`` in a block, and their rows."""
    values = block.column(by)
    starts = block.runs(by)
    return [values[s] for s in starts], starts


class FigReader(TableReader):
    """``TableReader`` whose blocks split each row only as far as the ``rows`` columns."""

    def __init__(self, path: str, required: Sequence[str] = REQUIRED, name: str | None = None,
                 block_bytes: int | None = None, rows: Sequence[str] = (),
                 sha256: bool = False):
        # with sha256, the SHA-256 of a plain file's bytes as they are read (sha256())
        self._sha = hashlib.sha256() if sha256 and path != "-" else None
        # never larger than TableReader's blocks (tests make those tiny to cut many blocks)
        super().__init__(path, required, name,
                         block_bytes or min(BLOCK_BYTES, _table.BLOCK_BYTES))
        if isinstance(self._fh, gzip.GzipFile):  # the bytes read are not the file's
            self._sha = None
        n = len(self.header)
        wanted = [self.header.index(c) for c in rows if c in self.header]
        # the head is at least the first column (the figure's runs are found on it)
        self._cut = max(1, min(wanted, default=n))
        self._k = n - self._cut  # splits from the right
        self._split = methodcaller("rsplit", "\t", self._k)

    def _read(self, fn, *args):  # noqa: ANN001, ANN202 - every read of the file
        data = super()._read(fn, *args)
        if self._sha is not None:
            self._sha.update(data)
        return data

    def sha256(self) -> str | None:
        """The SHA-256 (hex) of the file, once read to its end (with ``sha256=True``; None
        for standard input, a gzip file or a file not read to its end)."""
        if self._sha is None or self._fh.read(1):
            return None
        return self._sha.hexdigest()

    def _block(self, lines: list[str], first: int, numbers: list[int] | None  # type: ignore[override]
               ) -> FigBlock:
        n = len(self.header)
        k = self._k
        if k:
            rows = list(map(self._split, lines))
            heads = list(map(itemgetter(0), rows))
        else:
            rows = [[line] for line in lines]
            heads = lines
        hstarts = run_starts(heads)
        ok = set(map(len, rows)) == {k + 1} if rows else True
        if ok:  # the head of each head run has the head's columns (a row with a field too
            want = self._cut - 1  # many has one more tab there, and starts a head run)
            ok = all(heads[s].count("\t") == want for s in hstarts)
        if not ok:
            field_count_error(lines, n, first, numbers, self.name)
        return FigBlock(lines, self.header, first, numbers, rows, self._cut, heads, hstarts)

    def text_block(self, block: _table.ByteBlock) -> FigBlock:
        """The rows of a ByteBlock (``byte_blocks()``) as the FigBlock ``blocks()`` gives: for
        a block a byte path cannot take (e.g. a value too wide for its keys)."""
        data = block.data
        lines = [data[a:b].decode("utf-8")
                 for a, b in zip(block.starts.tolist(), block.ends.tolist(), strict=True)]
        numbers = block.numbers.tolist() if block.numbers is not None else None
        return self._block(lines, block.first, numbers)

    def blocks(self, by: str | None = "figid", grouped: bool = False  # type: ignore[override]
               ) -> Iterator[FigBlock]:
        """As ``TableReader.blocks``; the cyclic GC is paused and run (on the objects made since
        the last run) every GC_BYTES."""
        seen = ClosedRuns() if grouped and by is not None and by in self.header else None

        def checked() -> Iterator[FigBlock]:
            for block in self._blocks(by, False):
                if seen is not None:
                    seen.check_starts(*_run_firsts(block, by), block.line_number)
                yield block  # type: ignore[misc]

        # every GC_BYTES, the young objects: the blocks' (older ones are imports)
        return gc_paused(checked(), max(1, GC_BYTES // self.block_bytes), 1)

    def byte_blocks(self, by: str | None = "figid", grouped: bool = False
                    ) -> Iterator[_table.ByteBlock]:
        """As ``TableReader.byte_blocks`` (pfocr-export's GMT path), the cyclic GC run as in
        ``blocks``: on the young objects only (a full collection walks every object of
        numpy and the tools' imports)."""
        return gc_paused(self._byte_blocks(by, grouped), max(1, GC_BYTES // self.block_bytes),
                         1)
