"""pfocr-organisms: the evidence table from the bundled records, offline and with --pubmed
against the local E-utilities server."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pfocr_tools import evidence as ev
from pfocr_tools import organism_evidence
from pfocr_tools.errors import DataError

from tests.clirun import run_main
from tests.eutils_server import EUtilsServer
from tests.test_evidence import record_facts

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-data" / "records"
BAD = ROOT / "test-data" / "bad"
PAPERS = ROOT / "test-data" / "pubmed" / "papers.json"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def by_figure(rows: list[dict[str, str]], pmcid: str) -> dict[str, dict[str, str]]:
    return {r["taxid"]: r for r in rows if r["pmcid"] == pmcid}


@pytest.fixture(scope="module")
def server_module() -> Iterator[EUtilsServer]:
    server = EUtilsServer.from_file(PAPERS).start()
    yield server
    server.stop()


@pytest.fixture
def server(server_module: EUtilsServer) -> EUtilsServer:
    server_module.reset()  # NCBI's rate limit on: the CLI paces itself at 3 requests/s
    return server_module


def test_offline_table(tmp_path: Path) -> None:
    out = tmp_path / "ev.tsv"
    res = run_main(organism_evidence.main, [RECORDS, "-o", out])
    assert res.returncode == 0, res.stderr
    assert "86 figures" in res.stderr and "conflict" in res.stderr
    rows = read(out)
    assert list(rows[0]) == list(organism_evidence.COLUMNS)
    assert len({r["figid"] for r in rows}) == 86
    poppy = by_figure(rows, "PMC10017456")
    assert poppy["3466"]["confidence"] == "high" and poppy["3466"]["mention"] == "yes"
    human = poppy["9606"]
    assert (human["confidence"], human["record"], human["ner"], human["genes"]) == \
        ("conflict", "yes", "yes", "no")
    assert (human["count_direct"], human["count_synonym"], human["count_match"]) == \
        ("2", "8", "6")
    assert human["against"] == "mention:3466|journal:33090" and human["mesh"] == "NA"
    old = by_figure(rows, "PMC4739416")["9606"]  # an old-schema record: genes are human
    assert (old["confidence"], old["record"], old["genes"]) == ("medium", "yes", "yes")
    # same input, byte-identical output
    again = tmp_path / "again.tsv"
    assert run_main(organism_evidence.main, [RECORDS, "-o", again, "-q"]).returncode == 0
    assert again.read_bytes() == out.read_bytes()


def test_pubmed_adds_mesh(server: EUtilsServer, tmp_path: Path) -> None:
    out = tmp_path / "ev.tsv"
    args = [RECORDS / "old-schema", "-o", out, "--pubmed", "--eutils-url", server.url,
            "--email", "dev@example.org", "--cache-dir", tmp_path / "cache", "--backoff", "0.01"]
    res = run_main(organism_evidence.main, args)
    assert res.returncode == 0, res.stderr
    rows = read(out)
    elf3 = by_figure(rows, "PMC4535396")
    assert elf3["3701"]["mesh"] == "yes" and elf3["3701"]["pmid"] == "90000003"
    assert elf3["9606"]["confidence"] == "conflict"
    assert elf3["9606"]["against"] == "journal:33090|mesh:3701"
    mpn = by_figure(rows, "PMC4739416")["9606"]
    assert (mpn["mesh"], mpn["confidence"]) == ("yes", "high")
    assert by_figure(rows, "PMC100003")["9606"]["mesh"] == "no"  # not in the fixture
    summaries = server.requests("esummary.fcgi")
    assert len(summaries) == 1 and len(summaries[0]["id"].split(",")) == 67
    assert summaries[0]["email"] == "dev@example.org" and summaries[0]["tool"] == "pfocr-tools"
    # a second run is answered from the cache
    server.reset()
    assert run_main(organism_evidence.main, [*args, "-q"]).returncode == 0
    assert server.log == []


def test_pubmed_failure_writes_nothing(server: EUtilsServer, tmp_path: Path) -> None:
    server.faults[:] = [("status", 503)] * 3
    out = tmp_path / "ev.tsv"
    res = run_main(organism_evidence.main, [
        RECORDS / "current-schema", "-o", out, "--pubmed", "--eutils-url", server.url,
        "--no-cache", "--retries", "2", "--backoff", "0"])
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1].startswith(
        "pfocr-organisms: error: http://127.0.0.1:")
    assert "failed after 3 attempts: HTTP 503" in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("args", [
    ["--api-key", "KEY"], ["--email", "a@b.c"], ["--pubmed", "--api-key", " "],
    ["--pubmed", "--timeout", "0"], ["--pubmed", "--timeout", "inf"],
    ["--pubmed", "--backoff", "nan"],
])
def test_usage_errors(args: list[str], tmp_path: Path) -> None:
    res = run_main(organism_evidence.main, [RECORDS, "-o", tmp_path / "x.tsv", *args])
    assert res.returncode == 2
    assert res.stderr.startswith("pfocr-organisms: error:")
    assert not (tmp_path / "x.tsv").exists()


def test_bad_record_fails_or_is_skipped(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(RECORDS / "old-schema", inputs)
    shutil.copy(BAD / "broken-yaml.md", inputs / "_figures" / "broken-yaml.md")
    out = tmp_path / "ev.tsv"
    res = run_main(organism_evidence.main, [inputs, "-o", out])
    assert res.returncode == 1 and "broken-yaml.md" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not out.exists()
    res = run_main(organism_evidence.main, [inputs, "-o", out, "--on-error", "skip"])
    assert res.returncode == 0 and "skipped" in res.stderr
    assert len({r["figid"] for r in read(out)}) == 67


def test_unwritable_output_fails_before_asking_ncbi(server: EUtilsServer,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "ev.tsv"
    res = run_main(organism_evidence.main, [RECORDS, "-o", out, "--pubmed", "--eutils-url",
                                            server.url, "--no-cache"])
    assert res.returncode == 1
    assert res.stderr.startswith(f"pfocr-organisms: error: {out}: cannot write output")
    assert server.log == []


def test_genes_tsv_alone(tmp_path: Path) -> None:
    tsv = next((RECORDS / "current-schema" / "_data").glob("PMC3185509__*-genes.tsv"))
    out = tmp_path / "ev.tsv"
    assert run_main(organism_evidence.main, [tsv, "-o", out]).returncode == 0
    rows = read(out)
    # no page: the gene lexicon that matched best is the only evidence
    assert {r["taxid"]: r["confidence"] for r in rows} == {"9606": "low"}
    assert rows[0]["figid"] == "PMC3185509__viruses-01-00737f1" and rows[0]["genes"] == "yes"


def test_read_calls_round_trip(tmp_path: Path) -> None:
    """pfocr-filter reads back exactly the calls pfocr-organisms made."""
    out = tmp_path / "ev.tsv"
    assert run_main(organism_evidence.main, [RECORDS, "-o", out, "-q"]).returncode == 0
    read_back = ev.read_calls(str(out))
    facts = record_facts()
    assert set(read_back) == set(facts)
    for figid, f in facts.items():
        made = ev.call(f)
        assert [c.describe() for c in read_back[figid]] == [c.describe() for c in made]
        assert ev.decide(read_back[figid], ["9606"], "medium") == \
            ev.decide(made, ["9606"], "medium")


@pytest.mark.parametrize(("text", "message"), [
    ("figid\ttaxid\n", "evidence.tsv:1: not a pfocr-organisms evidence table: missing "
                       "column(s) organism, group, confidence, against"),
    ("figid\ttaxid\torganism\tgroup\tconfidence\tagainst\nF\t9606\tHomo sapiens\tMammals\t"
     "sure\t\n", "evidence.tsv:2: unknown confidence 'sure'"),
    ("figid\ttaxid\torganism\tgroup\tconfidence\tagainst\nF\t9606\n",
     "evidence.tsv:2: expected 6 tab-separated fields, found 2"),
])
def test_read_calls_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "evidence.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        ev.read_calls(str(path))
    assert str(err.value) == f"{path.parent}/{message}"


def test_evidence_gate(tmp_path: Path) -> None:
    out = tmp_path / "ev.tsv"
    assert run_main(organism_evidence.main, [RECORDS, "-o", out, "-q"]).returncode == 0
    gate = ev.EvidenceGate(str(out), ["9606"], "medium")
    ok, why = gate.judge("PMC10017456__fpls-14-1084358-g002")
    assert not ok
    assert why == ("evidence below medium: Homo sapiens conflict (record, ner; against "
                   "mention Eschscholzia, journal Viridiplantae)")
    ok, why = gate.judge("PMC4739416__gr1")
    assert ok and why == "evidence: Homo sapiens medium (record, genes)"
    assert gate.judge("PMC0__nowhere") == (False, "not in the evidence table")
    assert gate.missing == 1
    plants = ev.EvidenceGate(str(out), ["33090"], "high")
    assert plants.judge("PMC10017456__fpls-14-1084358-g002")[0]
    with pytest.raises(ValueError):
        ev.EvidenceGate(str(out), ["9606"], "conflict")


def test_pubmed_through_cwl(server: EUtilsServer, tmp_path: Path) -> None:
    """pubmed (the NetworkAccess path of cwl/pfocr-organisms.cwl) gives the CLI's bytes."""
    cwltool = Path(sys.executable).parent / "cwltool"
    if not cwltool.exists():
        pytest.skip("cwltool is not installed")
    job = {"records": [{"class": "Directory", "path": str(RECORDS / "old-schema")}],
           "pubmed": True, "eutils_url": server.url, "no_cache": True, "backoff": 0.05,
           "quiet": True}
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    out = tmp_path / "cwl"
    done = subprocess.run([str(cwltool), "--quiet", "--no-container", "--outdir", str(out),
                           str(ROOT / "cwl" / "pfocr-organisms.cwl"), str(job_file)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert len(server.requests("esummary.fcgi")) == 1
    cli = tmp_path / "cli.tsv"
    res = run_main(organism_evidence.main, [RECORDS / "old-schema", "-o", cli, "--pubmed",
                                            "--eutils-url", server.url, "--no-cache", "-q"])
    assert res.returncode == 0, res.stderr
    assert (out / "organism-evidence.tsv").read_bytes() == cli.read_bytes()
    assert b"\t90000003\t3701\t" in cli.read_bytes()
