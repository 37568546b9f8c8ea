"""MyGene.info access for pfocr-remap: the real ``mygene`` client, made robust.

* distinct terms only, sequential batches of at most 1000 (one POST each), species as one
  comma string, explicit scopes and fields;
* an httpx client with a timeout; retries with exponential backoff on 429 / 5xx / connection
  errors / broken JSON, honouring ``Retry-After``; then a one-line error;
* our own persistent SQLite cache (the client's caching is not used: its POST cache key ignores
  the body), keyed by endpoint + kind + scopes + fields + species + size + term, committed after
  every batch so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import DataError

DEFAULT_URL = "https://mygene.info/v3"
BATCH = 1000
#: fields asked for every gene (one field list, so cache keys are shared between runs)
FIELDS = "symbol,taxid,entrezgene,ensembl.gene,uniprot.Swiss-Prot,homologene.genes"
SCOPES = {"symbol": "symbol,alias", "gene_id": "entrezgene,retired"}
MAX_RETRY_AFTER = 300.0


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def parse_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalise one MyGene.info gene document (both the old and the current shapes)."""
    entrez = doc.get("entrezgene", doc.get("_id", ""))
    ensembl: list[str] = []
    for item in _as_list(doc.get("ensembl")):
        if isinstance(item, dict):
            ensembl.extend(str(g) for g in _as_list(item.get("gene")))
        elif isinstance(item, str):
            ensembl.append(item)
    uniprot: list[str] = []
    uni = doc.get("uniprot")
    if isinstance(uni, dict):
        uniprot = [str(u) for u in _as_list(uni.get("Swiss-Prot"))]
    homologs: list[tuple[str, str]] = []
    hg = doc.get("homologene")
    if isinstance(hg, dict):
        for pair in _as_list(hg.get("genes")):
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                homologs.append((str(pair[0]), str(pair[1])))
    return {
        "gene_id": str(entrez),
        "taxid": str(doc.get("taxid", "")),
        "symbol": str(doc.get("symbol", "")),
        "ensembl": tuple(sorted({e.split(".")[0] for e in ensembl})),
        "uniprot": tuple(sorted(set(uniprot))),
        "homologs": tuple(sorted(set(homologs))),
    }



def retry_after(response: Any) -> float | None:
    """Seconds asked by a ``Retry-After`` header (seconds or an HTTP date), capped at
    MAX_RETRY_AFTER; None without one (shared by the MyGene.info and E-utilities clients)."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when - time.time(), MAX_RETRY_AFTER))

class WrongShape(ValueError):
    """A MyGene.info answer that parsed as JSON but is not what the endpoint returns."""


class Cache:
    """Answers per (endpoint, kind, scopes, fields, species, size, term) in SQLite.

    The file is created with mode 0666 less the umask (SQLite gives its -wal and -shm files the
    same mode), so with a group-writable umask and a setgid folder every member of the group
    shares one cache. A cache that cannot be written is checked before any request: the run
    then goes on without a cache, with a warning.
    """

    def __init__(self, directory: str | None, log: logging.Logger | None = None):
        self.con: sqlite3.Connection | None = None
        if directory is None:
            return
        path = os.path.join(directory, "mygene-cache.sqlite")
        try:
            Path(directory).mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))  # umask and folder group
            self.con = sqlite3.connect(path, timeout=30)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS answer(key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                " fetched REAL NOT NULL) WITHOUT ROWID")
            self.con.commit()
            self.con.execute("BEGIN IMMEDIATE")  # can we write? (takes the write lock)
            self.con.execute("ROLLBACK")
        except (OSError, sqlite3.OperationalError) as exc:
            if self.con is not None:
                self.con.close()
                self.con = None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            (log or logging.getLogger("pfocr_tools")).warning(
                "warning: %s: cannot write the MyGene.info cache (%s); going on without a "
                "cache (--no-cache)", path, reason)
        except sqlite3.DatabaseError as exc:
            raise DataError(f"cannot use the MyGene.info cache ({exc}); try --no-cache",
                            path) from None

    @staticmethod
    def key(*parts: str) -> str:
        return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in self.select(keys, "value")}

    def select(self, keys: Sequence[str], column: str) -> Iterator[tuple[str, Any]]:
        """(key, ``column``) of the cached ``keys`` (``value`` or ``fetched``), 500 at a time."""
        if self.con is None or column not in ("value", "fetched"):
            return
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.con.execute(
                f"SELECT key, {column} FROM answer WHERE key IN ({marks})", chunk)

    def put_many(self, items: Iterable[tuple[str, Any]]) -> None:
        if self.con is None:
            return
        now = time.time()
        with self.con:
            self.con.executemany(
                "INSERT OR REPLACE INTO answer VALUES (?,?,?)",
                ((k, json.dumps(v, ensure_ascii=False, sort_keys=True), now) for k, v in items))


class MyGeneClient:
    """The ``mygene`` client with a timeout, retries and our cache."""

    def __init__(self, url: str = DEFAULT_URL, email: str | None = None,
                 cache_dir: str | None = None, timeout: float = 60.0, retries: int = 5,
                 backoff: float = 1.0, log: logging.Logger | None = None):
        import httpx
        import mygene

        self.httpx = httpx
        self.url = url.rstrip("/")
        self.email = email
        self.retries = retries
        self.backoff = backoff
        self.requests = 0
        self.log = log or logging.getLogger("pfocr_tools")
        logging.getLogger("biothings.client").setLevel(logging.ERROR)
        self.mg = mygene.MyGeneInfo()
        self.mg.url = self.url
        self.mg.delay = 0  # we send one batch per call and pace ourselves (sequentially)
        host = urlparse(self.url).hostname or ""
        self.mg.http_client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            trust_env=host not in ("127.0.0.1", "localhost", "::1"),
            follow_redirects=True,
        )
        self.mg.http_client_setup = True
        self.cache = Cache(cache_dir, self.log)
        self._metadata: dict[str, Any] | None = None

    # -- retries
    def call(self, what: str, fn: Callable[[], Any],
             check: Callable[[Any], None] | None = None) -> Any:
        """``fn()`` with retries; ``check`` raises :class:`WrongShape` for an answer of the
        wrong shape, which counts as a server fault (retried, then a one-line error)."""
        httpx = self.httpx
        last = ""
        for attempt in range(self.retries + 1):
            self.requests += 1
            wait = min(self.backoff * (2 ** attempt), 60.0)
            try:
                try:
                    answer = fn()
                except (AttributeError, KeyError, TypeError, IndexError) as exc:
                    # the client choked on an answer of an unexpected shape
                    raise WrongShape(f"{type(exc).__name__}: {exc}") from None
                if check is not None:
                    check(answer)
                return answer
            except WrongShape as exc:
                last = f"answer of the wrong shape ({exc})"
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                try:
                    detail = exc.response.json().get("error", "")
                except ValueError:
                    detail = exc.response.text[:200]
                last = f"HTTP {status}" + (f" ({detail})" if detail else "")
                if status != 429 and status < 500:
                    raise DataError(f"MyGene.info refused the {what}: {last}", self.url) from None
                after = retry_after(exc.response)
                if after is not None:
                    wait = after
            except httpx.TimeoutException:
                last = "no answer before the timeout"
            except httpx.RequestError as exc:  # connection errors, broken transfers
                last = f"connection error ({type(exc).__name__}: {exc})"
            except ValueError as exc:  # a truncated or garbled JSON answer
                last = f"broken JSON answer ({exc})"
            if attempt < self.retries:
                self.log.warning("MyGene.info %s failed: %s; retrying in %.1f s (%d/%d)",
                                 what, last, wait, attempt + 1, self.retries)
                time.sleep(wait)
        raise DataError(
            f"MyGene.info {what} failed after {self.retries + 1} attempts: {last}", self.url)

    def _extra(self) -> dict[str, str]:
        return {"email": self.email} if self.email else {}

    # -- endpoints
    def querymany(self, terms: Sequence[str], scopes: str, species: str, size: int
                  ) -> dict[str, list[dict[str, Any]]]:
        """term -> hits (normalised gene documents, best first); cached, batched."""
        keys = {t: Cache.key(self.url, "query", scopes, FIELDS, species, str(size), t)
                for t in terms}
        cached = self.cache.get_many(list(keys.values()))
        out = {t: cached[k] for t, k in keys.items() if k in cached}
        todo = [t for t in terms if t not in out]
        if cached:
            self.log.info("MyGene.info cache: %d of %d terms answered", len(out), len(terms))
        for i in range(0, len(todo), BATCH):
            batch = todo[i:i + BATCH]

            def send(batch: list[str] = batch) -> Any:
                return self.mg.querymany(batch, scopes=scopes, fields=FIELDS, species=species,
                                         size=size, returnall=True, verbose=False,
                                         **self._extra())

            self.log.info("MyGene.info: querying terms %d-%d of %d", i + 1,
                          i + len(batch), len(todo))
            answer = self.call(f"query of {len(batch)} terms", send, _check_query)
            hits: dict[str, list[dict[str, Any]]] = {t: [] for t in batch}
            seen: set[str] = set()
            for hit in answer.get("out", []):
                query = str(hit.get("query", ""))
                if query not in hits:
                    continue
                seen.add(query)
                if hit.get("notfound"):
                    continue
                hits[query].append(parse_doc(hit))
            self.cache.put_many((keys[t], hits[t]) for t in batch if t in seen)
            for t in batch:
                out[t] = hits[t]
        return out

    def getgenes(self, ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        keys = {g: Cache.key(self.url, "gene", FIELDS, g) for g in ids}
        cached = self.cache.get_many(list(keys.values()))
        out: dict[str, dict[str, Any] | None] = {g: cached[k] for g, k in keys.items()
                                                  if k in cached}
        todo = [g for g in ids if g not in out]
        for i in range(0, len(todo), BATCH):
            batch = todo[i:i + BATCH]

            def send(batch: list[str] = batch) -> Any:
                return self.mg.getgenes(batch, fields=FIELDS, verbose=False, **self._extra())

            answer = self.call(f"fetch of {len(batch)} genes", send, _check_genes)
            docs: dict[str, dict[str, Any] | None] = {}
            for doc in answer:
                query = str(doc.get("query", ""))
                if query in docs and docs[query] is not None:
                    continue
                docs[query] = None if doc.get("notfound") else parse_doc(doc)
            self.cache.put_many((keys[g], docs[g]) for g in batch if g in docs)
            for g in batch:
                out[g] = docs.get(g)
        return out

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            key = Cache.key(self.url, "metadata")
            cached = self.cache.get_many([key])
            if key in cached:
                self._metadata = cached[key]
            else:
                meta = self.call("metadata request", lambda: self.mg.metadata(), _check_meta)
                self._metadata = {k: meta.get(k) for k in ("build_version", "build_date")}
                self.cache.put_many([(key, self._metadata)])
        return self._metadata


def _check_hits(hits: Any, what: str) -> None:
    if not isinstance(hits, list):
        raise WrongShape(f"{what} is a {type(hits).__name__}, not a list")
    for hit in hits:
        if not isinstance(hit, dict):
            raise WrongShape(f"a {what} item is a {type(hit).__name__}, not an object")
        if "query" not in hit:
            raise WrongShape(f"a {what} item has no 'query'")
        if isinstance(hit["query"], (dict, list)):
            raise WrongShape(f"a {what} item's 'query' is not text")


def _check_query(answer: Any) -> None:
    if not isinstance(answer, dict) or "out" not in answer:
        raise WrongShape(f"the query answer is a {type(answer).__name__} without 'out'")
    _check_hits(answer["out"], "query answer")


def _check_genes(answer: Any) -> None:
    _check_hits(answer, "gene answer")


def _check_meta(answer: Any) -> None:
    if not isinstance(answer, dict):
        raise WrongShape(f"the metadata answer is a {type(answer).__name__}, not an object")
