"""pfocr-report's chemical and disease numbers, read block by block (report_entities)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pfocr_tools import report_entities as re_
from pfocr_tools import table
from pfocr_tools.errors import DataError
from pfocr_tools.table import read_kind_table

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
