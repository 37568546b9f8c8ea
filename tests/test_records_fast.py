"""The fast paths of record parsing (issue 10, item 5) give what the plain code gives.

Each fast path is compared with a straightforward version of the same rule, written out
here (the code before the speed work): the nesting screen's shortcut, figure rows built in
one pass, file reads sized by ``fstat``, field-length checks skipped for short front matter.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pfocr_tools import extract, records, sources
from pfocr_tools.errors import DataError
from pfocr_tools.records import Limits, Page
from pfocr_tools.sources import read_file
from pfocr_tools.table import clean, source_in_flavor

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
PREFIXISH = st.text(alphabet=st.sampled_from(list(" \t-?:&!\n\r[{a#é→")), max_size=300)


def plain_depth(fm: str, label: str, limit: int = records.MAX_DEPTH) -> None:
    """check_depth as it was: the per-line prefix regex always."""
    prefix = max(map(len, records._PREFIX.findall(fm)), default=0)
    block = 2 * (prefix + 1)
    if block + fm.count("[") + fm.count("{") <= limit:
        return
    if block + len(records._FLOW_OPEN.findall(fm)) <= limit:
        return
    records.walk_depth(fm, label, limit)  # the exact walk is not what is compared here


def outcome(fn, *args) -> str:
    try:
        fn(*args)
    except DataError as exc:
        return str(exc)
    return "ok"


@SETTINGS
@given(st.lists(PREFIXISH, max_size=8).map("".join))
def test_short_prefix_screen_is_sound(fm: str) -> None:
    """When the screen says every prefix is short, the regex agrees."""
    if records._prefixes_short(fm):
        assert max(map(len, records._PREFIX.findall(fm)), default=0) <= records._SHORT_PREFIX


@pytest.mark.parametrize("line", [
    " " * 16 + "x", "- " * 8 + "x", "\t" * 20, "&a " + "- " * 7 + "x", "- !t " * 4 + "x",
    "? : - " * 3, "  &" + "x" * 40 + " y", " " * 15 + "&a x", "- " * 7 + " !t x",
])
def test_short_prefix_screen_sends_long_prefixes_on(line: str) -> None:
    for fm in (line + "\n", "a: b\n" + line + "\n"):
        assert max(map(len, records._PREFIX.findall(fm))) > records._SHORT_PREFIX \
            or "&" in line or "!" in line
        assert not records._prefixes_short(fm)


@SETTINGS
@given(st.lists(st.sampled_from([" ", "- ", "? ", ": ", "[", "{", "]", "}", "&a ", "!t ",
                                 "x", "\n", "é", "a: ", "\t"]), max_size=400).map("".join),
       st.sampled_from([5, 20, 40, 100]))
def test_check_depth_same_outcome(fm: str, limit: int) -> None:
    assert outcome(records.check_depth, fm, "f.md", limit) == \
        outcome(plain_depth, fm, "f.md", limit)


# ------------------------------------------------------------------------- figure rows


def plain_rows(page: Page | None, gene_rows, figid=None, flavor="all") -> str:
    """build_figure's text as it was: one row at a time."""
    if page is not None:
        meta, figid = page.meta, page.figid
        if page.genes is not None:
            gene_rows = [(*records.HUMAN, g["word"], g["symbol"], g["hgnc_symbol"],
                          g["source"], g["entrez"]) for g in page.genes]
        gene_rows = gene_rows or []
        extra = ("|".join(page.organisms), "|".join(page.organisms_ner),
                 "|".join(page.mentions))
    else:
        meta = dict.fromkeys(records.TEXT_KEYS, "")
        extra = ("", "", "")
    counts: dict = {}
    for row in gene_rows:
        if flavor == "all" or source_in_flavor(row[5], flavor):
            counts[row] = counts.get(row, 0) + 1
    head = "\t".join(clean(v) for v in (figid, meta["figid_alias"], meta["pmcid"],
                                        meta["figtitle"], meta["papertitle"], meta["year"],
                                        *extra))
    lines = []
    for row, n in counts.items():
        joined = "\t".join(row)
        if joined.count("\t") != 6 or "\n" in joined or "\r" in joined:
            joined = "\t".join(clean(v) for v in row)
        lines.append(f"{head}\t{joined}\t{n}\n")
    return "".join(lines)


VALUE = st.text(alphabet=st.sampled_from(list("ab\t\n\r {}é|")), max_size=6)
SOURCES = st.sampled_from(["hgnc_symbol", "hgnc_alias_symbol", "bioentities_symbol",
                           "ncbigene_synonym", "x\t"])


def once(text: str) -> str:
    """A figure's rows with the per-figure columns (fields 2-9) emptied but on the first."""
    lines = text.splitlines(keepends=True)
    out = lines[:1]
    for line in lines[1:]:
        cells = line.split("\t")
        out.append("\t".join([cells[0], *[""] * 8, *cells[9:]]))
    return "".join(out)


@SETTINGS
@given(st.lists(st.tuples(VALUE, VALUE, VALUE, VALUE, VALUE, SOURCES, VALUE), max_size=12),
       VALUE, st.sampled_from(["all", "synonyms", "strict"]))
def test_rows_of_a_genes_tsv(rows, title: str, flavor: str) -> None:
    rows = rows + rows[:3]  # repeats are counted
    page = Page(figid="F{1}", meta={**dict.fromkeys(records.TEXT_KEYS, ""), "figtitle": title},
                organisms=["a\tb"], organisms_ner=[], genes=None, mentions=["9606"])
    fig = records.build_figure(page, rows, flavor=flavor, repeat=True)
    assert fig.text == plain_rows(page, rows, flavor=flavor)
    assert records.build_figure(page, rows, flavor=flavor).text == once(fig.text)
    assert fig.n_rows == fig.text.count("\n")
    assert int(fig.meta["n_genes"]) == len({r[6] for r in rows
                                            if flavor == "all" or source_in_flavor(r[5],
                                                                                   flavor)})
    alone = records.build_figure(None, rows, figid="F1", flavor=flavor, repeat=True)
    assert alone.text == plain_rows(None, rows, figid="F1", flavor=flavor)


@SETTINGS
@given(st.lists(st.tuples(VALUE, VALUE, VALUE, SOURCES, VALUE), max_size=12),
       st.sampled_from(["all", "synonyms", "strict"]))
def test_rows_of_an_old_schema_page(rows, flavor: str) -> None:
    genes = [dict(zip(records.OLD_GENE_KEYS, (w, s, src, h, e), strict=True))
             for w, s, h, src, e in rows]
    genes += genes[:2]
    page = Page(figid="F1", meta=dict.fromkeys(records.TEXT_KEYS, "t"), organisms=[],
                organisms_ner=["x"], genes=genes)
    fig = records.build_figure(page, None, flavor=flavor, repeat=True)
    assert fig.text == plain_rows(page, None, flavor=flavor)
    assert records.build_figure(page, None, flavor=flavor).text == once(fig.text)
    for line in fig.text.splitlines():
        assert len(line.split("\t")) == 17


def test_figure_size_limit_counts_the_old_schema_columns() -> None:
    """The size estimate counts taxid and organism (16 characters) on every row, as before."""
    genes = [dict(zip(records.OLD_GENE_KEYS, (f"w{i}", "S", "hgnc_symbol", "S", "1"),
                      strict=True)) for i in range(100)]
    page = Page(figid="F1", meta=dict.fromkeys(records.TEXT_KEYS, ""), organisms=[],
                organisms_ner=[], genes=genes)
    head = len("F1") + 8
    size = sum((head + 16 + 16 + len(f"w{i}") + 1 + 11 + 1 + 1) for i in range(100))
    records.build_figure(page, None, limits=Limits(record_bytes=size // 4 + 1))
    with pytest.raises(DataError, match=f"would take {size:,} bytes"):
        records.build_figure(page, None, limits=Limits(record_bytes=size // 4 - 1))


# ------------------------------------------------------------------------- page checks


def test_long_gene_field_in_a_long_front_matter(tmp_path: Path) -> None:
    genes = "".join(f"- word: w{i}\n  symbol: S\n  source: hgnc_symbol\n  hgnc_symbol: S\n"
                    f"  entrez: '1'\n" for i in range(40))
    genes += "- word: " + "W" * 300 + "\n  symbol: S\n  source: hgnc_symbol\n" \
             "  hgnc_symbol: S\n  entrez: '1'\n"
    data = f"---\nfigid: F1\ngenes:\n{genes}---\n".encode()
    limits = Limits(field_chars=200)
    with pytest.raises(DataError, match=r"genes item 41 'word' is longer than 200") as err:
        records.parse_page(data, "p.md", limits=limits)
    assert err.value.line == 4 + 40 * 5  # line 1 is "---", item 1 on line 4
    assert records.parse_page(data, "p.md", limits=Limits(field_chars=300)).figid == "F1"


@pytest.mark.parametrize("exact", [False, True])
def test_gene_row_with_an_extra_key_is_length_checked(exact: bool) -> None:
    data = ("---\nfigid: F1\ngenes:\n- word: " + "W" * 300 + "\n  symbol: S\n  source: s\n"
            "  hgnc_symbol: S\n  entrez: '1'\n  other: x\n---\n").encode()
    with pytest.raises(DataError, match="genes item 1 'word' is longer than 200"):
        records.parse_page(data, "p.md", exact, Limits(field_chars=200))


@pytest.mark.parametrize("exact", [False, True])
def test_short_front_matter_values_within_the_limit(exact: bool) -> None:
    """The per-value checks are skipped only when no value can be longer than the limit."""
    fm = "figid: F1\nfigtitle: " + "t" * 90 + "\norganisms:\n- " + "o" * 50 + "\n"
    data = f"---\n{fm}---\n".encode()
    assert records.parse_page(data, "p.md", exact, Limits(field_chars=len(fm))).figid == "F1"
    with pytest.raises(DataError, match="field 'figtitle' is longer than 89"):
        records.parse_page(data, "p.md", exact, Limits(field_chars=89))
    with pytest.raises(DataError, match="field 'organisms' is longer than 49"):
        records.parse_page(data.replace(b"t" * 90, b"t"), "p.md", exact,
                           Limits(field_chars=49))


# ------------------------------------------------------------------------------- reads


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 70000, 200000])
def test_read_file_sizes(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    body = bytes(itertools.islice(itertools.cycle(range(256)), size))
    path.write_bytes(body)
    for limit in (4096, 70000, 1 << 20):
        if size > limit:
            with pytest.raises(DataError, match=f"larger than {limit:,} bytes"):
                read_file(str(path), limit)
        else:
            assert read_file(str(path), limit) == body


def test_read_file_refuses_a_fifo_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_file(str(fifo), 100)


def plain_split(text: str, label: str) -> str:
    """split_front_matter as it was (partition, then the same searches on the rest)."""
    first, _, rest = text.partition("\n")
    if first.rstrip() != "---":
        raise DataError("no YAML front matter: the first line must be '---'", label, 1)
    cut = rest.find("\n---\n")
    if (cut >= 0 and not rest.startswith(("---", "..."))
            and rest.find("\n---", 0, cut) < 0 and rest.find("\n...", 0, cut) < 0):
        return rest[: cut + 1]
    end = records._FM_END.search(rest)
    if end is None:
        raise DataError("YAML front matter is not closed by a '---' line", label)
    return rest[: end.start()]


@SETTINGS
@given(st.lists(st.sampled_from(["---", "...", "\n", "-", ".", " ", "\r", "a: b", "\t", "é"]),
                max_size=40).map("".join))
def test_split_front_matter_same_as_before(text: str) -> None:
    for t in (text, "---\n" + text, "--- \n" + text + "\n---\n"):
        assert outcome(records.split_front_matter, t, "p.md") == outcome(plain_split, t, "p.md")
        try:
            got = records.split_front_matter(t, "p.md")
        except DataError:
            continue
        assert got == plain_split(t, "p.md")


# ------------------------------------------------------------------------ folder walk


def plain_from_directory(root: str) -> list[tuple]:
    """sources._from_directory as it was: file_candidates and a stat per page left over."""
    pages: list[str] = []
    tsvs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            if sources.is_page(name):
                pages.append(full)
            elif sources.is_tsv(name):
                tsvs.add(full)
    pages.sort()
    norm = {os.path.normpath(t): t for t in tsvs}
    claimed: set[str] = set()
    out = []
    for page in pages:
        wanted = sources.file_candidates(page)
        tsv = next((p for p in wanted if os.path.normpath(p) in norm), None)
        if tsv is not None:
            tsv = norm[os.path.normpath(tsv)]
            claimed.add(tsv)
        else:
            tsv = next((p for p in wanted[1:] if os.path.isfile(p)), None)
        out.append((page, page, tsv, tsv))
    for tsv in sorted(tsvs - claimed):
        out.append((tsv, None, tsv, tsv))
    return out


def test_folder_walk_same_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "db"
    for rel in ("_figures/A.md", "_figures/B.md", "_figures/C.markdown", "_data/A-genes.tsv",
                "_data/Z-genes.tsv", "old/D.md", "old/D-genes.tsv", "deep/x/_figures/E.md",
                "deep/x/_data/E-genes.tsv", "deep/x/_figures/F.md", "deep/F-genes.tsv",
                "other/_figures/G.md"):
        (db / rel).parent.mkdir(parents=True, exist_ok=True)
        (db / rel).write_text("x", "utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "G-genes.tsv").write_text("x", "utf-8")
    (db / "other" / "_data").symlink_to(outside)  # not walked: found on disk, as before
    monkeypatch.chdir(tmp_path)
    for root in (str(db), str(db) + "/", "db", "db/", "./db", "db/_figures", "db/_figures/",
                 "db/deep/x/_figures", "db/other/_figures", "db/other"):
        got = [(s.label, s.page_path, s.tsv_path, s.tsv_label)
               for s in sources._from_directory(root)]
        assert got == plain_from_directory(root), root
    monkeypatch.chdir(db / "_figures")
    got = [(s.label, s.page_path, s.tsv_path, s.tsv_label) for s in sources._from_directory(".")]
    assert got == plain_from_directory(".")
    assert ("./A.md", "./A.md", "../_data/A-genes.tsv", "../_data/A-genes.tsv") in got


def test_folder_walk_pages_of_nested_folders_in_path_order(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Pages of a folder and of its subfolders interleave in sorted path order ("a/b-c/"
    before "a/b/", "a/m.md" between "a/b/" and "a/z/"); the listing merges the folders'
    sorted names into that order. Two pages may claim one TSV (x.md, x.markdown)."""
    db = tmp_path / "db"
    for rel in ("a.md", "m.md", "z.md", "b/q.md", "b-c/y.md", "b.d/w.md", "m/k.md",
                "z/_figures/x.md", "z/_figures/x.markdown", "z/_data/x-genes.tsv",
                "z/_data/y-genes.tsv", "m-genes.tsv", "b/q-genes.tsv", "b/r-genes.tsv",
                "sp ace/é.md", "sp ace/é-genes.tsv"):
        (db / rel).parent.mkdir(parents=True, exist_ok=True)
        (db / rel).write_text("x", "utf-8")
    monkeypatch.chdir(tmp_path)
    for root in (str(db), "db", "db/", "./db", "db/z", "db/z/_figures"):
        got = [(s.label, s.page_path, s.tsv_path, s.tsv_label)
               for s in sources._from_directory(root)]
        assert got == plain_from_directory(root), root
    labels = [s.label for s in sources._from_directory("db")]
    assert labels[:4] == ["db/a.md", "db/b-c/y.md", "db/b.d/w.md", "db/b/q.md"]
    assert not list(sources._from_directory(str(tmp_path / "missing")))


# ------------------------------------------------------------------ duplicate figids


def test_first_seen_is_a_dict_of_first_labels(tmp_path: Path) -> None:
    """extract.FirstSeen answers as a dict figid -> first label would, also for figids whose
    hashes clash (forced here) and across the table's growth."""
    seen = extract.FirstSeen(str(tmp_path / "figids"))
    plain: dict[str, str] = {}
    figids = [f"PMC{i % 3000}__F{i % 7}" for i in range(6000)] + ["é\udcff", "", "a\tb"]
    for n, figid in enumerate(figids):
        label = f"in/{n}\udc80.md"
        assert seen.first(figid, label) == plain.get(figid)
        plain.setdefault(figid, label)
    seen.close()

    class Clash(str):
        def __hash__(self) -> int:
            return 42

    seen = extract.FirstSeen(str(tmp_path / "clash"))
    for n in range(50):
        assert seen.first(Clash(f"f{n}"), f"l{n}") is None
    for n in range(50):
        assert seen.first(Clash(f"f{n}"), "again") == f"l{n}"
    seen.close()


def test_duplicate_figid_names_the_first_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    page = "---\nfigid: {}\ngenes:\n- word: W\n  symbol: S\n  source: hgnc_symbol\n" \
           "  hgnc_symbol: S\n  entrez: '1'\n---\n"
    for i in range(400):
        (folder / f"r{i:03d}.md").write_text(page.format(f"PMC{i}__F1"), "utf-8")
    (folder / "r399.md").write_text(page.format("PMC7__F1"), "utf-8")
    for jobs in (1, 2):
        with pytest.raises(DataError, match=r"r399.md: figid PMC7__F1 seen twice "
                                            r"\(first in .*r007.md\)"):
            extract.extract([str(folder)], str(tmp_path / "o.tsv"), jobs=jobs)
        stats = extract.extract([str(folder)], str(tmp_path / "o.tsv"), jobs=jobs,
                                on_error="skip")
        assert stats["figures"] == 399 and stats["rejects"] == 1


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux only")
def test_default_jobs_follow_the_cpus_allowed() -> None:
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from pfocr_tools import extract; print(extract.usable_cpus())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"
    assert extract.usable_cpus() == len(os.sched_getaffinity(0))
