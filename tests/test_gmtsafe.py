"""GMTs every reader takes as written (issue 14, items 1 and 3): --description, safe titles,
--max-title, unique set names / --dedupe."""

from __future__ import annotations

from pathlib import Path

import pytest
from pfocr_tools import export, gmtsafe
from pfocr_tools.errors import DataError

from .clirun import run_main
from .conftest import TEST_DATA

TABLE = TEST_DATA / "export" / "table.tsv"  # 5 records, human and mouse rows
EDGE = TEST_DATA / "export" / "edge.tsv"
MOUSE_RELEASE = TEST_DATA / "releases" / "pfocr-20260215-gmt-Mus_musculus.slice.gmt"


def tab_reader(text: str) -> dict[str, list[str]]:
    """GSEApy / GSEABase / fgsea: fields split on tabs."""
    out = {}
    for line in text.splitlines():
        name, _desc, *genes = line.split("\t")
        out[name] = genes
    return out


def whitespace_reader(text: str) -> dict[str, list[str]]:
    """decoupler's ``read_gmt`` (2.2): each line split on any white space."""
    out = {}
    for line in text.splitlines():
        name, _desc, *genes = line.split()
        out[name] = genes
    return out


def export_text(tmp_path: Path, *args: str | Path, table: Path = TABLE) -> str:
    out = tmp_path / "lib.gmt"
    res = run_main(export.main, [table, "-o", out, "--split-by-organism", tmp_path / "split",
                                 *args])
    assert res.returncode == 0, res.stderr
    return out.read_text("utf-8")


@pytest.mark.parametrize("mode", ["url", "figid"])
def test_whitespace_reader_gets_exactly_the_sets(tmp_path: Path, mode: str) -> None:
    text = export_text(tmp_path, "--description", mode, "--flavor", "all", "--min-size", "1")
    sets = tab_reader(text)
    assert len(sets) == 5
    assert whitespace_reader(text) == sets
    for path in (tmp_path / "split").glob("*.gmt"):  # the per-species libraries too
        part = path.read_text("utf-8")
        assert whitespace_reader(part) == tab_reader(part)


def test_titles_break_a_whitespace_reader(tmp_path: Path) -> None:
    """Why the option exists: with titles, the title words become 'genes'."""
    text = export_text(tmp_path, "--flavor", "all", "--min-size", "1")
    assert whitespace_reader(text) != tab_reader(text)


def test_description_column(tmp_path: Path) -> None:
    text = export_text(tmp_path, "--description", "url")
    for line in text.splitlines():
        name, desc, *_ = line.split("\t")
        assert desc == f"https://pfocr.wikipathways.org/figures/{name}.html"
    text = export_text(tmp_path, "--description", "figid", "--set-name", "alias")
    rows = [line.split("\t") for line in text.splitlines()]
    assert ["PMC6092617__F7", "PMC6092617__EMBJ-37-e99429-g013"] in [r[:2] for r in rows]
    # the TSV title column follows --description, JSON keeps the title
    out = tmp_path / "lib.tsv"
    assert export.main([str(TABLE), "-o", str(out), "--format", "tsv", "--description",
                        "url"]) == 0
    assert out.read_text("utf-8").splitlines()[1].split("\t")[1].startswith("https://")
    out = tmp_path / "lib.json"
    assert export.main([str(TABLE), "-o", str(out), "--format", "json", "--description",
                        "url"]) == 0
    assert '"title": "Classical IL-6/STAT3 signaling pathway in cancer cells"' in \
        out.read_text("utf-8")


def test_url_has_no_white_space() -> None:
    assert gmtsafe.figure_url("PMC1__a b%c") == \
        "https://pfocr.wikipathways.org/figures/PMC1__a%20b%25c.html"


def test_safe_title() -> None:
    assert gmtsafe.safe_title("50% of\tcells\r\nlose\x00 it ") == \
        "50 percent of cells lose it"
    assert gmtsafe.safe_title("a\u2028b\x85c") == "a b c"
    long = "Proposed mechanisms associated with 10% XCDM-induced hTM cell stiffening"
    assert gmtsafe.safe_title(long, 40) == "Proposed mechanisms associated with..."
    assert len(gmtsafe.safe_title(long, 40)) <= 40
    assert gmtsafe.truncate("abcdefghijklmnop", 8) == "abcde..."  # no space to cut at
    assert gmtsafe.truncate("abc", 3) == "abc" and gmtsafe.truncate("abcd", 2) == "ab"


def test_release_titles_made_safe(tmp_path: Path) -> None:
    """The mouse release has titles with %: the library writes them safe for readers."""
    table = tmp_path / "t.tsv"
    from pfocr_tools import extract

    assert extract.main([str(MOUSE_RELEASE), "-o", str(table), "-q"]) == 0
    text = export_text(tmp_path, table=table)
    assert "%" not in text
    assert "following 50 percent PH can be sorted" in text
    text = export_text(tmp_path, "--max-title", "60", table=table)
    assert max(len(line.split("\t")[1]) for line in text.splitlines()) <= 60
    assert len(tab_reader(text)) == 33


def test_max_title_must_be_positive(tmp_path: Path) -> None:
    res = run_main(export.main, [TABLE, "-o", tmp_path / "x.gmt", "--max-title", "0"])
    assert res.returncode == 2 and "--max-title must be 1 or more" in res.stderr
    assert not (tmp_path / "x.gmt").exists()


def _dupe_table(tmp_path: Path, same: bool) -> Path:
    """Two figures sharing one alias (identical sets, or not)."""
    lines = TABLE.read_text("utf-8").splitlines()
    header = lines[0].split("\t")
    i_fig, i_alias, i_gene = (header.index(c) for c in ("figid", "figid_alias", "gene_id"))
    rows = [line.split("\t") for line in lines[1:]]
    first = rows[0][i_fig]
    copy = []
    for row in rows:
        if row[i_fig] == first:
            new = list(row)
            new[i_fig] = first + "_copy"
            if not same:
                new[i_gene] = "9" + new[i_gene]
            copy.append(new)
    for row in rows + copy:
        if row[i_fig] in (first, first + "_copy"):
            row[i_alias] = "PMC1__F1"
    path = tmp_path / "dupes.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header, *rows, *copy]) + "\n", "utf-8")
    return path


def test_set_names_unique_or_error(tmp_path: Path) -> None:
    table = _dupe_table(tmp_path, same=False)
    out = tmp_path / "x.gmt"
    res = run_main(export.main, [table, "-o", out, "--set-name", "alias", "--min-size", "1"])
    assert res.returncode == 1 and res.stderr.count("error:") == 1
    assert "set name PMC1__F1 is used by two sets" in res.stderr and "--dedupe" in res.stderr
    assert not out.exists()
    res = run_main(export.main, [table, "-o", out, "--set-name", "alias", "--min-size", "1",
                                 "--dedupe"])
    assert res.returncode == 0, res.stderr
    names = [line.split("\t")[0] for line in out.read_text("utf-8").splitlines()]
    assert names.count("PMC1__F1") == 1 and names.count("PMC1__F1_2") == 1
    assert len(names) == len(set(names))
    assert "1 set(s) renamed" in res.stderr


def test_dedupe_drops_identical_copies(tmp_path: Path) -> None:
    table = _dupe_table(tmp_path, same=True)
    out = tmp_path / "x.gmt"
    res = run_main(export.main, [table, "-o", out, "--set-name", "alias", "--min-size", "1",
                                 "--dedupe"])
    assert res.returncode == 0, res.stderr
    names = [line.split("\t")[0] for line in out.read_text("utf-8").splitlines()]
    assert names.count("PMC1__F1") == 1 and "PMC1__F1_2" not in names
    assert "1 identical copies dropped" in res.stderr


def test_name_guard() -> None:
    guard = gmtsafe.NameGuard(where="lib.gmt")
    assert guard.check("a", "f1", "t", ("1",)) == "a"
    with pytest.raises(DataError, match=r"lib.gmt: set name a is used by two sets \(figures "
                                        r"f1 and f2, titles 't' and 'u'\)"):
        guard.check("a", "f2", "u", ("1",))
    guard = gmtsafe.NameGuard(dedupe=True)
    guard.check("a", "f1", "t", ("1",))
    guard.check("a_2", "f0", "t", ("7",))
    assert guard.check("a", "f2", "t", ("2",)) == "a_3"
    assert guard.check("a", "f3", "t", ("1",)) is None
