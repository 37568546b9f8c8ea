"""Fast, exact matching of a long case-insensitive alternation of regexes.

Python's ``re`` tries every alternative at every position, so one regex made of hundreds of
species names costs milliseconds per caption. :class:`AnchoredAlternation` gives exactly the
matches of ``prefix(?:alt0|alt1|...)suffix`` (leftmost, first alternative wins) much faster:
each alternative has a literal *anchor*, a piece of text every match of it must contain; a
text is first case-folded and searched for anchors with ``str`` methods, and the regex is run
with only the alternatives whose anchor is present (an absent alternative cannot match
anywhere, so removing it changes no match). Alternatives without a usable anchor are always
kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

try:  # Aho-Corasick finds every anchor in one pass; plain ``in`` checks otherwise
    import ahocorasick
except ImportError:  # pragma: no cover - declared dependency
    ahocorasick = None

#: Characters for which ``re.IGNORECASE`` matches an ASCII letter but ``str.casefold`` does
#: not give that letter (checked over all of Unicode): dotted and dotless i.
_FOLD_FIX = str.maketrans({"\u0130": "i", "\u0131": "i"})
_ESCAPED_LITERAL = set(".-/\\()[]{}?*+|^$ '\"#&~,:;<>=!@%`")
MIN_ANCHOR = 3


def _skip_group(pattern: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` matching the ``open_`` at ``i``."""
    depth = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[" and open_ == "(":
            i = _skip_group(pattern, i, "[", "]")
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced {open_!r} in {pattern!r}")


def anchor_of(pattern: str) -> str | None:
    """The longest literal every match of ``pattern`` contains (case-folded), or None."""
    runs: list[str] = []
    run: list[str] = []

    def cut() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
            if nxt in _ESCAPED_LITERAL:
                run.append(nxt)
            else:  # \b \w \d \s ... : not a literal
                cut()
            i += 2
            continue
        if c == "|":
            return None  # a top-level alternation: no single necessary literal
        if c in "?*":
            if run:
                run.pop()
            cut()
            i += 1
            continue
        if c == "{":
            if run:
                run.pop()
            cut()
            i = _skip_group(pattern, i, "{", "}")
            continue
        if c == "+":
            cut()
            i += 1
            continue
        if c == "(":
            cut()
            end = _skip_group(pattern, i, "(", ")")
            if end < len(pattern) and pattern[end] in "?*{":
                pass  # an optional group: nothing of it is necessary anyway
            i = end
            continue
        if c == "[":
            cut()
            i = _skip_group(pattern, i, "[", "]")
            continue
        if c in ".^$":
            cut()
            i += 1
            continue
        run.append(c)
        i += 1
    cut()
    best = max(runs, key=len, default="")
    best = best.translate(_FOLD_FIX).casefold()
    return best if len(best) >= MIN_ANCHOR and best.isascii() else None


class AnchoredAlternation:
    """``prefix(?:(?P<a0>alt0)|(?P<a1>alt1)|...)suffix`` with ``re.IGNORECASE``, fast."""

    def __init__(self, alternatives: Sequence[str], prefix: str = "", suffix: str = ""):
        self.alternatives = list(alternatives)
        self.prefix, self.suffix = prefix, suffix
        self.anchors = [anchor_of(a) for a in self.alternatives]
        self.always = tuple(i for i, a in enumerate(self.anchors) if a is None)
        by_anchor: dict[str, list[int]] = {}
        for i, a in enumerate(self.anchors):
            if a is not None:
                by_anchor.setdefault(a, []).append(i)
        self.by_anchor = by_anchor
        self._automaton = None
        if ahocorasick is not None and by_anchor:
            automaton = ahocorasick.Automaton()
            for a, idx in by_anchor.items():
                automaton.add_word(a, tuple(idx))
            automaton.make_automaton()
            self._automaton = automaton

    def _present(self, folded: str) -> set[int]:
        """Indices of the alternatives whose anchor occurs in the case-folded text."""
        if self._automaton is not None:
            return {i for _, idx in self._automaton.iter(folded) for i in idx}
        return {i for a, idx in self.by_anchor.items() if a in folded for i in idx}

    @lru_cache(maxsize=512)  # noqa: B019 - a few long-lived instances
    def _regex(self, indices: tuple[int, ...]) -> re.Pattern[str]:
        parts = [f"(?P<a{i}>{self.alternatives[i]})" for i in indices]
        return re.compile(f"{self.prefix}(?:{'|'.join(parts)}){self.suffix}", re.IGNORECASE)

    def full_regex(self) -> re.Pattern[str]:
        return self._regex(tuple(range(len(self.alternatives))))

    def finditer(self, text: str) -> Iterator[tuple[int, re.Match[str]]]:
        """Yield ``(alternative index, match)`` exactly as the full regex would."""
        present = self._present(fold(text))
        if not present and not self.always:
            return
        indices = tuple(sorted((*present, *self.always)))
        for m in self._regex(indices).finditer(text):
            yield int(m.lastgroup[1:]), m  # type: ignore[index]

    def finditer_all(self, texts: Sequence[str]) -> Iterator[tuple[int, re.Match[str]]]:
        """``finditer`` over several texts, the anchors searched once in all of them; the
        regex runs only on the texts that hold an anchor found (or on all of them when some
        alternative has no anchor)."""
        texts = [t for t in texts if t]
        if not texts:
            return
        folded = [fold(t) for t in texts]
        present = self._present("\n".join(folded))  # no anchor holds a line feed
        if not present and not self.always:
            return
        regex = self._regex(tuple(sorted((*present, *self.always))))
        anchors = {self.anchors[i] for i in present}
        for text, low in zip(texts, folded, strict=True):
            if self.always or any(a in low for a in anchors):
                for m in regex.finditer(text):
                    yield int(m.lastgroup[1:]), m  # type: ignore[index]


def fold(text: str) -> str:
    """The text as anchors are searched in it: case-folded, dotted and dotless i as ``i``
    (the translation, slow on text outside Latin-1, only when one of them is there)."""
    if "\u0130" in text or "\u0131" in text:
        text = text.translate(_FOLD_FIX)
    return text.casefold()
