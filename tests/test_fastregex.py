"""AnchoredAlternation gives exactly the matches of the plain alternation regex."""

from __future__ import annotations

import random

import pytest
from pfocr_tools.fastregex import AnchoredAlternation, anchor_of
from pfocr_tools.organisms import organisms

from .conftest import RECORDS

PREFIX, SUFFIX = r"(?<![\w-])", r"(?![\w-])"


@pytest.mark.parametrize(("pattern", "anchor"), [
    ("Homo sapiens", "homo sapiens"),
    (r"S\. ?cerevisiae", "cerevisiae"),
    (r"fruit ?fl(?:y|ies)", "fruit"),
    (r"honey ?bees?", "honey"),
    (r"bacteri(?:a|um|al)", "bacteri"),
    (r"HIV(?:-1)?", "hiv"),
    (r"\brice\b", "rice"),
    (r"C\. elegans|nematodes?", None),
    (r"E\. ?coli", "coli"),
    (r"x{2,3}yz", None),
    (r"[Yy]east", "east"),
    ("ab", None),
])
def test_anchor_of(pattern: str, anchor: str | None) -> None:
    assert anchor_of(pattern) == anchor


def _alternatives() -> list[str]:
    pats = [p for org in organisms() for p in org.mention_patterns]
    pats.sort(key=lambda p: -len(p))
    return pats


def _texts() -> list[str]:
    texts = []
    for page in sorted(RECORDS.glob("*/_figures/*.md")):
        texts.append(page.read_text("utf-8"))
    rng = random.Random(7)
    words = ["yeast", "YEAST", "E. coli", "Escherichia", "virus", "İnfluenza VİRUS", "ınfluenza",
             "fruit fly", "fruitflies", "Drosophila", "mouse", "Mus musculus", "plants", "implant",
             "SARS-CoV-2", "HIV-1", "hiv", "Arabidopsis", "rice", "price", "zebrafish", "K\u212a",
             "ſaccharomyces", "Saccharomyces", "bacterial", "non-bacterial", "C.elegans", "-yeast"]
    for _ in range(300):
        texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))))
    return texts


def test_same_matches_as_plain_regex() -> None:
    alt = AnchoredAlternation(_alternatives(), PREFIX, SUFFIX)
    full = alt.full_regex()
    for text in _texts():
        fast = [(i, m.span()) for i, m in alt.finditer(text)]
        slow = [(int(m.lastgroup[1:]), m.span()) for m in full.finditer(text)]
        assert fast == slow, text[:80]


def test_fallback_without_automaton_gives_the_same() -> None:
    alt = AnchoredAlternation(_alternatives(), PREFIX, SUFFIX)
    plain = AnchoredAlternation(_alternatives(), PREFIX, SUFFIX)
    plain._automaton = None
    for text in _texts():
        assert [(i, m.span()) for i, m in alt.finditer(text)] == \
            [(i, m.span()) for i, m in plain.finditer(text)]


def test_finditer_all_equals_finditer_per_text() -> None:
    alt = AnchoredAlternation(_alternatives(), PREFIX, SUFFIX)
    texts = _texts()
    for k in range(0, len(texts) - 3, 3):
        group = [texts[k], "", texts[k + 1], texts[k + 2]]
        assert [(i, m.span()) for i, m in alt.finditer_all(group)] == \
            [(i, m.span()) for t in group for i, m in alt.finditer(t)]
