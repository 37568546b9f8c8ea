"""The figure gene table reader and writer: streaming in blocks of whole figures, gzip by
name, one-line errors naming the file and line; every table tool streams the same answer as
the library functions give on the table read whole."""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
from pathlib import Path

import pytest
from pfocr_tools import export, report, report_stream, table
from pfocr_tools import filter as pfilter
from pfocr_tools import remap as premap
from pfocr_tools.figblocks import FigReader
from pfocr_tools.table import COLUMNS, NotGrouped, TableReader, read_table, write_rows

from .clirun import run_main
from .conftest import RECORDS


@pytest.fixture(scope="module")
def records_table(tmp_path_factory) -> Path:
    """The figure gene table of every bundled record, made by the real pfocr-extract, with the
    per-figure columns on every row (the whole-table library functions fill them, so the
    streaming tools' bytes equal theirs only on such a table; tests/test_compact.py checks
    the default form against this one)."""
    out = tmp_path_factory.mktemp("table") / "all.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(RECORDS),
                           "-o", str(out), "--jobs", "1", "--repeat-figure-columns"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return out


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of about 2 KB, so that figures are carried over block ends all the time."""
    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)


def scattered(src: Path, dest: Path) -> Path:
    """The same rows, with the rows of the figures interleaved (not contiguous)."""
    lines = src.read_text("utf-8").splitlines(keepends=True)
    body = lines[1:]
    random.Random(7).shuffle(body)
    dest.write_text(lines[0] + "".join(body), "utf-8")
    return dest


# ------------------------------------------------------------------------------ reader


def test_blocks_hold_whole_figures_and_every_row(records_table: Path, tiny_blocks: None
                                                 ) -> None:
    whole = read_table(str(records_table))
    seen: list[str] = []
    rows = 0
    with TableReader(str(records_table)) as reader:
        assert reader.header == COLUMNS
        blocks = list(reader.blocks("figid", grouped=True))
        assert len(blocks) > 10
        for block in blocks:
            figs = list(dict.fromkeys(block.column("figid")))
            assert not set(figs) & set(seen), "a figure spans two blocks"
            seen += figs
            rows += len(block)
            assert block.frame().shape == (len(block), len(COLUMNS))
    assert rows == len(whole)
    assert seen == list(dict.fromkeys(whole["figid"]))


def test_scattered_figures_raise_not_grouped(records_table: Path, tmp_path: Path) -> None:
    path = scattered(records_table, tmp_path / "s.tsv")
    with TableReader(str(path)) as reader, pytest.raises(NotGrouped) as info:
        for _ in reader.blocks("figid", grouped=True):
            pass
    assert info.value.line > 2


def test_gzip_round_trip_is_deterministic(records_table: Path, tmp_path: Path) -> None:
    df = read_table(str(records_table))
    a, b = tmp_path / "a.tsv.gz", tmp_path / "b.tsv.gz"
    table.write_table(df, str(a))
    table.write_table(df, str(b))
    assert a.read_bytes() == b.read_bytes()
    assert gzip.decompress(a.read_bytes()) == records_table.read_bytes()
    assert read_table(str(a)).equals(df)
    # gzip found by its magic bytes too (a Galaxy dataset has no .gz extension)
    plain_name = tmp_path / "dataset_1.dat"
    plain_name.write_bytes(a.read_bytes())
    assert read_table(str(plain_name)).equals(df)


BAD_TABLES = {
    "too few fields": ("figid\ttaxid\torganism\tword\tsymbol\tsource\tgene_id\n"
                       "F1\t9606\tHomo sapiens\tTP53\tTP53\thgnc_symbol\t7157\n"
                       "F1\t9606\tHomo sapiens\tTP53\n", ":3: malformed TSV: 4 fields, the "
                       "header has 7 (too few)"),
    "too many fields": ("figid\ttaxid\torganism\tword\tsymbol\tsource\tgene_id\n"
                        "F1\t9606\tHomo sapiens\tTP53\tTP53\thgnc_symbol\t7157\tx\n",
                        ":2: malformed TSV: 8 fields"),
    "repeated column": ("figid\ttaxid\torganism\tword\tsymbol\tsource\tgene_id\ttaxid\n",
                        ":1: not a figure gene table: column 'taxid' appears twice"),
    "a GMT": ("F1\tA title\t7157\t672\t675\nF2\tB\t1\t2\t3\n",
              ":1: looks like a GMT gene-set library, expected a figure gene table"),
    "a YAML record": ("---\nfigid: PMC1__F1\n", ":1: looks like a YAML PFOCR record"),
    "empty": ("", ": empty file"),
}


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
@pytest.mark.parametrize("tool", ["filter", "export", "remap", "report"])
def test_bad_table_one_line_error(tmp_path: Path, case: str, tool: str) -> None:
    text, message = BAD_TABLES[case]
    path = tmp_path / "bad.tsv"
    path.write_text(text, "utf-8")
    out = tmp_path / "out"
    args = {"filter": [path, "--organism", "human", "-o", out],
            "export": [path, "-o", out],
            "remap": [path, "-o", out],
            "report": [path, "-o", out]}[tool]
    main = {"filter": pfilter.main, "export": export.main, "remap": premap.main,
            "report": report.main}[tool]
    res = run_main(main, args)
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}{message}" in lines[0], res.stderr
    assert not out.exists()


def test_not_utf8_names_the_line(tmp_path: Path, tiny_blocks: None) -> None:
    head = "\t".join(COLUMNS) + "\n"
    row = "\t".join(["x"] * len(COLUMNS)) + "\n"
    path = tmp_path / "latin1.tsv"
    path.write_bytes((head + row * 500).encode() + b"caf\xe9" + row[1:].encode())
    with pytest.raises(table.DataError) as info:
        read_table(str(path))
    assert str(info.value) == f"{path}:502: not UTF-8 text (invalid continuation byte)"
    with pytest.raises(table.DataError) as info, TableReader(str(path)) as reader:
        for _ in reader.byte_blocks():
            pass
    assert str(info.value) == f"{path}:502: not UTF-8 text (invalid continuation byte)"
    path.write_bytes((head + row * 500).encode() + b"x\tcaf\xc3")  # cut at the end
    with pytest.raises(table.DataError) as info, TableReader(str(path)) as reader:
        for _ in reader.byte_blocks():
            pass
    assert str(info.value) == f"{path}:502: not UTF-8 text (unexpected end of data)"


@pytest.mark.parametrize("where", ["header", "row", "row after a block"])
def test_a_line_longer_than_the_limit_is_an_error(tmp_path: Path, tiny_blocks: None,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   where: str) -> None:
    """A hostile table with a huge line meets MAX_LINE_BYTES, not the memory limit."""
    monkeypatch.setattr(table, "MAX_LINE_BYTES", 4096)
    head = "\t".join(COLUMNS) + "\n"
    row = "\t".join(["x"] * len(COLUMNS)) + "\n"
    huge = "\t".join(["y" * 5000] + ["x"] * (len(COLUMNS) - 1)) + "\n"
    text, line = {"header": ("z" * 5000 + head, 1), "row": (head + huge, 2),
                  "row after a block": (head + row * 100 + huge, 102)}[where]
    path = tmp_path / "long.tsv"
    path.write_text(text, "utf-8")
    for read in (TableReader.blocks, TableReader.byte_blocks):
        with pytest.raises(table.DataError) as info:
            with TableReader(str(path)) as reader:
                for _ in read(reader):
                    pass
        assert str(info.value) == (f"{path}:{line}: line longer than 4,096 bytes: not a "
                                   "figure gene table")
    ok = tmp_path / "ok.tsv"
    ok.write_text(head + row * 100, "utf-8")  # lines under the limit: read as before
    with TableReader(str(ok)) as reader:
        assert sum(len(b) for b in reader.blocks()) == 100


def _crlf_and_blank(src: Path, dest: Path) -> Path:
    """The same table with CRLF on some lines and blank lines here and there."""
    rnd = random.Random(11)
    out = []
    for i, line in enumerate(src.read_bytes().splitlines(keepends=True)):
        if i and rnd.random() < 0.05:
            out.append(b"\n" if rnd.random() < 0.5 else b"\r\n")
        out.append(line[:-1] + b"\r\n" if rnd.random() < 0.3 else line)
    dest.write_bytes(b"".join(out) + b"\n")
    return dest


@pytest.mark.parametrize("by", ["figid", None])
def test_byte_blocks_are_the_blocks(records_table: Path, tmp_path: Path, tiny_blocks: None,
                                    by: str | None) -> None:
    """byte_blocks() cuts the same blocks as blocks(): the same rows (CRLF made LF, blank
    lines skipped), line numbers and column values, as bytes."""
    import numpy as np

    path = _crlf_and_blank(records_table, tmp_path / "t.tsv")
    with TableReader(str(path)) as a, TableReader(str(path)) as b:
        texts = list(a.blocks(by, grouped=by is not None))
        raws = list(b.byte_blocks(by, grouped=by is not None))
    assert len(texts) == len(raws) > 10
    for text, raw in zip(texts, raws, strict=True):
        assert len(text) == len(raw)
        kept = b"".join(raw.segments(np.ones(len(raw), dtype=bool))).decode()
        assert kept == "".join(line + "\n" for line in text.lines)
        assert [raw.line_number(i) for i in range(len(raw))] == \
            [text.line_number(i) for i in range(len(text))]
        for name in ("figid", "figtitle", "taxid", "gene_id", "occurrences", "nothing"):
            assert [v.decode() for v in raw.column(name)] == text.column(name)
        figs = text.column("figid")
        assert raw.runs("figid").tolist() == \
            [i for i in range(len(figs)) if i == 0 or figs[i] != figs[i - 1]]
        some = {"9606", "10090", "", "96"}
        assert raw.isin("taxid", [t.encode() for t in some]).tolist() == \
            [t in some for t in text.column("taxid")]
        odd = np.array([i % 3 == 1 for i in range(len(raw))], dtype=bool)
        assert b"".join(raw.segments(odd)).decode() == \
            "".join(line + "\n" for line, k in zip(text.lines, odd, strict=True) if k)


def test_byte_block_runs_of_wide_and_last_values(tmp_path: Path) -> None:
    """Runs of values wider than RUN_WIDTH (compared as bytes) and of values too near the
    end of the data to be read as 64-bit words."""
    path = tmp_path / "k.tsv"
    wide = "z" * (table.RUN_WIDTH + 5)
    for values, runs in ((["a", "b", "b", "c", "c"], [0, 1, 3]),
                         (["a", "a", wide, wide, wide + "y", "q"], [0, 2, 4, 5]),
                         (["ab", "ab"], [0]), (["x"], [0])):
        path.write_text("k\n" + "".join(v + "\n" for v in values), "utf-8")
        with TableReader(str(path), required=()) as reader:
            (block,) = list(reader.byte_blocks(None))
        assert block.runs("k").tolist() == runs, values
        assert block.isin("k", [b"ab", b"q"]).tolist() == [v in ("ab", "q") for v in values]


def test_rows_with_too_many_and_too_few_fields_in_one_block(tmp_path: Path) -> None:
    """A row with a field too many and a later one with a field too few: the total is right,
    the first bad row is still named (the byte reader counts the tabs of every row)."""
    head = "\t".join(COLUMNS) + "\n"
    row = "\t".join(["F1", "A"] + ["x"] * 7 + ["9606"] + ["x"] * 7) + "\n"
    path = tmp_path / "t.tsv"
    path.write_text(head + row * 3 + row.replace("\tx", "\tx\tx", 1) + row
                    + row.replace("\tx", "", 1) + row, "utf-8")
    res = run_main(pfilter.main, [path, "--organism", "human", "-o", tmp_path / "out.tsv"])
    assert res.returncode == 1
    assert res.stderr.strip() == (f"pfocr-filter: error: {path}:5: malformed TSV: 18 fields, "
                                  "the header has 17 (too many)")
    assert not (tmp_path / "out.tsv").exists()


# ------------------------------------------------------- the tools, streamed and whole


def _filter_whole(path: Path, out: Path, log: Path) -> None:
    df = read_table(str(path))
    kept, decisions = pfilter.filter_table(df, ["9606", "10090"], "genes", True, [])
    with open(out, "w", encoding="utf-8", newline="") as handle:
        write_rows(handle, kept.to_numpy().tolist(), list(df.columns))
    with open(log, "w", encoding="utf-8", newline="") as handle:
        write_rows(handle, (d.row() for d in decisions), pfilter.LOG_COLUMNS)


def test_filter_streams_what_filter_table_gives(records_table: Path, tmp_path: Path,
                                                tiny_blocks: None) -> None:
    _filter_whole(records_table, tmp_path / "want.tsv", tmp_path / "want.log")
    res = run_main(pfilter.main, [records_table, "--organism", "human,mouse",
                                  "--exclude-mentions", "-o", tmp_path / "got.tsv.gz",
                                  "--log", tmp_path / "got.log"])
    assert res.returncode == 0, res.stderr
    assert gzip.decompress((tmp_path / "got.tsv.gz").read_bytes()) == \
        (tmp_path / "want.tsv").read_bytes()
    assert (tmp_path / "got.log").read_bytes() == (tmp_path / "want.log").read_bytes()


def test_filter_of_a_scattered_table_reads_it_whole(records_table: Path, tmp_path: Path
                                                    ) -> None:
    path = scattered(records_table, tmp_path / "s.tsv")
    _filter_whole(path, tmp_path / "want.tsv", tmp_path / "want.log")
    res = run_main(pfilter.main, [path, "--organism", "human,mouse", "--exclude-mentions",
                                  "-o", tmp_path / "got.tsv", "--log", tmp_path / "got.log"])
    assert res.returncode == 0, res.stderr
    assert "not together" in res.stderr
    assert (tmp_path / "got.tsv").read_bytes() == (tmp_path / "want.tsv").read_bytes()
    assert (tmp_path / "got.log").read_bytes() == (tmp_path / "want.log").read_bytes()


@pytest.mark.parametrize("figures_from", [False, True])
def test_filter_to_stdout_of_a_table_found_scattered_late(records_table: Path, tmp_path: Path,
                                                          tiny_blocks: None,
                                                          figures_from: bool) -> None:
    """Standard output is spooled: when a figure comes back after many blocks were written,
    the run starts over on the table read whole, and stdout holds the answer once (it held
    the streamed blocks, then the whole answer)."""
    lines = records_table.read_text("utf-8").splitlines(keepends=True)
    path = tmp_path / "late.tsv"
    path.write_text(lines[0] + "".join(lines[2:]) + lines[1], "utf-8")  # row 1 moved last
    how = ["--figures-from", str(records_table)] if figures_from else ["--organism", "human"]
    to_file = run_main(pfilter.main, [path, *how, "-o", tmp_path / "out.tsv"])
    to_stdout = run_main(pfilter.main, [path, *how, "-o", "-"])
    assert to_file.returncode == to_stdout.returncode == 0, to_stdout.stderr
    assert "not together" in to_stdout.stderr
    assert to_stdout.stdout == (tmp_path / "out.tsv").read_text("utf-8")
    assert to_stdout.stdout.count("\n") > 100


@pytest.mark.parametrize("fmt", ["gmt", "tsv", "json"])
def test_export_streams_what_build_sets_gives(records_table: Path, tmp_path: Path,
                                              tiny_blocks: None, fmt: str) -> None:
    df = read_table(str(records_table))
    sets = export.size_filter(export.build_sets(df, "synonyms"), 2, 50)
    want = export.render(sets, fmt, "gene_id")
    res = run_main(export.main, [records_table, "--flavor", "synonyms", "--min-size", "2",
                                 "--max-size", "50", "--format", fmt, "-o", tmp_path / "o",
                                 "--split-by-organism", tmp_path / "split"])
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "o").read_text("utf-8") == want
    by_taxon: dict[str, list] = {}
    for s in export.build_sets(df, "synonyms", by_organism=True):
        by_taxon.setdefault(s.taxid, []).append(s)
    files = sorted(p.name for p in (tmp_path / "split").iterdir()
                   if not p.name.endswith(".manifest.json"))
    assert len(files) == sum(1 for g in by_taxon.values() if export.size_filter(g, 2, 50))
    for group in by_taxon.values():
        kept = export.size_filter(group, 2, 50)
        if kept:
            name = export.species_file_name("pfocr", fmt, group[0].organism, group[0].taxid)
            assert (tmp_path / "split" / name).read_text("utf-8") == \
                export.render(kept, fmt, "gene_id")


@pytest.mark.parametrize(("flavor", "lo", "hi"), [("strict", 3, None), ("all", 1, 20)])
def test_report_aggregate_equals_compute(records_table: Path, tiny_blocks: None,
                                         flavor: str, lo: int, hi: int | None) -> None:
    df = read_table(str(records_table))
    want = report.compute(df, flavor, lo, hi, "t")
    rows = ("taxid", "organism", "symbol", "source", "gene_id")
    with FigReader(str(records_table), rows=rows) as reader:  # the text path of the stream
        agg = report_stream.Aggregate(reader.header, flavor, lo, hi)
        for block in reader.blocks("figid", grouped=True):
            agg.block(block)
    assert agg.report("t") == want


@pytest.mark.parametrize(("frm", "to", "ortholog", "unmapped"), [
    ("gene_id", "entrez,ensembl", "", "keep"),
    ("word", "entrez,ensembl", "", "keep"),
    ("symbol", "symbol,uniprot", "", "drop"),
    ("gene_id", "entrez", "mouse", "keep"),
    ("gene_id", "symbol", "rat", "drop"),
])
def test_remap_streams_what_remap_gives(records_table: Path, tmp_path: Path,
                                        tiny_blocks: None, frm: str, to: str, ortholog: str,
                                        unmapped: str) -> None:
    from pfocr_tools import geneindex

    df = read_table(str(records_table))
    opts = premap.Options(from_=frm, to=tuple(to.split(",")),
                          ortholog_to=premap.parse_species(ortholog)[0] if ortholog else "",
                          unmapped=unmapped)
    backend = premap.LocalBackend(geneindex.GeneIndex(None))
    out, rep = premap.remap(df, backend, opts)
    table.write_table(out, str(tmp_path / "want.tsv"))
    with open(tmp_path / "want-report.tsv", "w", encoding="utf-8", newline="") as handle:
        write_rows(handle, rep, premap.REPORT_COLUMNS)
    res = run_main(premap.main, [records_table, "--from", frm, "--to", to,
                                 "--ortholog-to", ortholog, "--unmapped", unmapped,
                                 "-o", tmp_path / "got.tsv", "--report",
                                 tmp_path / "got-report.tsv"])
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "got.tsv").read_bytes() == (tmp_path / "want.tsv").read_bytes()
    got_report = (tmp_path / "got-report.tsv").read_text("utf-8")
    assert got_report == (tmp_path / "want-report.tsv").read_text("utf-8")


def test_tools_read_standard_input_and_gzip(records_table: Path, tmp_path: Path) -> None:
    gz = tmp_path / "t.tsv.gz"
    gz.write_bytes(gzip.compress(records_table.read_bytes(), mtime=0))
    a = run_main(export.main, [gz, "-o", tmp_path / "a.gmt"])
    b = run_main(export.main, ["-", "-o", tmp_path / "b.gmt"],
                 stdin=records_table.read_text("utf-8"))
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert (tmp_path / "a.gmt").read_bytes() == (tmp_path / "b.gmt").read_bytes()
    assert (tmp_path / "a.gmt").stat().st_size > 1000


def test_extract_writes_gzip_by_name(records_table: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.tsv.gz"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(RECORDS),
                           "-o", str(out), "--jobs", "2", "--repeat-figure-columns"],
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(out.read_bytes()) == records_table.read_bytes()
