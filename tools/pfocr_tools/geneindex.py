"""The embedded offline gene index: an SQLite file built from upstream nomenclature tables.

Built by ``pfocr-index build`` from upstream file formats (HGNC TSV, MGI / RGD marker tables,
NCBI ``gene_info``, ``gene2ensembl``, ``gene_history``, ``gene_orthologs``, HomoloGene
``homologene.data``, FamPlex CSVs). Every gene is keyed by its NCBI Gene ID. The inputs'
names, versions, sizes and SHA-256 checksums are stored inside the index (``pfocr-index info``).

Tables::

    meta(key, value)                          schema version, data version, build options
    source(name, file, version, sha256, bytes, rows)
    gene(gene_id, taxid, symbol, ensembl, uniprot, group_id)
                                              ensembl / uniprot are "|"-joined; genes with
                                              the same group_id are orthologs
    term(term, taxid, kind, gene_id)          casefolded symbols: kind 0 official, 1 previous,
                                              2 alias / synonym
    retired(old_id, taxid, new_id, old_symbol)         new_id NULL when discontinued
    family(fplx_id, kind, members)            FamPlex entity, "family" or "complex", member
                                              human gene IDs ("|"-joined, sorted)
    family_term(term, fplx_id)                casefolded entity names and grounding-map texts
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import lzma
import os
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import DataError

SCHEMA_VERSION = "2"
KIND_NAMES = ("symbol", "previous", "alias")
SYMBOL, PREVIOUS, ALIAS = 0, 1, 2
DEFAULT_SPECIES = (9606, 10090, 10116)
SHIPPED_NAME = "gene_index.sqlite.gz"

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE source(name TEXT PRIMARY KEY, file TEXT, version TEXT, sha256 TEXT,
                    bytes INTEGER, rows INTEGER) WITHOUT ROWID;
CREATE TABLE gene(gene_id INTEGER PRIMARY KEY, taxid INTEGER NOT NULL, symbol TEXT NOT NULL,
                  ensembl TEXT NOT NULL, uniprot TEXT NOT NULL, group_id INTEGER);
CREATE TABLE term(term TEXT NOT NULL, taxid INTEGER NOT NULL, kind INTEGER NOT NULL,
                  gene_id INTEGER NOT NULL, PRIMARY KEY(term, taxid, kind, gene_id)) WITHOUT ROWID;
CREATE TABLE retired(old_id INTEGER NOT NULL, taxid INTEGER NOT NULL, new_id INTEGER,
                     old_symbol TEXT NOT NULL, PRIMARY KEY(old_id, taxid));
CREATE TABLE family(fplx_id TEXT PRIMARY KEY, kind TEXT NOT NULL, members TEXT NOT NULL)
                    WITHOUT ROWID;
CREATE TABLE family_term(term TEXT PRIMARY KEY, fplx_id TEXT NOT NULL) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX gene_group ON gene(group_id) WHERE group_id IS NOT NULL;
"""


def fold(term: str) -> str:
    """The key under which a term is looked up (case-insensitive, like MyGene.info)."""
    return " ".join(term.split()).casefold()


# --------------------------------------------------------------------------------------------
# reading upstream files


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_text(path: str) -> io.TextIOBase:
    if not os.path.isfile(path):
        raise DataError("no such file", path)
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    if path.endswith(".xz"):
        return io.TextIOWrapper(lzma.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _tsv(path: str, required: Iterable[str], comment_header: bool = False
         ) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a tab-separated file with a header (``#`` before it allowed) as dicts."""
    with _open_text(path) as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError("empty file", path) from None
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", path, 1) from None
        header = [h.lstrip("#").strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataError("missing column(s) " + ", ".join(missing), path, 1)
        n = len(header)
        try:
            for line, row in enumerate(reader, start=2):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < n:
                    row = row + [""] * (n - len(row))
                yield line, dict(zip(header, (v.strip() for v in row[:n]), strict=True))
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", path) from None


def _split(value: str, seps: str = ",|;") -> list[str]:
    out = [value]
    for sep in seps:
        out = [p for part in out for p in part.split(sep)]
    return [p.strip().strip('"') for p in out if p.strip().strip('"') and p.strip() != "-"]


def _int(value: str, path: str, line: int, what: str) -> int:
    value = value.strip()
    if value.startswith("NCBIGene:"):
        value = value[len("NCBIGene:"):]
    if not value.isdigit():
        raise DataError(f"{what} is not a number: {value!r}", path, line)
    return int(value)


def _pick(row: dict[str, str], *names: str) -> str:
    for name in names:
        if name in row:
            return row[name]
    return ""


@dataclass
class _Gene:
    taxid: int
    symbol: str
    ensembl: set[str] = field(default_factory=set)
    uniprot: set[str] = field(default_factory=set)
    terms: set[tuple[int, str]] = field(default_factory=set)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


@dataclass
class BuildInputs:
    hgnc: str | None = None
    mgi: str | None = None
    rgd: str | None = None
    gene_info: list[str] = field(default_factory=list)
    gene2ensembl: list[str] = field(default_factory=list)
    gene_history: list[str] = field(default_factory=list)
    homologene: str | None = None
    gene_orthologs: list[str] = field(default_factory=list)
    famplex: str | None = None
    species: tuple[int, ...] = DEFAULT_SPECIES
    versions: dict[str, str] = field(default_factory=dict)


class Builder:
    """Merge upstream tables into one gene index (see the module docstring)."""

    def __init__(self, inputs: BuildInputs):
        self.inp = inputs
        self.species = set(inputs.species)
        self.genes: dict[int, _Gene] = {}
        self.sources: list[tuple[str, str, str, str, int, int]] = []
        self.edges: list[tuple[int, int]] = []
        self.retired: dict[tuple[int, int], tuple[int | None, str]] = {}
        self.families: dict[str, tuple[str, str]] = {}
        self.family_terms: dict[str, str] = {}
        self.ens2gene: dict[tuple[int, str], int] = {}
        self.hg_symbol: dict[tuple[int, str], int] = {}
        self.info_symbol: dict[tuple[int, str], int] = {}
        self.hgnc_links: list[tuple[int, str, str]] = []  # (human gene, db, marker id)
        self.stats: dict[str, int] = defaultdict(int)

    # -- helpers
    def _source(self, name: str, path: str, rows: int) -> None:
        version = self.inp.versions.get(name, "")
        self.sources.append(
            (name, os.path.basename(path), version, sha256_of(path), os.path.getsize(path), rows)
        )

    def _gene(self, gene_id: int, taxid: int, symbol: str) -> _Gene:
        gene = self.genes.get(gene_id)
        if gene is None:
            gene = self.genes[gene_id] = _Gene(taxid, symbol)
            if symbol:
                gene.terms.add((SYMBOL, symbol))
        return gene

    # -- readers of upstream formats
    def read_gene_info(self, path: str) -> None:
        cols = ("tax_id", "GeneID", "Symbol", "Synonyms", "dbXrefs")
        n = 0
        for line, row in _tsv(path, cols):
            taxid = _int(row["tax_id"], path, line, "tax_id")
            if taxid not in self.species:
                continue
            gid = _int(row["GeneID"], path, line, "GeneID")
            symbol = row.get("Symbol_from_nomenclature_authority", "-")
            if not symbol or symbol == "-":
                symbol = row["Symbol"]
            gene = self._gene(gid, taxid, symbol)
            if gene.symbol != symbol:
                gene.terms.add((ALIAS, symbol))
            for syn in _split(row["Synonyms"], "|"):
                gene.terms.add((ALIAS, syn))
            for xref in _split(row["dbXrefs"], "|"):
                if xref.startswith("Ensembl:"):
                    gene.ensembl.add(xref[len("Ensembl:"):])
            self.info_symbol.setdefault((taxid, fold(symbol)), gid)
            n += 1
        self._source("gene_info:" + os.path.basename(path), path, n)

    def read_gene2ensembl(self, path: str) -> None:
        n = 0
        for line, row in _tsv(path, ("tax_id", "GeneID", "Ensembl_gene_identifier")):
            taxid = _int(row["tax_id"], path, line, "tax_id")
            if taxid not in self.species:
                continue
            gid = _int(row["GeneID"], path, line, "GeneID")
            ens = row["Ensembl_gene_identifier"].split(".")[0]
            if ens and ens != "-":
                self.ens2gene.setdefault((taxid, ens), gid)
                if gid in self.genes:
                    self.genes[gid].ensembl.add(ens)
                n += 1
        self._source("gene2ensembl:" + os.path.basename(path), path, n)

    def read_homologene(self, path: str) -> None:
        """NCBI ``homologene.data``: HID, taxid, GeneID, symbol, protein gi, accession."""
        groups: dict[int, list[int]] = defaultdict(list)
        n = 0
        with _open_text(path) as handle:
            for line, raw in enumerate(handle, start=1):
                parts = raw.rstrip("\r\n").split("\t")
                if not raw.strip() or raw.startswith("#"):
                    continue
                if len(parts) < 4:
                    raise DataError("expected HID, taxid, GeneID, symbol columns", path, line)
                hid = _int(parts[0], path, line, "HID")
                taxid = _int(parts[1], path, line, "taxid")
                gid = _int(parts[2], path, line, "GeneID")
                if taxid not in self.species:
                    continue
                symbol = parts[3].strip()
                self.hg_symbol.setdefault((taxid, fold(symbol)), gid)
                groups[hid].append(gid)
                # genes known only from HomoloGene are added at the end of the build
                self._hg_genes.setdefault(gid, (taxid, symbol))
                n += 1
        for members in groups.values():
            for other in members[1:]:
                self.edges.append((members[0], other))
        self._source("homologene", path, n)

    def read_gene_orthologs(self, path: str) -> None:
        cols = ("tax_id", "GeneID", "Other_tax_id", "Other_GeneID")
        n = 0
        for line, row in _tsv(path, cols):
            t1 = _int(row["tax_id"], path, line, "tax_id")
            t2 = _int(row["Other_tax_id"], path, line, "Other_tax_id")
            if t1 in self.species and t2 in self.species:
                self.edges.append((_int(row["GeneID"], path, line, "GeneID"),
                                   _int(row["Other_GeneID"], path, line, "Other_GeneID")))
                n += 1
        self._source("gene_orthologs:" + os.path.basename(path), path, n)

    def read_gene_history(self, path: str) -> None:
        cols = ("tax_id", "GeneID", "Discontinued_GeneID", "Discontinued_Symbol")
        n = 0
        for line, row in _tsv(path, cols):
            taxid = _int(row["tax_id"], path, line, "tax_id")
            if taxid not in self.species:
                continue
            old = _int(row["Discontinued_GeneID"], path, line, "Discontinued_GeneID")
            new = None if row["GeneID"] in ("-", "") else _int(row["GeneID"], path, line, "GeneID")
            self.retired[(old, taxid)] = (new, row["Discontinued_Symbol"])
            n += 1
        self._source("gene_history:" + os.path.basename(path), path, n)

    def read_hgnc(self, path: str) -> None:
        n = 0
        for line, row in _tsv(path, ()):
            status = _pick(row, "Status", "status")
            if status not in ("Approved", "Status"):
                continue
            symbol = _pick(row, "Approved symbol", "symbol")
            entrez = _pick(row, "NCBI Gene ID(supplied by NCBI)", "NCBI Gene ID", "entrez_id")
            if not symbol:
                raise DataError("no approved symbol column or value", path, line)
            if not entrez:
                self.stats["hgnc_without_entrez"] += 1
                continue
            gid = _int(entrez, path, line, "NCBI Gene ID")
            gene = self._gene(gid, 9606, symbol)
            if gene.symbol != symbol:  # gene_info read first: HGNC is the authority
                gene.terms.discard((SYMBOL, gene.symbol))
                gene.terms.add((ALIAS, gene.symbol))
                gene.symbol = symbol
                gene.terms.add((SYMBOL, symbol))
            for prev in _split(_pick(row, "Previous symbols", "prev_symbol")):
                gene.terms.add((PREVIOUS, prev))
            for alias in _split(_pick(row, "Alias symbols", "alias_symbol")):
                gene.terms.add((ALIAS, alias))
            ens = _pick(row, "Ensembl gene ID", "Ensembl ID(supplied by Ensembl)",
                        "ensembl_gene_id")
            gene.ensembl.update(_split(ens))
            uni = _pick(row, "UniProt ID(supplied by UniProt)", "uniprot_ids")
            gene.uniprot.update(_split(uni))
            for db, col in (("MGI", ("Mouse genome database ID(supplied by MGI)", "mgd_id")),
                            ("RGD", ("Rat genome database ID(supplied by RGD)", "rgd_id"))):
                for marker in _split(_pick(row, *col)):
                    self.hgnc_links.append((gid, db, marker.split(":")[-1]))
            self.info_symbol.setdefault((9606, fold(symbol)), gid)
            n += 1
        self._source("hgnc", path, n)

    def read_markers(self, path: str, db: str, taxid: int) -> dict[str, int]:
        """MGI / RGD marker table (ID, symbol, synonyms, ensembl); returns marker -> gene."""
        markers: dict[str, int] = {}
        n = 0
        for _line, row in _tsv(path, ("ID", "symbol", "synonyms", "ensembl")):
            marker = row["ID"].split(":")[-1]
            symbol = row["symbol"]
            ensembl = _split(row["ensembl"])
            gid = None
            for ens in ensembl:
                gid = self.ens2gene.get((taxid, ens))
                if gid is not None:
                    break
            if gid is None:
                gid = self.hg_symbol.get((taxid, fold(symbol)))
            if gid is None:
                gid = self.info_symbol.get((taxid, fold(symbol)))
            if gid is None:
                self.stats[f"{db.lower()}_without_entrez"] += 1
                continue
            n += 1
            markers[marker] = gid
            gene = self.genes.get(gid)
            if gene is None:
                gene = self._gene(gid, taxid, symbol)
            elif gene.symbol != symbol:
                if (SYMBOL, gene.symbol) in gene.terms and gene.symbol:
                    gene.terms.discard((SYMBOL, gene.symbol))
                    gene.terms.add((PREVIOUS, gene.symbol))
                gene.symbol = symbol
                gene.terms.add((SYMBOL, symbol))
            for syn in _split(row["synonyms"]):
                gene.terms.add((ALIAS, syn))
            gene.ensembl.update(ensembl)
        self._source(db.lower(), path, n)
        return markers

    def read_famplex(self, directory: str) -> None:
        rel_path = os.path.join(directory, "relations.csv")
        ent_path = os.path.join(directory, "entities.csv")
        gm_path = os.path.join(directory, "grounding_map.csv")
        children: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        n = 0
        with _open_text(rel_path) as handle:
            for line, row in enumerate(csv.reader(handle), start=1):
                row = [c.strip() for c in row]
                if not row or not any(row):
                    continue
                if len(row) < 5:
                    raise DataError("expected 5 columns (db, id, relation, db, id)", rel_path,
                                    line)
                if row[3] == "FPLX":
                    children[row[4]].append((row[0], row[1], row[2]))
                    n += 1
        self._source("famplex_relations", rel_path, n)
        entities: list[str] = []
        with _open_text(ent_path) as handle:
            entities = sorted({r[0].strip() for r in csv.reader(handle) if r and r[0].strip()})
        self._source("famplex_entities", ent_path, len(entities))
        hgnc_ids = {g.symbol: gid for gid, g in self.genes.items() if g.taxid == 9606}

        def expand(fplx: str, seen: frozenset[str]) -> set[int]:
            out: set[int] = set()
            for db, ident, _rel in children.get(fplx, ()):
                if db == "FPLX" and ident not in seen:
                    out |= expand(ident, seen | {ident})
                elif db == "HGNC" and ident in hgnc_ids:
                    out.add(hgnc_ids[ident])
            return out

        for ent in sorted(set(entities) | set(children)):
            members = expand(ent, frozenset({ent}))
            if not members:
                continue
            kind = "complex" if any(r == "partof" for _, _, r in children[ent]) else "family"
            self.families[ent] = (kind, "|".join(str(m) for m in sorted(members)))
            self.family_terms.setdefault(fold(ent), ent)
            self.family_terms.setdefault(fold(ent.replace("_", " ")), ent)
        if os.path.isfile(gm_path):
            rows = 0
            with _open_text(gm_path) as handle:
                grounded = sorted(
                    (r[0].strip(), r[2].strip()) for r in csv.reader(handle)
                    if len(r) >= 3 and r[1].strip() == "FPLX"
                )
            for text, ent in grounded:
                if ent in self.families and fold(text) not in self.family_terms:
                    self.family_terms[fold(text)] = ent
                    rows += 1
            self._source("famplex_grounding_map", gm_path, rows)

    # -- the build
    def run(self) -> None:
        inp = self.inp
        self._hg_genes: dict[int, tuple[int, str]] = {}
        for path in inp.gene_info:
            self.read_gene_info(path)
        if inp.hgnc:
            self.read_hgnc(inp.hgnc)
        for path in inp.gene2ensembl:
            self.read_gene2ensembl(path)
        if inp.homologene:
            self.read_homologene(inp.homologene)
        markers: dict[str, dict[str, int]] = {}
        if inp.mgi and 10090 in self.species:
            markers["MGI"] = self.read_markers(inp.mgi, "MGI", 10090)
        if inp.rgd and 10116 in self.species:
            markers["RGD"] = self.read_markers(inp.rgd, "RGD", 10116)
        # genes known only from HomoloGene (no current marker matched them)
        for gid, (taxid, symbol) in sorted(self._hg_genes.items()):
            if gid not in self.genes:
                self._gene(gid, taxid, symbol)
                self.stats["homologene_only_genes"] += 1
        for human, db, marker in self.hgnc_links:
            other = markers.get(db, {}).get(marker)
            if other is not None:
                self.edges.append((human, other))
        for path in inp.gene_orthologs:
            self.read_gene_orthologs(path)
        for path in inp.gene_history:
            self.read_gene_history(path)
        if inp.famplex:
            self.read_famplex(inp.famplex)
        if not self.genes:
            raise DataError("no genes read: give at least --hgnc or --gene-info", "pfocr-index")

    def write(self, out_path: str) -> dict[str, str]:
        fd, tmp = tempfile.mkstemp(prefix=".pfocr-index-", suffix=".sqlite",
                                   dir=os.path.dirname(os.path.abspath(out_path)) or ".")
        os.close(fd)
        try:
            meta = self._write_db(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out_path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return meta

    def _write_db(self, path: str) -> dict[str, str]:
        os.unlink(path)
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=4096")
        con.executescript(SCHEMA)
        genes = self.genes
        uf = _UnionFind()
        for a, b in self.edges:
            if a in genes and b in genes and a != b:
                uf.union(a, b)
        group = {gid: uf.find(gid) for gid in list(uf.parent)}
        sizes: dict[int, int] = defaultdict(int)
        for root in group.values():
            sizes[root] += 1
        group = {g: r for g, r in group.items() if sizes[r] > 1}
        con.executemany(
            "INSERT INTO gene VALUES (?,?,?,?,?,?)",
            ((gid, g.taxid, g.symbol, "|".join(sorted(g.ensembl)), "|".join(sorted(g.uniprot)),
              group.get(gid)) for gid, g in sorted(genes.items())),
        )
        terms = sorted({(fold(t), g.taxid, kind, gid)
                        for gid, g in genes.items() for kind, t in g.terms if fold(t)})
        # a gene matched by a term at several kinds keeps only the best one
        best: dict[tuple[str, int, int], int] = {}
        for term, taxid, kind, gid in terms:
            key = (term, taxid, gid)
            if key not in best or kind < best[key]:
                best[key] = kind
        con.executemany("INSERT INTO term VALUES (?,?,?,?)",
                        sorted((t, tx, k, g) for (t, tx, g), k in best.items()))
        con.executemany(
            "INSERT INTO retired VALUES (?,?,?,?)",
            ((old, taxid, new, sym) for (old, taxid), (new, sym) in sorted(self.retired.items())
             if old not in genes),
        )
        con.executemany("INSERT INTO family VALUES (?,?,?)",
                        ((k, kind, m) for k, (kind, m) in sorted(self.families.items())))
        con.executemany("INSERT INTO family_term VALUES (?,?)", sorted(self.family_terms.items()))
        con.executescript(INDEXES)
        con.executemany("INSERT INTO source VALUES (?,?,?,?,?,?)", sorted(self.sources))
        digest = hashlib.sha256(
            json.dumps([SCHEMA_VERSION, sorted(self.sources), sorted(self.species)]).encode()
        ).hexdigest()
        counts = {
            f"genes_{tx}": str(sum(1 for g in genes.values() if g.taxid == tx))
            for tx in sorted(self.species)
        }
        meta = {
            "schema_version": SCHEMA_VERSION,
            "data_version": "gene-index:" + digest[:12],
            "species": ",".join(str(s) for s in sorted(self.species)),
            "genes": str(len(genes)),
            "terms": str(len(best)),
            "families": str(len(self.families)),
            "ortholog_genes": str(len(group)),
            "retired": str(len(self.retired)),
            **counts,
            **{f"skipped_{k}": str(v) for k, v in sorted(self.stats.items()) if v},
        }
        con.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        con.commit()
        con.execute("VACUUM")
        con.close()
        return meta


def build(inputs: BuildInputs, out_path: str) -> dict[str, str]:
    builder = Builder(inputs)
    builder.run()
    return builder.write(out_path)


def compress(sqlite_path: str, out_path: str) -> None:
    """Gzip an index reproducibly (no name, mtime 0), atomically."""
    directory = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".pfocr-index-", suffix=".gz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw, open(sqlite_path, "rb") as src:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9,
                               mtime=0) as gz:
                for block in iter(lambda: src.read(1 << 20), b""):
                    gz.write(block)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------------------------
# using an index


def user_cache_dir() -> Path:
    """The per-user cache directory (``$PFOCR_CACHE_DIR``, ``$XDG_CACHE_HOME/pfocr-tools``)."""
    env = os.environ.get("PFOCR_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pfocr-tools"


def share_mode(path: str) -> None:
    """Mode 0666 less the umask (mkstemp makes 0600): a group-shared cache folder then serves
    every member of the group."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def writable_dir(preferred: Path) -> Path:
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"pfocr-tools-{os.getuid()}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def shipped_index(cache_dir: str | None = None) -> str:
    """Path of the shipped index, decompressed on first use (atomically) into the cache dir."""
    res = resources.files("pfocr_tools").joinpath("data/" + SHIPPED_NAME)
    if not res.is_file():
        raise DataError("the embedded gene index is missing from the installation",
                        "pfocr_tools/data/" + SHIPPED_NAME)
    data = res.read_bytes()
    tag = hashlib.sha256(data).hexdigest()[:16]
    directory = writable_dir(Path(cache_dir) if cache_dir else user_cache_dir())
    target = directory / f"gene_index-{tag}.sqlite"
    if target.is_file():
        return str(target)
    fd, tmp = tempfile.mkstemp(prefix=".gene_index-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(gzip.decompress(data))
        share_mode(tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return str(target)


@dataclass(frozen=True)
class Gene:
    gene_id: str
    taxid: str
    symbol: str
    ensembl: tuple[str, ...]
    uniprot: tuple[str, ...]


class GeneIndex:
    """Read-only access to a gene index file (plain SQLite or gzip-compressed)."""

    def __init__(self, path: str | None = None, cache_dir: str | None = None):
        if path is None:
            path = shipped_index(cache_dir)
        elif not os.path.isfile(path):
            raise DataError("no such gene index file", path)
        elif path.endswith(".gz"):
            path = self._unpack(path, cache_dir)
        self.path = path
        if not os.access(path, os.R_OK):
            raise DataError("cannot read the gene index: permission denied (made by another "
                            "user? remove it, or give --cache-dir)", path)
        try:
            self.con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                       check_same_thread=False)
            self.meta = dict(self.con.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            raise DataError(f"not a pfocr gene index ({exc})", path) from None
        if self.meta.get("schema_version") != SCHEMA_VERSION:
            raise DataError(
                f"gene index schema {self.meta.get('schema_version')!r} is not "
                f"{SCHEMA_VERSION!r}: rebuild it with pfocr-index build", path)
        self._family_cache: dict[str, tuple[str, str, tuple[str, ...]] | None] = {}

    @staticmethod
    def _unpack(path: str, cache_dir: str | None) -> str:
        tag = sha256_of(path)[:16]
        directory = writable_dir(Path(cache_dir) if cache_dir else user_cache_dir())
        target = directory / f"gene_index-{tag}.sqlite"
        if not target.is_file():
            fd, tmp = tempfile.mkstemp(prefix=".gene_index-", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        out.write(block)
                share_mode(tmp)
                os.replace(tmp, target)
            except (OSError, EOFError) as exc:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise DataError(f"cannot unpack gene index ({exc})", path) from None
        return str(target)

    @property
    def data_version(self) -> str:
        return self.meta.get("data_version", "")

    def sources(self) -> list[dict[str, object]]:
        cur = self.con.execute(
            "SELECT name, file, version, sha256, bytes, rows FROM source ORDER BY name")
        keys = ("name", "file", "version", "sha256", "bytes", "rows")
        return [dict(zip(keys, row, strict=True)) for row in cur]

    def taxa(self) -> set[str]:
        return set(self.meta.get("species", "").split(","))

    def lookup_terms(self, terms: Iterable[str], taxids: Iterable[str]
                     ) -> dict[str, list[tuple[str, str, int]]]:
        """term -> [(gene_id, taxid, kind)] for the genes a term names in the given species."""
        tx = sorted({int(t) for t in taxids})
        out: dict[str, list[tuple[str, str, int]]] = {}
        if not tx:
            return {t: [] for t in terms}
        marks = ",".join("?" * len(tx))
        sql = (f"SELECT gene_id, taxid, kind FROM term WHERE term = ? AND taxid IN ({marks}) "
               "ORDER BY kind, taxid, gene_id")
        cur = self.con.cursor()
        for term in terms:
            out[term] = [(str(g), str(t), k) for g, t, k in cur.execute(sql, (fold(term), *tx))]
        return out

    def lookup_ids(self, ids: Iterable[str], taxids: Iterable[str]
                   ) -> dict[str, list[tuple[str, str, str]]]:
        """id -> [(gene_id, taxid, "gene_id" | "retired")]: current or replacing genes."""
        tx = {int(t) for t in taxids}
        ids = list(ids)
        current = self._rows("SELECT gene_id, taxid FROM gene WHERE gene_id IN ({})",
                             ids, one=True)
        old = [i for i in ids if i.isdigit() and (_as_id(i) not in current
                                                  or current[_as_id(i)][1] not in tx)]
        retired = self._rows("SELECT old_id, new_id, taxid FROM retired WHERE old_id IN ({}) "
                             "AND new_id IS NOT NULL ORDER BY old_id, taxid", old, one=False)
        out: dict[str, list[tuple[str, str, str]]] = {}
        for ident in ids:
            hits: list[tuple[str, str, str]] = []
            if ident.isdigit():
                row = current.get(_as_id(ident))
                if row and row[1] in tx:
                    hits.append((str(row[0]), str(row[1]), "gene_id"))
                else:
                    for _, new, taxid in retired.get(_as_id(ident), ()):
                        if taxid in tx:
                            hits.append((str(new), str(taxid), "retired"))
            out[ident] = hits
        return out

    def _rows(self, sql: str, ids: Sequence[str], one: bool) -> dict[int, Any]:
        """The rows whose first column is one of ``ids`` (digit strings; others ignored),
        by that number: the row (``one``) or the list of rows. Asked in chunks of 500 (one
        query per chunk instead of one per ID)."""
        keys = sorted({_as_id(i) for i in ids if i.isdigit()} - {-1})
        found: dict[int, Any] = {}
        cur = self.con.cursor()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for row in cur.execute(sql.format(",".join("?" * len(chunk))), chunk):
                if one:
                    found[row[0]] = row
                else:
                    found.setdefault(row[0], []).append(row)
        return found

    def genes(self, ids: Iterable[str]) -> dict[str, Gene]:
        ids = list(ids)
        rows = self._rows("SELECT gene_id, taxid, symbol, ensembl, uniprot FROM gene "
                          "WHERE gene_id IN ({})", ids, one=True)
        out: dict[str, Gene] = {}
        for ident in ids:
            row = rows.get(_as_id(ident)) if ident.isdigit() else None
            if row:
                out[ident] = Gene(str(row[0]), str(row[1]), row[2],
                                  tuple(x for x in row[3].split("|") if x),
                                  tuple(x for x in row[4].split("|") if x))
        return out

    def family(self, term: str) -> tuple[str, str, tuple[str, ...]] | None:
        """(FamPlex id, "family" | "complex", member human gene IDs) for a name, or None."""
        key = fold(term)
        if key in self._family_cache:
            return self._family_cache[key]
        row = self.con.execute(
            "SELECT f.fplx_id, f.kind, f.members FROM family_term t "
            "JOIN family f ON f.fplx_id = t.fplx_id WHERE t.term = ?", (key,)).fetchone()
        result = None if row is None else (row[0], row[1], tuple(row[2].split("|")))
        self._family_cache[key] = result
        return result

    def orthologs(self, ids: Iterable[str], taxid: str) -> dict[str, list[str]]:
        """gene -> its orthologs in ``taxid`` (sorted by gene ID)."""
        out: dict[str, list[str]] = {}
        cur = self.con.cursor()
        sql = ("SELECT g2.gene_id FROM gene g1 JOIN gene g2 ON g2.group_id = g1.group_id "
               "WHERE g1.gene_id = ? AND g2.taxid = ? AND g2.gene_id != g1.gene_id "
               "ORDER BY g2.gene_id")
        for ident in ids:
            if ident.isdigit():
                out[ident] = [str(r[0]) for r in cur.execute(sql, (int(ident), int(taxid)))]
            else:
                out[ident] = []
        return out


def _as_id(text: str) -> int:
    """A gene ID as SQLite's integer (-1, matching no row, when it does not fit)."""
    try:
        value = int(text)
    except ValueError:  # str.isdigit() takes digits int() does not (superscripts)
        return -1
    return value if value < 1 << 63 else -1
