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
from .fastregex import AnchoredAlternation


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


@lru_cache(maxsize=1)
def _by_taxid() -> dict[str, Organism]:
    index: dict[str, Organism] = {}
    for org in organisms():
        index.setdefault(org.taxid, org)
    return index


def by_taxid(taxid: str) -> Organism | None:
    return _by_taxid().get(taxid)


def _normalize(name: str) -> str:
    """What we compare: case-folded, ``_`` as a space (``Mus_musculus`` as in GMT file names),
    white space collapsed, a ``taxid:`` / ``txid`` / ``NCBITaxon:`` prefix dropped."""
    key = " ".join(name.replace("_", " ").split()).casefold()
    for prefix in ("ncbitaxon:", "taxid:", "taxon:", "txid"):
        if key.startswith(prefix) and key[len(prefix):].strip().isdigit():
            return key[len(prefix):].strip()
    return key


def resolve(name: str) -> tuple[str, str]:
    """Return ``(taxid, scientific name)`` for what a user typed.

    Any numeric taxid is accepted (its name is looked up when known); unknown names raise a
    UsageError listing close matches.
    """
    key = _normalize(name)
    org = _by_key().get(key)
    if org is not None:
        return org.taxid, org.scientific_name
    if key.isdigit():
        taxid = key.lstrip("0") or "0"
        org = by_taxid(taxid)
        return taxid, org.scientific_name if org is not None else ""
    close = difflib.get_close_matches(key, list(_by_key()), n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise UsageError(f"unknown organism {name!r}{hint} (or give an NCBI taxid)")


MENTION_PREFIX, MENTION_SUFFIX = r"(?<![\w-])", r"(?![\w-])"


@lru_cache(maxsize=1)
def _mention_matcher() -> tuple[AnchoredAlternation, tuple[str, ...]]:
    """Every mention pattern as one alternation, longer patterns first (so that
    ``Plasmodium vivax`` wins over the genus pattern ``Plasmodium`` of P. falciparum), and
    the taxid of each alternative. Matched with :class:`AnchoredAlternation`: exactly the
    matches of the plain regex, without trying hundreds of alternatives at every position."""
    pairs = [(pat, org.taxid) for org in organisms() for pat in org.mention_patterns]
    pairs.sort(key=lambda pt: -len(pt[0]))  # stable: table order among equal lengths
    alternation = AnchoredAlternation([p for p, _ in pairs], MENTION_PREFIX, MENTION_SUFFIX)
    return alternation, tuple(t for _, t in pairs)


def _mention_regex() -> re.Pattern[str]:
    """The plain regex (reference for the fast matcher): group ``a<i>`` is alternative i."""
    return _mention_matcher()[0].full_regex()


def mentioned_taxids(*texts: str) -> list[str]:
    """Taxids of the species (or groups: plants, fungi, bacteria, viruses) named in texts."""
    found: set[str] = set()
    alternation, taxids = _mention_matcher()
    for i, _ in alternation.finditer_all(texts):
        found.add(taxids[i])
    return sorted(found, key=int)


def name_to_taxid(name: str) -> str | None:
    """Taxid for an organism name as written in records (``''`` or unknown -> None)."""
    org = _by_key().get(_normalize(name))
    return org.taxid if org else None
