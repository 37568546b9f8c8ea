"""pubmed.py against the local E-utilities server (tests/eutils_server.py): real XML shapes
parsed by Bio.Entrez, batching, pacing, retries, the per-PMCID cache."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pfocr_tools import pubmed
from pfocr_tools.errors import DataError

from tests.eutils_server import EUtilsServer

DATA = Path(__file__).resolve().parent.parent / "test-data" / "pubmed"


@pytest.fixture(scope="module")
def server_module() -> Iterator[EUtilsServer]:
    server = EUtilsServer.from_file(DATA / "papers.json").start()
    yield server
    server.stop()


@pytest.fixture
def server(server_module: EUtilsServer) -> EUtilsServer:
    server_module.reset()
    return server_module


def client(server: EUtilsServer, **kw: object) -> pubmed.EUtilsClient:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("rate", 50.0)  # pacing has its own tests; the server's limit is off then
    if kw["rate"] != pubmed.RATE_NO_KEY and not kw.get("api_key"):
        server.rate_limit = False
    return pubmed.EUtilsClient(server.url, **kw)  # type: ignore[arg-type]


def test_pmcid_to_mesh_organisms(server: EUtilsServer) -> None:
    with client(server, email="dev@example.org", tool="pfocr-tests") as c:
        got = c.paper_mesh(["PMC10017456", "PMC1201514", "PMC4535396", "PMC6834478",
                            "PMC5390606", "PMC10017456"])
    assert got["PMC10017456"].pmid == "90000001"
    assert got["PMC10017456"].headings == ("Plants", "Alkaloids", "Papaveraceae")
    assert got["PMC10017456"].taxids == ["33090"]  # Papaveraceae is not in the table
    assert got["PMC1201514"].taxids == ["4932"]
    assert got["PMC4535396"].taxids == ["3701"]
    assert got["PMC6834478"].taxids == ["9606", "10090", "33208"]
    assert got["PMC5390606"] == pubmed.PaperMesh("PMC5390606", "", ())
    # one esummary, one efetch (of the four PMIDs found), NCBI's parameters on both
    summaries, fetches = server.requests("esummary.fcgi"), server.requests("efetch.fcgi")
    assert len(summaries) == 1 and len(fetches) == 1
    assert summaries[0]["db"] == "pmc"
    assert sorted(summaries[0]["id"].split(",")) == sorted(
        ["10017456", "1201514", "4535396", "6834478", "5390606"])
    assert fetches[0]["id"] == "90000001,90000002,90000003,90000005"
    for form in summaries + fetches:
        assert form["tool"] == "pfocr-tests" and form["email"] == "dev@example.org"
        assert "api_key" not in form


def test_unknown_and_malformed_pmcids(server: EUtilsServer) -> None:
    with client(server) as c:
        got = c.paper_mesh(["PMC999999", "PMC4739416", "not-a-pmcid", ""])
        assert set(got) == {"PMC999999", "PMC4739416"}
        assert got["PMC999999"].pmid == "" and got["PMC4739416"].taxids == ["9606"]
        # a batch of unknown ids only: NCBI answers <ERROR>Invalid uid ...</ERROR>
        assert c.paper_mesh(["PMC999998"])["PMC999998"].pmid == ""
    assert len(server.requests("esummary.fcgi")) == 2
    assert len(server.requests("efetch.fcgi")) == 1  # nothing to fetch for PMC999998


def many_papers(n: int) -> dict[str, dict[str, object]]:
    return {f"PMC{100000 + i}": {"pmid": str(80000000 + i), "year": "2020", "journal": "J",
                                 "title": f"paper {i}",
                                 "mesh": [["D006801", "Humans", "N"]] if i % 2 else
                                         [["D051379", "Mice", "N"]]}
            for i in range(n)}


def test_batches_of_200_paced_at_3_per_second() -> None:
    server = EUtilsServer(many_papers(450)).start()
    try:
        c = pubmed.EUtilsClient(server.url, backoff=0.01)  # no API key: 3 requests/s
        got = c.paper_mesh(f"PMC{100000 + i}" for i in range(450))
        assert len(got) == 450 and got["PMC100001"].taxids == ["9606"]
        assert got["PMC100002"].taxids == ["10090"]
        sizes = [len(f["id"].split(",")) for f in server.requests("esummary.fcgi")]
        assert sizes == [200, 200, 50]
        assert [len(f["id"].split(",")) for f in server.requests("efetch.fcgi")] == sizes
        assert c.requests == 6  # the server's rate limit never refused one
        times = [t for t, _, _ in server.log]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert min(gaps) > 1 / 3 - 0.05
    finally:
        server.stop()


def test_api_key_allows_10_per_second(server: EUtilsServer) -> None:
    c = pubmed.EUtilsClient(server.url, api_key="KEY", backoff=0.01)
    assert c.pacer.interval == pytest.approx(0.1)
    c.paper_mesh(["PMC4739416"])
    c.cache = pubmed.AnswerCache(None)
    c.paper_mesh(["PMC1201514"])
    assert all(f["api_key"] == "KEY" for f in server.requests())
    assert c.requests == 4


def test_server_rate_limit_is_retried(server: EUtilsServer,
                                      caplog: pytest.LogCaptureFixture) -> None:
    # a client that does not pace itself is refused (429 + Retry-After: 1), and waits
    c = pubmed.EUtilsClient(server.url, backoff=0.01, rate=1000.0)
    with caplog.at_level(logging.WARNING, "pfocr_tools"):
        for number in ("10017456", "1201514", "4535396", "4739416", "6834478"):
            assert c.pmids([number])[number].startswith("9000000")
    assert c.requests > 5
    assert "HTTP 429 (API rate limit exceeded)" in caplog.text


@pytest.mark.parametrize("fault", [
    ("status", 500),
    ("status", 503, {"Retry-After": "0"}),
    ("status", 429),
    ("truncate",),
    ("cut",),
    ("html",),
    ("drop",),
    ("error", "Search Backend failed: Database is not supported"),
    ("swap",),
    ("slow", 1.0),
])
def test_faults_are_retried(server: EUtilsServer, tmp_path: Path, fault: tuple) -> None:
    server.faults[:] = [fault, ("ok",), fault, ("ok",)]
    with client(server, cache_dir=str(tmp_path), timeout=0.5) as c:
        got = c.paper_mesh(["PMC1201514"])
    assert got["PMC1201514"].taxids == ["4932"]
    assert c.requests == 4  # each request failed once


def test_retries_exhausted_is_one_line_error(server: EUtilsServer, tmp_path: Path) -> None:
    server.faults[:] = [("cut",)] * 3
    with client(server, cache_dir=str(tmp_path), retries=2) as c, \
            pytest.raises(DataError) as err:
        c.paper_mesh(["PMC1201514"])
    msg = str(err.value)
    assert "esummary of 1 PMC articles failed after 3 attempts: malformed answer" in msg
    assert "\n" not in msg
    # nothing was cached: the next run asks again
    with client(server, cache_dir=str(tmp_path)) as c:
        assert c.paper_mesh(["PMC1201514"])["PMC1201514"].pmid == "90000002"
        assert c.requests == 2


def test_client_error_is_not_retried(server: EUtilsServer) -> None:
    server.faults[:] = [("status", 400)]
    with client(server) as c, pytest.raises(DataError, match="refused the esummary.*HTTP 400"):
        c.paper_mesh(["PMC1201514"])
    assert c.requests == 1


def test_cache_per_pmcid(server: EUtilsServer, tmp_path: Path) -> None:
    with client(server, cache_dir=str(tmp_path)) as c:
        first = c.paper_mesh(["PMC1201514", "PMC5390606"])
    assert (tmp_path / "eutils-cache.sqlite").exists()
    server.reset()
    with client(server, cache_dir=str(tmp_path)) as c:
        again = c.paper_mesh(["PMC5390606", "PMC1201514", "PMC4739416"])
        assert c.requests == 2  # only PMC4739416 was asked
    assert server.requests("esummary.fcgi")[0]["id"] == "4739416"
    assert again["PMC1201514"] == first["PMC1201514"]
    assert again["PMC5390606"] == first["PMC5390606"]


def test_cached_answer_without_mesh_is_asked_again_when_old(server: EUtilsServer,
                                                          tmp_path: Path) -> None:
    """A paper without MeSH (PMC5390606: no PubMed record) is provisional in the cache: asked
    again once older than RECHECK_DAYS; a paper with headings (PMC1201514) is kept for good."""
    import sqlite3
    import time

    with client(server, cache_dir=str(tmp_path)) as c:
        c.paper_mesh(["PMC1201514", "PMC5390606"])
    con = sqlite3.connect(tmp_path / "eutils-cache.sqlite")
    with con:  # both answers fetched 31 days ago
        con.execute("UPDATE answer SET fetched = ?", (time.time() - 31 * 86400,))
    con.close()
    server.reset()
    with client(server, cache_dir=str(tmp_path)) as c:
        got = c.paper_mesh(["PMC1201514", "PMC5390606"])
        assert c.requests == 1  # esummary of PMC5390606 only (no PMID: no efetch)
    assert server.requests("esummary.fcgi")[0]["id"] == "5390606"
    assert got["PMC1201514"].taxids == ["4932"]
    # the new answer is fresh again: not asked a third time, nor with a longer window
    server.reset()
    with client(server, cache_dir=str(tmp_path), recheck_days=1.0) as c:
        c.paper_mesh(["PMC1201514", "PMC5390606"])
        assert c.requests == 0


def test_interrupted_run_keeps_finished_batches(tmp_path: Path) -> None:
    server = EUtilsServer(many_papers(250)).start()
    server.rate_limit = False
    try:
        server.faults[:] = [("ok",), ("ok",), ("status", 500), ("status", 500)]
        c = pubmed.EUtilsClient(server.url, cache_dir=str(tmp_path), backoff=0.01,
                                retries=1, rate=100.0)
        with pytest.raises(DataError, match="failed after 2 attempts: HTTP 500"):
            c.paper_mesh(f"PMC{100000 + i}" for i in range(250))
        server.log.clear()
        c = pubmed.EUtilsClient(server.url, cache_dir=str(tmp_path), rate=100.0)
        assert len(c.paper_mesh(f"PMC{100000 + i}" for i in range(250))) == 250
        assert [len(f["id"].split(",")) for f in server.requests("esummary.fcgi")] == [50]
    finally:
        server.stop()


def test_broken_cache_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "eutils-cache.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(DataError, match="cannot use the E-utilities cache"):
        pubmed.AnswerCache(str(tmp_path))


def test_mesh_table_and_ids() -> None:
    assert pubmed.mesh_taxids(["Humans", "Mice", "Neoplasms", "Humans"]) == ["9606", "10090"]
    table = pubmed.mesh_organisms()
    assert table["Arabidopsis"].group == "Plants"
    assert table["Drosophila"].taxid == "7215"  # the fly genus, not the fungus homonym
    assert pubmed.pmc_number("PMC0123") == "123"
    assert pubmed.pmc_number("pmc42") == "42"
    assert pubmed.pmc_number("PMC") is None and pubmed.pmc_number("12a") is None
