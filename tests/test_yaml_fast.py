"""The simple-shape front matter reader (``records.fast_front_matter``) reads exactly what
the reference reader (PyYAML ``BaseLoader``, every scalar a string) reads, or declines.

It must be sound, not complete: for any text it returns None (the general readers then
decide) or the reference reading, never a different value and never a value for text the
reference refuses. Checked on every record page of test-data, on hand-written odd inputs
(quoting, folded values, anchors, unicode, duplicates, indentation) and on random texts
built from YAML's structural pieces and from mutated real pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pfocr_tools import records
from pfocr_tools.records import fast_front_matter

DATA = Path(__file__).resolve().parent.parent / "test-data"
PAGES = sorted(p for p in DATA.rglob("*.md") if p.read_bytes().startswith(b"---"))
LOADERS = [yaml.BaseLoader] + ([yaml.CBaseLoader] if hasattr(yaml, "CBaseLoader") else [])
SETTINGS = settings(max_examples=400, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def reference(fm: str) -> object:
    """What each reference loader reads (they must agree), or the exception type."""
    seen = []
    for loader in LOADERS:
        try:
            seen.append(yaml.load(fm, Loader=loader))
        except yaml.YAMLError:
            seen.append(yaml.YAMLError)
    if any(s != seen[0] for s in seen):  # the two reference loaders differ: not our case
        return "differ"
    return seen[0]


def check(fm: str) -> object:
    """The fast reading, after checking it against the reference; None if it declined."""
    got = fast_front_matter(fm)
    if got is not None:
        ref = reference(fm)
        assert ref is not yaml.YAMLError, f"fast reader took text the reference refuses: {fm!r}"
        assert got == ref, f"fast reader differs from the reference on {fm!r}"
        assert list(got) == list(ref)  # the same keys in the same order
    return got


def front_matter(path: Path) -> str:
    text = records.decode(path.read_bytes(), str(path))
    return records.split_front_matter(text, str(path))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_real_pages(path: Path) -> None:
    try:
        fm = front_matter(path)
    except Exception:  # a page of test-data/bad/ that fails before the YAML
        return
    got = check(fm)
    if "/records/" in path.as_posix() and "/bad/" not in path.as_posix():
        assert got is not None, "a real record should have the simple shape"


def test_every_bundled_record_is_taken() -> None:
    pages = sorted((DATA / "records").rglob("_figures/*.md"))
    assert len(pages) > 80
    assert all(fast_front_matter(front_matter(p)) is not None for p in pages)


TAKEN = [
    "a: b\n",
    "a:\nb: x\n",  # an empty value reads as ''
    "a: []\nb: {}\nc: ''\n",
    "a: 'it''s'\nb: ''''\n",
    "a: 'one: two # three'\n",
    "a: 'folded\n  over\n    lines'\n",
    "a: 'x''\n  ''y'\n",
    "a: plain text\n  folded over\n  three lines\n",
    "a: x\n  - y\n  'z\n  &a\n  *b\n  !c\n  |d\n  >e\n  %f\n  @g\n  [w\n  {k\n  \"n\n",
    "a: x\na: y\n",  # the last one wins
    "'@context': https://schema.org/\n'@id': x\n",
    "a: -x\nb: ?y\nc: :z\nd: a:b\ne: C#\nf: 50%\n",
    "a: ’quoted’ \u00e9t\u00e9 \u4e2d\u6587 \U0001f600\n",
    "a: x\u00a0\nb: \u00a0y\n",
    "a: b\ue000\u2027\u202a\ufefe\uff00\ufffd\U0010ffff\n",
    "k:\n- a\n- 'b'\n- []\n- c d\n",
    "k:\n  - a\n  - b\n",
    "k:\n- a\n  folded\n- c: d\n  e: f\n- g:\n    h: i\n",
    "k:\n- c:\n  - x\n  d: y\n",
    "m:\n  a: b\n  n:\n    c: d\n  l:\n  - x\n  e: f\n    g\n",
    "genes:\n- word: Ga12,Gaq\n  symbol: G-ALPHA-q\n  source: hgnc_alias_symbol\n"
    "  hgnc_symbol: GNAQ\n  entrez: '2776'\n- word: -B2\n  symbol: 9_1_1\n  source: s\n"
    "  hgnc_symbol: ''\n  entrez: 'a''b'\n",
    "genes:\n- word: a\n  symbol: b\n  source: c\n  hgnc_symbol: d\n  entrez: []\n",
    "genes:\n- symbol: b\n  word: a\n  source: c\n  hgnc_symbol: d\n  entrez: '1'\n",
    "genes: []\nyear: 2001\nword: NO\nx: ~\ny: null\nz: 1e3\n",
]

DECLINED = [
    "",
    "- a\n- b\n",  # not a mapping
    "a: b",  # no final line feed
    " a: b\n",
    "a: b\r\n",
    "a:\tb\n",
    "a: b \n",  # trailing space
    "a: b\n\nc: d\n",  # blank line
    "a: b # comment\n",
    "# comment\na: b\n",
    "a: &x b\nc: *x\n",
    "a: !!str b\n",
    "a: \"double\"\n",
    "a: |\n  block\n",
    "a: >\n  folded\n",
    "a: [b, c]\n",
    "a: {b: c}\n",
    "a: b: c\n",
    "a: b:\n",
    "a: 'open\n",
    "a: 'x' y\n",
    "a: 'x'\n  y\n",
    "a: '\n",
    "a: - b\n",
    "a: -\n",
    "a: x\n- y\n",
    "a:\n  b: c\n d: e\n",
    "a:\n- b\nc\n",
    "a:\n  - b\n  c: d\n",
    "k:\n- a: b\n c: d\n",
    "k:\n- - a\n",
    "k:\n-\n  a\n",
    "a: b\n  #c\n",
    "a: b\n  c: d\n",
    "---\na: b\n",
    "a b: c\n",
    "? a\n: b\n",
    "<<: x\n",
    "a: b\u2028c\n",
    "a: b\x85c\n",
    "a: b\u2029c\n",
    "a: b\ufffec\n",
    "a: \ufeffb\n",
    "a: b\x07\n",
    "k" * 600 + ": v\n",
]


@pytest.mark.parametrize("fm", TAKEN)
def test_odd_inputs_taken(fm: str) -> None:
    assert check(fm) is not None


@pytest.mark.parametrize("fm", DECLINED)
def test_odd_inputs_declined(fm: str) -> None:
    assert check(fm) is None


def test_deep_nesting_declined_not_recursed() -> None:
    fm = "".join(f"{'  ' * i}k{i}:\n" for i in range(2000)) + "  " * 2000 + "x: y\n"
    assert fast_front_matter(fm) is None
    fm = "k:\n" + "".join(f"{'  ' * i}- a:\n" for i in range(1, 60))
    assert check(fm) is None


ATOMS = ["x", "a b", "é’", "9_1_1", "''", "'q''x'", "'open", "close'", "[]", "{}", "[a]",
         "-x", "- x", "-", ":x", "?x", "#c", "a #b", "a: b", "a:", "&a x", "*a", "!t x", "|",
         ">", '"dq"', "@x", "%x", "`x", "x\u2028y", "x\ty", "x ", " x", "---", "...", "\u00a0"]
KEYS = ["k", "genes", "word", "symbol", "'@k'", "'a''b'", "a b", "-k", "k:k", "1", "k"]


@st.composite
def yamlish(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 2, 3, 4, 6]))
        dash = draw(st.sampled_from(["", "", "- ", "-  "]))
        shape = draw(st.integers(0, 3))
        if shape == 0:  # key: value
            line = f"{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(ATOMS))}"
        elif shape == 1:  # key:
            line = f"{draw(st.sampled_from(KEYS))}:"
        else:  # a bare value (an item or a continuation)
            line = draw(st.sampled_from(ATOMS))
        lines.append(indent + dash + line)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", ""]))


@SETTINGS
@given(yamlish())
def test_random_yamlish(fm: str) -> None:
    check(fm)


SAMPLE = [front_matter(p) for p in sorted((DATA / "records").rglob("_figures/*.md"))[::9]]


@SETTINGS
@given(st.sampled_from(SAMPLE), st.integers(0, 10 ** 6), st.sampled_from(ATOMS + [
    "\n", "\n ", "\n- ", "  ", ": ", "'", "#", "\n  - a: b", "\nk:", "\n  k: v"]))
def test_mutated_pages(fm: str, where: int, piece: str) -> None:
    at = where % (len(fm) + 1)
    check(fm[:at] + piece + fm[at:])
    check(fm[:at] + fm[at + len(piece):])


def test_typed_fields_read_exactly(tmp_path: Path) -> None:
    """yaml_rs reads ``symbol: 9_1_1`` as 911: the page then comes from the simple-shape
    reader, with the values of the reference (the old path: the reference reader)."""
    page = next(p for p in sorted((DATA / "records").rglob("*.md"))
                if "symbol: 9_1_1" in p.read_text("utf-8"))
    data = page.read_bytes()
    fast = records.parse_page(data, str(page))
    exact = records.parse_page(data, str(page), exact=True)
    assert fast == exact
    assert any(g["symbol"] == "9_1_1" for g in fast.genes or [])


SCALAR = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcxyz -_'é’:,()09")), max_size=60),
    st.text(alphabet=st.sampled_from(list("ab xy:#-'\"&*!é’\u00a0[]{}%@`|>?,09_\\.")),
            max_size=40))
KEY = st.one_of(st.text(alphabet=st.sampled_from(list("abk_-9")), min_size=1, max_size=6),
                st.text(alphabet=st.sampled_from(list("abk_-.'@ 9")), max_size=6))
VALUES = st.recursive(SCALAR, lambda kids: st.lists(kids, max_size=4)
                      | st.dictionaries(KEY, kids, max_size=4), max_leaves=25)


@SETTINGS
@given(st.dictionaries(KEY, VALUES, min_size=1, max_size=6), st.sampled_from([12, 40, 80, 4096]),
       st.sampled_from([2, 4]))
def test_dumped_documents(doc: dict, width: int, indent: int) -> None:
    """Documents as a YAML dumper writes them (the shape of real pages): folded lines,
    quoted and plain scalars, nested and indentless sequences."""
    fm = yaml.dump(doc, default_flow_style=False, width=width, indent=indent,
                   allow_unicode=True, sort_keys=False, Dumper=yaml.SafeDumper)
    got = check(fm)
    if got is not None:
        assert got == yaml.load(fm, Loader=yaml.BaseLoader)
