"""Chemical and disease tables read block by block: pfocr-report's numbers (report_entities) and
pfocr-export's sets (entity_export)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pfocr_tools import report_entities as re_
from pfocr_tools import table
from pfocr_tools.errors import DataError
from pfocr_tools.table import read_kind_table

from .clirun import run_main

DATA = Path(__file__).resolve().parent.parent / "test-data" / "entities"
TABLES = [("chemicals", DATA / "golden-chemicals.tsv"), ("diseases", DATA / "golden-diseases.tsv")]


def whole(path: Path, kind: str, lo: int = 2, hi: int | None = None) -> dict[str, object]:
    return re_.summarize(read_kind_table(str(path), kind), kind, str(path), lo, hi)


@pytest.mark.parametrize(("kind", "path"), TABLES)
@pytest.mark.parametrize("block_bytes", [None, 512])
@pytest.mark.parametrize(("lo", "hi"), [(2, None), (1, 3), (3, 10)])
def test_stream_equals_whole(monkeypatch: pytest.MonkeyPatch, kind: str, path: Path,
                             block_bytes: int | None, lo: int, hi: int | None) -> None:
    if block_bytes:  # many blocks: figures meet block boundaries
        monkeypatch.setattr(table, "BLOCK_BYTES", block_bytes)
    got = re_.stream_summary(str(path), kind, lo, hi)
    assert got == whole(path, kind, lo, hi)
    numbers = {k: n for k, _, n in got["numbers"]}  # type: ignore[union-attr]
    assert numbers["rows"] == len(path.read_text("utf-8").splitlines()) - 1
    assert got["top"]  # the bundled tables name entities


def _rows(path: Path) -> tuple[str, list[str]]:
    header, *rows = path.read_text("utf-8").splitlines(keepends=True)
    return header, rows


@pytest.mark.parametrize(("kind", "path"), TABLES)
def test_scattered_table_is_read_whole(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                       kind: str, path: Path) -> None:
    """Rows of a figure apart: the NotGrouped fallback reads the table whole; the numbers are
    the grouped table's (an entity's label is the first row naming it: row order counts)."""
    header, rows = _rows(path)
    scattered = tmp_path / f"scattered-{kind}.tsv"
    scattered.write_text(header + "".join(rows[::2] + rows[1::2]), "utf-8")
    caplog.set_level("INFO", logger="pfocr_tools")
    got = re_.stream_summary(str(scattered), kind, 2, None)
    assert "are not together" in caplog.text
    assert got == whole(scattered, kind)
    want = whole(path, kind)
    assert got["numbers"] == want["numbers"]
    assert got["library"] == want["library"]
    assert [t[2:] for t in got["top"]] == [t[2:] for t in want["top"]]  # type: ignore[union-attr]


def test_missing_column_names_the_kind(tmp_path: Path) -> None:
    header, rows = _rows(DATA / "golden-chemicals.tsv")
    cols = header.rstrip("\n").split("\t")
    drop = cols.index("chebi")
    bad = tmp_path / "bad.tsv"
    bad.write_text("".join("\t".join(v for i, v in enumerate(line.rstrip("\n").split("\t"))
                                     if i != drop) + "\n" for line in [header, *rows]), "utf-8")
    with pytest.raises(DataError) as err:
        re_.stream_summary(str(bad), "chemicals", 2, None)
    assert "not a figure chemical table: missing column(s) chebi" in str(err.value)


def test_ragged_row_is_a_one_line_error(tmp_path: Path) -> None:
    header, rows = _rows(DATA / "golden-diseases.tsv")
    rows[5] = rows[5].rstrip("\n") + "\textra\n"
    bad = tmp_path / "ragged.tsv"
    bad.write_text(header + "".join(rows), "utf-8")
    with pytest.raises(DataError) as err:
        re_.stream_summary(str(bad), "diseases", 2, None)
    assert err.value.line == 7


# ----------------------------------------------------------------------------- export


def _export(tmp: Path, table: Path, fmt: str, *extra: str) -> dict[str, bytes]:
    """Every file pfocr-export writes (-o and --split-by-organism), by name."""
    from pfocr_tools import export

    tmp.mkdir(exist_ok=True)
    out = tmp / "out"
    res = run_main(export.main, [table, "--format", fmt, "-o", tmp / "all.txt",
                                 "--split-by-organism", out, "--min-size", "1", *extra])
    assert res.returncode == 0, res.stderr
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())
             if not p.name.endswith(".manifest.json")}
    files["all.txt"] = (tmp / "all.txt").read_bytes()
    assert not [p for p in out.iterdir() if p.name.startswith(".pfocr-export-")]  # spools gone
    return files


@pytest.mark.parametrize(("kind", "path"), TABLES)
@pytest.mark.parametrize("fmt", ["gmt", "tsv", "json"])
def test_export_in_small_blocks_is_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             kind: str, path: Path, fmt: str) -> None:
    """Sets written block by block (species libraries spooled) whatever the block size."""
    default = _export(tmp_path / "a", path, fmt)
    monkeypatch.setattr(table, "BLOCK_BYTES", 512)
    assert _export(tmp_path / "b", path, fmt) == default
    assert len(default) > 2  # several species libraries


def _gmt_sets(text: bytes) -> dict[str, set[str]]:
    out = {}
    for line in text.decode("utf-8").splitlines():
        name, _title, *ids = line.split("\t")
        assert name not in out
        out[name] = set(ids)
    return out


@pytest.mark.parametrize(("kind", "path"), TABLES)
def test_export_of_a_scattered_table(tmp_path: Path, kind: str, path: Path) -> None:
    """A figure's rows apart: the table is read again whole; the same sets (IDs in the new
    first-seen order), and standard output gets each set once."""
    from pfocr_tools import export

    header, rows = _rows(path)
    scattered = tmp_path / "scattered.tsv"
    scattered.write_text(header + "".join(rows[::2] + rows[1::2]), "utf-8")
    got = _export(tmp_path / "s", scattered, "gmt")
    want = _export(tmp_path / "g", path, "gmt")
    assert got.keys() == want.keys()
    for name in want:
        assert _gmt_sets(got[name]) == _gmt_sets(want[name]), name
    res = run_main(export.main, [scattered, "--min-size", "1"])
    assert res.returncode == 0
    assert "are not together" in res.stderr
    assert _gmt_sets(res.stdout.encode("utf-8")) == _gmt_sets(want["all.txt"])
