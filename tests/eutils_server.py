"""An NCBI E-utilities-compatible HTTP server for the tests (127.0.0.1, a thread, no network).

Answers ``esummary.fcgi?db=pmc`` and ``efetch.fcgi?db=pubmed&retmode=xml`` (GET or POST, under
``/entrez/eutils/``) from fixture papers, with the real answer shapes: XML with NCBI's
DOCTYPEs (esummary v1 ``eSummaryResult`` / ``DocSum`` / ``Item``, PubMed's
``PubmedArticleSet`` of the 2025 DTD), which ``Bio.Entrez`` validates with the DTDs
Biopython ships; an unknown PMC id gets a DocSum with an ``error`` item, a request whose ids
are all unknown gets ``<ERROR>Invalid uid ...</ERROR>``; an unknown PMID is left out of the
efetch answer. Errors are NCBI's JSON ``{"error": ...}``.

Like NCBI, the server refuses (429, ``API rate limit exceeded``) a client that sends more than
3 requests in a second without ``api_key`` (10 with one), when ``server.rate_limit`` is on.

Every request is recorded in ``server.log`` (time, path, form). Faults are injected by putting
entries in ``server.faults`` (consumed one per request, in order):

* ``("status", 500, {"Retry-After": "1"})`` - an error answer with headers,
* ``("slow", seconds)`` - answer after a delay,
* ``("drop",)`` - close the connection without answering,
* ``("truncate",)`` - a correct status and headers, then half of the XML body and a closed
  connection (a broken transfer),
* ``("cut",)`` - a complete HTTP answer whose XML is cut in half (malformed XML),
* ``("html",)`` - status 200 with an HTML page (as proxies and NCBI outages send),
* ``("error", "text")`` - an E-utilities ``<ERROR>`` answer,
* ``("swap",)`` - valid XML of the other endpoint (a wrong shape: efetch's answer to esummary
  and the reverse),
* ``("ok",)`` - answer normally.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlparse
from xml.sax.saxutils import escape, quoteattr

from tests.fixture_server import FixtureHandler, FixtureServer

ESUMMARY_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSummaryResult PUBLIC "-//NLM//DTD esummary v1 20041029//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd">\n'
)
PUBMED_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
PREFIX = "/entrez/eutils/"


class EUtilsServer(FixtureServer):
    url_path = "/entrez/eutils"

    def __init__(self, papers: dict[str, dict[str, Any]]):
        super().__init__(_Handler)
        #: PMC number (no "PMC") -> paper; PMID -> paper
        self.by_pmc = {k.removeprefix("PMC"): v for k, v in papers.items()
                       if not k.startswith("_")}
        self.by_pmid = {str(v["pmid"]): v for v in self.by_pmc.values() if v.get("pmid")}
        self.rate_limit = True

    def reset_settings(self) -> None:
        self.rate_limit = True

    def requests(self, endpoint: str = "") -> list[dict[str, str]]:
        return [form for _, path, form in self.log if path.endswith(endpoint)]

    def over_rate(self, now: float, form: dict[str, str]) -> bool:
        """More requests in the last second than NCBI allows (the one just logged counts).
        The window is 0.9 s, not 1 s, so that a client pacing itself exactly is never
        refused through timer jitter."""
        limit = 10 if form.get("api_key") else 3
        recent = sum(1 for t, _, _ in self.log if now - t < 0.9)
        return recent > limit

    # -- the data service
    def esummary(self, ids: list[str]) -> str:
        known = [i for i in ids if i in self.by_pmc]
        if not known:
            bad = ids[0] if ids else ""
            return ESUMMARY_HEAD + (f"<eSummaryResult>\n<ERROR>Invalid uid {escape(bad)} at "
                                    "position=0</ERROR>\n</eSummaryResult>\n")
        parts = [ESUMMARY_HEAD, "<eSummaryResult>\n"]
        for ident in ids:
            paper = self.by_pmc.get(ident)
            parts.append(f"<DocSum>\n\t<Id>{escape(ident)}</Id>\n")
            if paper is None:
                parts.append('\t<Item Name="error" Type="String">cannot get document summary'
                             "</Item>\n</DocSum>\n")
                continue
            parts.append(f'\t<Item Name="PubDate" Type="Date">{paper.get("year", "")}</Item>\n'
                         f'\t<Item Name="Source" Type="String">{escape(paper.get("journal", ""))}'
                         "</Item>\n"
                         '\t<Item Name="AuthorList" Type="List">\n'
                         '\t\t<Item Name="Author" Type="String">Doe J</Item>\n\t</Item>\n'
                         f'\t<Item Name="Title" Type="String">{escape(paper.get("title", ""))}'
                         "</Item>\n"
                         '\t<Item Name="ArticleIds" Type="List">\n')
            if paper.get("pmid"):
                parts.append(f'\t\t<Item Name="pmid" Type="String">{paper["pmid"]}</Item>\n')
            parts.append(f'\t\t<Item Name="pmcid" Type="String">PMC{ident}</Item>\n'
                         "\t</Item>\n</DocSum>\n")
        parts.append("</eSummaryResult>\n")
        return "".join(parts)

    def efetch(self, ids: list[str]) -> str:
        parts = [PUBMED_HEAD, "<PubmedArticleSet>\n"]
        for pmid in ids:
            paper = self.by_pmid.get(pmid)
            if paper is None:
                continue
            parts.append(
                "<PubmedArticle>\n"
                ' <MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated">\n'
                f'  <PMID Version="1">{pmid}</PMID>\n'
                '  <Article PubModel="Electronic-eCollection">\n'
                '   <Journal><JournalIssue CitedMedium="Internet"><PubDate>'
                f'<Year>{paper.get("year", "")}</Year></PubDate></JournalIssue>'
                f'<Title>{escape(paper.get("journal", ""))}</Title></Journal>\n'
                f'   <ArticleTitle>{escape(paper.get("title", ""))}</ArticleTitle>\n'
                "   <Language>eng</Language>\n"
                '   <PublicationTypeList><PublicationType UI="D016428">Journal Article'
                "</PublicationType></PublicationTypeList>\n"
                "  </Article>\n"
                "  <MedlineJournalInfo><Country>United States</Country>"
                f'<MedlineTA>{escape(paper.get("journal", ""))}</MedlineTA>'
                "<NlmUniqueID>0</NlmUniqueID></MedlineJournalInfo>\n")
            mesh = paper.get("mesh", [])
            if mesh:
                parts.append("  <MeshHeadingList>\n")
                for ui, name, major in mesh:
                    parts.append(f"   <MeshHeading><DescriptorName UI={quoteattr(ui)} "
                                 f"MajorTopicYN={quoteattr(major)}>{escape(name)}"
                                 "</DescriptorName></MeshHeading>\n")
                parts.append("  </MeshHeadingList>\n")
            parts.append(
                " </MedlineCitation>\n"
                " <PubmedData>\n  <PublicationStatus>epublish</PublicationStatus>\n"
                "  <ArticleIdList>\n"
                f'   <ArticleId IdType="pubmed">{pmid}</ArticleId>\n'
                "  </ArticleIdList>\n </PubmedData>\n</PubmedArticle>\n")
        parts.append("</PubmedArticleSet>\n")
        return "".join(parts)


class _Handler(FixtureHandler):
    server: EUtilsServer

    def _json(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json", headers)

    def handle_request(self) -> None:
        srv = self.server
        path = urlparse(self.path).path
        form = self.form()
        now = time.monotonic()
        with srv.lock:
            srv.log.append((now, path, form))
            fault = srv.faults.pop(0) if srv.faults else ("ok",)
            limited = srv.rate_limit and srv.over_rate(now, form)
        if limited:
            limit = "10" if form.get("api_key") else "3"
            self._json(429, {"error": "API rate limit exceeded", "api-key": "",
                             "count": "", "limit": limit}, {"Retry-After": "1"})
            return
        kind = fault[0]
        if kind == "status":
            self._json(fault[1], {"error": "injected error"},
                       fault[2] if len(fault) > 2 else {})
            return
        if kind == "drop":
            self.drop()
            return
        if kind == "slow":
            time.sleep(fault[1])
        if kind == "html":
            self.send(200, b"<html><body><h1>Service unavailable</h1></body></html>",
                       "text/html")
            return
        ids = [i.strip() for i in form.get("id", "").split(",") if i.strip()]
        endpoint = path.removeprefix(PREFIX)
        if kind == "error":
            head = ESUMMARY_HEAD if endpoint == "esummary.fcgi" else PUBMED_HEAD
            root = "eSummaryResult" if endpoint == "esummary.fcgi" else "eFetchResult"
            text = f"{head}<{root}>\n<ERROR>{escape(fault[1])}</ERROR>\n</{root}>\n"
        elif kind == "swap":
            text = srv.efetch(ids) if endpoint == "esummary.fcgi" else srv.esummary(ids)
        elif endpoint == "esummary.fcgi" and form.get("db") == "pmc":
            text = srv.esummary(ids)
        elif endpoint == "efetch.fcgi" and form.get("db") == "pubmed" \
                and form.get("retmode") == "xml":
            text = srv.efetch(ids)
        else:
            self._json(400, {"error": f"unsupported request {endpoint} db={form.get('db')}"})
            return
        body = text.encode("utf-8")
        if kind == "cut":
            body = body[: len(body) // 2]
        self.send(200, body, "text/xml; charset=UTF-8", truncate=kind == "truncate")
