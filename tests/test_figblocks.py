"""FigReader (figblocks.py): rows split from the right only as far as the per-row columns a
tool asks for; the same columns, checks and errors as TableReader; and the NDJSON export that
streams on it gives what the whole-table code gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pfocr_tools import entity_export, export, table
from pfocr_tools.errors import DataError
from pfocr_tools.figblocks import FigReader, expand, run_starts
from pfocr_tools.table import COLUMNS, NotGrouped, TableReader, read_table

from .clirun import run_main
from .test_entities import extract_all
from .test_table import records_table, scattered  # noqa: F401  (a fixture)


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of about 2 KB (FigReader never reads larger blocks than TableReader)."""
    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)


def test_run_starts_and_expand() -> None:
    assert run_starts([]) == []
    assert run_starts(["a", "a", "b", "a"]) == [0, 2, 3]
    assert expand(["a", "b", "c"], [0, 2, 3], 5) == ["a", "a", "b", "c", "c"]
    assert expand(["x"], [0], 3) == ["x", "x", "x"]


@pytest.mark.parametrize("rows", [(), ("gene_id",), ("taxid", "source", "gene_id"),
                                  ("figid",), tuple(COLUMNS)])
def test_columns_equal_table_reader(records_table: Path, tiny_blocks: None,  # noqa: F811
                                    rows: tuple[str, ...]) -> None:
    with TableReader(str(records_table)) as ref:
        want = [(b.first, {c: b.column(c) for c in COLUMNS}) for b in ref.blocks("figid")]
    with FigReader(str(records_table), rows=rows) as reader:
        got = []
        for b in reader.blocks("figid", grouped=True):
            starts = b.runs("figid")
            firsts = {c: b.first_values(c, starts) for c in COLUMNS}  # before column()
            got.append((b.first, {c: b.column(c) for c in COLUMNS}))
            assert b.column("no such column") == [""] * len(b)
            assert starts == [i for i, f in enumerate(got[-1][1]["figid"])
                              if not i or f != got[-1][1]["figid"][i - 1]]
            for c in COLUMNS:
                assert firsts[c] == [got[-1][1][c][s] for s in starts], c
    assert len(got) > 10
    assert got == want


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [list(COLUMNS), *rows]) + "\n", "utf-8")
    return path


def _row(figid: str, gene: str, title: str = "A title") -> list[str]:
    values = dict.fromkeys(COLUMNS, "")
    values.update(figid=figid, figtitle=title, taxid="9606", organism="Homo sapiens",
                  word=gene, symbol=gene, source="hgnc_symbol", gene_id=gene)
    return [values[c] for c in COLUMNS]


@pytest.mark.parametrize("where", ["head", "tail", "head of a later row"])
@pytest.mark.parametrize("delta", [1, -1])
def test_wrong_field_counts_name_the_line(tmp_path: Path, where: str, delta: int) -> None:
    rows = [_row("F1", "1"), _row("F1", "2"), _row("F2", "3"), _row("F2", "4")]
    i = 1 if where == "head of a later row" else 2
    column = COLUMNS.index("figtitle") if where != "tail" else COLUMNS.index("word")
    if delta > 0:
        rows[i][column] += "\textra"
    else:
        rows[i][column] += "\t" + rows[i].pop(column + 1)
        rows[i][column] = rows[i][column].replace("\t", "")
    path = _write(tmp_path / "bad.tsv", rows)
    n = len(COLUMNS)
    with pytest.raises(DataError) as err, \
            FigReader(str(path), rows=("taxid", "source", "gene_id")) as reader:
        list(reader.blocks("figid"))
    assert err.value.line == i + 2
    assert f"malformed TSV: {n + delta} fields, the header has {n}" in err.value.message


def test_cancelling_field_counts_are_found(tmp_path: Path) -> None:
    """One row a field short and another one too many: TableReader's total count matches,
    FigReader checks every row."""
    rows = [_row("F1", "1"), _row("F1", "2")]
    rows[0][3] += "\tx"
    rows[1].pop()
    path = _write(tmp_path / "bad.tsv", rows)
    with pytest.raises(DataError, match="malformed TSV"), \
            FigReader(str(path), rows=("gene_id",)) as reader:
        list(reader.blocks("figid"))


def test_not_grouped_names_the_line(tmp_path: Path, tiny_blocks: None) -> None:
    rows = [_row(f"F{i // 3}", str(i), "t" * 300) for i in range(60)]
    rows.append(_row("F4", "99"))  # F4 comes back after other figures, blocks later
    path = _write(tmp_path / "scattered.tsv", rows)
    with pytest.raises(NotGrouped) as err, FigReader(str(path), rows=("gene_id",)) as reader:
        list(reader.blocks("figid", grouped=True))
    assert (err.value.figid, err.value.line) == ("F4", 62)
    with FigReader(str(path), rows=("gene_id",)) as reader:  # not asked: no check
        assert sum(len(b) for b in reader.blocks("figid")) == 61


def test_long_line_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pfocr_tools import table

    monkeypatch.setattr(table, "MAX_LINE_BYTES", 5000)
    rows = [_row("F1", "1"), _row("F2", "2", "x" * 6000), _row("F3", "3")]
    path = _write(tmp_path / "long.tsv", rows)
    with pytest.raises(DataError, match="line longer than") as err, \
            FigReader(str(path), rows=("gene_id",), block_bytes=1024) as reader:
        list(reader.blocks("figid"))
    assert err.value.line == 3


# ----------------------------------------------------------------------------- NDJSON


@pytest.fixture(scope="module")
def entity_tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return extract_all(tmp_path_factory.mktemp("entities"), "-j", "1")


def _whole_ndjson(genes: Path, chem: Path, dis: Path, flavor: str) -> str:
    tables = [("genes", read_table(str(genes))),
              ("chemicals", table.read_kind_table(str(chem), "chemicals")),
              ("diseases", table.read_kind_table(str(dis), "diseases"))]
    docs = entity_export.build_documents(tables, flavor)
    return "".join(entity_export.ndjson_line(d) for d in docs)


@pytest.mark.parametrize("flavor", ["strict", "all"])
def test_ndjson_streams_what_the_whole_tables_give(
        tmp_path: Path, entity_tables: tuple[Path, Path, Path], tiny_blocks: None,
        flavor: str) -> None:
    genes, chem, dis = entity_tables
    out = tmp_path / "s.ndjson"
    res = run_main(export.main, [genes, "--chemicals", chem, "--diseases", dis, "--format",
                                 "ndjson", "--flavor", flavor, "-o", out])
    assert res.returncode == 0, res.stderr
    assert "reading the tables whole" not in res.stderr
    assert out.read_text("utf-8") == _whole_ndjson(genes, chem, dis, flavor)
    # standard input and without the gene table
    res = run_main(export.main, ["-", "--chemicals", chem, "--format", "ndjson"],
                   stdin=genes.read_text("utf-8"))
    assert res.returncode == 0, res.stderr
    res2 = run_main(export.main, [chem, "--diseases", dis, "--format", "ndjson"])
    assert res2.returncode == 0 and res2.stdout.count("\n") > 10


def test_ndjson_scattered_tables_are_read_whole(tmp_path: Path,
                                                entity_tables: tuple[Path, Path, Path]
                                                ) -> None:
    genes, chem, dis = entity_tables
    for which in ("genes", "chemicals"):
        g = scattered(genes, tmp_path / "g.tsv") if which == "genes" else genes
        c = scattered(chem, tmp_path / "c.tsv") if which == "chemicals" else chem
        out = tmp_path / f"{which}.ndjson"
        res = run_main(export.main, [g, "--chemicals", c, "--diseases", dis, "--format",
                                     "ndjson", "-o", out])
        assert res.returncode == 0, res.stderr
        assert "reading the tables whole" in res.stderr
        assert out.read_text("utf-8") == _whole_ndjson(g, c, dis, "strict")


# ------------------------------------------------------------ SHA-256 while reading


def test_sha256_while_reading(records_table: Path, tiny_blocks: None,  # noqa: F811
                              tmp_path: Path) -> None:
    import gzip
    import hashlib

    want = hashlib.sha256(records_table.read_bytes()).hexdigest()
    for blocks in ("blocks", "byte_blocks"):
        with FigReader(str(records_table), sha256=True) as reader:
            for _block in getattr(reader, blocks)("figid"):
                pass
            assert reader.sha256() == want
    with FigReader(str(records_table), sha256=True) as reader:  # not read to its end
        next(iter(reader.blocks("figid")))
        assert reader.sha256() is None
    with FigReader(str(records_table)) as reader:  # not asked for
        list(reader.blocks("figid"))
        assert reader.sha256() is None
    packed = tmp_path / "t.tsv.gz"
    packed.write_bytes(gzip.compress(records_table.read_bytes()))
    with FigReader(str(packed), sha256=True) as reader:  # the bytes read are not the file's
        list(reader.blocks("figid"))
        assert reader.sha256() is None


def test_export_manifest_hash_of_the_input(records_table: Path, tmp_path: Path) -> None:  # noqa: F811
    import hashlib
    import json

    from pfocr_tools import manifest

    out = tmp_path / "libs"
    got = run_main(export.main, [records_table, "--split-by-organism", out, "--min-size", "1"])
    assert got.returncode == 0, got.stderr
    doc = json.loads((out / "pfocr-gmt.manifest.json").read_text("utf-8"))
    assert doc["inputs"][0]["sha256"] == hashlib.sha256(records_table.read_bytes()).hexdigest()
    # a remembered digest serves only while the file's size and time are those it had
    copy = tmp_path / "copy.tsv"
    copy.write_bytes(records_table.read_bytes())
    manifest.remember_sha256(str(copy), "0" * 64)
    assert manifest.sha256_file(str(copy)) == "0" * 64
    copy.write_bytes(records_table.read_bytes() + b"\n")
    assert manifest.sha256_file(str(copy)) == hashlib.sha256(copy.read_bytes()).hexdigest()
