"""MeSH organisms of the papers behind figures, from NCBI E-utilities (opt-in, network).

PMCID -> PMID with ``esummary.fcgi?db=pmc`` (the DocSum's ``ArticleIds/pmid``), then the MeSH
headings of each PMID with ``efetch.fcgi?db=pubmed&retmode=xml``; the headings of the
Organisms branch (B01) that ``data/mesh_organisms.tsv`` knows become NCBI taxids.

* Fetched with httpx (the project's HTTP client; ``Bio.Entrez``'s own functions have fixed
  URLs), parsed with ``Bio.Entrez.read`` against the DTDs Biopython ships;
* at most 200 IDs per request (POST), paced to at most 3 requests/s without an API key and 10
  with one, ``tool`` / ``email`` / ``api_key`` sent as NCBI asks;
* retried with exponential backoff on 429 / 5xx / network faults / malformed XML (honouring
  ``Retry-After``), then a one-line error;
* answers cached per PMCID in SQLite (``eutils-cache.sqlite``, the table layout of the
  MyGene.info cache), committed after every batch so an interrupted run resumes. An answer
  without MeSH headings (no PubMed record yet, or not indexed yet: MEDLINE indexing takes
  weeks to months after publication) is provisional: it is asked again once it is older
  than ``RECHECK_DAYS`` (30 days); an answer with headings is kept for good.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlparse

from .errors import DataError
from .mygene_backend import Cache, retry_after

DEFAULT_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
BATCH = 200
RATE_NO_KEY = 3.0
RATE_WITH_KEY = 10.0
#: days after which a cached answer without MeSH headings is asked again
RECHECK_DAYS = 30.0
_PMCID = re.compile(r"^(?:PMC)?(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class MeshOrganism:
    heading: str
    taxid: str
    scientific_name: str
    group: str


@lru_cache(maxsize=1)
def mesh_organisms() -> dict[str, MeshOrganism]:
    """MeSH organism heading (as spelt in PubMed XML) -> the organism it stands for."""
    text = resources.files("pfocr_tools").joinpath("data/mesh_organisms.tsv").read_text("utf-8")
    return {r["heading"]: MeshOrganism(r["heading"], r["taxid"], r["scientific_name"],
                                       r["group"])
            for r in csv.DictReader(text.splitlines(), delimiter="\t")}


def mesh_taxids(headings: Iterable[str]) -> list[str]:
    """Taxids of the organism headings among ``headings`` (others are ignored), sorted."""
    table = mesh_organisms()
    return sorted({table[h].taxid for h in headings if h in table}, key=int)


def pmc_number(pmcid: str) -> str | None:
    """``PMC123`` (or ``123``) -> ``123``; anything else -> None."""
    m = _PMCID.match(pmcid.strip())
    return m.group(1).lstrip("0") or None if m else None


@dataclass(frozen=True)
class PaperMesh:
    """What PubMed says about the paper of one PMCID."""

    pmcid: str
    pmid: str  # "" when PMC has no PubMed record for the article
    headings: tuple[str, ...]  # every MeSH descriptor, in PubMed's order

    @property
    def taxids(self) -> list[str]:
        return mesh_taxids(self.headings)

    def to_json(self) -> dict[str, Any]:
        return {"pmid": self.pmid, "mesh": list(self.headings)}

    @classmethod
    def from_json(cls, pmcid: str, value: dict[str, Any]) -> PaperMesh:
        return cls(pmcid, str(value.get("pmid", "")), tuple(str(h) for h in value["mesh"]))


class AnswerCache(Cache):
    """The MyGene.info cache's table in its own file (``eutils-cache.sqlite``)."""

    def __init__(self, directory: str | None, filename: str = "eutils-cache.sqlite"):
        import os
        import sqlite3
        from pathlib import Path

        super().__init__(None)
        if directory is None:
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        path = os.path.join(directory, filename)
        try:
            self.con = sqlite3.connect(path, timeout=30)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS answer(key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                " fetched REAL NOT NULL) WITHOUT ROWID")
            self.con.commit()
        except sqlite3.DatabaseError as exc:
            raise DataError(f"cannot use the E-utilities cache ({exc}); try --no-cache",
                            path) from None

    def fetched(self, keys: Sequence[str]) -> dict[str, float]:
        """When each cached key was fetched (seconds since the epoch)."""
        return dict(self.select(keys, "fetched"))


class Pacer:
    """At most ``rate`` request starts per second (sequential callers)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.last = float("-inf")

    def wait(self) -> None:
        now = time.monotonic()
        delay = self.last + self.interval - now
        if delay > 0:
            time.sleep(delay)
            now = time.monotonic()
        self.last = now


class EUtilsClient:
    """esummary (pmc) and efetch (pubmed) through httpx, parsed by ``Bio.Entrez``."""

    def __init__(self, url: str = DEFAULT_URL, api_key: str | None = None,
                 email: str | None = None, tool: str = "pfocr-tools",
                 cache_dir: str | None = None, timeout: float = 60.0, retries: int = 5,
                 backoff: float = 1.0, rate: float | None = None,
                 log: logging.Logger | None = None, recheck_days: float = RECHECK_DAYS):
        import httpx

        self.httpx = httpx
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.email = email
        self.tool = tool
        self.retries = retries
        self.backoff = backoff
        self.requests = 0
        self.log = log or logging.getLogger("pfocr_tools")
        self.pacer = Pacer(rate or (RATE_WITH_KEY if api_key else RATE_NO_KEY))
        host = urlparse(self.url).hostname or ""
        self.client = httpx.Client(timeout=httpx.Timeout(timeout),
                                   trust_env=host not in ("127.0.0.1", "localhost", "::1"),
                                   follow_redirects=True)
        self.cache = AnswerCache(cache_dir)
        self.recheck_days = recheck_days

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> EUtilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request, paced and retried
    def _params(self, **params: str) -> dict[str, str]:
        out = dict(params)
        out["tool"] = self.tool
        if self.email:
            out["email"] = self.email
        if self.api_key:
            out["api_key"] = self.api_key
        return out

    def request(self, what: str, endpoint: str, params: dict[str, str],
                parse: Callable[[Any], Any], empty_on: str | None = None) -> Any:
        """POST ``params`` to ``endpoint``; ``parse`` gets the ``Bio.Entrez.read`` result.

        An ``<ERROR>`` answer starting with ``empty_on`` (``Invalid uid``: none of the IDs
        exist) is an empty answer, ``parse([])``; other ``<ERROR>`` answers are retried."""
        from Bio import Entrez

        httpx = self.httpx
        last = ""
        for attempt in range(self.retries + 1):
            self.requests += 1
            wait = min(self.backoff * (2 ** attempt), 60.0)
            self.pacer.wait()
            try:
                response = self.client.post(f"{self.url}/{endpoint}", data=params)
                response.raise_for_status()
                try:
                    record = Entrez.read(io.BytesIO(response.content))
                except RuntimeError as exc:
                    if empty_on is None or not str(exc).startswith(empty_on):
                        raise
                    record = []
                return parse(record)
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                last = f"HTTP {status}" + _detail(exc.response)
                if status != 429 and status < 500:
                    raise DataError(f"E-utilities refused the {what}: {last}",
                                    self.url) from None
                after = retry_after(exc.response)
                if after is not None:
                    wait = after
            except httpx.TimeoutException:
                last = "no answer before the timeout"
            except httpx.RequestError as exc:  # connection errors, broken transfers
                last = f"connection error ({type(exc).__name__}: {exc})"
            except (ValueError, RuntimeError, KeyError, TypeError) as exc:
                # Bio.Entrez: CorruptedXMLError / NotXMLError / ValidationError are
                # ValueErrors; an <ERROR> answer is a RuntimeError; a wrong shape, Key/Type
                last = f"malformed answer ({type(exc).__name__}: {exc})"
            if attempt < self.retries:
                self.log.warning("E-utilities %s failed: %s; retrying in %.1f s (%d/%d)",
                                 what, last, wait, attempt + 1, self.retries)
                time.sleep(wait)
        raise DataError(f"E-utilities {what} failed after {self.retries + 1} attempts: {last}",
                        self.url)

    # -- endpoints
    def pmids(self, numbers: Sequence[str]) -> dict[str, str]:
        """PMC numbers (without ``PMC``, at most 200) -> PMID (``""`` when PMC has none)."""

        def parse(record: Any) -> dict[str, str]:
            out = dict.fromkeys(numbers, "")
            for doc in record:
                ident = str(doc["Id"])
                if ident not in out:
                    continue
                ids = doc.get("ArticleIds") or {}
                pmid = str(ids.get("pmid", "")) if isinstance(ids, dict) else ""
                out[ident] = pmid if pmid.isdigit() and pmid != "0" else ""
            return out

        return self.request(f"esummary of {len(numbers)} PMC articles", "esummary.fcgi",
                            self._params(db="pmc", id=",".join(numbers)), parse,
                            empty_on="Invalid uid")

    def mesh(self, pmids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """PMIDs (at most 200) -> their MeSH descriptors (a PMID PubMed did not return is
        left out)."""

        def parse(record: Any) -> dict[str, tuple[str, ...]]:
            out: dict[str, tuple[str, ...]] = {}
            for article in record["PubmedArticle"]:
                citation = article["MedlineCitation"]
                pmid = str(citation["PMID"])
                headings = citation.get("MeshHeadingList", [])
                out[pmid] = tuple(str(h["DescriptorName"]) for h in headings)
            return out

        return self.request(f"efetch of {len(pmids)} PubMed records", "efetch.fcgi",
                            self._params(db="pubmed", retmode="xml", id=",".join(pmids)),
                            parse)

    def paper_mesh(self, pmcids: Iterable[str]) -> dict[str, PaperMesh]:
        """PMCID -> what PubMed says of its paper; cached per PMCID, batched by 200.

        PMCIDs that are not ``PMC<digits>`` are left out of the answer (and never sent)."""
        wanted: dict[str, str] = {}
        for pmcid in pmcids:
            number = pmc_number(pmcid)
            if number is not None:
                wanted.setdefault(f"PMC{number}", number)
        keys = {p: Cache.key(self.url, "pmc-mesh", p) for p in wanted}
        cached = self.cache.get_many(list(keys.values()))
        out = {p: PaperMesh.from_json(p, cached[k]) for p, k in keys.items() if k in cached}
        provisional = [p for p, paper in out.items() if not paper.headings]
        if provisional:  # no MeSH yet when asked: ask again once the answer is old enough
            when = self.cache.fetched([keys[p] for p in provisional])
            limit = time.time() - self.recheck_days * 86400
            stale = [p for p in provisional if when.get(keys[p], 0.0) < limit]
            for p in stale:
                del out[p]
            if stale:
                self.log.info("E-utilities cache: %d answer(s) without MeSH older than %g "
                              "days asked again", len(stale), self.recheck_days)
        todo = [p for p in sorted(wanted, key=lambda p: int(wanted[p])) if p not in out]
        if cached:
            self.log.info("E-utilities cache: %d of %d PMCIDs answered", len(out), len(wanted))
        for i in range(0, len(todo), BATCH):
            batch = todo[i:i + BATCH]
            self.log.info("E-utilities: PMCIDs %d-%d of %d", i + 1, i + len(batch), len(todo))
            pmids = self.pmids([wanted[p] for p in batch])
            found = sorted({v for v in pmids.values() if v}, key=int)
            mesh = self.mesh(found) if found else {}
            answers = []
            for p in batch:
                pmid = pmids.get(wanted[p], "")
                paper = PaperMesh(p, pmid, mesh.get(pmid, ()))
                out[p] = paper
                answers.append((keys[p], paper.to_json()))
            self.cache.put_many(answers)
        return out


def _detail(response: Any) -> str:
    """NCBI's error text: JSON ``{"error": ...}`` (rate limits) or the start of the body."""
    try:
        detail = response.json().get("error", "")
    except (ValueError, AttributeError):
        detail = response.text[:200].strip()
    return f" ({detail})" if detail else ""
