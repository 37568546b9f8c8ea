"""pfocr-report's chemicals and diseases section: counts, top entities, library sizes."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Sequence

import pandas as pd

from .errors import DataError
from .table import KIND_NAMES, read_kind_table, table_kind

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
    """The numbers of one chemical or disease table."""
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
    ranked = sorted(figs_per.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTITIES]
    top = [(i, label_of[k], LABELS[second] if k.startswith("\0") else LABELS[first],
            k.lstrip("\0"), n) for i, (k, n) in enumerate(ranked, start=1)]
    return {"kind": kind, "what": KIND_NAMES[kind], "name": os.path.basename(path),
            "numbers": numbers, "library": library, "top": top, "set_id": LABELS[set_id],
            "singular": kind[:-1]}


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
        out.append(summarize(read_kind_table(path, kind), kind, path, min_size, max_size))
    return out
