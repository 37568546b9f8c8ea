"""Chemicals and diseases: extract (both schemas, oddities, bad input, archives), export (sets,
species libraries, BioThings NDJSON) and filter --figures-from, on real records."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from pfocr_tools import export, extract
from pfocr_tools import filter as pfilter
from pfocr_tools.entities import split_id
from pfocr_tools.table import CHEMICAL_COLUMNS, DISEASE_COLUMNS, kind_of, table_kind

from .clirun import run_main
from .conftest import OLD_RECORDS, TEST_DATA

DATA = TEST_DATA / "entities"
RECORDS = DATA / "records"  # 13 current-schema figures with chemicals / diseases TSVs
ODD = DATA / "odd"
BAD = DATA / "bad"
INPUTS = [RECORDS, OLD_RECORDS.parent, ODD]  # as regenerate.sh


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def extract_all(tmp_path: Path, *extra: str) -> tuple[Path, Path, Path]:
    genes, chem, dis = tmp_path / "genes.tsv", tmp_path / "chem.tsv", tmp_path / "dis.tsv"
    res = run_main(extract.main, [*INPUTS, "-o", genes, "--chemicals", chem, "--diseases", dis,
                                  *extra])
    assert res.returncode == 0, res.stderr
    return genes, chem, dis


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return extract_all(tmp_path_factory.mktemp("entities"), "-j", "1")


# ----------------------------------------------------------------------------- extract


def test_golden_tables(tables: tuple[Path, Path, Path]) -> None:
    _, chem, dis = tables
    assert chem.read_bytes() == (DATA / "golden-chemicals.tsv").read_bytes()
    assert dis.read_bytes() == (DATA / "golden-diseases.tsv").read_bytes()
    assert chem.read_text().splitlines()[0].split("\t") == list(CHEMICAL_COLUMNS)
    assert dis.read_text().splitlines()[0].split("\t") == list(DISEASE_COLUMNS)


def test_parallel_is_identical(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    genes, chem, dis = extract_all(tmp_path, "-j", "2")
    for mine, ref in zip((genes, chem, dis), tables, strict=True):
        assert mine.read_bytes() == ref.read_bytes()


def test_gene_table_unchanged_by_the_options(tmp_path: Path,
                                              tables: tuple[Path, Path, Path]) -> None:
    out = tmp_path / "genes.tsv"
    assert run_main(extract.main, [*INPUTS, "-o", out, "-j", "1"]).returncode == 0
    assert out.read_bytes() == tables[0].read_bytes()


def test_current_schema_rows_verbatim(tables: tuple[Path, Path, Path]) -> None:
    chem = rows(tables[1])
    mag = [r for r in chem if r["figid"] == "PMC10017456__fpls-14-1084358-g002"
           and r["word"] == "magnoflorine"]
    assert len(mag) == 1
    assert (mag[0]["match"], mag[0]["name"], mag[0]["mesh"], mag[0]["chebi"]) == (
        "(S)-magnoflorine", "magnoflorine", "C001670", "6641")
    # the figure's organisms are those of its gene rows, first seen first
    assert mag[0]["taxid"] == "9606|7227"
    assert mag[0]["organism"] == "Homo sapiens|Drosophila melanogaster"
    # NA cells become empty; the row stays (the word was found)
    tyr = [r for r in chem if r["word"] == "L-tyrosine"
           and r["figid"].startswith("PMC10017456")]
    assert (tyr[0]["mesh"], tyr[0]["chebi"], tyr[0]["match"]) == ("", "", "")
    # duplicate rows are collapsed and counted (Na five times)
    na = [r for r in chem if r["figid"].startswith("PMC10036441") and r["word"] == "Na"]
    assert [r["occurrences"] for r in na] == ["5"]  # 5 identical lines in the TSV


def test_old_schema_front_matter(tables: tuple[Path, Path, Path]) -> None:
    chem = rows(tables[1])
    bomb = [r for r in chem if r["figid"] == "PMC100003__mb2410470011"]
    assert [(r["word"], r["mesh"], r["chebi"], r["taxid"]) for r in bomb] == [
        ("bombesin", "D001839", "", "9606")]
    dis = rows(tables[2])
    # diseases with an empty source / identifier keep their word
    assert any(r["word"] == "Cancer" and r["mesh"] == "" for r in dis)
    old_figs = {p.stem for p in OLD_RECORDS.glob("*.md")}
    with_chem = {r["figid"] for r in chem} & old_figs
    assert len(with_chem) == 27  # every old page whose chemicals list is not empty


def test_oddities(tables: tuple[Path, Path, Path]) -> None:
    chem = {(r["figid"], r["word"]): r for r in rows(tables[1])}
    dis = [r for r in rows(tables[2]) if r["figid"].startswith("PMC90000")]
    # a figure with chemicals and no genes is still a figure, of its record's species
    ca = chem[("PMC9000001__odd-chemicals", "Ca2+")]
    assert (ca["occurrences"], ca["taxid"]) == ("2", "9606")  # trailing spaces folded
    assert chem[("PMC9000001__odd-chemicals", "ATP")]["chebi"] == "15422"  # CHEBI: prefix
    assert chem[("PMC9000001__odd-chemicals", "nitric oxide")]["mesh"] == "D009569"
    by = {(r["figid"][:10], r["word"]): r for r in dis}
    # word, type, identifier with MESH:D006984-style IDs; DOID in the identifier column
    assert by[("PMC9000002", "Asthma")]["mesh"] == "D001249"
    assert by[("PMC9000002", "Asthma")]["occurrences"] == "2"
    assert by[("PMC9000002", "Hypertension")]["doid"] == "10763"
    assert by[("PMC9000002", "Noonan syndrome")]["mesh"] == ""  # OMIM: left out, word kept
    # an OMIM number in the MeSH column; DOID: next to doid: is one row
    assert by[("PMC9000003", "Noonan syndrome 6")]["mesh"] == ""
    lps = by[("PMC9000003", "LPS")]
    assert (lps["doid"], lps["occurrences"]) == ("0060239", "2")
    assert by[("PMC9000003", "liver injury")]["occurrences"] == "2"  # double spaces
    # word, source, identifier with empty cells
    assert by[("PMC9000004", "Cancer")]["occurrences"] == "2"
    assert by[("PMC9000004", "Alzheimer disease")]["mesh"] == "D000544"


def test_oddities_are_warned(tmp_path: Path) -> None:
    res = run_main(extract.main, [ODD, "-o", tmp_path / "g.tsv", "--diseases",
                                  tmp_path / "d.tsv"])
    assert res.returncode == 0
    assert "'mesh:616459' is not a mesh identifier; left out" in res.stderr
    assert "PMC9000003__odd-disease-omim-diseases.tsv:2" in res.stderr


@pytest.mark.parametrize(("name", "message"), [
    ("PMC9000011__bad-chem-columns",
     "PMC9000011__bad-chem-columns-chemicals.tsv:1: chemicals TSV lacks column(s) word, mesh, "
     "chebi"),
    ("PMC9000012__bad-chem-short",
     "PMC9000012__bad-chem-short-chemicals.tsv:3: expected 5 tab-separated fields, found 2"),
])
def test_bad_chemicals_tsv(tmp_path: Path, name: str, message: str) -> None:
    chem = tmp_path / "chem.tsv"
    res = run_main(extract.main, [BAD / "_figures" / f"{name}.md", "-o", tmp_path / "g.tsv",
                                  "--chemicals", chem])
    assert res.returncode == 1
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr
    assert not chem.exists() and not (tmp_path / "g.tsv").exists()


def test_bad_chemicals_tsv_skipped(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.tsv"
    res = run_main(extract.main, [BAD, ODD, "-o", tmp_path / "g.tsv", "--chemicals",
                                  tmp_path / "c.tsv", "--on-error", "skip", "--rejects",
                                  rejects])
    assert res.returncode == 0
    assert len(rows(rejects)) == 2
    assert {r["figid"] for r in rows(tmp_path / "c.tsv")} == {"PMC9000001__odd-chemicals"}


def test_old_schema_bad_chemicals_item(tmp_path: Path) -> None:
    page = tmp_path / "PMC1__x.md"
    page.write_text("---\nfigid: PMC1__x\ngenes: []\nchemicals:\n- word: ATP\n  source: MESH\n"
                    "  identifier: D000255\n- just text\n---\n", "utf-8")
    res = run_main(extract.main, [page, "-o", tmp_path / "g.tsv", "--chemicals",
                                  tmp_path / "c.tsv"])
    assert res.returncode == 1
    assert f"{page}:8: chemicals item 2 must be a mapping, found a str" in res.stderr


def test_same_output_twice_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "x.tsv"
    res = run_main(extract.main, [ODD, "-o", out, "--chemicals", out])
    assert res.returncode == 2
    assert "-o and --chemicals name one file" in res.stderr
    res = run_main(extract.main, [ODD, "--chemicals", "-"])  # -o is standard output too
    assert res.returncode == 2
    assert "only one output can go to standard output" in res.stderr


def test_chemicals_to_standard_output(tmp_path: Path) -> None:
    res = run_main(extract.main, [ODD, "-o", tmp_path / "g.tsv", "--chemicals", "-"])
    assert res.returncode == 0
    assert res.stdout.splitlines()[0].split("\t") == list(CHEMICAL_COLUMNS)
    assert len(res.stdout.splitlines()) == 6


def _archive_inputs(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(RECORDS, tree / "current-schema")
    return tree


def test_zip_and_tar_give_the_same_tables(tmp_path: Path) -> None:
    tree = _archive_inputs(tmp_path)
    ref = extract_all_from(tmp_path / "dir", [tree])
    zpath, tpath = tmp_path / "r.zip", tmp_path / "r.tar.gz"
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in files:
            zf.write(p, p.relative_to(tree).as_posix())
    with tarfile.open(tpath, "w:gz") as tf:
        for p in files:  # _data/ before _figures/, as the pfocr-database layout sorts
            tf.add(p, p.relative_to(tree).as_posix())
    for archive in (zpath, tpath):
        got = extract_all_from(tmp_path / archive.name.replace(".", "_"), [archive])
        for a, b in zip(got[1:], ref[1:], strict=True):
            assert _body(a) == _body(b), archive


def _body(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines()


def extract_all_from(out: Path, inputs: list[Path]) -> tuple[Path, Path, Path]:
    out.mkdir()
    genes, chem, dis = out / "g.tsv", out / "c.tsv", out / "d.tsv"
    res = run_main(extract.main, [*inputs, "-o", genes, "--chemicals", chem, "--diseases", dis,
                                  "-j", "1"])
    assert res.returncode == 0, res.stderr
    assert len(_body(chem)) == 172  # the 13 current-schema figures
    return genes, chem, dis


# ----------------------------------------------------------------------------- table kinds


def test_kind_from_header(tables: tuple[Path, Path, Path]) -> None:
    assert [table_kind(str(p)) for p in tables] == ["genes", "chemicals", "diseases"]
    assert kind_of(["figid", "word"]) is None


def test_split_id() -> None:
    assert split_id("mesh:D001839", "mesh") == ("mesh", "D001839")
    assert split_id("DOID:0060239", "doid") == ("doid", "0060239")
    assert split_id("NA", "chebi") == (None, "")
    assert split_id("D001839", "mesh") == ("mesh", "D001839")


# ----------------------------------------------------------------------------- export


def test_ndjson_golden_and_loader(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    genes, chem, dis = tables
    out = tmp_path / "bte_chemicals_diseases_genes_strict.ndjson"
    res = run_main(export.main, [genes, "--chemicals", chem, "--diseases", dis, "--format",
                                 "ndjson", "--flavor", "strict", "-o", out])
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == (DATA / "golden-bte-strict.ndjson").read_bytes()
    docs = [json.loads(line) for line in out.read_text("utf-8").splitlines()]  # as BioThings
    figids = [d["_id"] for d in docs]
    in_any = dict.fromkeys(r["figid"] for p in tables for r in rows(p))
    assert figids == list(in_any)  # one per figure of any table, first-seen order
    for d in docs:
        a = d["associatedWith"]
        assert list(a) == ["title", "pfocrUrl", "figureUrl", "pmc", "mentions"]
        assert a["pmc"].startswith("PMC") and isinstance(a["pmc"], str)
        m = a["mentions"]
        assert list(m) == ["chemicals", "diseases", "genes"]
        assert list(m["chemicals"]) == ["mesh", "chebi"] and list(m["diseases"]) == ["mesh",
                                                                                      "doid"]
        for per in m.values():
            for ids in per.values():
                assert all(isinstance(i, str) and ":" not in i for i in ids)
                assert len(ids) == len(set(ids))
    by = {d["_id"]: d["associatedWith"]["mentions"] for d in docs}
    assert by["PMC9000001__odd-chemicals"]["genes"]["ncbigene"] == []
    assert by["PMC9000001__odd-chemicals"]["chemicals"]["chebi"] == ["22984", "15422", "16480",
                                                                    "17634"]
    assert by["PMC10030845__fimmu-14-1150879-g002"]["diseases"]["doid"] == ["0060239"]


def test_ndjson_flavor_changes_genes_only(tmp_path: Path, tables: tuple[Path, Path, Path]
                                          ) -> None:
    genes, chem, dis = tables
    docs = {}
    for flavor in ("strict", "all"):
        out = tmp_path / f"{flavor}.ndjson"
        assert run_main(export.main, [genes, "--chemicals", chem, "--diseases", dis,
                                      "--format", "ndjson", "--flavor", flavor, "-o",
                                      out]).returncode == 0
        docs[flavor] = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(docs["strict"]) == len(docs["all"])
    grew = 0
    for s, a in zip(docs["strict"], docs["all"], strict=True):
        ms, ma = s["associatedWith"]["mentions"], a["associatedWith"]["mentions"]
        assert ms["chemicals"] == ma["chemicals"] and ms["diseases"] == ma["diseases"]
        assert set(ms["genes"]["ncbigene"]) <= set(ma["genes"]["ncbigene"])
        grew += len(ma["genes"]["ncbigene"]) > len(ms["genes"]["ncbigene"])
    assert grew > 10


def test_chemical_gmt_split_golden(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    out = tmp_path / "libs"
    res = run_main(export.main, [tables[1], "--split-by-organism", out, "--prefix",
                                 "pfocr-20260215"])
    assert res.returncode == 0, res.stderr
    golden = DATA / "golden-chemical-split"
    manifests = [n for n in os.listdir(out) if n.endswith(".manifest.json")]
    assert manifests == ["pfocr-20260215-gmt.manifest.json"]  # one per folder (issue 14)
    assert sorted(set(os.listdir(out)) - set(manifests)) == sorted(os.listdir(golden))
    for name in os.listdir(golden):
        assert (out / name).read_bytes() == (golden / name).read_bytes(), name
    human = (golden / "pfocr-20260215-chemical-gmt-Homo_sapiens.gmt").read_text().splitlines()
    first = human[0].split("\t")
    assert first[0] == "PMC10017456__fpls-14-1084358-g002"
    assert first[2:] == ["6641", "18418", "17909", "140672", "5986"]  # ChEBI, first seen


def test_chemical_sets_by_mesh_with_sizes(tmp_path: Path, tables: tuple[Path, Path, Path]
                                          ) -> None:
    res = run_main(export.main, [tables[1], "--id-column", "mesh", "--min-size", "5",
                                 "--max-size", "6"])
    assert res.returncode == 0, res.stderr
    lines = [line.split("\t") for line in res.stdout.splitlines()]
    assert lines and all(5 <= len(line) - 2 <= 6 for line in lines)
    assert all(i[0] in "CD" for line in lines for i in line[2:])


@pytest.mark.parametrize("fmt", ["tsv", "json"])
def test_disease_sets_formats(tmp_path: Path, tables: tuple[Path, Path, Path], fmt: str) -> None:
    out = tmp_path / f"d.{fmt}"
    res = run_main(export.main, [tables[2], "--format", fmt, "--min-size", "1", "-o", out])
    assert res.returncode == 0, res.stderr
    if fmt == "tsv":
        head = out.read_text().splitlines()[0]
        assert head == "set_name\ttitle\tmesh\tword"
    else:
        docs = json.loads(out.read_text())
        assert docs and all(list(d["associatedWith"]["mentions"]) == ["diseases"] for d in docs)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--id-column", "gene_id"], 2, "--id-column for a figure chemical table is one of"),
    (["--id-column", "doid"], 2, "--id-column for a figure chemical table is one of"),
    (["--format", "ndjson", "--split-by-organism", "x"], 2, "does not go with"),
    (["--diseases", "CHEM"], 2, "--chemicals and --diseases go with --format ndjson"),
])
def test_export_usage_errors(tmp_path: Path, tables: tuple[Path, Path, Path], args: list[str],
                             code: int, message: str) -> None:
    args = [str(tables[1]) if a == "CHEM" else a for a in args]
    if args[:2] == ["--id-column", "gene_id"]:
        args = ["--id-column", "symbol"]
    res = run_main(export.main, [tables[1], *args])
    assert res.returncode == code, res.stderr
    assert message in res.stderr


def test_ndjson_wrong_kind(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    genes, chem, dis = tables
    res = run_main(export.main, [genes, "--chemicals", dis, "--format", "ndjson"])
    assert res.returncode == 1
    assert "--chemicals expects a figure chemical table, this is a figure disease table" \
        in res.stderr


# ----------------------------------------------------------------------------- filter


def test_filter_figures_from(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    genes, chem, dis = tables
    mouse = tmp_path / "mouse.tsv"
    assert run_main(pfilter.main, [genes, "--organism", "mouse", "-o", mouse]).returncode == 0
    keep = {r["figid"] for r in rows(mouse)}
    for table in (chem, dis):
        out, log = tmp_path / f"m-{table.name}", tmp_path / f"log-{table.name}"
        res = run_main(pfilter.main, [table, "--figures-from", mouse, "-o", out, "--log", log])
        assert res.returncode == 0, res.stderr
        got = rows(out)
        assert got and {r["figid"] for r in got} <= keep
        assert len(got) == sum(r["figid"] in keep for r in rows(table))
        assert out.read_text().splitlines()[0] == table.read_text().splitlines()[0]
        # the rows' organisms become those the filtered gene table kept: mouse only
        assert {r["taxid"] for r in got} == {"10090"}
        assert {r["organism"] for r in got} == {"Mus musculus"}
        decisions = rows(log)
        assert {d["figid"] for d in decisions} == {r["figid"] for r in rows(table)}
        assert all((d["decision"] == "kept") == (d["figid"] in keep) for d in decisions)


@pytest.mark.parametrize("block_bytes", [512, 1 << 20])
def test_filter_figures_from_streams_what_the_whole_table_gives(
        tmp_path: Path, tables: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch,
        block_bytes: int) -> None:
    """--figures-from streams both tables (bytes, blocks of whole figures); the same table
    with its rows scattered is read whole (pandas): the same rows, organisms and log lines;
    a .gz output is gzip (as in every tool)."""
    import gzip
    import random

    from pfocr_tools import table as ptable

    monkeypatch.setattr(ptable, "BLOCK_BYTES", block_bytes)
    genes, chem, dis = tables
    mouse = tmp_path / "mouse.tsv"
    assert run_main(pfilter.main, [genes, "--organism", "mouse,human", "-o", mouse]
                    ).returncode == 0
    # the gene table with its per-figure columns on every row: read whole, a table is
    # written so (the streamed rows keep the form they were given)
    genes_every = tmp_path / "genes-every.tsv"
    ptable.write_table(ptable.read_table(str(genes)), str(genes_every))
    for src in (chem, dis, genes_every):
        lines = src.read_text("utf-8").splitlines(keepends=True)
        body = lines[1:]
        random.Random(3).shuffle(body)
        scattered = tmp_path / f"s-{src.name}"
        scattered.write_text(lines[0] + "".join(body), "utf-8")
        got = {}
        for name, table in (("stream", src), ("whole", scattered)):
            out, log = tmp_path / f"{name}.tsv.gz", tmp_path / f"{name}.log"
            res = run_main(pfilter.main, [table, "--figures-from", mouse, "-o", out,
                                          "--log", log])
            assert res.returncode == 0, res.stderr
            assert ("reading the whole table" in res.stderr) == (name == "whole")
            text = gzip.decompress(out.read_bytes()).decode()
            got[name] = (text.splitlines()[0], sorted(text.splitlines()[1:]),
                         sorted(log.read_text("utf-8").splitlines()))
        assert got["stream"] == got["whole"]
        assert got["stream"][1], src.name


def test_filter_figures_from_never_replaces_an_input(tmp_path: Path,
                                                     tables: tuple[Path, Path, Path]) -> None:
    genes, chem, _ = tables
    figs, table = tmp_path / "figs.tsv", tmp_path / "chem.tsv"
    shutil.copy(genes, figs)
    shutil.copy(chem, table)
    for out in (figs, table):
        res = run_main(pfilter.main, [table, "--figures-from", figs, "-o", out])
        assert res.returncode == 2, res.stderr
        assert "is also an input" in res.stderr
    assert figs.read_bytes() == genes.read_bytes() and table.read_bytes() == chem.read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    ([], "one of the arguments --organism --figures-from is required"),
    (["--organism", "human"], "is a figure chemical table: --organism filters the gene table"),
    (["--figures-from", "GENES", "--organism", "human"], "not allowed with argument"),
    (["--figures-from", "GENES", "--exclude-mentions"], "--exclude-mentions goes with"),
])
def test_filter_usage_errors(tables: tuple[Path, Path, Path], args: list[str], message: str
                             ) -> None:
    args = [str(tables[0]) if a == "GENES" else a for a in args]
    res = run_main(pfilter.main, [tables[1], *args])
    assert res.returncode == 2
    assert message in res.stderr


# ----------------------------------------------------------------------------- report


def test_report_chemicals_and_diseases(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    from pfocr_tools import report

    from .test_report import Page

    genes, chem, dis = tables
    plain, full = tmp_path / "plain.html", tmp_path / "full.html"
    assert report.main([str(genes), "-o", str(plain), "-q"]) == 0
    assert report.main([str(genes), "-o", str(full), "--chemicals", str(chem), "--diseases",
                        str(dis), "-q"]) == 0
    page = Page(full.read_text("utf-8"))
    numbers = {r[0]: r[1] for r in page.tables["chemicals-numbers"]}
    chem_rows = rows(chem)
    assert numbers["figures"] == str(len({r["figid"] for r in chem_rows}))
    assert numbers["distinct ChEBI IDs"] == str(len({r["chebi"] for r in chem_rows
                                                      if r["chebi"]}))
    dnum = {r[0]: r[1] for r in page.tables["diseases-numbers"]}
    assert dnum["distinct DOID IDs"] == "3"
    # the chemical library equals what pfocr-export writes with the same cut-offs
    res = run_main(export.main, [chem])
    lib = {r[0]: r[1] for r in page.tables["chemicals-library"]}
    assert lib["sets in the library"] == str(len(res.stdout.splitlines()))
    top = page.tables["chemicals-top"]
    assert top[0][0] == "rank" and len(top) == 16
    # figures per chemical counted from the table
    calcium = [r for r in top if r[3] == "22984"]
    assert calcium and calcium[0][4] == str(len({r["figid"] for r in chem_rows
                                                 if r["chebi"] == "22984"}))
    # the gene part of the page does not change
    before = plain.read_text("utf-8")
    after = full.read_text("utf-8")
    cut = after.index('<h2 id="entities">')
    assert after[:cut] == before[: before.index('<p class="small">Gene sets:')]


def test_report_entities_survive_galaxy_sanitiser(tmp_path: Path,
                                                  tables: tuple[Path, Path, Path]) -> None:
    sanitize = pytest.importorskip("galaxy.util.sanitize_html").sanitize_html
    from pfocr_tools import report

    from .test_report import Page

    out = tmp_path / "r.html"
    assert report.main([str(tables[0]), "-o", str(out), "--chemicals", str(tables[1]),
                        "--diseases", str(tables[2]), "-q"]) == 0
    original = Page(out.read_text("utf-8"))
    clean = Page(sanitize(out.read_text("utf-8")))
    for tid in ("chemicals-numbers", "chemicals-library", "chemicals-top", "diseases-numbers",
                "diseases-library", "diseases-top"):
        assert clean.tables[tid] == original.tables[tid], tid


def test_report_wrong_kind(tmp_path: Path, tables: tuple[Path, Path, Path]) -> None:
    from pfocr_tools import report

    res = run_main(report.main, [tables[0], "-o", tmp_path / "r.html", "--chemicals",
                                 tables[2]])
    assert res.returncode == 1
    assert "--chemicals expects a figure chemical table" in res.stderr
    assert not (tmp_path / "r.html").exists()


def test_strict_gene_table_gives_the_same_ndjson(tmp_path: Path,
                                                 tables: tuple[Path, Path, Path]) -> None:
    """bte-genes.tsv (the Galaxy test's input) is the strict extraction of the same records."""
    strict = tmp_path / "strict.tsv"
    assert run_main(extract.main, [*INPUTS, "--flavor", "strict", "-o", strict, "-j",
                                   "1", "--repeat-figure-columns"]).returncode == 0
    assert strict.read_bytes() == (DATA / "bte-genes.tsv").read_bytes()
    res = run_main(export.main, [strict, "--chemicals", tables[1], "--diseases", tables[2],
                                 "--format", "ndjson"])
    assert res.stdout.encode() == (DATA / "golden-bte-strict.ndjson").read_bytes()


def test_exact_yaml_gives_the_same_tables(tmp_path: Path, tables: tuple[Path, Path, Path]
                                          ) -> None:
    """The fast path parses only the chemicals / diseases entries of a front matter; the
    reference reading of the whole page gives the same rows (shared records included)."""
    _, chem, dis = extract_all(tmp_path, "-j", "1", "--exact-yaml")
    assert chem.read_bytes() == tables[1].read_bytes()
    assert dis.read_bytes() == tables[2].read_bytes()
