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


def test_remap_says_rows_written_only_after_writing(tmp_path: Path) -> None:
    from pfocr_tools import remap

    res = run_main(remap.main, [TABLE, "-o", "/dev/full"])  # the write fails (ENOSPC)
    assert res.returncode == 1 and "No space left" in res.stderr
    assert "rows written" not in res.stderr
    res = run_main(remap.main, [TABLE, "-o", tmp_path / "out.tsv"])
    assert res.returncode == 0 and "rows written" in res.stderr


def test_help_names_arguments_alike() -> None:
    """Every tool: the table argument is IN.tsv (extract: INPUT), files are NAME.ext, every
    option that takes a value shows a metavar or its choices (no argparse dest names)."""
    import argparse

    from pfocr_tools import extract, filter as filter_, remap, report

    for module in (extract, filter_, remap, export, report):
        parser = module.build_parser()
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._VersionAction) or \
                    action.nargs == 0:
                continue
            name = action.option_strings[0] if action.option_strings else action.dest
            if not action.option_strings:
                assert action.metavar in ("IN.tsv", "INPUT"), (module.PROG, name)
            elif action.choices is None:
                assert action.metavar, (module.PROG, name)
            if action.dest == "output":
                assert action.metavar in ("OUT.tsv", "OUT", "REPORT.html"), module.PROG
