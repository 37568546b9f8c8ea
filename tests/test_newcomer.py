"""A friendlier first hour (issue 14, item 5): what a newcomer sees on the console."""

from __future__ import annotations

from pathlib import Path

from pfocr_tools import export

from .clirun import run_main
from .conftest import TEST_DATA

TABLE = TEST_DATA / "export" / "table.tsv"  # human and mouse rows


def test_mixed_organisms_warn_only_without_the_split(tmp_path: Path) -> None:
    res = run_main(export.main, [TABLE, "-o", tmp_path / "all.gmt"])
    assert res.returncode == 0
    assert "warning: the table holds gene rows of 2 organisms" in res.stderr
    # the main job writes per-species libraries and the all-species one beside them
    res = run_main(export.main, [TABLE, "-o", tmp_path / "all.gmt", "--split-by-organism",
                                 tmp_path / "per-species"])
    assert res.returncode == 0
    assert "warning" not in res.stderr
    assert "holds the sets of all 2 organisms" in res.stderr
    assert "use the per-species libraries in" in res.stderr
