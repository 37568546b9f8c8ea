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

from .table import ByteBlock

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
    if size >= 8:
        view = np.ndarray((size - 7,), dtype="<u8", buffer=data, strides=(1,))
        masks = np.array([(1 << (8 * r)) - 1 for r in range(9)], dtype=np.uint64)
        for j in range(nwords):
            at = np.minimum(start + 8 * j, size - 8)
            out[:, j + 1] = view[at] & masks[np.clip(lens - 8 * j, 0, 8)]
    near = np.flatnonzero(start + 8 * nwords > size) if size >= 8 else \
        np.arange(len(start))
    for i in near.tolist():  # the last bytes: read one by one (the words above may be cut)
        value = data[int(start[i]):int(end[i])].ljust(8 * nwords, b"\0")
        out[i, 1:] = np.frombuffer(value, dtype="<u8")
    return out


#: Odd 64-bit multipliers mixing the words of a key into one (hash_codes).
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


def codes(keys: Any) -> tuple[Any, int]:
    """A code per row of ``keys`` (field_keys), equal for equal rows, and the number of
    distinct rows."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.intp), 0
    if keys.shape[1] == 2 and not (keys[:, 0] >> 3).any():  # all at most 7 bytes: one word
        _, inverse = np.unique(keys[:, 1] | (keys[:, 0] << 56), return_inverse=True)
        return inverse.ravel(), int(inverse.max()) + 1
    # the words mixed into one 64-bit value; codes by it, then checked exactly: rows of one
    # code must be equal (else, a collision, sort the rows themselves)
    _, first, inverse = np.unique(_mixed(keys), return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if (keys == keys[first[inverse]]).all():
        return inverse, len(first)
    order = np.lexsort(keys.T[::-1])
    ranked = keys[order]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    out = np.empty(n, np.intp)
    out[order] = np.cumsum(new) - 1
    return out, int(new.sum())


def first_seen_codes(keys: Any) -> tuple[Any, Any]:
    """Codes 0, 1, ... of equal rows of ``keys`` (field_keys) in first-seen order, and the
    first row of each code."""
    if not len(keys) or (keys == keys[0]).all():  # one value (a block of one taxon)
        return np.zeros(len(keys), np.intp), np.zeros(min(1, len(keys)), np.intp)
    code, n = codes(keys)
    first = np.full(n, len(code), np.intp)
    np.minimum.at(first, code, np.arange(len(code)))
    order = np.argsort(first)
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    return rank[code], first[order]


def _mixed(keys: Any) -> Any:
    """The words of each row of ``keys`` mixed into one 64-bit value (equal rows, equal
    values; unequal rows almost never)."""
    mixed = np.zeros(len(keys), np.uint64)
    for j in range(keys.shape[1]):
        mixed ^= keys[:, j] * np.uint64(_MIX[j % len(_MIX)])
        mixed ^= mixed >> np.uint64(29)
    return mixed


def distinct_rows(keys: Any) -> Any:
    """The first row of each distinct row of ``keys`` (2-D uint64), in row order. Rows
    are grouped by a mixed 64-bit value, then checked exactly (rows of one group equal);
    on a collision they are sorted themselves."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.intp)
    mixed = _mixed(keys)
    order = np.argsort(mixed)
    mixed = mixed[order]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = mixed[1:] != mixed[:-1]
    heads = np.minimum.reduceat(order, np.flatnonzero(new))  # the first row of each group
    if not (keys[order] == keys[heads[np.cumsum(new) - 1]]).all():
        order = np.lexsort(np.vstack((np.arange(n), keys.T[::-1])))
        ranked = keys[order]
        new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
        heads = order[new]
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
                 gkeys: Any, glens: Any):
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
        self.valid = glens[first] > 0
        self.ends = np.append(self.starts[1:], len(first))
        self.sizes = np.add.reduceat(self.valid.astype(np.intp), self.starts) \
            if len(first) else np.zeros(0, np.intp)

    def taxon_sets(self, t: int) -> tuple[int, int]:
        """The sets of taxon code ``t``: a range of set numbers."""
        return (int(np.searchsorted(self.taxon, t, "left")),
                int(np.searchsorted(self.taxon, t, "right")))

    def chosen(self, a: int, b: int, lo: int, hi: int | None) -> Any:
        """The sets a .. b-1 whose size is in lo .. hi."""
        sizes = self.sizes[a:b]
        ok = sizes >= lo
        if hi is not None:
            ok &= sizes <= hi
        return a + np.flatnonzero(ok)

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
