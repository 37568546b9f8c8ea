"""Release GMTs in: pfocr-extract reads official PFOCR release GMTs (issue 14, item 2).

Extract then export reproduces the release set for set; the rows pass through remap (to
symbols, to human orthologs) and export, as a consumer of the releases would chain them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pfocr_tools import extract, releases
from pfocr_tools.gmtsafe import safe_title
from pfocr_tools.table import COLUMNS, read_table

from .clirun import run_main
from .conftest import TEST_DATA

DATA = TEST_DATA / "releases"
MOUSE = DATA / "pfocr-20260215-gmt-Mus_musculus.slice.gmt"
HUMAN = DATA / "pfocr-20210426-gmt-Homo_sapiens-hgnc3.slice.gmt"
ALIAS = DATA / "pfocr-20240101-gmt-Mus_musculus.alias.gmt"


def tool(name: str, *args: str | Path, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", f"pfocr_tools.{name}", *map(str, args)],
                          capture_output=True, text=True, input=stdin, check=False)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def read_gmt(text: str) -> dict[str, tuple[str, list[str]]]:
    sets: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        name, title, *ids = line.split("\t")
        assert name not in sets
        sets[name] = (title, ids)
    return sets


@pytest.mark.parametrize("release", [MOUSE, HUMAN, ALIAS], ids=lambda p: p.name)
def test_extract_then_export_reproduces_the_release(tmp_path: Path, release: Path) -> None:
    table = tmp_path / "table.tsv"
    ok(tool("extract", release, "-o", table))
    library = ok(tool("export", table, "-o", "-"))
    original = read_gmt(release.read_text("utf-8"))
    again = read_gmt(library)
    assert list(again) == list(original)  # every set, in release order
    for name, (title, ids) in original.items():
        assert again[name] == (safe_title(title), ids), name
    # lines whose titles need no change come back byte for byte
    changed = {name for name, (title, _) in original.items() if safe_title(title) != title}
    assert len(changed) == (3 if release == MOUSE else 0)  # the 3 titles with %

    def unchanged(text: str) -> list[str]:
        return [ln for ln in text.splitlines(keepends=True) if ln.split("\t")[0] not in changed]

    assert unchanged(library) == unchanged(release.read_text("utf-8"))


def test_release_rows(tmp_path: Path) -> None:
    table = tmp_path / "table.tsv"
    figs = tmp_path / "figs.tsv"
    proc = tool("extract", MOUSE, "-o", table, "--figures", figs)
    ok(proc)
    assert "33 figures read from 1 release GMT(s)" in proc.stderr
    df = read_table(str(table))
    assert tuple(df.columns) == COLUMNS
    assert set(df["source"]) == {"pfocr_release"}
    assert set(df["taxid"]) == {"10090"} and set(df["organism"]) == {"Mus musculus"}
    first = df[df["figid"] == "PMC10025411__fncel-17-1105247-g0001"]
    assert first["gene_id"].tolist() == ["11911", "228775", "22433", "12028", "226641"]
    assert set(first["pmcid"]) == {"PMC10025411"} and set(first["figid_alias"]) == {""}
    assert set(first["occurrences"]) == {"1"}
    assert len(figs.read_text("utf-8").splitlines()) == 34


def test_alias_names_are_kept_in_figid_alias(tmp_path: Path) -> None:
    table = tmp_path / "table.tsv"
    ok(tool("extract", ALIAS, "-o", table))
    df = read_table(str(table))
    assert (df["figid_alias"] == df["figid"]).all()
    assert "PMC8377849__F10" in set(df["figid_alias"])
    by_alias = read_gmt(ok(tool("export", table, "--set-name", "alias")))
    assert by_alias == read_gmt(ok(tool("export", table)))


def test_organism_from_name_or_option(tmp_path: Path) -> None:
    assert releases.species_from_name(str(HUMAN)) == ("9606", "Homo sapiens")
    assert releases.species_from_name("pfocr-20231010-gmt-Danio_rerio.gmt") == \
        ("7955", "Danio rerio")
    assert releases.species_from_name("library.gmt") is None
    plain = tmp_path / "library.gmt"
    shutil.copy(MOUSE, plain)
    proc = tool("extract", plain, "-o", tmp_path / "t.tsv")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "no species in the file name" in proc.stderr and "--organism" in proc.stderr
    assert not (tmp_path / "t.tsv").exists()
    ok(tool("extract", plain, "-o", tmp_path / "t.tsv", "--organism", "rat"))
    assert set(read_table(str(tmp_path / "t.tsv"))["taxid"]) == {"10116"}


def test_recognised_by_content(tmp_path: Path) -> None:
    other = tmp_path / "sets.txt"  # no .gmt name: the content tells
    shutil.copy(HUMAN, other)
    assert releases.is_release_gmt(str(other))
    ok(tool("extract", other, "-o", tmp_path / "t.tsv", "--organism", "human"))
    assert len(read_table(str(tmp_path / "t.tsv"))) == sum(
        len(line.split("\t")) - 2 for line in HUMAN.read_text("utf-8").splitlines())
    # tables, genes TSVs and pages are not GMTs
    table = (TEST_DATA / "export" / "table.tsv").read_bytes()
    assert not releases.looks_like_gmt(table)
    assert not releases.looks_like_gmt(b"word\tmatch\tsource\nIL6\tIL6\t3569\n")
    assert not releases.looks_like_gmt(b"---\nfigid: x\n---\n")
    assert not releases.looks_like_gmt(b"a b\tt\t1\t2\n")
    assert releases.looks_like_gmt(b"PMC1__a\tA title with spaces\t1\t2\t3\n")


def test_bad_release_lines(tmp_path: Path) -> None:
    bad = tmp_path / "pfocr-20260215-gmt-Mus_musculus.gmt"
    bad.write_text("PMC1__a\tTitle\t1\t2\nPMC1__b\n", encoding="utf-8")
    proc = tool("extract", bad, "-o", tmp_path / "t.tsv")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert f"{bad}:2: not a GMT line" in proc.stderr
    assert not (tmp_path / "t.tsv").exists()
    bad.write_text("PMC1__a\tTitle\t1\t2\nPMC1__a\tAgain\t3\n", encoding="utf-8")
    proc = tool("extract", bad, "-o", tmp_path / "t.tsv")
    assert proc.returncode == 1 and "set PMC1__a seen twice (first on line 1)" in proc.stderr


def test_records_and_releases_in_separate_runs(tmp_path: Path) -> None:
    res = run_main(extract.main, [MOUSE, TEST_DATA / "records" / "old-schema", "-o",
                                  tmp_path / "t.tsv"])
    assert res.returncode == 2 and "separate runs" in res.stderr
    res = run_main(extract.main, [TEST_DATA / "records" / "old-schema", "-o",
                                  tmp_path / "t.tsv", "--organism", "human"])
    assert res.returncode == 2 and "release GMT inputs only" in res.stderr


def _pipe(*commands: list[str]) -> str:
    """Run commands joined by pipes (``bash -o pipefail``); return the last one's output."""
    line = " | ".join(" ".join(shlex.quote(w) for w in [sys.executable, "-m", *cmd])
                      for cmd in commands)
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_release_to_symbols_pipeline() -> None:
    """pfocr-extract X.gmt | pfocr-remap --to symbol | pfocr-export --id-column symbol"""
    out = _pipe(["pfocr_tools.extract", str(MOUSE)],
                ["pfocr_tools.remap", "-", "-o", "-", "--to", "symbol"],
                ["pfocr_tools.export", "-", "--id-column", "symbol"])
    sets = read_gmt(out)
    assert sets["PMC10025411__fncel-17-1105247-g0001"][1][:5] == \
        ["Atf4", "Trib3", "Xbp1", "Bax", "Atf6"]
    assert set(sets) <= set(read_gmt(MOUSE.read_text("utf-8")))
    assert all(not gid.isdigit() for _, ids in sets.values() for gid in ids)


def test_release_to_human_orthologs_pipeline() -> None:
    out = _pipe(["pfocr_tools.extract", str(MOUSE)],
                ["pfocr_tools.remap", "-", "-o", "-", "--to", "symbol",
                 "--ortholog-to", "human"],
                ["pfocr_tools.export", "-", "--id-column", "symbol"])
    ids = read_gmt(out)["PMC10025411__fncel-17-1105247-g0001"][1]
    assert {"ATF4", "TRIB3", "XBP1", "BAX", "ATF6"} <= set(ids)
