"""pfocr-export: golden files, the release rule, options, bad input, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pfocr_tools import export

from .clirun import Result, run_main
from .conftest import TEST_DATA

DATA = TEST_DATA / "export"
TABLE = DATA / "table.tsv"  # 5 records: old + current schema, human + mouse rows
EDGE = DATA / "edge.tsv"  # hand-made: title fallbacks, duplicates, flavors, unknown species


def run(*args: str | Path) -> int:
    return export.main([str(a) for a in args])


def gmt(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text("utf-8").splitlines()]


def cli(*args: str | Path, stdin: str | None = None) -> Result:
    """Run the command line in this process (stdin, stdout and stderr captured)."""
    return run_main(export.main, args, stdin)


def subprocess_cli(*args: str | Path, stdin: str | None = None
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pfocr_tools.export", *map(str, args)],
                          capture_output=True, text=True, input=stdin, check=False)


def human_table(tmp_path: Path) -> Path:
    out = tmp_path / "human.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.filter", str(TABLE), "-o",
                           str(out), "--organism", "human", "-q"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


# ----------------------------------------------------------------------------- golden files


def test_golden_split_gmt(tmp_path: Path) -> None:
    out = tmp_path / "libs"
    assert run(TABLE, "--split-by-organism", out) == 0
    golden = DATA / "golden-split"
    assert sorted(os.listdir(out)) == sorted([*os.listdir(golden), "pfocr-gmt.manifest.json"])
    for name in os.listdir(golden):
        assert (out / name).read_bytes() == (golden / name).read_bytes(), name


@pytest.mark.parametrize("fmt", ["tsv", "json"])
def test_golden_tsv_json(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    assert run(human_table(tmp_path), "--format", fmt, "-o", out) == 0
    assert out.read_bytes() == (DATA / f"golden-human.{fmt}").read_bytes()


def test_json_shape(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert run(human_table(tmp_path), "--format", "json", "-o", out, "--set-name", "alias") == 0
    docs = json.loads(out.read_text("utf-8"))
    assert len(docs) == 4
    doc = docs[0]
    assert doc["_id"] == "PMC7048131__12964_2020_527_Fig1_HTML"  # the API key: always the figid
    aw = doc["associatedWith"]
    assert aw["title"] == "Classical IL-6/STAT3 signaling pathway in cancer cells"
    assert aw["pfocrUrl"] == ("https://pfocr.wikipathways.org/figures/"
                              "PMC7048131__12964_2020_527_Fig1_HTML.html")
    assert aw["figureUrl"] == ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7048131/bin/"
                               "12964_2020_527_Fig1_HTML.jpg")
    assert aw["pmc"] == "PMC7048131"
    assert sorted(aw["mentions"]["genes"]["ncbigene"]) == ["1950", "1956", "3570", "6774"]
    assert all(isinstance(i, str) for d in docs
               for i in d["associatedWith"]["mentions"]["genes"]["ncbigene"])


# ----------------------------------------------------------------------------- the rule


def test_release_rule_on_edge_cases(tmp_path: Path) -> None:
    out = tmp_path / "h.gmt"
    assert run(EDGE, "-o", out) == 0
    assert gmt(out) == [
        # duplicate 2 written once, the synonym row (4) and the empty ID left out; title cleaned
        ["PMC1__a", "Spaced title", "1", "2", "3"],
        # empty title -> paper title; genes of every organism (a warning says so)
        ["PMC2__b", "Paper two title.", "8", "7", "6", "5", "15", "16", "17"],
        # PMC3__c has 2 strict genes: left out
        ["PMC4__d", "Unknown species figure", "21", "22", "23"],
    ]


def test_flavors_and_title_falls_back_to_figid(tmp_path: Path) -> None:
    out = tmp_path / "s.gmt"
    assert run(EDGE, "-o", out, "--flavor", "synonyms") == 0
    sets = {row[0]: row for row in gmt(out)}
    assert sets["PMC1__a"][2:] == ["1", "2", "3", "4"]
    assert sets["PMC3__c"] == ["PMC3__c", "PMC3__c", "9", "10", "11"]  # no title, no paper title
    assert run(EDGE, "-o", out, "--flavor", "all") == 0
    sets = {row[0]: row for row in gmt(out)}
    assert sets["PMC3__c"][2:] == ["9", "10", "11", "12"]


def test_min_max_size(tmp_path: Path) -> None:
    out = tmp_path / "m.gmt"
    assert run(EDGE, "-o", out, "--min-size", "1") == 0
    assert [r[0] for r in gmt(out)] == ["PMC1__a", "PMC2__b", "PMC3__c", "PMC4__d"]
    assert run(EDGE, "-o", out, "--min-size", "1", "--max-size", "3") == 0
    assert [r[0] for r in gmt(out)] == ["PMC1__a", "PMC3__c", "PMC4__d"]
    assert run(EDGE, "-o", out, "--min-size", "4") == 0
    assert [r[0] for r in gmt(out)] == ["PMC2__b"]


def test_set_name_alias_and_id_column(tmp_path: Path) -> None:
    out = tmp_path / "a.gmt"
    assert run(EDGE, "-o", out, "--set-name", "alias", "--id-column", "symbol") == 0
    # the row without a gene ID has a symbol: it counts when symbols are written
    assert gmt(out)[0] == ["PMC1__F1", "Spaced title", "G1", "G2", "G3", "NOID"]
    assert gmt(out)[1][0] == "PMC2__b"  # no alias: the figid
    tsv = tmp_path / "a.tsv"
    assert run(EDGE, "-o", tsv, "--format", "tsv", "--id-column", "symbol") == 0
    assert tsv.read_text("utf-8").splitlines()[:2] == [
        "set_name\ttitle\tsymbol\tsymbol", "PMC1__a\tSpaced title\tG1\tG1"]
    assert "PMC1__a\tSpaced title\tNOID\tNOID" in tsv.read_text("utf-8").splitlines()


def test_id_column_with_several_ids_per_cell(tmp_path: Path) -> None:
    """The ensembl / uniprot columns of pfocr-remap join several IDs with |."""
    lines = EDGE.read_text("utf-8").splitlines()
    table = tmp_path / "remapped.tsv"
    ens = ["ENSG1|ENSG2", "ENSG3", "", "ENSG2", "ENSG9", "ENSG4||ENSG5"]
    rows = [lines[0] + "\tensembl"] + [f"{line}\t{e}" for line, e in zip(lines[1:7], ens,
                                                                      strict=True)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "e.gmt"
    assert run(table, "-o", out, "--id-column", "ensembl", "--flavor", "all") == 0
    assert gmt(out) == [["PMC1__a", "Spaced title", "ENSG1", "ENSG2", "ENSG3", "ENSG9", "ENSG4",
                         "ENSG5"]]


def test_split_names_and_prefix(tmp_path: Path) -> None:
    out = tmp_path / "libs"
    assert run(EDGE, "--split-by-organism", out, "--prefix", "pfocr-20260215") == 0
    assert sorted(os.listdir(out)) == ["pfocr-20260215-gmt-Homo_sapiens.gmt",
                                       "pfocr-20260215-gmt-Mus_musculus.gmt",
                                       "pfocr-20260215-gmt-taxid99999.gmt",
                                       "pfocr-20260215-gmt.manifest.json"]
    assert gmt(out / "pfocr-20260215-gmt-Mus_musculus.gmt") == [
        ["PMC2__b", "Paper two title.", "15", "16", "17"]]
    # per-species sizes: PMC2__b has 4 human genes, so --min-size 4 keeps it for human only
    out2 = tmp_path / "libs2"
    assert run(EDGE, "--split-by-organism", out2, "--format", "json", "--min-size", "4") == 0
    assert sorted(os.listdir(out2)) == ["pfocr-json-Homo_sapiens.json",
                                        "pfocr-json.manifest.json"]


def test_split_and_output_together(tmp_path: Path) -> None:
    out = tmp_path / "all.gmt"
    assert run(EDGE, "--split-by-organism", tmp_path / "d", "-o", out) == 0
    assert out.exists() and len(os.listdir(tmp_path / "d")) == 4  # 3 libraries, 1 manifest
    assert (tmp_path / "all.gmt.manifest.json").exists()


def test_species_file_name() -> None:
    name = export.species_file_name
    assert name("pfocr", "gmt", "Mus musculus", "10090") == "pfocr-gmt-Mus_musculus.gmt"
    assert name("p", "tsv", "Canis lupus familiaris", "9615") == "p-tsv-Canis_lupus_familiaris.tsv"
    assert name("pfocr", "gmt", "", "10116") == "pfocr-gmt-Rattus_norvegicus.gmt"
    assert name("pfocr", "gmt", "Escherichia coli O111:B4", "1") == \
        "pfocr-gmt-Escherichia_coli_O111_B4.gmt"


def test_clean_title() -> None:
    assert export.clean_title(" a\tb\r\nc  d ") == "a b c d"


# ----------------------------------------------------------------------------- bad input


def test_missing_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("figid\tgene_id\nPMC1__a\t1\n", encoding="utf-8")
    out = tmp_path / "out.gmt"
    proc = subprocess_cli(bad, "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"pfocr-export: error: {bad}:1: not a figure gene table: "
                                  "missing column(s) taxid, organism")
    assert not out.exists() and os.listdir(tmp_path) == ["bad.tsv"]


def test_unknown_id_column(tmp_path: Path) -> None:
    proc = cli(EDGE, "-o", tmp_path / "x.gmt", "--id-column", "ensembl")
    assert proc.returncode == 1
    assert "missing column(s) ensembl" in proc.stderr
    assert os.listdir(tmp_path) == []


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_bytes(b"")
    proc = cli(empty, "-o", tmp_path / "x.gmt")
    assert proc.returncode == 1 and "empty file" in proc.stderr
    assert not (tmp_path / "x.gmt").exists()


def test_header_only_gives_empty_library_and_warning(tmp_path: Path) -> None:
    header = tmp_path / "header.tsv"
    header.write_text(EDGE.read_text("utf-8").splitlines()[0] + "\n", encoding="utf-8")
    for fmt, content in (("gmt", ""), ("tsv", "set_name\ttitle\tgene_id\tsymbol\n"),
                         ("json", "[]\n")):
        out = tmp_path / f"x.{fmt}"
        proc = cli(header, "-o", out, "--format", fmt)
        assert proc.returncode == 0
        assert "warning: no gene set left" in proc.stderr
        assert out.read_text("utf-8") == content


def test_unwritable_output(tmp_path: Path) -> None:
    proc = cli(EDGE, "-o", tmp_path / "no" / "such" / "dir.gmt")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr
    target = tmp_path / "a-directory"
    target.mkdir()
    proc = cli(EDGE, "-o", target)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert os.listdir(tmp_path) == ["a-directory"] and os.listdir(target) == []


def test_split_into_a_file_is_an_error(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("x", encoding="utf-8")
    proc = cli(EDGE, "--split-by-organism", afile)
    assert proc.returncode == 1 and "not a directory" in proc.stderr


@pytest.mark.parametrize("args", [["--format", "xml"], ["--min-size", "-1"],
                                  ["--min-size", "5", "--max-size", "4"], ["--prefix", "a/b"],
                                  ["--set-name", "title"], ["--min-size", "three"]])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    proc = cli(EDGE, "-o", tmp_path / "x.gmt", *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("pfocr-export: error: ")
    assert not (tmp_path / "x.gmt").exists()


# ----------------------------------------------------------------------------- determinism


def test_stdin_stdout_and_determinism(tmp_path: Path) -> None:
    first = subprocess_cli("-", "-o", "-", stdin=TABLE.read_text("utf-8"))  # the real CLI
    second = cli(TABLE)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and first.stdout
    out = tmp_path / "x.json"
    for _ in range(2):
        assert run(TABLE, "--format", "json", "-o", out, "-q") == 0
        data = out.read_bytes()
    assert run(TABLE, "--format", "json", "-o", out, "-q") == 0
    assert out.read_bytes() == data


def test_minimal_table(tmp_path: Path) -> None:
    """Only the required columns: titles fall back to the figid, pmc to the figid's prefix."""
    table = tmp_path / "min.tsv"
    table.write_text("figid\ttaxid\torganism\tword\tsymbol\tsource\tgene_id\n"
                     + "".join(f"PMC9__x\t9606\tHomo sapiens\tw\tS{i}\thgnc_symbol\t{i}\n"
                               for i in (1, 2, 3)), encoding="utf-8")
    out = tmp_path / "m.gmt"
    assert run(table, "-o", out) == 0
    assert gmt(out) == [["PMC9__x", "PMC9__x", "1", "2", "3"]]
    assert run(table, "-o", out, "--format", "json") == 0
    assert json.loads(out.read_text("utf-8"))[0]["associatedWith"]["pmc"] == "PMC9"
    proc = cli(table, "--set-name", "alias")
    assert proc.returncode == 1 and "missing column(s) figid_alias" in proc.stderr


def test_organism_with_no_rows_gives_empty_gmt(tmp_path: Path) -> None:
    """filter to an organism absent from the table, then export: warnings, exit 0, empty GMT."""
    kept = tmp_path / "fly.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.filter", str(TABLE), "-o", str(kept),
                           "--organism", "fruit fly"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "warning: no rows left for Drosophila" in proc.stderr
    out = tmp_path / "fly.gmt"
    proc2 = subprocess_cli(kept, "-o", out)
    assert proc2.returncode == 0 and "warning: no gene set left" in proc2.stderr
    assert out.read_bytes() == b""


def test_scattered_table_to_standard_output_gives_each_set_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure's rows found apart after some blocks were exported: the table is exported
    again whole, and standard output gets only that second answer (it used to get the sets
    of the first blocks twice)."""
    from pfocr_tools import figblocks, table

    header, *rows = (TEST_DATA / "entities" / "bte-genes.tsv").read_text("utf-8") \
        .splitlines(keepends=True)
    scattered = tmp_path / "scattered.tsv"
    scattered.write_text(header + "".join(rows[::2] + rows[1::2]), "utf-8")
    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)  # many blocks before the figure returns
    monkeypatch.setattr(figblocks, "BLOCK_BYTES", 2048)
    res = run_main(export.main, [scattered, "--min-size", "1"])
    assert res.returncode == 0, res.stderr
    assert "are not together" in res.stderr
    names = [line.split("\t")[0] for line in res.stdout.splitlines()]
    assert names and len(names) == len(set(names))


def test_scattered_table_split_by_organism_gives_the_streamed_libraries(
        tmp_path: Path) -> None:
    """--split-by-organism of a table whose figures' rows are scattered (read whole, pandas)
    writes the same species libraries, with the same log lines, as of the table grouped
    (streamed): the same files, sets and descriptions, each set's genes in the order the
    scattered table has them."""
    header, *rows = (TEST_DATA / "entities" / "bte-genes.tsv").read_text("utf-8") \
        .splitlines(keepends=True)
    scattered = tmp_path / "scattered.tsv"
    scattered.write_text(header + "".join(rows[::2] + rows[1::2]), "utf-8")
    got = {}
    for name, table in (("grouped", TEST_DATA / "entities" / "bte-genes.tsv"),
                        ("scattered", scattered)):
        out = tmp_path / name
        res = run_main(export.main, [table, "--split-by-organism", out, "--min-size", "1",
                                     "--no-manifest"])
        assert res.returncode == 0, res.stderr
        assert ("are not together" in res.stderr) == (name == "scattered")
        files = sorted(p.name for p in out.iterdir())
        assert files and all(f.endswith(".gmt") for f in files)
        sets = {f: sorted((n, d, frozenset(genes)) for n, d, *genes in
                          (line.split("\t") for line in (out / f).read_text("utf-8")
                           .splitlines()))
                for f in files}
        got[name] = (sets,
                     [line.replace(str(out), "OUT") for line in res.stderr.splitlines()
                      if "OUT" in line.replace(str(out), "OUT")])
    assert got["scattered"] == got["grouped"]
