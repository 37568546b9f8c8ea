"""pfocr-remap: both backends (offline index, MyGene.info through the real client against a
local MyGene.info-compatible server), ranking, families, orthologs, retries, cache, bad input."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pfocr_tools import remap

from tests.mygene_server import MyGeneServer

ROOT = Path(__file__).resolve().parent.parent
INDEX_DATA = ROOT / "test-data" / "index"
REMAP_DATA = ROOT / "test-data" / "remap"
QUERIES = REMAP_DATA / "queries.tsv"
FIG1 = REMAP_DATA / "PMC7048131-fig1.tsv"
HEADER = QUERIES.read_text("utf-8").splitlines()[0]


def build_tiny_index(out: Path) -> Path:
    d = INDEX_DATA
    cmd = [sys.executable, "-m", "pfocr_tools.index", "build", "-o", str(out),
           "--species", "human,mouse,rat,7955",
           "--hgnc", str(d / "hgnc_entries.tsv"), "--gene-info", str(d / "Danio_rerio.gene_info"),
           "--gene2ensembl", str(d / "gene2ensembl"), "--homologene", str(d / "homologene.data"),
           "--mgi", str(d / "mgi_entries.tsv"), "--rgd", str(d / "rgd_entries.tsv"),
           "--gene-history", str(d / "gene_history"), "--famplex", str(d / "famplex")]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_index(tmp_path_factory.mktemp("index") / "tiny.sqlite")


@pytest.fixture(scope="session")
def server_session():
    server = MyGeneServer.from_file(REMAP_DATA / "mygene-genes.json").start()
    yield server
    server.stop()


@pytest.fixture
def server(server_session: MyGeneServer) -> MyGeneServer:
    server_session.reset()
    return server_session


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = remap.main(args)
    return rc, capsys.readouterr().err


def backend_args(backend: str, index: Path, server: MyGeneServer, cache: Path | None) -> list[str]:
    args = ["--backend", backend, "--index", str(index)]
    if backend == "mygene":
        args += ["--mygene-url", server.url, "--backoff", "0.05", "--timeout", "5"]
        args += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return args


# --------------------------------------------------------------------------------------------
# both backends answer the same way


@pytest.mark.parametrize("source", ["gene_id", "symbol", "word"])
@pytest.mark.parametrize("table", [QUERIES, FIG1], ids=["queries", "PMC7048131"])
def test_backends_agree(source: str, table: Path, tiny_index: Path, server: MyGeneServer,
                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {}
    for backend in ("local", "mygene"):
        out, rep = tmp_path / f"{backend}.tsv", tmp_path / f"{backend}-report.tsv"
        rc, err = run([str(table), "-o", str(out), "--from", source, "--report", str(rep),
                       "--to", "entrez,ensembl,uniprot,symbol",
                       *backend_args(backend, tiny_index, server, None)], capsys)
        assert rc == 0, err
        outputs[backend] = (out.read_bytes(), read_tsv(rep))
    assert outputs["local"][0] == outputs["mygene"][0]
    # MyGene.info cannot tell a previous symbol from an alias: compare with that in mind
    def norm(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
        return [(r["query"], r["status"], r["match"].replace("previous", "alias"), r["gene_id"],
                 r["symbol"], r["family"],
                 r["candidates"].replace(":previous:", ":alias:")) for r in rows]
    assert norm(outputs["local"][1]) == norm(outputs["mygene"][1])
    assert {r["backend"] for r in outputs["mygene"][1]} == {"mygene"}
    assert {r["data_version"] for r in outputs["mygene"][1]} == {"mygene.info build 20261101"}
    assert all(r["data_version"].startswith("gene-index:") for r in outputs["local"][1])


@pytest.mark.parametrize("backend", ["local", "mygene"])
def test_ranking_families_retired(backend: str, tiny_index: Path, server: MyGeneServer,
                                  tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    args = backend_args(backend, tiny_index, server, None)
    rc, err = run([str(QUERIES), "-o", str(out), "--from", "word", "--report", str(rep),
                   "--to", "entrez,ensembl", *args], capsys)
    assert rc == 0, err
    report = {r["query"]: r for r in read_tsv(rep)}
    assert report["STAT3"]["status"] == "mapped" and report["STAT3"]["gene_id"] == "6774"
    # ROR1 is the official symbol of ROR1 and an alias of RORA: the symbol wins, RORA is listed
    assert report["ROR1"]["gene_id"] == "4919"
    assert "6095:RORA:alias:9606" in report["ROR1"]["candidates"]
    # GP130 is an alias of IL6ST and of LRPPRC: ambiguous, never resolved
    assert report["GP130"]["status"] == "ambiguous" and report["GP130"]["gene_id"] == ""
    assert {c.split(":")[1] for c in report["GP130"]["candidates"].split(";")} == {
        "IL6ST", "LRPPRC"}
    assert report["FGF"]["status"] == "family" and report["FGF"]["family"] == "FGF (family)"
    assert len(report["FGF"]["gene_id"].split("|")) == 22
    assert report["xyzzy"]["status"] == "unmapped"
    assert report['say "hi"']["status"] == "unmapped"
    rows = read_tsv(out)
    stat3 = [r for r in rows if r["word"] == "STAT3"]
    assert [(r["gene_id"], r["ensembl"], r["source"]) for r in stat3] == [
        ("6774", "ENSG00000168610", "ncbigene_symbol")]
    fgf = [r for r in rows if r["word"] == "FGF"]
    assert len(fgf) == 22 and {r["remap_status"] for r in fgf} == {"family"}
    assert {r["source"] for r in fgf} == {"famplex_relations"}
    gp130 = [r for r in rows if r["word"] == "GP130"]
    assert [(r["gene_id"], r["remap_status"]) for r in gp130] == [("3572", "ambiguous")]

    rc, err = run([str(QUERIES), "-o", str(out), "--from", "gene_id", "--report", str(rep),
                   *args], capsys)
    assert rc == 0, err
    report = {r["query"]: r for r in read_tsv(rep)}
    assert report["999999901"]["status"] == "retired-replaced"
    assert report["999999901"]["gene_id"] == "3572"
    old = [r for r in read_tsv(out) if r["source_gene_id"] == "999999901"]
    assert [(r["gene_id"], r["symbol"], r["remap_status"]) for r in old] == [
        ("3572", "IL6ST-OLD", "retired-replaced")]


@pytest.mark.parametrize("backend", ["local", "mygene"])
@pytest.mark.parametrize("target,expected", [
    ("mouse", {"6774": "20848", "3572": "16195", "4919": "26563"}),
    ("10116", {"6774": "25125", "3572": "25205", "4919": "362550"}),
])
def test_orthologs(backend: str, target: str, expected: dict[str, str], tiny_index: Path,
                   server: MyGeneServer, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.tsv"
    rc, err = run([str(QUERIES), "-o", str(out), "--ortholog-to", target, "--unmapped", "drop",
                   *backend_args(backend, tiny_index, server, None)], capsys)
    assert rc == 0, err
    rows = read_tsv(out)
    taxid = "10090" if target == "mouse" else "10116"
    name = "Mus musculus" if target == "mouse" else "Rattus norvegicus"
    got = {r["source_gene_id"]: r["gene_id"] for r in rows if r["figid"] == "Q1"}
    for human, other in expected.items():
        assert got[human] == other
    assert {(r["taxid"], r["organism"]) for r in rows} == {(taxid, name)}
    assert all(r["remap_status"] in ("mapped", "retired-replaced") for r in rows)


def test_orthologs_back_to_human(tiny_index: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.tsv"
    rc, err = run([str(QUERIES), "-o", str(out), "--ortholog-to", "human", "--index",
                   str(tiny_index)], capsys)
    assert rc == 0, err
    rows = {(r["figid"], r["source_gene_id"]): r for r in read_tsv(out)}
    assert rows[("Q2", "16195")]["gene_id"] == "3572"
    assert rows[("Q3", "25205")]["symbol"] == "IL6ST"
    assert rows[("Q4", "30767")]["gene_id"] == "6774"
    assert rows[("Q4", "30767")]["taxid"] == "9606"


def test_species_option_and_unmapped_drop(tiny_index: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    rc, err = run([str(QUERIES), "-o", str(out), "--from", "symbol", "--species", "mouse",
                   "--unmapped", "drop", "--report", str(rep), "--index", str(tiny_index)],
                  capsys)
    assert rc == 0, err
    rows = read_tsv(out)
    # every symbol is looked up in mouse: STAT3 / Stat3 / stat3 all name mouse Stat3
    assert {r["gene_id"] for r in rows if r["word"].casefold() == "stat3"} == {"20848"}
    assert all(r["remap_status"] == "mapped" for r in rows)
    assert {r["species"] for r in read_tsv(rep)} == {"10090"}


def test_golden_word_remap(tiny_index: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    rc, err = run([str(FIG1), "-o", str(out), "--from", "word", "--report", str(rep),
                   "--to", "entrez,ensembl,uniprot,symbol", "--index", str(tiny_index)], capsys)
    assert rc == 0, err
    assert out.read_text("utf-8") == (REMAP_DATA / "expected-PMC7048131-word.tsv").read_text(
        "utf-8")
    expected_report = (REMAP_DATA / "expected-PMC7048131-word-report.tsv").read_text("utf-8")
    version = read_tsv(rep)[0]["data_version"]
    assert rep.read_text("utf-8") == expected_report.replace("@VERSION@", version)


# --------------------------------------------------------------------------------------------
# MyGene.info: requests, cache, retries


def many_terms_table(path: Path, n: int) -> Path:
    lines = [HEADER]
    cols = HEADER.split("\t")
    for i in range(n):
        row = dict.fromkeys(cols, "")
        row.update(figid=f"F{i // 7}", taxid="9606", organism="Homo sapiens",
                   word=f"W{i}", match=f"W{i}", symbol=f"GENE{i}", source="hgnc_symbol",
                   gene_id="", occurrences="1")
        if i % 100 == 0:
            row["symbol"] = "STAT3"
        lines.append("\t".join(row[c] for c in cols))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_request_count_and_warm_cache(tiny_index: Path, server: MyGeneServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    table = many_terms_table(tmp_path / "many.tsv", 2500)
    cache = tmp_path / "cache"
    args = [str(table), "-o", str(tmp_path / "out.tsv"), "--from", "symbol",
            *backend_args("mygene", tiny_index, server, cache)]
    distinct = 2500 - 24  # every 100th row is STAT3
    rc, err = run(args, capsys)
    assert rc == 0, err
    queries = [f for m, p, f in server.log if p.startswith("/v3/query")]
    assert len(queries) == math.ceil(distinct / 1000) == server.requests()
    assert all(len(f["q"].split(",")) <= 1000 for f in queries)
    assert {f["species"] for f in queries} == {"9606"} and {f["scopes"] for f in queries} == {
        "symbol,alias"}
    first = (tmp_path / "out.tsv").read_bytes()
    server.reset()
    rc, err = run(args, capsys)
    assert rc == 0, err
    assert server.requests() == 0
    assert (tmp_path / "out.tsv").read_bytes() == first


def test_species_sent_as_one_comma_string(tiny_index: Path, server: MyGeneServer,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run([str(QUERIES), "-o", str(tmp_path / "o.tsv"), "--from", "symbol",
                   *backend_args("mygene", tiny_index, server, None)], capsys)
    assert rc == 0, err
    [(_, _, form)] = server.log
    assert form["species"] == "7955,9606,10090,10116"
    assert '"' not in form["q"].replace('","', "").strip('"')  # the term with a quote is held back


@pytest.mark.parametrize("fault", [
    ("status", 429, {"Retry-After": "1"}),
    ("status", 503),
    ("status", 500),
    ("status", 502),
    ("drop",),
    ("truncate",),
    ("slow", 3.0),
], ids=["429-retry-after", "503", "500", "502", "dropped", "truncated-json", "slow"])
def test_retries(fault: tuple, tiny_index: Path, server: MyGeneServer, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str]) -> None:
    server.faults[:] = [fault]
    out = tmp_path / "out.tsv"
    args = [str(QUERIES), "-o", str(out), "--from", "symbol",
            *backend_args("mygene", tiny_index, server, None), "--timeout", "1"]
    start = time.monotonic()
    rc, err = run(args, capsys)
    elapsed = time.monotonic() - start
    assert rc == 0, err
    assert server.requests() == 2
    assert "retrying" in err
    if fault[0] == "status" and fault[1] == 429:
        assert elapsed >= 1.0  # Retry-After honoured
    rows = read_tsv(out)
    assert [r["gene_id"] for r in rows if r["word"] == "STAT3"] == ["6774"]


def test_give_up_one_line_error_no_output(tiny_index: Path, server: MyGeneServer,
                                          tmp_path: Path) -> None:
    server.faults[:] = [("status", 503)] * 3
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    proc = subprocess.run(
        [sys.executable, "-m", "pfocr_tools.remap", str(QUERIES), "-o", str(out), "--report",
         str(rep), "--from", "symbol", "--retries", "2",
         *backend_args("mygene", tiny_index, server, None)],
        capture_output=True, text=True)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("pfocr-remap: error: ") and "failed after 3 attempts" in last
    assert "HTTP 503" in last and "Traceback" not in proc.stderr
    assert server.requests() == 3
    assert not out.exists() and not rep.exists()
    assert not list(tmp_path.glob(".pfocr-*"))


def test_client_error_is_not_retried(tiny_index: Path, server: MyGeneServer, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.tsv"
    rc, err = run([str(QUERIES), "-o", str(out), "--from", "symbol", "--backend", "mygene",
                   "--no-cache", "--mygene-url", server.url.replace("/v3", "/v9")], capsys)
    assert rc == 1 and "HTTP 404" in err and not out.exists()
    assert len(server.log) == 1


def test_interrupted_run_resumes_from_cache(tiny_index: Path, server: MyGeneServer,
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    table = many_terms_table(tmp_path / "many.tsv", 2500)
    cache = tmp_path / "cache"
    out = tmp_path / "out.tsv"
    args = [str(table), "-o", str(out), "--from", "symbol",
            *backend_args("mygene", tiny_index, server, cache)]
    server.faults[:] = [("ok",), ("ok",), ("drop",)]
    rc, err = run([*args, "--retries", "0"], capsys)
    assert rc == 1 and "failed after 1 attempts" in err and not out.exists()
    assert server.requests() == 3
    server.reset()
    rc, err = run(args, capsys)
    assert rc == 0, err
    assert server.requests() == 1  # only the batch that was lost
    assert "2000 of 2476 terms answered" in err
    rows = read_tsv(out)
    assert {r["gene_id"] for r in rows if r["symbol"] == "STAT3"} == {"6774"}


def test_metadata_only_for_the_report(tiny_index: Path, server: MyGeneServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    base = [str(QUERIES), "-o", str(tmp_path / "o.tsv"), "--from", "symbol",
            *backend_args("mygene", tiny_index, server, cache)]
    rc, _ = run(base, capsys)
    assert rc == 0 and server.requests("/v3/metadata") == 0
    rc, _ = run([*base, "--report", str(tmp_path / "r.tsv")], capsys)
    assert rc == 0 and server.requests("/v3/metadata") == 1
    assert server.requests("/v3/query") == 1  # the second run took its answers from the cache
    server.reset()
    rc, _ = run([*base, "--report", str(tmp_path / "r.tsv")], capsys)
    assert rc == 0 and server.requests() == 0


# --------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("case", ["unknown-species", "unknown-ortholog", "missing-column",
                                  "empty", "bad-taxid", "no-file", "bad-index"])
def test_bad_input(case: str, tiny_index: Path, tmp_path: Path) -> None:
    table = tmp_path / "in.tsv"
    extra: list[str] = []
    text = QUERIES.read_text("utf-8")
    if case == "unknown-species":
        extra = ["--species", "martian"]
    elif case == "unknown-ortholog":
        extra = ["--ortholog-to", "unicorn"]
    elif case == "missing-column":
        lines = [line.split("\t") for line in text.splitlines()]
        drop = lines[0].index("gene_id")
        text = "\n".join("\t".join(c for i, c in enumerate(r) if i != drop) for r in lines)
    elif case == "empty":
        text = ""
    elif case == "bad-taxid":
        text = text.replace("\t10116\t", "\trat\t")
    elif case == "no-file":
        table = tmp_path / "missing.tsv"
    elif case == "bad-index":
        (tmp_path / "junk.sqlite").write_text("not sqlite")
        extra = ["--index", str(tmp_path / "junk.sqlite")]
    if case != "no-file":
        table.write_text(text, "utf-8")
    if "--index" not in extra:
        extra += ["--index", str(tiny_index)]
    out = tmp_path / "out.tsv"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.remap", str(table), "-o", str(out),
                           "--report", str(tmp_path / "rep.tsv"), *extra],
                          capture_output=True, text=True)
    # an unknown species is a usage error (exit 2), as an unknown --organism in pfocr-filter
    assert proc.returncode == (2 if case.startswith("unknown") else 1), proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pfocr-remap: error: "), proc.stderr
    assert not out.exists() and not (tmp_path / "rep.tsv").exists()
    if case == "bad-taxid":
        assert ":12: taxid 'rat' is not an NCBI taxid" in lines[0]
    if case == "unknown-species":
        assert "martian" in lines[0]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run([str(QUERIES), "-o", str(tmp_path / "o.tsv"), "--to", "entrez,refseq"], capsys)
    assert rc == 2 and "--to" in err
    with pytest.raises(SystemExit) as exc:
        remap.main([str(QUERIES), "-o", str(tmp_path / "o.tsv"), "--backend", "ftp"])
    assert exc.value.code == 2


def test_table_writer_matches_row_wise_writing(tmp_path: Path) -> None:
    """table.write_table (column-wise, chunked) gives the bytes of plain row-wise writing."""
    from pfocr_tools.table import clean, read_table, write_table

    df = read_table(str(FIG1))
    df.loc[0, "figtitle"] = "a\ttab, a\nnewline and a\r return"
    df["extra"] = [str(i) for i in range(len(df))]
    for frame in (df, df.iloc[:0]):
        write_table(frame, str(tmp_path / "fast.tsv"), chunk=7)
        rows = ["\t".join(frame.columns)]
        rows += ["\t".join(clean(str(v)) for v in row) for row in frame.itertuples(index=False)]
        assert (tmp_path / "fast.tsv").read_text("utf-8") == "\n".join(rows) + "\n"


@pytest.mark.parametrize("backend", ["local", "mygene"])
def test_family_in_mouse_uses_orthologs(backend: str, tiny_index: Path, server: MyGeneServer,
                                        tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "mouse.tsv"
    cols = HEADER.split("\t")
    row = dict.fromkeys(cols, "")
    row.update(figid="M1", taxid="10090", organism="Mus musculus", word="Jak", match="JAK",
               symbol="Jak1", source="famplex_relations", gene_id="16451", occurrences="1")
    table.write_text(HEADER + "\n" + "\t".join(row[c] for c in cols) + "\n", "utf-8")
    out = tmp_path / "out.tsv"
    rc, err = run([str(table), "-o", str(out), "--from", "word",
                   *backend_args(backend, tiny_index, server, None)], capsys)
    assert rc == 0, err
    rows = read_tsv(out)
    assert [(r["gene_id"], r["symbol"]) for r in rows] == [
        ("16451", "Jak1"), ("16452", "Jak2"), ("16453", "Jak3"), ("54721", "Tyk2")]
    assert {(r["taxid"], r["remap_status"], r["remap_family"]) for r in rows} == {
        ("10090", "family", "JAK (family)")}


def test_server_speaks_the_mygene_api(server: MyGeneServer) -> None:
    """The real client against the test server: shapes of the endpoints the tools rely on."""
    import httpx
    import mygene

    mg = mygene.MyGeneInfo()
    mg.url = server.url
    mg.delay = 0
    mg.http_client = httpx.Client(timeout=5, trust_env=False)
    mg.http_client_setup = True
    assert mg.getgene("6774", fields="symbol,entrezgene")["symbol"] == "STAT3"
    assert mg.getgene("123456789") is None  # 404
    got = mg.querymany(["GP130", "STAT3", "nothing"], scopes="symbol,alias", species="human",
                       fields="symbol", returnall=True, verbose=False)
    assert [(h["query"], h.get("symbol")) for h in got["out"]] == [
        ("GP130", "IL6ST"), ("GP130", "LRPPRC"), ("STAT3", "STAT3"), ("nothing", None)]
    assert got["missing"] == ["nothing"] and got["dup"] == [("GP130", 2)]
    # without scopes, symbols are not matched (the real server's default scopes)
    got = mg.querymany(["STAT3", "3572"], species="9606", returnall=True, verbose=False)
    assert got["missing"] == ["STAT3"]
    assert mg.metadata()["build_version"] == "20261101"
    with pytest.raises(httpx.HTTPStatusError):  # a stray quote breaks the whole batch
        mg.querymany(['A"B', "STAT3"], scopes="symbol", verbose=False)
    with pytest.raises(httpx.HTTPStatusError):  # more than 1000 ids
        mg._getannotations_inner([str(i) for i in range(1001)])
    assert server.requests() == 7


def test_document_shapes_and_retry_after() -> None:
    """Old and current MyGene.info document shapes; Retry-After in seconds or as a date."""
    import email.utils

    import httpx
    from pfocr_tools.mygene_backend import parse_doc, retry_after

    old = parse_doc({"_id": "3572", "entrezgene": 3572, "taxid": 9606, "symbol": "IL6ST",
                     "ensembl": [{"gene": "ENSG00000134352.21"}, {"gene": ["ENSG0000X"]}],
                     "uniprot": {"Swiss-Prot": ["P40189", "Q00000"]},
                     "homologene": {"id": 1645, "genes": [[10090, 16195], [10116, 25205]]}})
    assert old["gene_id"] == "3572" and old["taxid"] == "9606"
    assert old["ensembl"] == ("ENSG00000134352", "ENSG0000X")
    assert old["uniprot"] == ("P40189", "Q00000")
    assert old["homologs"] == (("10090", "16195"), ("10116", "25205"))
    new = parse_doc({"_id": "6774", "entrezgene": "6774", "taxid": 9606, "symbol": "STAT3",
                     "ensembl": {"gene": "ENSG00000168610"}, "uniprot": {"Swiss-Prot": "P40763"}})
    assert (new["ensembl"], new["uniprot"], new["homologs"]) == (
        ("ENSG00000168610",), ("P40763",), ())
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after(httpx.Response(503, headers={"Retry-After": when}))
    assert wait is not None and 25 <= wait <= 31
    assert retry_after(httpx.Response(503)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "99999"})) == 300.0


@pytest.mark.parametrize("to", ["entrez", "entrez,ensembl,uniprot,symbol"])
def test_header_only_table_gives_a_table_without_rows(to: str, tiny_index: Path,
                                                      tmp_path: Path) -> None:
    """A shard without rows of the organism flows through a workflow: header in, header out."""
    table, out, report = tmp_path / "in.tsv", tmp_path / "out.tsv", tmp_path / "report.tsv"
    table.write_text(HEADER + "\n", "utf-8")
    full = tmp_path / "full.tsv"
    args = ["--index", str(tiny_index), "--to", to]
    done = subprocess.run([sys.executable, "-m", "pfocr_tools.remap", str(table), "-o", str(out),
                           "--report", str(report), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "header but no rows" in done.stderr
    assert remap.main([str(QUERIES), "-o", str(full), *args]) == 0
    # same columns as a table with rows would get
    assert out.read_text("utf-8") == full.read_text("utf-8").splitlines()[0] + "\n"
    assert report.read_text("utf-8").count("\n") == 1


# --------------------------------------------------------------------------------------------
# the text path (rows as bytes, cut once from the right) gives what the library gives


def messy_table(path: Path) -> Path:
    """The query and figure rows several times over (new keys in later blocks too), with
    CRLF line ends, blank lines and non-ASCII text."""
    rows = [line for src in (QUERIES, FIG1) for line in src.read_text("utf-8").splitlines()[1:]]
    lines = [HEADER]
    for k in range(40):
        for i, line in enumerate(rows):
            cols = line.split("\t")
            cols[0] = f"{cols[0]}-{k}"
            cols[3] = "Signalling by β-catenin — “Wnt”" if (i + k) % 3 == 0 else cols[3]
            if k % 7 == 3 and i % 5 == 0:
                cols[13] = cols[15] = f"NEW{k}"  # a key seen only in this figure
            lines.append("\t".join(cols))
            if (i + k) % 29 == 0:
                lines.append("")
    text = "\r\n".join(lines[:200]) + "\r\n" + "\n".join(lines[200:]) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


TEXT_CASES = [
    ("gene_id", "entrez", "", "", "keep"),
    ("gene_id", "entrez,ensembl,uniprot", "", "", "drop"),
    ("symbol", "entrez,ensembl", "", "", "keep"),
    ("symbol", "symbol,uniprot", "", "", "drop"),
    ("gene_id", "symbol", "", "", "keep"),
    ("gene_id", "entrez", "", "mouse", "keep"),
    ("symbol", "entrez,symbol", "", "rat", "drop"),
    ("symbol", "entrez", "human,mouse", "", "keep"),
    ("gene_id", "ensembl", "human", "zebrafish", "keep"),
]




def _library_answer(src: Path, frm: str, to: str, species: str, ortholog: str, unmapped: str,
                    index: Path, out: Path) -> tuple:
    """The library's remap() of ``src`` (the whole table in pandas), written to ``out``: the
    options, the local backend and the report rows."""
    from pfocr_tools import geneindex, table

    opts = remap.Options(from_=frm, to=tuple(to.split(",")),
                         species=remap.parse_species(species) if species else (),
                         ortholog_to=remap.parse_species(ortholog)[0] if ortholog else "",
                         unmapped=unmapped)
    backend = remap.LocalBackend(geneindex.GeneIndex(str(index)))
    want, want_report = remap.remap(table.read_table(str(src)), backend, opts)
    table.write_table(want, str(out))
    return opts, backend, want_report

@pytest.mark.parametrize(("frm", "to", "species", "ortholog", "unmapped"), TEXT_CASES)
def test_text_path_gives_what_the_library_gives(frm: str, to: str, species: str,
                                                ortholog: str, unmapped: str,
                                                tiny_index: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from pfocr_tools import table

    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)  # many blocks, figures carried over
    src = messy_table(tmp_path / "in.tsv")
    opts, backend, want_report = _library_answer(src, frm, to, species, ortholog, unmapped,
                                                 tiny_index, tmp_path / "want.tsv")
    args = [str(src), "-o", str(tmp_path / "got.tsv"), "--report", str(tmp_path / "rep.tsv"),
            "--from", frm, "--to", to, "--unmapped", unmapped, "--index", str(tiny_index)]
    args += ["--species", species] if species else []
    args += ["--ortholog-to", ortholog] if ortholog else []
    rc, err = run(args, capsys)
    assert rc == 0, err
    assert (tmp_path / "got.tsv").read_bytes() == (tmp_path / "want.tsv").read_bytes()
    got_report = (tmp_path / "rep.tsv").read_text("utf-8").splitlines()
    assert got_report == ["\t".join(remap.REPORT_COLUMNS)] + ["\t".join(r) for r in want_report]
    kinds = {r[2] for r in want_report}
    assert "unmapped" in kinds and ({"mapped", "retired-replaced"} & kinds)


@pytest.mark.parametrize(("window", "largest"), [(1, 4), (3, 2048), (256, 2048)])
@pytest.mark.parametrize(("frm", "to", "species", "ortholog", "unmapped"),
                         [TEXT_CASES[0], TEXT_CASES[3], TEXT_CASES[7]])
def test_text_path_miss_windows(window: int, largest: int, frm: str, to: str, species: str,
                                ortholog: str, unmapped: str, tiny_index: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A key the row loop does not know yet: the new keys of a window of lines from there on
    are resolved at once, the window doubling with each miss in the block (up to a largest
    size). Whatever the windows, the output, the report (keys in first-seen order) and the
    row counts are those of the library; the backend is called once per window that holds
    new keys."""

    monkeypatch.setattr(remap, "MISS_WINDOW", window)
    monkeypatch.setattr(remap, "MISS_WINDOW_MAX", largest)
    src = messy_table(tmp_path / "in.tsv")  # one block: every miss is in the same block
    opts, backend, want_report = _library_answer(src, frm, to, species, ortholog, unmapped,
                                                 tiny_index, tmp_path / "want.tsv")
    calls: list[int] = []
    real_resolve = backend.resolve

    def counted(terms, scope, taxids):  # noqa: ANN001, ANN202 - the real resolve, counted
        calls.append(len(terms))
        return real_resolve(terms, scope, taxids)

    monkeypatch.setattr(backend, "resolve", counted)
    with remap.ByteReader(str(src)) as reader:
        text = remap.TextRemap(reader.header, opts, backend, True, str(src))
        blocks = list(reader.byte_blocks())
        assert len(blocks) == 1
        got = text.lines(*blocks[0])
        header = text.header
    assert b"\n".join(["\t".join(header).encode(), *got, b""]) == \
        (tmp_path / "want.tsv").read_bytes()
    with open(tmp_path / "rep.tsv", "w", encoding="utf-8") as handle:
        text.write_report(handle)
    text.close()
    got_report = (tmp_path / "rep.tsv").read_text("utf-8").splitlines()[1:]
    assert got_report == ["\t".join(r) for r in want_report]
    # the windows, by hand: at a line with a new key, the keys of `size` lines from there
    # on become known and the next window is twice as long
    cols = HEADER.split("\t")
    keys = [(c[cols.index(frm)], "" if species else c[cols.index("taxid")])
            for c in (line.decode("utf-8").split("\t") for line in blocks[0][0])]
    known: set[tuple[str, str]] = set()
    sizes = []
    size = window
    for i, key in enumerate(keys):
        if key not in known:
            new = set(keys[i:i + size]) - known
            terms = {t for t, _ in new if t.strip()}  # blank terms are not looked up
            if terms:
                sizes.append(len(terms))
            known |= new
            size = min(2 * size, largest)
    assert calls == sizes
    assert len(calls) >= (7 if window < 256 else 3)  # the first rows, then the NEW keys


@pytest.mark.parametrize("backend", ["local", "mygene"])
def test_text_path_pauses_the_cyclic_gc(backend: str, tiny_index: Path, server: MyGeneServer,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The rows are remapped with the cyclic garbage collector paused (the keys' entries
    would be scanned again and again), and it runs again afterwards, also after an error."""
    import gc

    seen: list[bool] = []
    real_lines = remap.TextRemap.lines

    def lines(self, *args):  # noqa: ANN001, ANN002, ANN202 - the real method, observed
        seen.append(gc.isenabled())
        return real_lines(self, *args)

    monkeypatch.setattr(remap.TextRemap, "lines", lines)
    assert gc.isenabled()
    rc, err = run([str(QUERIES), "-o", str(tmp_path / "out.tsv"),
                   *backend_args(backend, tiny_index, server, None)], capsys)
    assert rc == 0, err
    assert seen == [False] and gc.isenabled()
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(QUERIES.read_bytes() + b"x\ty\n")
    rc, err = run([str(bad), "-o", str(tmp_path / "out2.tsv"),
                   *backend_args(backend, tiny_index, server, None)], capsys)
    assert rc == 1 and "malformed TSV: 2 fields" in err
    assert gc.isenabled()


def test_text_path_remaps_a_remapped_table(tiny_index: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A remapped table remapped again (as 0.1.0 does it): its source_* columns stay, its
    remap_status and remap_match columns take the new values, and are added again at the
    end (the library's DataFrame path does not take such a table)."""
    first, second = tmp_path / "first.tsv", tmp_path / "second.tsv"
    rc, err = run([str(QUERIES), "-o", str(first), "--to", "entrez,symbol,ensembl",
                   "--index", str(tiny_index)], capsys)
    assert rc == 0, err
    rc, err = run([str(first), "-o", str(second), "--index", str(tiny_index)], capsys)
    assert rc == 0, err
    a = first.read_text("utf-8").splitlines()
    b = second.read_text("utf-8").splitlines()
    assert b[0].split("\t") == remap.out_header(a[0].split("\t"), remap.Options())
    assert b[0] == a[0] + "\tremap_status\tremap_match"
    assert [r.split("\t")[:-4] for r in b[1:]] == [r.split("\t")[:-2] for r in a[1:]]
    assert all(r.split("\t")[-4:-2] == r.split("\t")[-2:] for r in b[1:])


def test_text_path_output_is_input_plus_columns_by_design(tmp_path: Path) -> None:
    """The generated row loop: --from gene_id cuts 8 fields off the right and writes each
    mapped line as two slices of itself around the new gene ID (no field re-joined)."""
    from pfocr_tools.table import COLUMNS

    opts = remap.Options()
    layout = remap.TextLayout(COLUMNS, remap.out_header(COLUMNS, opts), opts)
    assert layout.cuts == 8 and layout.mapped[1] == "l[:b15] + c[0] + l[b15:] + c[1]"
    line = "\t".join(f"v{i}" for i in range(len(COLUMNS))).encode()
    entry = remap.Entry(1, (b"\tNEW", b"\tmapped\tgene_id"))
    by_species = {b"v9": {b"v15": entry}.get}  # taxid -> term -> entry
    out: list[bytes] = []
    other = line.replace(b"\tv9\t", b"\t10090\t")  # another key: not resolved yet
    missed: list[bytes] = []
    unmapped = remap.Entry(0, (b"\tunmapped\t",))

    def miss(line: bytes) -> remap.Entry:  # what TextRemap.miss() does: resolve, give the entry
        missed.append(line)
        return unmapped

    layout.run([line, other, line], by_species.get, out, miss)
    assert missed == [other]
    assert out[0] == out[2] == (line.replace(b"\tv15\t", b"\tNEW\tv15\t")
                                + b"\tmapped\tgene_id")
    assert out[1] == other.replace(b"\tv16", b"\tv15\tv16") + b"\tunmapped\t"
    assert entry.rows == 2 and unmapped.rows == 1


def test_text_path_line_with_one_occurrence_is_a_slice_and_a_constant() -> None:
    """--from gene_id: after gene_id come only the key's term, occurrences and the entry's
    values, so a line whose occurrences is 1 is one slice of itself and one per-key constant
    (other lines take the general path); both give the same bytes."""
    from pfocr_tools.table import COLUMNS

    opts = remap.Options(to=("entrez", "ensembl"))
    layout = remap.TextLayout(COLUMNS, remap.out_header(COLUMNS, opts), opts)
    n = len(COLUMNS)
    gene = COLUMNS.index("gene_id")
    assert layout.mapped_tail == (gene, [n, gene, gene + 1, n + 4, n + 6, n + 7])
    assert layout.unmapped_tail == (gene + 1, [gene, gene + 1, n + 4, n + 6, n + 7])
    values = ["NEW", "SYM", "", "", "ENSG1", "", "mapped", "gene_id", ""]
    mapped = remap.Entry(1, layout.consts(layout.mapped[2], values),
                         layout.tail(layout.mapped_tail, values, ("v15", "v9")))
    assert mapped.tail == b"\tNEW\tv15\t1\tENSG1\tmapped\tgene_id"
    u_values = ["", "", "", "", "", "", "unmapped", "", ""]
    unmapped = remap.Entry(0, layout.consts(layout.unmapped[2], u_values),
                           layout.tail(layout.unmapped_tail, u_values, ("v15", "10090")))
    line = "\t".join(f"v{i}" for i in range(n)).encode()
    table = {b"v9": {b"v15": mapped}.get, b"10090": {b"v15": unmapped}.get}
    lines = [line.replace(b"\tv16", b"\t1"), line.replace(b"\tv16", b"\t12")]
    lines += [x.replace(b"\tv9\t", b"\t10090\t") for x in lines]
    out: list[bytes] = []
    layout.run(lines, table.get, out, None)
    head = b"\t".join(b"v%d" % i for i in range(gene))
    assert out == [head + b"\tNEW\tv15\t1\tENSG1\tmapped\tgene_id",
                   head + b"\tNEW\tv15\t12\tENSG1\tmapped\tgene_id",
                   head.replace(b"\tv9\t", b"\t10090\t") + b"\tv15\tv15\t1\t\tunmapped\t",
                   head.replace(b"\tv9\t", b"\t10090\t") + b"\tv15\tv15\t12\t\tunmapped\t"]
    assert mapped.rows == unmapped.rows == 2
    assert layout.source.count("+ m.tail)") == 2  # the quick branch of mapped and unmapped
    general = remap.TextLayout(COLUMNS, remap.out_header(COLUMNS, remap.Options(
        from_="symbol")), remap.Options(from_="symbol"))
    assert general.mapped_tail is None  # source_gene_id (the old ID) is not a key field


@pytest.mark.parametrize(("case", "message"), [
    ("few", ":{line}: malformed TSV: 16 fields, the header has 17 (too few)"),
    ("many", ":{line}: malformed TSV: 18 fields, the header has 17 (too many)"),
    ("latin1", ":{line}: not UTF-8 text (invalid continuation byte)"),
    # every other row holds UTF-8 text too, with CRLF line ends: only the line is named
    ("utf8+latin1", ":{line}: not UTF-8 text (invalid continuation byte)"),
    ("taxid", ":{line}: taxid 'human' is not an NCBI taxid"),
    ("long", ":{line}: line longer than 4,096 bytes: not a figure gene table"),
    # a row a field short and the next a field too long: the block's tab count is right
    ("few+many", ":{line}: malformed TSV: 16 fields, the header has 17 (too few)"),
    ("short+long", ":{line}: malformed TSV: 3 fields, the header has 17 (too few)"),
])
@pytest.mark.parametrize("backend", ["local", "mygene"])
def test_text_path_bad_row_names_the_line(case: str, message: str, backend: str,
                                          tiny_index: Path, server: MyGeneServer,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from pfocr_tools import table

    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)
    monkeypatch.setattr(table, "MAX_LINE_BYTES", 4096)
    rows = QUERIES.read_bytes().splitlines(keepends=True)
    body = rows[1:] * 30
    bad = bytearray(rows[1])
    if case == "few":
        bad = bad.replace(b"\tSTAT3\t", b"\t", 1)
    elif case == "many":
        bad = bad.replace(b"\tSTAT3\t", b"\tSTAT3\tx\t", 1)
    elif case in ("latin1", "utf8+latin1"):
        bad = bad.replace(b"remap test", b"caf\xe9 test")
        if case == "utf8+latin1":
            body = [r.replace(b"remap test", "café “test”".encode()).replace(b"\n", b"\r\n")
                    for r in body]
    elif case == "taxid":
        bad = bad.replace(b"\t9606\t", b"\thuman\t")
    elif case == "few+many":
        long_row = body[0].replace(b"\tSTAT3\t", b"\tSTAT3\tx\t", 1)
        bad = bad.replace(b"\tSTAT3\t", b"\t", 1) + long_row
    elif case == "short+long":
        bad = bytearray(b"\t".join(rows[1].split(b"\t")[:3]) + b"\n"
                        + body[0].replace(b"\n", b"\t" * 14 + b"\n"))
    else:
        bad = bad.replace(b"remap test", b"remap test" * 500)
    text = rows[0] + b"".join(body[:200]) + b"\n\n" + bytes(bad) + b"".join(body[200:])
    (tmp_path / "in.tsv").write_bytes(text)
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    rc, err = run([str(tmp_path / "in.tsv"), "-o", str(out), "--report", str(rep),
                   *backend_args(backend, tiny_index, server, None)], capsys)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(message.format(line=204)), err
    assert not out.exists() and not rep.exists()


def test_mygene_keys_resolved_in_batches(tiny_index: Path, server: MyGeneServer,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Batches of KEY_BATCH distinct terms (a multiple of 1,000): no more requests than one
    batch, and the same output."""
    table = many_terms_table(tmp_path / "many.tsv", 4500)
    base = [str(table), "--from", "symbol", "--to", "entrez,ensembl",
            *backend_args("mygene", tiny_index, server, None)]
    rc, err = run([*base, "-o", str(tmp_path / "one.tsv"), "--report", str(tmp_path / "a")],
                  capsys)
    assert rc == 0, err
    one = server.requests()
    server.reset()
    monkeypatch.setattr(remap, "KEY_BATCH", 1000)
    rc, err = run([*base, "-o", str(tmp_path / "five.tsv"), "--report", str(tmp_path / "b")],
                  capsys)
    assert rc == 0, err
    queries = [f for m, p, f in server.log if p.startswith("/v3/query")]
    assert server.requests() == one == len(queries) + 1 == math.ceil((4500 - 44) / 1000) + 1
    assert (tmp_path / "one.tsv").read_bytes() == (tmp_path / "five.tsv").read_bytes()
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
