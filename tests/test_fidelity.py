"""Fidelity: extract -> filter -> export reproduces the official PFOCR libraries, figure for figure.

Old-schema records against the human library of 2021-04-26, current-schema records filtered to
Mus musculus against the mouse library of 2026-02-15 (reference lines in test-data/reference/).
Every step runs as a real subprocess of the command-line tool.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CURRENT_RECORDS, OLD_RECORDS, RECORDS, TEST_DATA

REFERENCE = TEST_DATA / "reference"
HUMAN_2021 = REFERENCE / "pfocr-20210426-gmt-Homo_sapiens-hgnc3.subset.gmt"
MOUSE_2026 = REFERENCE / "pfocr-20260215-gmt-Mus_musculus.subset.gmt"
# a later record version (paper of 2020), not in the 2021 release
PMC7048131 = "PMC7048131__12964_2020_527_Fig1_HTML"
PMC7048131_STRICT_HUMAN = {"1950", "1956", "3570", "6774"}


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", f"pfocr_tools.{name}", *map(str, args)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def read_gmt(path: Path) -> dict[str, tuple[str, list[str]]]:
    sets: dict[str, tuple[str, list[str]]] = {}
    for line in path.read_text("utf-8").splitlines():
        name, title, *ids = line.split("\t")
        assert name not in sets, f"set {name} twice in {path.name}"
        sets[name] = (title, ids)
    return sets


def figids(folder: Path) -> set[str]:
    return {p.name[: -len(".md")] for p in folder.glob("*.md")}


def pipeline(tmp: Path, records: Path, organism: str, flavor: str = "all") -> Path:
    table = tmp / "table.tsv"
    kept = tmp / "kept.tsv"
    gmt = tmp / "library.gmt"
    tool("extract", records, "-o", table, "--flavor", flavor, "--jobs", "1")
    tool("filter", table, "-o", kept, "--organism", organism)
    tool("export", kept, "-o", gmt)
    return gmt


@pytest.fixture(scope="module")
def human_old(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str]]]:
    return read_gmt(pipeline(tmp_path_factory.mktemp("human"), OLD_RECORDS, "human"))


@pytest.fixture(scope="module")
def mouse_current(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str]]]:
    return read_gmt(pipeline(tmp_path_factory.mktemp("mouse"), CURRENT_RECORDS, "Mus musculus"))


def test_reference_subsets_cover_the_records() -> None:
    human = read_gmt(HUMAN_2021)
    mouse = read_gmt(MOUSE_2026)
    assert set(human) <= figids(OLD_RECORDS)
    assert set(mouse) <= figids(CURRENT_RECORDS / "_figures")
    assert len(human) == 65 and len(mouse) == 16
    assert all(title == name for name, (title, _) in human.items())  # 2021: col 2 = figid


def test_old_schema_matches_human_2021(human_old: dict) -> None:
    reference = read_gmt(HUMAN_2021)
    for figid in sorted(figids(OLD_RECORDS)):
        if figid == PMC7048131:
            continue
        if figid in reference:
            assert figid in human_old, f"{figid} missing from our human library"
            ours = human_old[figid][1]
            assert len(ours) == len(set(ours)), f"{figid}: duplicate gene IDs"
            assert set(ours) == set(reference[figid][1]), figid
        else:
            assert figid not in human_old, f"{figid} is not in the 2021 library"
    assert set(human_old) - set(reference) == {PMC7048131}


def test_pmc7048131_is_the_documented_exception(human_old: dict) -> None:
    assert PMC7048131 not in read_gmt(HUMAN_2021)
    title, ids = human_old[PMC7048131]
    assert set(ids) == PMC7048131_STRICT_HUMAN
    assert title == "Classical IL-6/STAT3 signaling pathway in cancer cells"


def test_current_schema_matches_mouse_2026(mouse_current: dict) -> None:
    reference = read_gmt(MOUSE_2026)
    assert set(mouse_current) == set(reference)
    for figid, (title, ids) in reference.items():
        ours_title, ours = mouse_current[figid]
        assert len(ours) == len(set(ours))
        assert set(ours) == set(ids), figid
        assert ours_title == title, figid
    absent = figids(CURRENT_RECORDS / "_figures") - set(reference)
    assert len(absent) == 3 and not absent & set(mouse_current)


def test_strict_extract_gives_the_same_library(tmp_path: Path, mouse_current: dict) -> None:
    gmt = pipeline(tmp_path, CURRENT_RECORDS, "10090", flavor="strict")
    assert read_gmt(gmt) == mouse_current


def test_split_by_organism_gives_the_same_libraries(tmp_path: Path, human_old: dict,
                                                     mouse_current: dict) -> None:
    """All records at once, one export: the per-species files hold the same sets."""
    table = tmp_path / "all.tsv"
    tool("extract", RECORDS, "-o", table, "--jobs", "1")
    out = tmp_path / "libs"
    tool("export", table, "--split-by-organism", out, "--prefix", "pfocr-test")
    mouse = read_gmt(out / "pfocr-test-gmt-Mus_musculus.gmt")
    human = read_gmt(out / "pfocr-test-gmt-Homo_sapiens.gmt")
    assert mouse == mouse_current  # old-schema records have human rows only
    old = figids(OLD_RECORDS)
    assert {k: v for k, v in human.items() if k in old} == human_old
