"""pfocr-report's chemicals and diseases section: counts, top entities, library sizes.

A table is read block by block (``table.TableReader``, blocks of whole figures): only
aggregates are kept (distinct words and IDs, the figures naming each entity, one size per
figure), never the table. A table whose figures' rows are scattered is read whole
(``summarize``), as the gene table is.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import DataError
from .table import (
    KIND_NAMES,
    KIND_REQUIRED,
    NotGrouped,
    TableReader,
    kind_errors,
    log_reading_whole,
    read_kind_table,
    rereadable,
    table_kind,
)

if TYPE_CHECKING:
    import pandas as pd

    from .table import Block

TOP_ENTITIES = 15
#: The identifier each kind's sets are made of (pfocr-export's default), and the fallback
#: used to rank entities that lack it.
SET_ID = {"chemicals": "chebi", "diseases": "mesh"}
RANK_IDS = {"chemicals": ("chebi", "mesh"), "diseases": ("mesh", "doid")}
LABELS = {"chebi": "ChEBI", "mesh": "MeSH", "doid": "DOID"}


def _in_range(size: int, lo: int, hi: int | None) -> bool:
    return size >= lo and (hi is None or size <= hi)


def summarize(df: pd.DataFrame, kind: str, path: str, min_size: int,
              max_size: int | None) -> dict[str, object]:
    """The numbers of one chemical or disease table read whole (for a table whose figures'
    rows are scattered; ``stream_summary`` gives the same numbers block by block)."""
    set_id = SET_ID[kind]
    ids = {c: int(df.loc[df[c] != "", c].nunique()) for c in RANK_IDS[kind]}
    numbers: list[tuple[str, str, int]] = [
        ("figures", "figures", int(df["figid"].nunique())),
        ("rows", "rows", len(df)),
        ("words", "distinct words", int(df["word"].nunique())),
    ]
    numbers += [(f"ids_{c}", f"distinct {LABELS[c]} IDs", n) for c, n in ids.items()]
    numbers.append(("rows_without_id", "rows without any ID",
                    int(((df[RANK_IDS[kind][0]] == "") & (df[RANK_IDS[kind][1]] == "")).sum())))
    # the library: one set of distinct set_id values per figure, within the cut-offs
    with_id = df.loc[df[set_id] != "", ["figid", set_id]].drop_duplicates()
    sizes = with_id.groupby("figid", sort=False).size().tolist()
    # top entities: by the number of figures naming them (first ID column, else the second)
    first, second = RANK_IDS[kind]
    key = df[first].where(df[first] != "", df[second].map(lambda v: f"\0{v}" if v else ""))
    figs_per: Counter[str] = Counter()
    label_of: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    names = df["name"] if "name" in df.columns else df["word"]
    for figid, k, name, word in zip(df["figid"].tolist(), key.tolist(), names.tolist(),
                                    df["word"].tolist(), strict=True):
        if not k:
            continue
        label_of.setdefault(k, name or word)
        if (figid, k) not in seen:
            seen.add((figid, k))
            figs_per[k] += 1
    return _finish(kind, path, numbers, sizes, figs_per, label_of, min_size, max_size)


class EntityTally:
    """summarize()'s numbers gathered block by block (a block holds whole figures)."""

    def __init__(self, kind: str, header: Sequence[str]):
        self.kind = kind
        self.has_name = "name" in header
        self.rows = 0
        self.figures = 0
        self.words: set[str] = set()
        self.ids: dict[str, set[str]] = {c: set() for c in RANK_IDS[kind]}
        self.without_id = 0
        self.sizes: list[int] = []  # distinct set IDs of each figure that has one
        self.figs_per: Counter[str] = Counter()
        self.label_of: dict[str, str] = {}

    def block(self, block: Block) -> None:
        kind = self.kind
        figs = block.column("figid")
        words = block.column("word")
        first, second = RANK_IDS[kind]
        a, b = block.column(first), block.column(second)
        self.rows += len(figs)
        self.figures += len(block.runs()[0])
        self.words.update(words)
        self.ids[first].update(a)
        self.ids[second].update(b)
        set_col = a if SET_ID[kind] == first else b
        per_fig = Counter(f for f, v in set(zip(figs, set_col, strict=True)) if v)
        self.sizes += per_fig.values()
        names = block.column("name") if self.has_name else words
        label_of = self.label_of
        seen: set[tuple[str, str]] = set()
        without_id = 0
        for figid, x, y, name, word in zip(figs, a, b, names, words, strict=True):
            k = x or (f"\0{y}" if y else "")
            if not k:  # a row without any ID
                without_id += 1
                continue
            if k not in label_of:
                label_of[k] = name or word
            if (figid, k) not in seen:
                seen.add((figid, k))
                self.figs_per[k] += 1
        self.without_id += without_id

    def summary(self, path: str, min_size: int, max_size: int | None) -> dict[str, object]:
        kind = self.kind
        for ids in self.ids.values():
            ids.discard("")
        numbers: list[tuple[str, str, int]] = [
            ("figures", "figures", self.figures),
            ("rows", "rows", self.rows),
            ("words", "distinct words", len(self.words)),
        ]
        numbers += [(f"ids_{c}", f"distinct {LABELS[c]} IDs", len(ids))
                    for c, ids in self.ids.items()]
        numbers.append(("rows_without_id", "rows without any ID", self.without_id))
        return _finish(kind, path, numbers, self.sizes, self.figs_per, self.label_of,
                       min_size, max_size)


def _finish(kind: str, path: str, numbers: list[tuple[str, str, int]], sizes: list[int],
            figs_per: Counter[str], label_of: dict[str, str], min_size: int,
            max_size: int | None) -> dict[str, object]:
    """The library and top-entity parts of a summary, and the summary."""
    set_id = SET_ID[kind]
    kept = sorted(s for s in sizes if _in_range(s, min_size, max_size))
    library = [
        ("figures_with_ids", f"figures with a {LABELS[set_id]} ID", len(sizes)),
        ("sets", "sets in the library", len(kept)),
        ("sets_below_min", f"sets left out: fewer than {min_size} IDs",
         sum(s < min_size for s in sizes)),
    ]
    if max_size is not None:
        library.append(("sets_above_max", f"sets left out: more than {max_size} IDs",
                        sum(s > max_size for s in sizes)))
    library += [("smallest", "smallest set", min(kept) if kept else 0),
                ("median", "median set size", statistics.median(kept) if kept else 0),
                ("largest", "largest set", max(kept) if kept else 0)]
    first, second = RANK_IDS[kind]
    ranked = sorted(figs_per.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTITIES]
    top = [(i, label_of[k], LABELS[second] if k.startswith("\0") else LABELS[first],
            k.lstrip("\0"), n) for i, (k, n) in enumerate(ranked, start=1)]
    return {"kind": kind, "what": KIND_NAMES[kind], "name": os.path.basename(path),
            "numbers": numbers, "library": library, "top": top, "set_id": LABELS[set_id],
            "singular": kind[:-1]}


def stream_summary(path: str, kind: str, min_size: int, max_size: int | None
                   ) -> dict[str, object]:
    """summarize() of the table at ``path``, read block by block (whole if its figures' rows
    are scattered)."""
    with rereadable(path) as src:
        try:
            with kind_errors(kind), TableReader(src, KIND_REQUIRED[kind], name=path) as reader:
                tally = EntityTally(kind, reader.header)
                for block in reader.blocks("figid", grouped=True):
                    tally.block(block)
            return tally.summary(path, min_size, max_size)
        except NotGrouped as exc:
            log_reading_whole(exc)
            with kind_errors(kind):
                df = read_kind_table(src, kind)
            return summarize(df, kind, path, min_size, max_size)


def entity_sections(paths: Sequence[tuple[str, str | None]], min_size: int,
                    max_size: int | None) -> list[dict[str, object]]:
    """Read the chemical / disease tables given (``(kind, path)``) and summarise them."""
    out = []
    for kind, path in paths:
        if not path:
            continue
        got = table_kind(path)
        if got != kind:
            raise DataError(f"--{kind} expects a {KIND_NAMES[kind]}, this is a "
                            f"{KIND_NAMES[got]}", path, 1)
        out.append(stream_summary(path, kind, min_size, max_size))
    return out
