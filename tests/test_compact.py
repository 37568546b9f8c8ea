"""Per-figure columns written once per figure (pfocr-extract's default) or on every row
(``--repeat-figure-columns``, as 0.1.0): every tool reads both forms the same, and the tools
that pass rows through keep the form they were given, with each figure's values on its first
row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pfocr_tools import export, report, table
from pfocr_tools import filter as pfilter
from pfocr_tools import remap as premap
from pfocr_tools.table import TableReader, read_table

from .clirun import run_main
from .conftest import RECORDS
from .test_extract import compacted


def extract(out: Path, *extra: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(RECORDS), "-o",
                           str(out), "--jobs", "1", *extra], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return out




def first_rows_carry_values(path: Path) -> None:
    """Every figure's first row holds its pmcid (every bundled record has one)."""
    with TableReader(str(path)) as reader:
        for block in reader.blocks():
            starts, _ = block.runs()
            pmcid = block.cells("pmcid")
            assert all(pmcid[s] for s in starts), path


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> tuple[Path, Path]:
    """The bundled records' gene table in both forms, same file name in two folders (the
    tools' outputs name their input)."""
    base = tmp_path_factory.mktemp("forms")
    (base / "once").mkdir()
    (base / "every").mkdir()
    return (extract(base / "once" / "table.tsv"),
            extract(base / "every" / "table.tsv", "--repeat-figure-columns"))


def test_extract_writes_figure_columns_once(forms: tuple[Path, Path]) -> None:
    once, every = forms
    assert once.read_text("utf-8") == compacted(every.read_text("utf-8"))
    rows = every.read_text("utf-8").count("\n") - 1
    print(f"bytes per row: {once.stat().st_size / rows:.0f} once, "
          f"{every.stat().st_size / rows:.0f} repeated")
    assert once.stat().st_size < 0.6 * every.stat().st_size


def test_read_table_fills_the_figure_columns(forms: tuple[Path, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    once, every = forms
    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)  # blocks cut inside figures (by=None)
    assert read_table(str(once)).equals(read_table(str(every)))


def test_block_column_takes_the_first_non_empty_cell(tmp_path: Path) -> None:
    """A figure whose rows were reordered (its first row empty) still reads whole."""
    head = "\t".join(table.COLUMNS) + "\n"
    row = dict.fromkeys(table.COLUMNS, "")
    lines = []
    for i, (fig, title) in enumerate([("F1", ""), ("F1", "T1"), ("F1", ""), ("F2", "T2"),
                                      ("F3", ""), ("F3", "")]):
        row.update(figid=fig, figtitle=title, taxid="9606", organism="Homo sapiens",
                   word=f"W{i}", symbol=f"S{i}", source="hgnc_symbol", gene_id=str(i))
        lines.append("\t".join(row[c] for c in table.COLUMNS) + "\n")
    path = tmp_path / "t.tsv"
    path.write_text(head + "".join(lines), "utf-8")
    with TableReader(str(path)) as reader:
        (block,) = list(reader.blocks(by=None))
    assert block.runs() == ([0, 3, 4], [3, 1, 2])
    assert block.column("figtitle") == ["T1", "T1", "T1", "T2", "", ""]
    assert block.cells("figtitle") == ["", "T1", "", "T2", "", ""]
    assert block.frame()["figtitle"].tolist() == block.column("figtitle")
    assert read_table(str(path))["figtitle"].tolist() == ["T1", "T1", "T1", "T2", "", ""]


@pytest.mark.parametrize("args", [
    ["--format", "gmt", "--flavor", "strict", "--min-size", "3"],
    ["--format", "tsv", "--set-name", "alias", "--min-size", "1"],
    ["--format", "json", "--description", "title"],
    ["--format", "ndjson"],
    ["--format", "gmt", "--split-by-organism", "{out}/split"],
])
def test_export_is_the_same_from_both_forms(forms: tuple[Path, Path], tmp_path: Path,
                                            args: list[str]) -> None:
    outs = []
    for src in forms:
        out = tmp_path / src.parent.name
        out.mkdir()
        res = run_main(export.main, [src, "-o", out / "o",
                                     *(a.format(out=out) for a in args)])
        assert res.returncode == 0, res.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files
    for rel in files:
        if rel.name.endswith(".manifest.json"):
            continue  # names the input's SHA-256, which differs
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_report_is_the_same_from_both_forms(forms: tuple[Path, Path], tmp_path: Path) -> None:
    pages = []
    for src in forms:
        out = tmp_path / f"{src.parent.name}.html"
        res = run_main(report.main, [src, "-o", out, "--title", "t"])
        assert res.returncode == 0, res.stderr
        pages.append(out.read_text("utf-8"))
    assert pages[0] == pages[1]


@pytest.mark.parametrize("args", [
    ["--organism", "mouse"],  # figures whose first rows are human: dropped, mouse rows kept
    ["--organism", "human,mouse", "--exclude-mentions"],
    ["--organism", "rat", "--by", "record"],
])
def test_filter_keeps_the_form_and_the_values(forms: tuple[Path, Path], tmp_path: Path,
                                              args: list[str]) -> None:
    outs = []
    for src in forms:
        out = tmp_path / f"{src.parent.name}.tsv"
        res = run_main(pfilter.main, [src, "-o", out, "--log", tmp_path / "log.tsv", *args])
        assert res.returncode == 0, res.stderr
        outs.append(out)
    once, every = outs
    assert every.read_text("utf-8").count("\n") > 1
    assert once.read_text("utf-8") == compacted(every.read_text("utf-8"))
    first_rows_carry_values(once)


@pytest.mark.parametrize("args", [
    ["--from", "gene_id", "--to", "entrez,ensembl"],
    ["--from", "symbol", "--to", "symbol,uniprot", "--unmapped", "drop"],
    ["--from", "gene_id", "--to", "symbol", "--ortholog-to", "rat", "--unmapped", "drop"],
])
def test_remap_keeps_the_form_and_the_values(forms: tuple[Path, Path], tmp_path: Path,
                                             args: list[str]) -> None:
    outs = []
    for src in forms:
        out = tmp_path / f"{src.parent.name}.tsv"
        res = run_main(premap.main, [src, "-o", out, *args])
        assert res.returncode == 0, res.stderr
        outs.append(out)
    once, every = outs
    # a row that becomes several (a family's genes, several orthologs) is copied whole, so
    # the copies of a figure's first row repeat its values: read alike, a few bytes more
    assert read_table(str(once)).equals(read_table(str(every)))
    assert len(once.read_bytes()) < 0.6 * len(every.read_bytes())
    first_rows_carry_values(once)


def test_release_gmt_tables_in_both_forms(tmp_path: Path) -> None:
    from .conftest import TEST_DATA

    gmt = TEST_DATA / "releases" / "pfocr-20260215-gmt-Mus_musculus.slice.gmt"
    once, every = tmp_path / "once.tsv", tmp_path / "every.tsv"
    extract_args = [sys.executable, "-m", "pfocr_tools.extract", str(gmt)]
    for out, extra in ((once, []), (every, ["--repeat-figure-columns"])):
        proc = subprocess.run([*extract_args, "-o", str(out), *extra], capture_output=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
    assert once.read_text("utf-8") == compacted(every.read_text("utf-8"))
    assert read_table(str(once)).equals(read_table(str(every)))
