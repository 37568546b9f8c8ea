"""A MyGene.info-compatible HTTP server for the tests (127.0.0.1, a thread, no network).

Answers ``POST /v3/query[/]``, ``POST /v3/gene[/]``, ``GET /v3/gene/<id>``, ``GET /v3/metadata``
from fixture gene documents with the real response shapes (see the MyGene.info v3 docs):
a query answer is a list with one element per hit (``query``, ``_id``, ``_score``, fields),
``{"query": t, "notfound": true}`` for a miss; errors are ``{"code", "success": false,
"error"}``. ``q`` is split like the real server (a shlex-style splitter that keeps quoted
phrases: a stray ``"`` fails the whole batch with 400); ``species`` keeps the last value of a
repeated form key, like the real server.

Every request is recorded in ``server.log`` (method, path, form). Faults are injected by
putting entries in ``server.faults`` (consumed one per request, in order), or for every request
with ``server.latency`` (seconds):

* ``("status", 429, {"Retry-After": "1"})`` - an error answer with headers,
* ``("slow", seconds)`` - answer after a delay,
* ``("drop",)`` - close the connection without answering,
* ``("truncate",)`` - a correct status and headers with half of the JSON body,
* ``("json", payload)`` - a 200 answer whose JSON body is ``payload`` (a wrong shape),
* ``("ok",)`` - answer normally.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any
from urllib.parse import urlparse

from tests.fixture_server import FixtureHandler, FixtureServer

SPECIES = {"human": 9606, "mouse": 10090, "rat": 10116, "fruitfly": 7227, "nematode": 6239,
           "zebrafish": 7955, "thale-cress": 3702, "frog": 8364, "pig": 9823}
DEFAULT_SCOPES = "_id,entrezgene,ensembl.gene,retired"
METADATA = {
    "build_date": "2026-11-01T02:00:00.000000-07:00",
    "build_version": "20261101",
    "src": {"entrez": {"version": "20261031"}, "ensembl": {"version": "115"}},
    "taxonomy": SPECIES,
    "stats": {"total_genes": 0},
}


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class MyGeneServer(FixtureServer):
    url_path = "/v3"

    def __init__(self, docs: list[dict[str, Any]]):
        super().__init__(_Handler)
        self.docs = docs
        self.by_id = {str(d["_id"]): d for d in docs}
        self.latency = 0.0

    def reset_settings(self) -> None:
        self.latency = 0.0

    def requests(self, path_prefix: str = "/v3/") -> int:
        return sum(1 for _, path, _ in self.log if path.startswith(path_prefix))

    # -- the data service
    def _species(self, value: str | None) -> set[int] | None:
        if not value or value == "all":
            return None
        out = set()
        for part in value.split(","):
            part = part.strip()
            if part.isdigit():
                out.add(int(part))
            elif part.lower() in SPECIES:
                out.add(SPECIES[part.lower()])
            else:
                raise ValueError(f"unknown species: {part}")
        return out

    def _matches(self, doc: dict[str, Any], term: str, scopes: list[str]) -> float:
        best = 0.0
        key = _fold(term)
        for scope in scopes:
            if scope == "symbol" and _fold(doc.get("symbol", "")) == key:
                best = max(best, 90.0)
            elif scope == "alias" and key in {_fold(a) for a in _as_list(doc.get("alias"))}:
                best = max(best, 40.0)
            elif scope in ("_id", "entrezgene") and str(doc.get(scope, doc["_id"])) == term:
                best = max(best, 100.0)
            elif scope == "retired" and term in {str(r) for r in _as_list(doc.get("retired"))}:
                best = max(best, 80.0)
            elif scope == "ensembl.gene":
                genes = {str(g) for e in _as_list(doc.get("ensembl")) if isinstance(e, dict)
                         for g in _as_list(e.get("gene"))}
                if term in genes:
                    best = max(best, 100.0)
        return best

    @staticmethod
    def _project(doc: dict[str, Any], fields: str | None) -> dict[str, Any]:
        if not fields or fields == "all":
            return dict(doc)
        out: dict[str, Any] = {"_id": doc["_id"]}
        for name in fields.split(","):
            top, _, sub = name.strip().partition(".")
            if top not in doc:
                continue
            value = doc[top]
            if sub and isinstance(value, dict):
                if sub in value:
                    out.setdefault(top, {})[sub] = value[sub]
            elif sub and isinstance(value, list):
                items = [{sub: v[sub]} for v in value if isinstance(v, dict) and sub in v]
                if items:
                    out[top] = items
            else:
                out[top] = value
        return out

    def query(self, form: dict[str, str]) -> list[dict[str, Any]]:
        q = form.get("q", "")
        splitter = shlex.shlex(q, posix=True)
        splitter.whitespace = ", +\t\n"
        splitter.whitespace_split = True
        terms = list(splitter)  # raises ValueError on an unbalanced quote
        scopes = [s.strip() for s in form.get("scopes", DEFAULT_SCOPES).split(",") if s]
        species = self._species(form.get("species"))
        size = int(form.get("size", "10"))
        out: list[dict[str, Any]] = []
        for term in terms:
            hits = []
            for doc in self.docs:
                if species is not None and int(doc.get("taxid", 0)) not in species:
                    continue
                score = self._matches(doc, term, scopes)
                if score:
                    hits.append((-score, int(doc["_id"]), doc))
            hits.sort(key=lambda h: (h[0], h[1]))
            if not hits:
                out.append({"query": term, "notfound": True})
            for neg, _, doc in hits[:size]:
                item = {"query": term, "_score": -neg}
                item.update(self._project(doc, form.get("fields")))
                out.append(item)
        return out

    def genes(self, form: dict[str, str]) -> list[dict[str, Any]]:
        ids = [i.strip().strip('"') for i in form.get("ids", "").split(",") if i.strip()]
        if len(ids) > 1000:
            raise ValueError("Max number of ids allowed per request is 1000")
        out = []
        for ident in ids:
            doc = self.by_id.get(ident)
            if doc is None:
                out.append({"query": ident, "notfound": True})
            else:
                item = {"query": ident, "_score": 1.0}
                item.update(self._project(doc, form.get("fields")))
                out.append(item)
        return out


class _Handler(FixtureHandler):
    server: MyGeneServer

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
              truncate: bool = False) -> None:
        self.send(status, json.dumps(payload).encode("utf-8"),
                  "application/json; charset=UTF-8", headers, truncate)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"code": status, "success": False, "error": message}, headers)

    def handle_request(self) -> None:
        srv = self.server
        path = urlparse(self.path).path
        form = self.form()
        with srv.lock:
            srv.log.append((self.command, path, form))
            fault = srv.faults.pop(0) if srv.faults else ("ok",)
            latency = srv.latency
        if latency:
            time.sleep(latency)
        kind = fault[0]
        if kind == "status":
            status = fault[1]
            headers = fault[2] if len(fault) > 2 else {}
            self._error(status, "injected error", headers)
            return
        if kind == "drop":
            self.drop()
            return
        if kind == "slow":
            time.sleep(fault[1])
        if kind == "json":
            self._send(200, fault[1])
            return
        truncate = kind == "truncate"
        try:
            if path in ("/v3/query", "/v3/query/") and self.command == "POST":
                self._send(200, srv.query(form), truncate=truncate)
            elif path in ("/v3/gene", "/v3/gene/") and self.command == "POST":
                self._send(200, srv.genes(form), truncate=truncate)
            elif path.startswith("/v3/gene/") and self.command == "GET":
                doc = srv.by_id.get(path.rsplit("/", 1)[-1])
                if doc is None:
                    self._error(404, f"ID \"{path.rsplit('/', 1)[-1]}\" not found")
                else:
                    self._send(200, srv._project(doc, form.get("fields")), truncate=truncate)
            elif path in ("/v3/metadata", "/v3/metadata/"):
                meta = dict(METADATA, stats={"total_genes": len(srv.docs)})
                self._send(200, meta, truncate=truncate)
            else:
                self._error(404, "Not found")
        except ValueError as exc:
            self._error(400, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass


if __name__ == "__main__":  # a manual run: python -m tests.mygene_server DOCS.json
    import sys

    server = MyGeneServer.from_file(sys.argv[1]).start()
    print(server.url, flush=True)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()
