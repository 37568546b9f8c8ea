"""pfocr-report's numbers from a table read block by block (bounded memory): ``Aggregate``
keeps only aggregates (distinct genes, counts per organism and source, the sizes of the gene
sets, the few largest and smallest sets), over integer codes; ``stream_report`` reads the table
as raw bytes (``FigReader.byte_blocks``, codes from gmtbytes' exact 64-bit keys) and a block
holding a value too wide for that as text. The whole-table path (a table whose figures' rows
are scattered) is ``report.compute``; both give the same numbers (tests/test_report_stream.py).
"""

from __future__ import annotations

import argparse
import heapq
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import compress
from operator import eq, itemgetter, ne
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from .errors import DataError
from .figblocks import FigBlock, FigReader
from .gmtbytes import MAX_ID_BYTES, KeyCodes, rows_differ
from .report import (
    EXTREMES,
    REMAP_STATUSES,
    TOP_GENES,
    GmtLibrary,
    Report,
    _runs,
    _year,
    gmt_numbers,
    source_flavor,
)
from .table import ByteBlock, decoded


class _Figure:
    """The first row of a figure: what describe() and the year count need."""

    __slots__ = ("alias", "title", "year")

    def __init__(self, alias: str, title: str, year: str):
        self.alias = alias
        self.title = title
        self.year = year


#: the flavors, narrowest first, and their levels (a source's level: its narrowest flavor)
_LEVELS = {"strict": 0, "synonyms": 1, "all": 2}
_EXTREME_KEY = itemgetter(0, 1, 2)


def _fit(array: np.ndarray, n: int) -> np.ndarray:
    """``array`` grown (zero-filled, doubling) to at least ``n`` items."""
    import numpy as np

    if len(array) >= n:
        return array
    grown = np.zeros(max(n, 2 * len(array), 256), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, sorted (as np.unique, by a plain sort)."""
    import numpy as np

    if values.size < 2:
        return values
    s = np.sort(values)
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _tally(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of an integer array and how often each occurs."""
    import numpy as np

    return _runs(np.sort(values))


def _n_distinct_grouped(values: np.ndarray) -> int:
    """The number of distinct values of an array whose equal values are adjacent."""
    import numpy as np

    return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if values.size else 0


def _positions(values: list[str], value: str, n: int) -> list[int]:
    """The indexes of the ``n`` items of ``values`` equal to ``value``."""
    at: list[int] = []
    i = -1
    for _ in range(n):
        i = values.index(value, i + 1)
        at.append(i)
    return at


#: the 64-bit words of a symbol compared with numpy on the byte path (gmtbytes.MAX_ID_BYTES)
SYM_WORDS = MAX_ID_BYTES // 8


class _ByteColumn:
    """A column of a ByteBlock: ``[i]`` the value of row i, as text, and ``keys`` its
    values as gmtbytes keys (a plain object: no reference cycle keeps a block alive until
    the paused collector runs)."""

    __slots__ = ("data", "start", "end", "keys")

    def __init__(self, data: bytes, start: np.ndarray, end: np.ndarray, keys: np.ndarray):
        self.data, self.start, self.end = data, start, end
        self.keys = keys  # the values as gmtbytes keys (at most SYM_WORDS words)

    def __getitem__(self, i: int) -> str:
        return self.data[int(self.start[i]):int(self.end[i])].decode("utf-8")

    def take(self, rows: np.ndarray) -> list[str]:
        """The values of the rows ``rows``."""
        data = self.data
        return decoded([data[a:b] for a, b in zip(self.start[rows].tolist(),
                                                   self.end[rows].tolist(), strict=True)])


def _first_values(block: ByteBlock, name: str, rows: np.ndarray) -> list[str]:
    """The values of column ``name`` at the rows ``rows`` (a figure's first rows), as text:
    ``block.values_at`` with the offsets of those rows only (not of every row)."""
    k = block.index(name)
    if k is None:
        return [""] * len(rows)
    start = block.starts[rows] if k == 0 else block.tabs[rows, k - 1] + 1
    end = block.ends[rows] if k == len(block.header) - 1 else block.tabs[rows, k]
    data = block.data
    return decoded([data[a:b] for a, b in zip(start.tolist(), end.tolist(), strict=True)])


class Aggregate:
    """The report's numbers, gathered block by block (a block holds whole figures): only
    aggregates are kept (distinct genes, counts per organism and source, the sizes of the gene
    sets, the few largest and smallest sets), never the table.

    Each block's gene IDs, taxids, sources (and remap statuses) become integer codes, a code
    per distinct value of the table (``gmtbytes.KeyCodes``: looked up by the values' bytes
    for all rows at once, a value decoded only when new), and symbols are compared with each
    key's first symbol as 64-bit words; the rest is numpy over the codes:
    a gene-set member (figure, taxid, gene) is one integer, the distinct members of a block are
    one sort, and what is kept across blocks are arrays indexed by code (genes seen per source,
    the library's (taxid, gene) keys, figures per key, ...). A (taxid, gene) *key* is the gene's
    code's key for the first taxid the gene was seen with, and a key of its own (``pairs``) for
    any other taxid.
    """

    def __init__(self, header: Sequence[str], flavor: str, min_size: int,
                 max_size: int | None, gmt: GmtLibrary | None = None):
        import numpy as np

        self._np = np
        self.header = set(header)
        self.flavor = flavor
        self.min_size = min_size
        self.max_size = max_size
        self.rows = 0
        self.figures = 0
        self.papers: set[str] = set()
        self.no_gene = 0
        # codes: gene IDs (and source_gene_id values; "" is code 0), taxids, sources, symbols
        self.genes = KeyCodes()  # gene IDs by their bytes (gmtbytes keys)
        self.genes.encode_texts([""])
        self.gene_ids: list[str] = self.genes.names
        self.taxa = KeyCodes()
        self.tax_ids: list[str] = self.taxa.names
        self.sources = KeyCodes()
        self.src_ids: list[str] = self.sources.names
        self.status_codes = KeyCodes()  # remap_status values (the byte path)
        self.names: dict[str, str] = {}  # taxid -> organism (of the taxid's first row)
        # per source code: rows, figures, the genes seen (a bool per gene code), level
        self.src_rows: list[int] = []
        self.src_figs: list[int] = []
        self.src_has: list[np.ndarray] = []
        self.src_level: list[int] = []
        # per gene code: the taxid code it was first seen with (+1; 0 = not yet) and its key
        self.first_tax = np.zeros(0, dtype=np.int64)
        self.gene_key = np.zeros(0, dtype=np.int64)
        self.pairs: dict[int, int] = {}  # taxid code << 32 | gene code -> key, other taxa
        # per key: taxid and gene code, in the library, kept sets (ranked), a symbol (of the
        # key's first row) and its ranked rows; ranked rows of other symbols per (key, symbol)
        self.n_keys = 0
        self.key_tax = np.zeros(0, dtype=np.int64)
        self.key_gene = np.zeros(0, dtype=np.int64)
        self.lib_key = np.zeros(0, dtype=bool)
        self.key_sets = np.zeros(0, dtype=np.int64)
        self.main_sym: list[str] = []
        self.main_sym_n = np.zeros(0, dtype=np.int64)
        self.sym_words = np.zeros((0, SYM_WORDS + 1), dtype=np.uint64)  # main_sym's bytes
        self.other_sym: Counter[tuple[int, str]] = Counter()
        # per taxid code: sets kept and left out, in the library
        self.tax_kept = np.zeros(0, dtype=np.int64)
        self.tax_dropped = np.zeros(0, dtype=np.int64)
        self.lib_tax = np.zeros(0, dtype=bool)
        self.fl_rows: Counter[str] = Counter()
        self.fl_figs: Counter[str] = Counter()
        self.fl_sets: Counter[str] = Counter()
        self.fl_kept: Counter[str] = Counter()
        self.sizes: list[int] = []
        self.below = self.above = 0
        self.kept_sizes: list[int] = []
        self.kept_figs = 0
        self.years: Counter[int] = Counter()
        self.years_unknown = 0
        self._year_of: dict[str, int | None] = {}
        self.largest: list[tuple] = []
        self.smallest: list[tuple] = []
        self.remap = "remap_status" in self.header
        self.statuses: Counter[str] = Counter()
        self.changed = 0
        self.has_before = "source_gene_id" in self.header
        self.before = np.zeros(0, dtype=bool)  # per gene code: a source_gene_id value
        self.gmt = gmt
        self.gmt_index = {name: i for i, name in enumerate(gmt.names)} if gmt else {}
        self.gmt_best: dict[int, tuple[int, int, bool]] = {}

    # -- codes

    def _taxa(self, tax: list[str], block: FigBlock) -> np.ndarray:
        """The taxid codes of a block's rows."""
        old = len(self.tax_ids)
        codes = self.taxa.encode_texts(tax)
        if len(self.tax_ids) > old:
            org = block.column("organism")
            for t in self.tax_ids[old:]:  # the first row of a taxid names it
                self.names[t] = org[tax.index(t)]
            self._new_taxa()
        return codes

    def _new_taxa(self) -> None:
        """Room for the taxid codes added."""
        n = len(self.tax_ids)
        self.tax_kept = _fit(self.tax_kept, n)
        self.tax_dropped = _fit(self.tax_dropped, n)
        self.lib_tax = _fit(self.lib_tax, n)

    def _genes(self, values: list[str]) -> np.ndarray:
        """The codes of gene IDs (as text)."""
        return self.genes.encode_texts(values)

    def _key_symbols(self, symbols: list[str], words: np.ndarray | None = None) -> None:
        """The symbols of new keys (their first rows'); ``words``: them as gmtbytes keys
        (at most SYM_WORDS words; else made from the text)."""
        self.main_sym += symbols
        self._sym_words(symbols, words)

    def _sym_words(self, symbols: list[str], keys: np.ndarray | None) -> None:
        """The symbols of new keys as gmtbytes keys (length, then 8 little-endian words; a
        longer symbol gets a length no row has), compared with numpy on the byte path."""
        np = self._np
        n = len(self.main_sym)
        if len(self.sym_words) < n:
            grown = np.zeros((max(n, 2 * len(self.sym_words), 256), SYM_WORDS + 1), np.uint64)
            grown[: len(self.sym_words)] = self.sym_words
            self.sym_words = grown
        if keys is not None:
            at = slice(n - len(keys), n)
            self.sym_words[at] = 0
            self.sym_words[at, : keys.shape[1]] = keys
            return
        enc = [v.encode("utf-8") for v in symbols]
        lens = np.fromiter(map(len, enc), np.uint64, len(enc))
        width = 8 * SYM_WORDS
        words = np.frombuffer(b"".join(e[:width].ljust(width, b"\0") for e in enc),
                              "<u8").reshape(len(enc), SYM_WORDS)
        lens[lens > width] = np.uint64(1 << 63)
        at = slice(n - len(enc), n)
        self.sym_words[at, 0] = lens
        self.sym_words[at, 1:] = words

    def _source(self, s: str) -> int:
        return int(self._sources([s])[0])

    def _sources(self, values: list[str]) -> np.ndarray:
        old = len(self.src_ids)
        codes = self.sources.encode_texts(values)
        self._new_sources(old)
        return codes

    def _new_sources(self, old: int) -> None:
        """The per-source numbers of the source codes from ``old`` on."""
        for s in self.src_ids[old:]:
            self.src_rows.append(0)
            self.src_figs.append(0)
            self.src_has.append(self._np.zeros(0, dtype=bool))
            self.src_level.append(_LEVELS[source_flavor(s)])

    def _new_keys(self, n: int) -> int:
        """Make room for ``n`` more keys; the first one's number."""
        first = self.n_keys
        self.n_keys += n
        for name in ("key_tax", "key_gene", "lib_key", "key_sets", "main_sym_n"):
            setattr(self, name, _fit(getattr(self, name), self.n_keys))
        return first

    def _keys(self, t: np.ndarray, g: np.ndarray, has: np.ndarray | None, sym: list[str]
              ) -> np.ndarray:
        """The (taxid, gene) key of each row (of the rows with a gene: ``has``); a new key's
        symbol is its first row's."""
        np = self._np
        n_genes = len(self.gene_ids)
        self.first_tax = _fit(self.first_tax, n_genes)
        self.gene_key = _fit(self.gene_key, n_genes)
        ft = self.first_tax[g]
        new = ft == 0 if has is None else (ft == 0) & has
        if new.any():  # genes seen for the first time: their key, for this taxid
            idx = np.flatnonzero(new)
            genes, at = np.unique(g[idx], return_index=True)
            rows = idx[at]
            self.first_tax[genes] = t[rows] + 1
            first = self._new_keys(len(genes))
            keys = np.arange(first, first + len(genes))
            self.gene_key[genes] = keys
            self.key_tax[keys] = t[rows]
            self.key_gene[keys] = genes
            if isinstance(sym, _ByteColumn):
                self._key_symbols(sym.take(rows), sym.keys[rows])
            else:
                self._key_symbols([sym[i] for i in rows.tolist()])
            ft = self.first_tax[g]
        k = self.gene_key[g]
        odd = ft != t + 1
        if has is not None:
            odd &= has
        if odd.any():  # a gene ID seen with another taxid before: a key of its own
            idx = np.flatnonzero(odd)
            pairs, at, inv = np.unique((t[idx] << 32) | g[idx], return_index=True,
                                       return_inverse=True)
            got = []
            for p, i in zip(pairs.tolist(), idx[at].tolist(), strict=True):
                key = self.pairs.get(p)
                if key is None:
                    key = self.pairs[p] = self._new_keys(1)
                    self.key_tax[key] = p >> 32
                    self.key_gene[key] = p & 0xFFFFFFFF
                    self._key_symbols([sym[i]], sym.keys[[i]]
                                      if isinstance(sym, _ByteColumn) else None)
                got.append(key)
            k[idx] = np.array(got, dtype=np.int64)[inv.ravel()]
        return k

    # -- blocks

    def block(self, block: FigBlock) -> None:
        """A block's rows as text (FigReader.blocks, or text_block() of a ByteBlock that
        byte_block() cannot take)."""
        gene = block.column("gene_id")
        n = len(gene)
        if not n:
            return
        tax = block.column("taxid")
        src = block.column("source")
        starts = block.runs("figid")

        def first(name: str) -> list[str]:
            return block.first_values(name, starts)

        self.papers.update(first("pmcid"))
        nf = len(starts)
        fig0 = self.figures
        self.rows += n
        self.figures += nf

        t = self._taxa(tax, block)
        g = self._genes(gene)
        no_gene = gene.count("")
        self.no_gene += no_gene
        has = (g != 0) if no_gene else None

        if src.count(src[0]) == n:
            single: int | None = self._source(src[0])
            s = None
        else:
            single, s = None, self._sources(src)

        # remap's columns
        unmapped_at = None
        status = None
        if self.remap:
            status = block.column("remap_status")
            mapped = status.count("mapped")  # list.count: fast
            if mapped == n:
                self.statuses["mapped"] += n
            else:
                known = {st: status.count(st) for st in REMAP_STATUSES}
                if sum(known.values()) == n:
                    self.statuses.update({st: k for st, k in known.items() if k})
                else:
                    self.statuses.update(status)
                if known["unmapped"]:
                    unmapped_at = _positions(status, "unmapped", known["unmapped"])
        if self.has_before:
            self._before(block.column("source_gene_id"), gene, g)
        sym = block.column("symbol")
        self._rows(n, nf, fig0, starts, first, t, g, has, single, s, unmapped_at, sym,
                   lambda key, rows: self._symbols(sym, key, rows))

    def _rows(self, n: int, nf: int, fig0: int, starts: list[int], first, t: np.ndarray,  # noqa: ANN001
              g: np.ndarray, has: np.ndarray | None, single: int | None,
              s: np.ndarray | None, unmapped_at, sym, symbols) -> None:  # noqa: ANN001
        """A block's numbers from its rows' codes (the text and the byte paths): ``single``
        the source code of every row (else ``s``, a code per row), ``unmapped_at`` the rows
        remap marked unmapped (None: none), ``sym[i]`` the symbol of row i and
        ``symbols(key, rows)`` counting the symbols of each key on the rows ``rows``."""
        np = self._np
        lengths = np.diff(starts + [n])
        fig = np.repeat(np.arange(nf, dtype=np.int64), lengths)

        # sources: rows, figures and genes of each (a figure lies in one block: distinct
        # figures add up over blocks)
        n_genes = len(self.gene_ids)
        if s is None:
            assert single is not None
            c = single
            present = [c]
            rows_of = {c: n}
            self.src_figs[c] += nf
            self.src_has[c] = has_c = _fit(self.src_has[c], n_genes)
            has_c[g] = True
        else:
            n_src = len(self.src_ids)
            per = np.bincount(s, minlength=n_src)
            present = np.flatnonzero(per).tolist()
            rows_of = dict(zip(present, per[present].tolist(), strict=True))
            figs_of = np.bincount(_distinct(fig * n_src + s) % n_src, minlength=n_src)
            for c in present:
                self.src_figs[c] += int(figs_of[c])
                self.src_has[c] = has_c = _fit(self.src_has[c], n_genes)
                has_c[g[s == c]] = True
        for c, k in rows_of.items():
            self.src_rows[c] += k

        # the members (figure, taxid, gene) of each flavor's rows with a gene, as integers
        # (set * keys + key, a set being figure * taxa + taxid), and the sizes of the sets
        key = self._keys(t, g, has, sym)
        n_tax, n_keys = len(self.tax_ids), self.n_keys
        if nf * n_tax * n_keys >= 2**62:
            raise DataError("too many distinct figures x organisms x genes to summarise")
        member = (fig * n_tax + t) * n_keys + key
        level = self.src_level
        row_level = None if s is None else np.asarray(level)[s]
        chosen = None
        done: tuple[list[int], np.ndarray | None, tuple] | None = None
        for fl, lv in (("all", 2), ("synonyms", 1), ("strict", 0)):
            sel = [c for c in present if level[c] <= lv]
            self.fl_rows[fl] += sum(rows_of[c] for c in sel)
            if len(sel) == len(present):
                rows = None  # every row
                self.fl_figs[fl] += nf
            elif not sel:
                rows = np.zeros(n, dtype=bool)
            else:
                assert row_level is not None
                rows = row_level <= lv
                self.fl_figs[fl] += _n_distinct_grouped(fig[rows])
            if done is not None and done[0] == sel:
                sets = done[2]
            else:
                with_gene = rows if has is None else (has if rows is None else rows & has)
                members = _distinct(member if with_gene is None else member[with_gene])
                keys, sizes = _runs(members // n_keys)
                sets = (members, keys, sizes)
                done = (sel, with_gene, sets)
            self.fl_sets[fl] += len(sets[1])
            inside = sets[2] >= self.min_size
            if self.max_size is not None:
                inside &= sets[2] <= self.max_size
            self.fl_kept[fl] += int(np.count_nonzero(inside))
            if fl == self.flavor:
                chosen = (done[1], sets, inside)
        assert chosen is not None
        with_gene, (members, keys, sizes), inside = chosen

        # rows pfocr-remap marked unmapped are left out of the gene ranking (issue 14)
        ranked_rows = with_gene
        if unmapped_at is not None:
            ok = np.ones(n, dtype=bool)
            ok[unmapped_at] = False
            ranked_rows = ok if with_gene is None else with_gene & ok
        symbols(key, ranked_rows)
        self._sets(members, keys, sizes, inside, n_tax, n_keys, fig0, starts, first,
                   None if ranked_rows is with_gene else member[ranked_rows])

    def byte_block(self, block: ByteBlock) -> bool:
        """``block()`` for a block's raw bytes (``FigReader.byte_blocks``): each per-row
        column's values get block codes with numpy (gmtbytes keys, compared exactly) and only
        its distinct values become text. False (nothing done) when a value is wider than
        gmtbytes.MAX_ID_BYTES: the caller takes the text path."""
        np = self._np
        from .gmtbytes import field_keys

        n = len(block)
        if not n:
            return True
        names = ["taxid", "source", "gene_id", "symbol"]
        if self.remap:
            names.append("remap_status")
        if self.has_before:
            names.append("source_gene_id")
        keys = {}
        every = slice(None)
        for name in names:
            got = field_keys(block, block.index(name), every)
            if got is None:
                return False
            keys[name] = got
        data = block.data

        def texts(name: str) -> Callable[[np.ndarray], list[str]]:
            """The values of a column at rows, as text (KeyCodes.encode's ``texts``)."""
            k = block.index(name)
            return lambda rows: decoded(block.values_at(k, rows))

        fig_rows = block.runs("figid")
        starts = fig_rows.tolist()

        firsts: dict[str, list[str]] = {}

        def first(name: str) -> list[str]:
            got = firsts.get(name)
            if got is None:
                got = firsts[name] = _first_values(block, name, fig_rows)
            return got

        self.papers.update(first("pmcid"))
        nf = len(starts)
        fig0 = self.figures
        self.rows += n
        self.figures += nf

        old = len(self.tax_ids)
        t = self.taxa.encode(keys["taxid"], texts("taxid"))
        if len(self.tax_ids) > old:
            org_k = block.index("organism")
            for c in range(old, len(self.tax_ids)):  # the first row of a taxid names it
                row = int(np.flatnonzero(t == c)[0])
                self.names[self.tax_ids[c]] = decoded(block.values_at(org_k, [row]))[0]
            self._new_taxa()
        g = self.genes.encode(keys["gene_id"], texts("gene_id"))
        no_gene = int(np.count_nonzero(keys["gene_id"][:, 0] == 0))
        self.no_gene += no_gene
        has = (g != 0) if no_gene else None

        old = len(self.src_ids)
        s = self.sources.encode(keys["source"], texts("source"))
        self._new_sources(old)
        single: int | None = None
        if not (s != s[0]).any():
            single, s = int(s[0]), None

        unmapped_at = None
        if self.remap:
            rcode = self.status_codes.encode(keys["remap_status"], texts("remap_status"))
            per = np.bincount(rcode)
            present = np.flatnonzero(per)
            statuses = [self.status_codes.names[c] for c in present.tolist()]
            self.statuses.update(dict(zip(statuses, per[present].tolist(), strict=True)))
            if "unmapped" in statuses:
                unmapped_at = np.flatnonzero(rcode == present[statuses.index("unmapped")])
        if self.has_before:
            differ = rows_differ(keys["source_gene_id"], keys["gene_id"])
            if differ is None:
                differ = np.zeros(n, bool)
            moved = np.flatnonzero(differ)
            self.changed += len(moved)
            self.before = _fit(self.before, len(self.gene_ids))
            if len(moved):
                before_k = block.index("source_gene_id")
                bg = self.genes.encode(
                    keys["source_gene_id"][moved],
                    lambda rows: decoded(block.values_at(before_k, moved[rows])))
                self.before = _fit(self.before, len(self.gene_ids))
                self.before[bg] = True
                self.before[g[~differ]] = True
            else:
                self.before[g] = True

        sym_k = block.index("symbol")
        def symbols(key: np.ndarray, rows: np.ndarray | None) -> None:
            sk = keys["symbol"] if rows is None else keys["symbol"][rows]
            k = key if rows is None else key[rows]
            if not len(k):
                return
            differ = rows_differ(self.sym_words[k, : sk.shape[1]], sk)  # (not .take: slow)
            if differ is None:
                u, c = _tally(k)
            else:
                u, c = _tally(k[~differ])
                other = np.flatnonzero(differ)
                at = other if rows is None else np.flatnonzero(rows)[other]
                self.other_sym.update(zip(k[other].tolist(),
                                          decoded(block.values_at(sym_k, at)), strict=True))
            self.main_sym_n[u] += c

        self._rows(n, nf, fig0, starts, first, t, g, has, single, s, unmapped_at,
                   _ByteColumn(data, *block.bounds(sym_k), keys["symbol"]), symbols)
        return True

    def _before(self, before: list[str], gene: list[str], g: np.ndarray) -> None:
        """source_gene_id: rows whose gene ID changed, and the distinct values."""
        changed = sum(map(ne, before, gene))
        self.changed += changed
        if changed:
            moved = list(compress(range(len(gene)), map(ne, before, gene)))
            b = self._genes([before[i] for i in moved])
            self.before = _fit(self.before, len(self.gene_ids))
            self.before[b] = True
            same = self._np.ones(len(gene), dtype=bool)
            same[moved] = False
            self.before[g[same]] = True
        else:
            self.before = _fit(self.before, len(self.gene_ids))
            self.before[g] = True

    def _symbols(self, sym: list[str], key: np.ndarray, rows: np.ndarray | None) -> None:
        """Count the symbols of each key on the ranked rows (the chosen flavor's rows with
        a gene that pfocr-remap did not mark unmapped)."""
        np = self._np
        if rows is not None:
            sym = list(compress(sym, rows.tolist()))
            key = key[rows]
        if not sym:
            return
        same = np.fromiter(map(eq, sym, map(self.main_sym.__getitem__, key.tolist())),
                           bool, len(sym))
        if same.all():
            u, c = _tally(key)
        else:
            u, c = _tally(key[same])
            other = np.flatnonzero(~same).tolist()
            self.other_sym.update(zip(key[other].tolist(), [sym[i] for i in other],
                                      strict=True))
        self.main_sym_n[u] += c

    def _sets(self, members: np.ndarray, keys: np.ndarray, sizes: np.ndarray,
              inside: np.ndarray, n_tax: int, n_keys: int, fig0: int, starts: list[int],
              first, ranked: np.ndarray | None) -> None:  # noqa: ANN001
        """The gene sets of the chosen flavor in a block: ``keys`` (figure * n_tax + taxid)
        and ``sizes`` of the sets of the distinct ``members`` (key * n_keys + gene key);
        ``ranked``: the members of the rows in the gene ranking, when not all are."""
        np = self._np
        self.sizes += sizes.tolist()
        lo, hi = self.min_size, self.max_size
        self.below += int(np.count_nonzero(sizes < lo))
        if hi is not None:
            self.above += int(np.count_nonzero(sizes > hi))
        set_tax = keys % n_tax
        set_fig = keys // n_tax
        all_in = bool(inside.all())
        self.tax_kept[:n_tax] += np.bincount(set_tax[inside], minlength=n_tax)
        if not all_in:
            self.tax_dropped[:n_tax] += np.bincount(set_tax[~inside], minlength=n_tax)
        if self.gmt_index:
            self._gmt(first("figid"), first("figid_alias"), fig0, members, keys, sizes,
                      n_tax, n_keys)
        if not inside.any():
            return
        kept_sizes = sizes if all_in else sizes[inside]
        kept_keys = keys if all_in else keys[inside]
        kept_figs = set_fig if all_in else set_fig[inside]
        self.kept_sizes += kept_sizes.tolist()
        self.lib_tax[set_tax[inside]] = True
        kept_members = members if all_in else members[np.repeat(inside, sizes)]
        self.lib_key[kept_members % n_keys] = True
        if ranked is None:
            ranked_keys = kept_members % n_keys
        else:  # the distinct ranked members in kept sets
            ranked = _distinct(ranked)
            rk = ranked // n_keys
            at = np.minimum(np.searchsorted(kept_keys, rk), len(kept_keys) - 1)
            ranked_keys = ranked[kept_keys[at] == rk] % n_keys
        u, c = _tally(ranked_keys)
        self.key_sets[u] += c

        # figures and their years (kept_figs is sorted: sets are in figure order)
        figs = _distinct(kept_figs).tolist()
        self.kept_figs += len(figs)
        years = first("year")
        year_of = self._year_of
        for text, m in Counter(map(years.__getitem__, figs)).items():
            y = year_of.get(text, 0)
            if y == 0:
                y = year_of[text] = _year(text)
            if y is None:
                self.years_unknown += m
            else:
                self.years[y] += m

        # the largest and smallest sets: only the block's sets that may enter them
        big_n, small_n = EXTREMES, 2 * EXTREMES
        if kept_sizes.size > big_n:
            top = int(np.partition(kept_sizes, -big_n)[-big_n])
        else:
            top = int(kept_sizes.min())
        if len(self.largest) == big_n:
            top = max(top, -self.largest[-1][0])
        if kept_sizes.size > small_n:
            bottom = int(np.partition(kept_sizes, small_n - 1)[small_n - 1])
        else:
            bottom = int(kept_sizes.max())
        if len(self.smallest) == small_n:
            bottom = min(bottom, self.smallest[-1][0])
        pick = np.flatnonzero((kept_sizes >= top) | (kept_sizes <= bottom))
        if not pick.size:
            return
        # candidates (size, figid, taxid, block figure); a figure's _Figure only for those
        # that enter the lists
        figids, tax_ids = first("figid"), self.tax_ids
        cands = list(zip(kept_sizes[pick].tolist(), kept_figs[pick].tolist(),
                         (kept_keys[pick] % n_tax).tolist(), strict=True))
        big = [(-z, figids[f], tax_ids[t], f) for z, f, t in cands if z >= top]
        small = [(z, figids[f], tax_ids[t], f) for z, f, t in cands if z <= bottom]
        if big:
            self.largest = heapq.nsmallest(big_n, self.largest + big, key=_EXTREME_KEY)
        if small:
            self.smallest = heapq.nsmallest(small_n, self.smallest + small, key=_EXTREME_KEY)
        fresh = {e[3] for e in (*self.largest, *self.smallest) if type(e[3]) is int}
        if fresh:
            alias, title, paper = first("figid_alias"), first("figtitle"), first("papertitle")
            meta = {f: _Figure(alias[f], title[f] or paper[f], years[f]) for f in fresh}
            self.largest = [e if type(e[3]) is not int else (*e[:3], meta[e[3]])
                            for e in self.largest]
            self.smallest = [e if type(e[3]) is not int else (*e[:3], meta[e[3]])
                             for e in self.smallest]

    def _gmt(self, figids: list[str], alias: list[str], fig0: int, members: np.ndarray,
             keys: np.ndarray, sizes: np.ndarray, n_tax: int, n_keys: int) -> None:
        """Match the GMT sets named after the figures of a block (add_gmt's rule)."""
        np = self._np
        index = self.gmt_index
        assert self.gmt is not None
        set_fig = keys // n_tax
        ends = np.cumsum(sizes)
        for f, (figid, al) in enumerate(zip(figids, alias, strict=True)):
            hits = []
            for priority, name in ((0, figid), (1, figid + ".jpg"), (2, al)):
                i = index.get(name) if name else None
                if i is not None:
                    hits.append((priority, i))
            if not hits:
                continue
            lo, hi = np.searchsorted(set_fig, [f, f + 1]).tolist()
            per_org = []
            for j in range(lo, hi):
                genes = self.key_gene[members[ends[j] - sizes[j]:ends[j]] % n_keys]
                per_org.append(frozenset(map(self.gene_ids.__getitem__, genes.tolist())))
            whole = frozenset().union(*per_org) if per_org else frozenset()
            seq = fig0 + f  # later figures win an alias (as a dict built in order)
            for priority, i in hits:
                rank = (priority, -seq)
                best = self.gmt_best.get(i)
                if best is None or rank < best[:2]:
                    genes = self.gmt.sets[i]
                    self.gmt_best[i] = (priority, -seq, genes == whole or genes in per_org)

    def report(self, input_name: str) -> Report:
        np = self._np
        names = self.names
        n_genes, n_tax, n_keys = len(self.gene_ids), len(self.tax_ids), self.n_keys
        seen = [_fit(h, n_genes)[:n_genes] for h in self.src_has]
        union = np.zeros(n_genes, dtype=bool)
        for h in seen:
            union |= h
        n_table_genes = int(np.count_nonzero(union[1:]))  # ("" is code 0)
        self.papers.discard("")
        table = {"rows": self.rows, "figures": self.figures, "papers": len(self.papers),
                 "genes": n_table_genes,
                 "organisms": sum(1 for t in self.tax_ids if t),
                 "rows_without_gene_id": self.no_gene}
        sources = []
        src_code = {s: c for c, s in enumerate(self.src_ids)}
        for s in sorted(self.src_ids):
            c = src_code[s]
            sources.append((s, source_flavor(s), self.src_rows[c], self.src_figs[c],
                            int(np.count_nonzero(seen[c][1:]))))
        sources.sort(key=lambda r: (-r[2], r[0]))
        flavors = []
        for fl in ("strict", "synonyms", "all"):
            genes = np.zeros(n_genes, dtype=bool)
            for c, h in enumerate(seen):
                if self.src_level[c] <= _LEVELS[fl]:
                    genes |= h
            flavors.append((fl, self.fl_rows[fl], self.fl_figs[fl],
                            int(np.count_nonzero(genes[1:])), self.fl_sets[fl],
                            self.fl_kept[fl]))
        kept = self.kept_sizes
        lib_keys = np.flatnonzero(self.lib_key[:n_keys])
        lib_genes = np.zeros(n_genes, dtype=bool)
        lib_genes[self.key_gene[lib_keys]] = True
        library: dict[str, int | float] = {
            "sets": len(kept),
            "figures": self.kept_figs,
            "genes": int(np.count_nonzero(lib_genes)),
            "organisms": int(np.count_nonzero(self.lib_tax[:n_tax])),
            "sets_below_min": self.below,
            "sets_above_max": self.above if self.max_size is not None else 0,
            "smallest": min(kept) if kept else 0,
            "median": statistics.median(kept) if kept else 0,
            "largest": max(kept) if kept else 0,
        }
        organisms = []
        genes_per_tax = np.bincount(self.key_tax[lib_keys], minlength=n_tax).tolist()
        kept_n, dropped_n = self.tax_kept.tolist(), self.tax_dropped.tolist()
        tax_code = {t: c for c, t in enumerate(self.tax_ids)}
        for taxid in sorted(t for c, t in enumerate(self.tax_ids)
                            if kept_n[c] or dropped_n[c]):
            c = tax_code[taxid]
            organisms.append((names.get(taxid, ""), taxid, kept_n[c], dropped_n[c],
                              genes_per_tax[c]))
        organisms.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
        top_genes = []
        counts = self.key_sets[:n_keys]
        if counts.any():
            ranked = np.sort(counts[counts > 0])[::-1]
            floor = ranked[min(TOP_GENES, ranked.size) - 1]
            cands = np.flatnonzero(counts >= floor).tolist()
            rows_of: Counter[tuple[int, str]] = Counter()  # ranked rows per (key, symbol)
            for k in cands:
                if self.main_sym_n[k]:
                    rows_of[(k, self.main_sym[k])] += int(self.main_sym_n[k])
            wanted = set(cands)
            for (k, symbol), m in self.other_sym.items():
                if k in wanted:
                    rows_of[(k, symbol)] += m
            best: dict[int, tuple[int, str]] = {}
            for (k, symbol), m in rows_of.items():
                cur = best.get(k)
                if cur is None or (-m, symbol) < cur:
                    best[k] = (-m, symbol)
            rows = sorted(((int(counts[k]), best[k][1], self.tax_ids[self.key_tax[k]],
                            self.gene_ids[self.key_gene[k]]) for k in cands),
                          key=lambda r: (-r[0], r[1], r[2], r[3]))
            for n, symbol, taxid, gene_id in rows[:TOP_GENES]:
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
            if self.has_before:
                before = _fit(self.before, n_genes)
                table_remap.update(changed=self.changed,
                                   genes_before=int(np.count_nonzero(before[1:])),
                                   genes_after=n_table_genes)
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




def stream_report(src: str, args: argparse.Namespace, name: str, gmt: GmtLibrary | None
                  ) -> Report:
    """The report's numbers from the table read block by block (bounded memory)."""
    rows = ("taxid", "organism", "symbol", "source", "gene_id", "remap_status",
            "source_gene_id")
    from . import table as _table

    with FigReader(src, name=args.input, rows=rows,
                   block_bytes=_table.byte_block_bytes()) as reader:
        agg = Aggregate(reader.header, args.flavor, args.min_size, args.max_size, gmt)
        # the raw bytes with numpy; a block with a value too wide for that as text
        for bblock in reader.byte_blocks("figid", grouped=True):
            if not agg.byte_block(bblock):
                agg.block(reader.text_block(bblock))
    report = agg.report(name)
    if gmt is not None:
        agg.add_gmt(report)
    return report
