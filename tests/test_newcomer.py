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

    from pfocr_tools import extract, organism_evidence, remap, report
    from pfocr_tools import filter as filter_

    for module in (extract, filter_, remap, export, report, organism_evidence):
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


def _remapped(tmp_path: Path) -> tuple[Path, Path]:
    from pfocr_tools import remap

    out, rep = tmp_path / "remapped.tsv", tmp_path / "remap-report.tsv"
    res = run_main(remap.main, [TABLE, "-o", out, "--report", rep, "-q"])
    assert res.returncode == 0, res.stderr
    return out, rep


def test_report_counts_concatenated_remap_reports_once(tmp_path: Path) -> None:
    from pfocr_tools import report

    _, rep = _remapped(tmp_path)
    one = report.read_remap_report(str(rep))
    both = tmp_path / "both.tsv"  # two shards' reports, one after the other (CWL merge)
    both.write_text(rep.read_text("utf-8") * 2, "utf-8")
    two = report.read_remap_report(str(both))
    assert two.queries == one.queries  # distinct (query, species), not report lines
    assert one.rows is not None and two.rows is not None
    assert {k: 2 * v for k, v in one.rows.items()} == dict(two.rows)  # rows of both shards


def _with_unmapped(tmp_path: Path, grouped: bool) -> Path:
    """The remapped table plus an 'unmapped' row in every figure (a word remap left as it
    was: old ID 999999, symbol 'ras'), which would top the gene ranking if it counted."""
    remapped, _ = _remapped(tmp_path)
    lines = remapped.read_text("utf-8").splitlines()
    header = lines[0].split("\t")
    col = {c: header.index(c) for c in header}
    out, done = [lines[0]], set()
    rows = [line.split("\t") for line in lines[1:]]
    extra = []
    for row in rows:
        out.append("\t".join(row))
        if row[col["figid"]] not in done and row[col["source"]] in ("hgnc_symbol",
                                                                    "ncbigene_symbol"):
            done.add(row[col["figid"]])
            new = list(row)
            new[col["gene_id"]], new[col["symbol"]], new[col["word"]] = "999999", "ras", "ras"
            new[col["remap_status"]] = "unmapped"
            (out if grouped else extra).append("\t".join(new))
    path = tmp_path / ("grouped.tsv" if grouped else "scattered.tsv")
    path.write_text("\n".join(out + extra) + "\n", "utf-8")
    return path


def test_report_ranks_no_unmapped_rows(tmp_path: Path) -> None:
    import html

    from pfocr_tools import report

    for grouped in (True, False):  # streamed, and read whole (rows not together)
        table = _with_unmapped(tmp_path, grouped)
        out = tmp_path / "r.html"
        assert report.main([str(table), "-o", str(out), "-q"]) == 0
        page = html.unescape(out.read_text("utf-8"))
        top = page[page.index('id="top-genes"'):page.index('id="extremes"')]
        assert "999999" not in top and "ras" not in top.split("<table", 1)[-1]


def test_report_shows_the_manifest(tmp_path: Path) -> None:
    from pfocr_tools import report

    gmt = tmp_path / "lib.gmt"
    assert export.main([str(TABLE), "-o", str(gmt), "-q"]) == 0
    out = tmp_path / "r.html"
    assert report.main([str(TABLE), "-o", str(out), "--gmt", str(gmt), "-q"]) == 0
    page = out.read_text("utf-8")
    assert 'id="manifest"' in page and "lib.gmt.manifest.json" in page
    assert "pfocr-export" in page[page.index('id="manifest"'):]
    (tmp_path / "lib.gmt.manifest.json").unlink()
    assert report.main([str(TABLE), "-o", str(out), "--gmt", str(gmt), "-q"]) == 0
    assert 'id="manifest"' not in out.read_text("utf-8")


def test_empty_entity_table_filters_quietly(tmp_path: Path) -> None:
    """The main job filters (empty) chemical and disease tables too: no warning for those."""
    from pfocr_tools import entity_filter  # noqa: F401
    from pfocr_tools import filter as filter_
    from pfocr_tools.table import CHEMICAL_COLUMNS

    empty = tmp_path / "chemicals.tsv"
    empty.write_text("\t".join(CHEMICAL_COLUMNS) + "\n", "utf-8")
    res = run_main(filter_.main, [empty, "-o", tmp_path / "out.tsv", "--figures-from", TABLE])
    assert res.returncode == 0, res.stderr
    assert "warning" not in res.stderr and "0 of 0 rows written" in res.stderr


def test_a_gmt_given_as_a_table_is_named(tmp_path: Path) -> None:
    """Libraries of symbols or with URL descriptions too (numeric ones: tests/test_table.py)."""
    from pfocr_tools import filter as filter_
    from pfocr_tools import remap, report

    symbols = tmp_path / "symbols.gmt"
    symbols.write_text("PMC1__a\tA title\tIL6\tSTAT3\tJAK1\n", "utf-8")
    urls = tmp_path / "urls.gmt"
    urls.write_text("PMC1__a\thttps://pfocr.wikipathways.org/figures/PMC1__a.html\tIL6\n",
                    "utf-8")
    for gmt in (symbols, urls):
        for main, extra in ((export.main, []), (filter_.main, ["--organism", "human"]),
                            (remap.main, []), (report.main, [])):
            res = run_main(main, [gmt, "-o", tmp_path / "out", *extra])
            assert res.returncode == 1, res.stderr
            assert res.stderr.count("\n") == 1
            assert f"{gmt}:1: looks like a GMT gene-set library, expected a figure gene table" \
                in res.stderr
    # a table whose header merely lacks columns keeps the missing-columns message
    other = tmp_path / "other.tsv"
    other.write_text("gene\tcount\tnote\nIL6\t3\tx\n", "utf-8")
    res = run_main(export.main, [other, "-o", tmp_path / "out"])
    assert res.returncode == 1 and "missing column(s)" in res.stderr
