"""pfocr-export's GMT gene sets of one block of rows, found with numpy on the raw bytes.

``table.TableReader.byte_blocks`` gives the rows of whole figures as bytes and the offsets
of their fields (every reader check kept). ``GmtBlock`` finds, without a Python object per
row, the distinct (taxon, figure, ID) rows of the flavor's sources, the sets they make
(one per figure, or per taxon and figure) and their sizes, and writes the chosen sets'
GMT lines by gathering the ID bytes: only the per-figure values (name, title) and the
distinct taxids become Python strings. The sets, their order and their lines are those of
``export._fast_block`` (the text path): sets in the order of their first row, per taxon in
the order the taxa are first seen; the IDs of a set distinct, in first-seen order, the
empty ID left out (a set of only empty IDs is a set of size 0).

Values are compared as (length, little-endian 64-bit words): exact, never a hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .table import ByteBlock, word_masks

#: The widest ID (bytes) compared with numpy; a block with a wider one takes the text path.
MAX_ID_BYTES = 64


def field_keys(block: ByteBlock, k: int, rows: Any) -> Any | None:
    """Field ``k`` of the rows ``rows`` as one exact key each (span_keys); None if one is
    wider than MAX_ID_BYTES."""
    start, end = block.bounds(k)
    return span_keys(block.data, start[rows], end[rows])


def span_keys(data: bytes, start: Any, end: Any) -> Any | None:
    """The bytes ``data[start[i]:end[i]]`` as one exact key each: a row of a 2-D uint64
    numpy array (the length, then the bytes as little-endian 64-bit words, zero-padded);
    None if one is longer than MAX_ID_BYTES."""
    lens = end - start
    width = int(lens.max()) if len(lens) else 0
    if width > MAX_ID_BYTES:
        return None
    nwords = max(1, -(-width // 8))
    size = len(data)
    out = np.zeros((len(start), nwords + 1), dtype=np.uint64)
    out[:, 0] = lens
    # the rows whose words would run past the end of the data: read one by one below
    near = np.flatnonzero(start + 8 * nwords > size) \
        if len(start) and int(start.max()) + 8 * nwords > size else None
    if size >= 8:
        view = np.ndarray((size - 7,), dtype="<u8", buffer=data, strides=(1,))
        masks = word_masks()
        for j in range(nwords):
            at = start + 8 * j if j else start
            if near is not None:
                at = np.minimum(at, size - 8)
            keep = np.minimum(lens, 8) if not j else \
                np.minimum(np.maximum(lens - 8 * j, 0), 8)
            out[:, j + 1] = view[at] & masks[keep]
    for i in near.tolist() if near is not None else ():  # (the words above may be cut)
        value = data[int(start[i]):int(end[i])].ljust(8 * nwords, b"\0")
        out[i, 1:] = np.frombuffer(value, dtype="<u8")
    return out


def rows_differ(a: Any, b: Any) -> Any | None:
    """Which rows of two arrays of exact keys (span_keys) differ (a boolean array), None when
    none does (one test of the whole array first: fast). Compared over the narrower width:
    past it, a row whose length (column 0) is the other's holds only padding."""
    w = min(a.shape[1], b.shape[1])
    if a.shape[1] > w:
        a = a[:, :w]
    if b.shape[1] > w:
        b = b[:, :w]
    if (a == b).all():
        return None
    differ = a[:, 0] != b[:, 0]
    for j in range(1, w):  # (faster than .any(axis=1) on so few columns)
        differ |= a[:, j] != b[:, j]
    return differ


def _groups(keys: Any) -> tuple[Any, Any]:
    """A code per row of ``keys`` (field_keys), equal for equal rows, and the first row of
    each code."""
    exact = keys.shape[1] == 2 and not (keys[:, 0] >> 3).any()  # at most 7 bytes: one word
    value = keys[:, 1] | (keys[:, 0] << 56) if exact else hash_words(keys)
    _, first, inverse = np.unique(value, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if exact or (keys == keys[first[inverse]]).all():  # (hashed: rows of one code equal)
        return inverse, first
    # a collision: sort the rows themselves (lexsort is stable: a group's first row leads)
    n = len(keys)
    order = np.lexsort(keys.T[::-1])
    ranked = keys[order]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    out = np.empty(n, np.intp)
    out[order] = np.cumsum(new) - 1
    return out, order[new]


def first_seen_codes(keys: Any) -> tuple[Any, Any]:
    """Codes 0, 1, ... of equal rows of ``keys`` (field_keys) in first-seen order, and the
    first row of each code (ascending)."""
    if not len(keys) or (keys == keys[0]).all():  # one value (a block of one taxon)
        return np.zeros(len(keys), np.intp), np.zeros(min(1, len(keys)), np.intp)
    code, first = _groups(keys)
    order = np.argsort(first)
    rank = np.empty(len(first), dtype=np.intp)
    rank[order] = np.arange(len(first))
    return rank[code], first[order]


def distinct_rows(keys: Any) -> Any:
    """The first row of each distinct row of ``keys`` (2-D uint64), in row order:
    first_seen_codes' second half without the codes (a sort of the hashes and the first row
    of each run of them; 10 % less of pfocr-export's time on 110,000 genes). Rows are
    grouped by hash_words, then checked exactly; on a collision, as _groups."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.intp)
    hashed = hash_words(keys)
    order = np.argsort(hashed)
    hashed = hashed[order]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = hashed[1:] != hashed[:-1]
    heads = np.minimum.reduceat(order, np.flatnonzero(new))  # the first row of each group
    if not (keys[order] == keys[heads[np.cumsum(new) - 1]]).all():
        heads = _groups(keys)[1]
    return np.sort(heads)


class GmtBlock:
    """The gene sets of one block's rows ``rows`` (the flavor's, ascending) of one ID each.

    ``frun``: the figure (run of figid) of each of those rows; ``tcode``: their taxon code
    (0 .. ntaxa-1; None: one library for all taxa); ``gkeys``: their ID as exact keys
    (field_keys).
    Sets are numbered in order: by taxon code, then figure. ``srow`` holds the distinct
    rows set by set (block rows), ``starts`` where each set starts in it; ``taxon``,
    ``figure``, ``sizes`` (non-empty IDs) per set."""

    def __init__(self, rows: Any, frun: Any, nfig: int, tcode: Any | None, ntaxa: int,
                 gkeys: Any):
        setkey = frun if tcode is None else tcode * nfig + frun
        first = distinct_rows(np.column_stack((setkey.astype(np.uint64), gkeys)))
        if tcode is not None and ntaxa > 1:  # the sets of each taxon together, in row order
            tc = tcode[first]
            first = np.concatenate([first[tc == t] for t in range(ntaxa)])
        keys = setkey[first]
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        self.starts = np.concatenate((np.zeros(1, np.intp), starts))
        self.taxon, self.figure = np.divmod(keys[self.starts], nfig)
        self.srow = rows[first]
        self.valid = gkeys[first, 0] > 0  # (span_keys: the length first)
        self.ends = np.append(self.starts[1:], len(first))
        self.sizes = np.add.reduceat(self.valid.astype(np.intp), self.starts) \
            if len(first) else np.zeros(0, np.intp)

    def taxon_sets(self, t: int) -> tuple[int, int]:
        """The sets of taxon code ``t``: a range of set numbers."""
        return (int(np.searchsorted(self.taxon, t, "left")),
                int(np.searchsorted(self.taxon, t, "right")))

    def chosen(self, lo: int, hi: int | None) -> Any:
        """The sets whose size is in lo .. hi."""
        ok = self.sizes >= lo
        if hi is not None:
            ok &= self.sizes <= hi
        return np.flatnonzero(ok)

    def set_ids(self, block: ByteBlock, k: int, s: int) -> list[str]:
        """The IDs (field ``k``) of set ``s``, as text."""
        a, b = int(self.starts[s]), int(self.ends[s])
        rows = self.srow[a:b][self.valid[a:b]]
        return [v.decode("utf-8") for v in block.values_at(k, rows)]

    def lines(self, text: BlockText, chosen: Any) -> tuple[bytes, list[int]]:
        """The GMT lines (UTF-8) of the sets ``chosen`` (ascending): their figure's head
        (name TAB column 2), then TAB and each ID, and a line feed; and where each line
        ends."""
        mark = np.zeros(len(self.starts), bool)
        mark[chosen] = True
        rows = self.srow[np.repeat(mark, self.ends - self.starts) & self.valid]
        figs = self.figure[chosen]
        # segments: per set its head, a tab and an ID per ID, a line feed
        k = self.sizes[chosen]
        nseg = 2 * k + 2
        first = np.cumsum(nseg) - nseg
        at = np.empty(int(nseg.sum()), np.intp)
        size = np.ones(len(at), np.intp)
        at[first] = text.hstart[figs]
        size[first] = text.hlen[figs]
        at[first + nseg - 1] = text.tab + 1
        before = np.cumsum(k) - k
        p = np.repeat(first + 1 - 2 * before, k) + 2 * np.arange(len(rows))
        at[p] = text.tab
        at[p + 1] = text.start[rows]
        size[p + 1] = text.end[rows] - text.start[rows]
        before = np.cumsum(size) - size
        idx = np.repeat(at - before, size) + np.arange(int(before[-1] + size[-1]))
        ends = np.cumsum(np.add.reduceat(size, first)).tolist()
        return text.src[idx].tobytes(), ends


class BlockText:
    """A block's bytes and each figure's GMT head (name TAB column 2) as one numpy array,
    and the offsets of the ID field (``k``) of each row: what GmtBlock.lines gathers."""

    def __init__(self, block: ByteBlock, k: int, heads: Sequence[str]):
        self.block = block
        data = block.data
        encoded = [h.encode("utf-8") for h in heads]
        self.tab = len(data)  # then a line feed
        self.hlen = np.fromiter(map(len, encoded), dtype=np.intp, count=len(encoded))
        self.hstart = self.tab + 2 + np.cumsum(self.hlen) - self.hlen
        self.src = np.frombuffer(data + b"\t\n" + b"".join(encoded), dtype=np.uint8)
        self.start, self.end = block.bounds(k)


#: Odd 64-bit multipliers, one per word of a key (key_values' hash of a key longer than 7
#: bytes): a word's place changes its hash, and a zero word (padding) adds nothing.
_WORD_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
             0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9,
             0x27D4EB2F165667C5)
#: The bit set in every hashed value: apart from the exact values (length at most 7 in the
#: top byte).
_HASHED = 1 << 63


def hash_words(keys: Any) -> Any:
    """A 64-bit hash of each row of ``keys`` (span_keys) that zero words (padding: a key's
    width is its block's widest value's) leave unchanged: each word times its own odd
    multiplier, all xor-ed, then mixed."""
    out = keys[:, 0] * np.uint64(_WORD_MIX[0])
    for j in range(1, keys.shape[1]):
        out ^= keys[:, j] * np.uint64(_WORD_MIX[j])  # (a zero word adds nothing)
    out ^= out >> np.uint64(29)
    out *= np.uint64(_WORD_MIX[-1])
    out ^= out >> np.uint64(32)
    return out


def key_values(keys: Any) -> tuple[Any, Any | None]:
    """One 64-bit value per row of ``keys`` (span_keys) and which of them are hashed (None:
    none). A value of at most 7 bytes is its exact value (its bytes, and its length in the
    top byte: equal values, equal keys); a longer one a hash (hash_words) with the top bit
    set, so that no hashed value is an exact one."""
    lens = keys[:, 0]
    out = keys[:, 1] | (lens << np.uint64(56))
    if keys.shape[1] == 2 and not (lens >> np.uint64(3)).any():
        return out, None
    hashed = lens > 7
    if hashed.all():  # (a column of longer values: no row picked out)
        return hash_words(keys) | np.uint64(_HASHED), hashed
    if not hashed.any():
        return out, None
    out[hashed] = hash_words(keys[hashed]) | np.uint64(_HASHED)
    return out, hashed


class KeyCodes:
    """Codes 0, 1, ... of text values in the order they are first seen, looked up in bulk by
    their exact keys (span_keys), never decoding a value seen before.

    The values (key_values) of the keys seen and their codes are kept in an open-addressing
    hash table over numpy arrays (at most a quarter full; linear probing), looked up for all
    rows at once; a hashed value's hit is checked against its key, kept by code (exact).
    A value whose hash another value holds, and a value wider than MAX_ID_BYTES (text only),
    are looked up in a dict (``odd``) instead: a hash collision costs time,
    never a wrong code. ``names`` holds the values by code (appended to; the caller may
    read it, never change it)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.odd: dict[str, int] = {}
        self.bits = 10  # the table has 2 ** bits slots
        # per slot: a value of a key seen and its code + 1 (0: free), side by side (one
        # cache line read per look-up)
        self.slots = np.zeros((1 << self.bits, 2), np.uint64)
        self.used = 0
        self.words = np.zeros((0, 2), np.uint64)  # by code: its key (zero for odd values)

    def encode(self, keys: Any, texts: Any) -> Any:
        """The code of each row of ``keys`` (span_keys); ``texts(rows)``: the values of the
        rows ``rows`` (a numpy array) as text, asked only for new values and collisions."""
        n = len(keys)
        if not n:
            return np.zeros(0, np.intp)
        value, hashed = key_values(keys)
        code = self._find(value)
        if hashed is not None:
            self._check(code, keys, hashed, code >= 0)
        absent = np.flatnonzero(code == -1)
        if absent.size:  # new values: codes in the order of their first row
            new_values, first, inverse = np.unique(value[absent], return_index=True,
                                                   return_inverse=True)
            order = np.argsort(first)
            rank = np.empty(len(order), np.intp)
            rank[order] = np.arange(len(order))
            rows = absent[first[order]]
            base = len(self.names)
            self.names.extend(texts(rows))
            self._add(new_values[order], keys[rows], base)
            code[absent] = base + rank[inverse.ravel()]
            if hashed is not None:  # two new values of one hash: the later ones are odd
                later = np.zeros(n, bool)
                later[absent] = True
                later[rows] = False
                self._check(code, keys, hashed, later)
        odd = np.flatnonzero(code == -2)
        if odd.size:
            code[odd] = self._odd(texts(odd))
        return code

    def encode_texts(self, values: list[str]) -> Any:
        """``encode`` for values as text (the text path); a value wider than MAX_ID_BYTES is
        looked up in ``odd``."""
        enc = [v.encode("utf-8") for v in values]
        lens = np.fromiter(map(len, enc), np.intp, len(enc))
        wide = lens > MAX_ID_BYTES
        if wide.any():
            code = np.empty(len(values), np.intp)
            narrow = np.flatnonzero(~wide)
            code[narrow] = self.encode_texts([values[i] for i in narrow.tolist()])
            at = np.flatnonzero(wide)
            code[at] = self._odd([values[i] for i in at.tolist()])
            return code
        ends = np.cumsum(lens)
        keys = span_keys(b"".join(enc), ends - lens, ends)
        assert keys is not None
        return self.encode(keys, lambda rows: [values[i] for i in rows.tolist()])

    def _odd(self, values: list[str]) -> list[int]:
        """The codes of values looked up in ``odd`` (a new value: the next code)."""
        odd, names = self.odd, self.names
        got = []
        for v in values:
            c = odd.get(v)
            if c is None:
                c = odd[v] = len(names)
                names.append(v)
            got.append(c)
        self._grow(len(names), self.words.shape[1])
        return got

    def _slots(self, value: Any) -> Any:
        """The first slot of each value (multiplicative hashing: its top bits)."""
        mixed = value * np.uint64(_WORD_MIX[0])
        mixed >>= np.uint64(64 - self.bits)
        return mixed.astype(np.intp)

    def _find(self, value: Any) -> Any:
        """The code of each value (-1: not seen)."""
        slot = self._slots(value)
        got = self.slots.take(slot, axis=0)
        code = got[:, 1].astype(np.intp)
        code -= 1
        hit = got[:, 0] == value
        if hit.all():  # (and where the slot is free, value 0 is not in the table: -1)
            return code
        more = np.flatnonzero((code >= 0) & ~hit)  # taken by another value: probe on
        code[~hit] = -1
        mask = (1 << self.bits) - 1
        slot = slot[more]
        while more.size:
            slot = (slot + 1) & mask
            got = self.slots.take(slot, axis=0)
            c = got[:, 1].astype(np.intp) - 1
            ok = got[:, 0] == value[more]
            code[more[ok]] = c[ok]
            keep = (c >= 0) & ~ok
            more, slot = more[keep], slot[keep]
        return code

    def _check(self, code: Any, keys: Any, hashed: Any, rows: Any) -> None:
        """Mark -2 (odd) the hashed ``rows`` (a mask) whose code's key is not theirs."""
        at = np.flatnonzero(hashed & rows)
        if not at.size:
            return
        w = min(keys.shape[1], self.words.shape[1])  # (equal lengths: the rest is padding)
        if len(at) == len(keys):
            theirs = keys[:, :w]
        else:
            theirs = keys[at, :w]
        differ = rows_differ(self.words[code[at], :w], theirs)  # (not .take of a slice: slow)
        if differ is not None:
            code[at[differ]] = -2

    def _grow(self, n: int, width: int) -> None:
        """``words`` for at least ``n`` codes and keys ``width`` words wide."""
        have, w = self.words.shape
        if have >= n and w >= width:
            return
        grown = np.zeros((max(n, 2 * have, 256) if have < n else have, max(w, width)),
                         np.uint64)
        grown[:have, :w] = self.words
        self.words = grown

    def _add(self, values: Any, keys: Any, base: int) -> None:
        """Put the new codes base, base + 1, ... with their values and keys in the table."""
        codes = np.arange(base, base + len(values))
        self._grow(base + len(values), keys.shape[1])
        self.words[codes, : keys.shape[1]] = keys
        self._place(values, codes)

    def _place(self, values: Any, codes: Any) -> None:
        """Put new (distinct) values and their codes in free slots; the table grows to stay
        at most a quarter full."""
        if 4 * (self.used + len(values)) > (1 << self.bits):
            taken = self.slots[:, 1] > 0
            values = np.concatenate((self.slots[taken, 0], values))
            codes = np.concatenate((self.slots[taken, 1].astype(np.intp) - 1, codes))
            while 4 * len(values) > (1 << self.bits):
                self.bits += 1
            self.slots = np.zeros((1 << self.bits, 2), np.uint64)
            self.used = 0
        self.used += len(values)
        mask = (1 << self.bits) - 1
        slot = self._slots(values)
        todo = np.arange(len(values))
        while todo.size:
            free = self.slots[slot, 1] == 0
            # a free slot goes to the first value that wants it; the rest probe on
            won, first = np.unique(slot[free], return_index=True)
            win = todo[free][first]
            self.slots[won, 0] = values[win]
            self.slots[won, 1] = codes[win] + 1
            placed = np.zeros(len(values), bool)
            placed[win] = True
            stay = ~placed[todo]
            todo = todo[stay]
            slot = (slot[stay] + 1) & mask
