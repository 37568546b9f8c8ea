"""Organism names and NCBI taxids (data shipped in ``data/organisms.tsv``).

Resolves what users type (scientific names, common names, MyGene.info names, taxids) and
finds species named in figure titles, captions and paper titles.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import UsageError


@dataclass(frozen=True)
class Organism:
    taxid: str
    scientific_name: str
    group: str
    common_names: tuple[str, ...]
    mention_patterns: tuple[str, ...]


@lru_cache(maxsize=1)
def organisms() -> tuple[Organism, ...]:
    text = resources.files("pfocr_tools").joinpath("data/organisms.tsv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return tuple(
        Organism(
            taxid=r["taxid"],
            scientific_name=r["scientific_name"],
            group=r["group"],
            common_names=tuple(n for n in r["common_names"].split("|") if n),
            mention_patterns=tuple(p for p in r["mention_patterns"].split("|") if p),
        )
        for r in rows
    )


@lru_cache(maxsize=1)
def _by_key() -> dict[str, Organism]:
    index: dict[str, Organism] = {}
    for org in organisms():
        for key in (org.taxid, org.scientific_name, *org.common_names):
            index.setdefault(key.casefold(), org)
    return index


def by_taxid(taxid: str) -> Organism | None:
    for org in organisms():
        if org.taxid == taxid:
            return org
    return None


def resolve(name: str) -> tuple[str, str]:
    """Return ``(taxid, scientific name)`` for what a user typed.

    Any numeric taxid is accepted (its name is looked up when known); unknown names raise a
    UsageError listing close matches.
    """
    key = " ".join(name.split()).casefold()
    org = _by_key().get(key)
    if org is not None:
        return org.taxid, org.scientific_name
    if key.isdigit():
        return key.lstrip("0") or "0", ""
    close = difflib.get_close_matches(key, list(_by_key()), n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise UsageError(f"unknown organism {name!r}{hint} (or give an NCBI taxid)")


@lru_cache(maxsize=1)
def _mention_regex() -> re.Pattern[str]:
    parts = []
    for org in organisms():
        pats = "|".join(org.mention_patterns)
        parts.append(f"(?P<t{org.taxid}>{pats})")
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def mentioned_taxids(*texts: str) -> list[str]:
    """Taxids of the species (or groups: plants, fungi, bacteria, viruses) named in texts."""
    found: set[str] = set()
    regex = _mention_regex()
    for text in texts:
        if not text:
            continue
        for m in regex.finditer(text):
            found.add(m.lastgroup[1:])  # type: ignore[index]
    return sorted(found, key=int)


def name_to_taxid(name: str) -> str | None:
    """Taxid for an organism name as written in records (``''`` or unknown -> None)."""
    org = _by_key().get(" ".join(name.split()).casefold())
    return org.taxid if org else None
