"""pfocr-remap: map the gene identifiers of a figure gene table (MyGene.info or offline index)."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import filterfalse, repeat
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING

from . import geneindex
from .cli import check_outputs, check_retry_options, log, make_parser, run
from .errors import DataError, UsageError
from .organisms import by_taxid, resolve
from .table import (
    COLUMNS,
    SHARED_COLUMNS,
    NotGrouped,
    TableReader,
    clean,
    field_count_error,
    gc_paused,
    log_reading_whole,
    open_output,
    read_table,
    rereadable,
    write_frame,
    write_rows,
    write_table,
)

if TYPE_CHECKING:  # numpy and pandas are imported where used: the text path needs neither
    import numpy as np
    import pandas as pd

PROG = "pfocr-remap"
DESCRIPTION = """\
Map the genes of a figure gene table to current NCBI Gene IDs, Ensembl, UniProt, symbols, or
orthologs in another species, through MyGene.info or the offline gene index in the package.

  pfocr-remap figure-genes.tsv -o remapped.tsv --to entrez,ensembl --report report.tsv
  pfocr-remap figure-genes.tsv -o mouse.tsv --ortholog-to mouse
  pfocr-remap figure-genes.tsv -o out.tsv --backend mygene --email you@example.org

Look-ups (--from): gene_id (NCBI Gene ID, retired IDs replaced), symbol (official, previous
and alias symbols) or word (the OCR text, FamPlex families and complexes expanded). Ranking:
exact official symbol, then previous symbol, then alias; a term naming several genes at its
best rank is "ambiguous" and left as it was (every candidate is listed in --report).
--backend mygene uses the network (MyGene.info); local (default) works offline.
"""

TO_CHOICES = ("entrez", "ensembl", "uniprot", "symbol")
MYGENE_NAMES = {
    "human": "9606", "mouse": "10090", "rat": "10116", "fruitfly": "7227",
    "nematode": "6239", "zebrafish": "7955", "thale-cress": "3702", "frog": "8364",
    "pig": "9823",
}
WORD_SOURCES = {"symbol": "ncbigene_symbol", "previous": "ncbigene_synonym",
                "alias": "ncbigene_synonym", "family": "famplex_relations"}
REPORT_COLUMNS = ("query", "species", "status", "match", "gene_id", "symbol", "family",
                  "candidates", "orthologs", "rows", "backend", "data_version")


@dataclass(frozen=True)
class Candidate:
    gene_id: str
    taxid: str
    symbol: str
    match: str  # symbol | previous | alias | gene_id | retired


@dataclass(frozen=True)
class GeneInfo:
    gene_id: str
    taxid: str
    symbol: str
    ensembl: tuple[str, ...] = ()
    uniprot: tuple[str, ...] = ()


@dataclass
class Outcome:
    status: str  # mapped | ambiguous | unmapped | retired-replaced | family
    match: str = ""
    genes: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    family: str = ""


RANK = {"symbol": 0, "gene_id": 0, "retired": 1, "previous": 1, "alias": 2}


# --------------------------------------------------------------------------------------------
# backends


class LocalBackend:
    name = "local"

    def __init__(self, index: geneindex.GeneIndex):
        self.index = index
        self.requests = 0
        self.taxa = index.taxa()
        self._genes: dict[str, geneindex.Gene] = {}  # the last resolve()'s candidate genes

    def data_version(self) -> str:
        return self.index.data_version

    def resolve(self, terms: Sequence[str], scope: str, taxids: Sequence[str]
                ) -> dict[str, list[Candidate]]:
        out: dict[str, list[Candidate]] = {}
        if scope == "gene_id":
            hits = self.index.lookup_ids(terms, taxids)
            genes = self._genes = self.index.genes({g for h in hits.values() for g, _, _ in h})
            for term, found in hits.items():
                out[term] = [Candidate(g, t, genes[g].symbol if g in genes else "", m)
                             for g, t, m in found]
            return out
        hits_k = self.index.lookup_terms(terms, taxids)
        genes = self._genes = self.index.genes({g for h in hits_k.values() for g, _, _ in h})
        for term, found in hits_k.items():
            out[term] = [Candidate(g, t, genes[g].symbol if g in genes else "",
                                   geneindex.KIND_NAMES[k]) for g, t, k in found]
        return out

    def annotate(self, ids: Iterable[str]) -> dict[str, GeneInfo]:
        wanted = sorted(set(ids))
        known = self._genes  # most genes to annotate were candidates of the last resolve()
        found = self.index.genes([g for g in wanted if g not in known])
        out = {}
        for g in wanted:
            x = known.get(g) or found.get(g)
            if x is not None:
                out[g] = GeneInfo(x.gene_id, x.taxid, x.symbol, x.ensembl, x.uniprot)
        return out

    def orthologs(self, ids: Iterable[str], taxid: str) -> dict[str, list[str]]:
        return self.index.orthologs(sorted(set(ids)), taxid)

    def family(self, term: str) -> tuple[str, str, tuple[str, ...]] | None:
        return self.index.family(term)


class MygeneBackend:
    name = "mygene"

    def __init__(self, client, families: geneindex.GeneIndex | None):  # noqa: ANN001
        self.client = client
        self.families = families
        self.docs: dict[str, dict] = {}

    @property
    def requests(self) -> int:
        return self.client.requests

    def data_version(self) -> str:
        meta = self.client.metadata()
        return f"mygene.info build {meta.get('build_version') or '?'}"

    def resolve(self, terms: Sequence[str], scope: str, taxids: Sequence[str]
                ) -> dict[str, list[Candidate]]:
        from .mygene_backend import SCOPES

        species = ",".join(sorted(set(taxids), key=int))
        # a '"' would break the whole batch (the server splits q like a shell): not sendable
        sendable = [t for t in terms if '"' not in t and t.strip()]
        size = min(1000, 10 * max(1, len(set(taxids))))
        hits = self.client.querymany(sendable, SCOPES[scope], species, size) if sendable else {}
        out: dict[str, list[Candidate]] = {}
        for term in terms:
            cands = []
            for doc in hits.get(term, []):
                gid = doc["gene_id"]
                self.docs.setdefault(gid, doc)
                if scope == "gene_id":
                    match = "gene_id" if gid == term.strip() else "retired"
                else:
                    match = "symbol" if geneindex.fold(doc["symbol"]) == geneindex.fold(term) \
                        else "alias"
                cands.append(Candidate(gid, doc["taxid"], doc["symbol"], match))
            out[term] = cands
        return out

    def _docs(self, ids: Iterable[str]) -> dict[str, dict]:
        missing = sorted({g for g in ids if g not in self.docs}, key=_id_key)
        if missing:
            for gid, doc in self.client.getgenes(missing).items():
                if doc is not None:
                    self.docs[gid] = doc
        return {g: self.docs[g] for g in ids if g in self.docs}

    def annotate(self, ids: Iterable[str]) -> dict[str, GeneInfo]:
        docs = self._docs(list(ids))
        return {g: GeneInfo(d["gene_id"], d["taxid"], d["symbol"], tuple(d["ensembl"]),
                            tuple(d["uniprot"])) for g, d in docs.items()}

    def orthologs(self, ids: Iterable[str], taxid: str) -> dict[str, list[str]]:
        docs = self._docs(list(ids))
        out = {}
        for g in ids:
            doc = docs.get(g)
            homologs = doc["homologs"] if doc else ()
            out[g] = sorted({str(o) for t, o in homologs if str(t) == taxid and str(o) != g},
                            key=_id_key)
        return out

    def family(self, term: str) -> tuple[str, str, tuple[str, ...]] | None:
        return self.families.family(term) if self.families is not None else None


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (1 << 62, value)


# --------------------------------------------------------------------------------------------
# the remapping


@dataclass
class Options:
    from_: str = "gene_id"
    species: tuple[str, ...] = ()
    to: tuple[str, ...] = ("entrez",)
    ortholog_to: str = ""
    unmapped: str = "keep"


def parse_species(text: str, what: str = "--species") -> tuple[str, ...]:
    out: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        taxid = MYGENE_NAMES.get(name.casefold())
        if taxid is None:
            try:
                taxid = resolve(name)[0]
            except UsageError as exc:  # an unknown species is a usage error (exit 2)
                raise UsageError(exc.message, what) from None
        if taxid not in out:
            out.append(taxid)
    if not out:
        raise UsageError("no species given", what)
    return tuple(out)


def organism_name(taxid: str) -> str:
    org = by_taxid(taxid)
    return org.scientific_name if org else ""


def decide(term: str, cands: list[Candidate], scope: str, family) -> Outcome:  # noqa: ANN001
    """Rank candidates: official symbol > previous > alias; ambiguity is never resolved."""
    cands = sorted(cands, key=lambda c: (RANK.get(c.match, 9), _id_key(c.taxid),
                                         _id_key(c.gene_id)))
    if scope == "gene_id":
        current = sorted({c.gene_id for c in cands if c.match == "gene_id"})
        replaced = sorted({c.gene_id for c in cands if c.match == "retired"})
        if len(current) == 1:
            return Outcome("mapped", "gene_id", current, cands)
        if current:
            return Outcome("ambiguous", "gene_id", [], cands)
        if len(replaced) == 1:
            return Outcome("retired-replaced", "retired", replaced, cands)
        if replaced:
            return Outcome("ambiguous", "retired", [], cands)
        return Outcome("unmapped", "", [], cands)
    official = sorted({c.gene_id for c in cands if c.match == "symbol"}, key=_id_key)
    if len(official) == 1:
        return Outcome("mapped", "symbol", official, cands)
    if official:
        return Outcome("ambiguous", "symbol", [], cands)
    if family is not None:
        fplx, kind, members = family
        return Outcome("family", "family", list(members), cands, f"{fplx} ({kind})")
    synonyms = sorted({c.gene_id for c in cands}, key=_id_key)
    if not synonyms:
        return Outcome("unmapped", "", [], cands)
    best = min(RANK.get(c.match, 9) for c in cands)
    match = next(c.match for c in cands if RANK.get(c.match, 9) == best)
    if len(synonyms) == 1:
        return Outcome("mapped", match, synonyms, cands)
    # previous and alias symbols are one tier: MyGene.info does not tell them apart
    return Outcome("ambiguous", match, [], cands)


def _row_taxids(df: pd.DataFrame) -> None:
    bad_values = [t for t in df["taxid"].unique() if not (t.isascii() and t.isdigit())]
    if bad_values:
        i = int(df["taxid"].isin(bad_values).to_numpy().nonzero()[0][0])
        raise DataError(f"taxid {df['taxid'].iloc[i]!r} is not an NCBI taxid", None, i + 2)


def table_keys(df: pd.DataFrame, opts: Options
               ) -> tuple[np.ndarray, list[tuple[str, str]], dict[int, int]]:
    """The (term, species) key code of every row, the keys in first-seen order, and the
    rows per key."""
    import numpy as np
    import pandas as pd

    terms = df[opts.from_].astype(str)
    species_col = (pd.Series("|".join(opts.species), index=df.index) if opts.species
                   else df["taxid"])
    keys = terms + "\x1f" + species_col
    codes, uniques = pd.factorize(keys, sort=False)
    pairs = [tuple(k.split("\x1f")) for k in uniques]
    counts = pd.Series(codes).value_counts().to_dict()
    return np.asarray(codes, dtype=np.int64), pairs, counts  # type: ignore[return-value]


def remap(df: pd.DataFrame, backend, opts: Options, with_version: bool = True  # noqa: ANN001
          ) -> tuple[pd.DataFrame, list[list[str]]]:
    """Remap a figure gene table; return the new table and the report rows.

    ``with_version=False`` leaves the report's data_version empty (for MyGene.info, asking for
    it costs a request).
    """
    if not opts.species:  # the rows' own species are used: they must be taxids
        _row_taxids(df)
    codes, pairs, counts = table_keys(df, opts)
    p = plan(pairs, counts, backend, opts, with_version, len(df))
    return apply(df, codes, p), p.report


@dataclass
class Plan:
    """What every (term, species) key becomes: result entries (several for a family or
    several orthologs), in key order, and the report rows."""

    opts: Options
    entry_rows: list[tuple]
    report: list[list[str]]
    per_key: np.ndarray
    first: np.ndarray
    key_mapped: np.ndarray
    values: dict[str, np.ndarray] | None
    target_name: str


def plan(pairs: Sequence[tuple[str, str]], counts: dict[int, int], backend,  # noqa: ANN001
         opts: Options, with_version: bool = True, n_rows: int = 0) -> Plan:
    """Resolve the distinct (term, species) keys of a table (``counts``: rows per key)."""
    import numpy as np

    distinct_terms = {t for t, _ in pairs if t.strip()}
    log.info("%d rows, %d distinct (term, species) keys, %d distinct terms (%s backend)",
             n_rows, len(pairs), len(distinct_terms), backend.name)
    resolved = resolve_keys(pairs, backend, opts)
    version = backend.data_version() if with_version else ""
    entry_rows: list[tuple] = []
    report: list[list[str]] = []
    for code, (entries, head) in enumerate(resolved):
        entry_rows.extend((code, *e) for e in entries)
        report.append([*head, str(counts.get(code, 0)), backend.name, version])
    target_name = organism_name(opts.ortholog_to) if opts.ortholog_to else ""
    n_keys = len(pairs)
    entry_keys = np.fromiter((e[0] for e in entry_rows), dtype=np.int64, count=len(entry_rows))
    per_key = np.bincount(entry_keys, minlength=n_keys)
    first = np.concatenate(([0], np.cumsum(per_key)[:-1])).astype(np.int64)
    key_mapped = np.zeros(n_keys, dtype=bool)
    for e in entry_rows:
        if e[1]:
            key_mapped[e[0]] = True
    return Plan(opts, entry_rows, report, per_key, first, key_mapped, None, target_name)


def resolve_keys(pairs: Sequence[tuple[str, str]], backend, opts: Options,  # noqa: ANN001
                 all_taxids: Sequence[str] | None = None
                 ) -> list[tuple[list[tuple[str, ...]], list[str]]]:
    """What each (term, species) key becomes: its result entries (gene_id, symbol, taxid,
    ensembl, uniprot, status, match, family; several for a family or several orthologs) and
    the first nine columns of its report row (query ... orthologs).

    A key's result depends on the key alone, so a table's keys may be resolved in batches
    (``all_taxids``: the species to ask the backend for, default those of ``pairs``)."""
    col = opts.from_
    scope = "gene_id" if col == "gene_id" else "symbol"
    if all_taxids is None:
        all_taxids = sorted({t for _, sp in pairs for t in sp.split("|")}, key=int)
    distinct_terms = sorted({t for t, _ in pairs if t.strip()})
    found = backend.resolve(distinct_terms, scope, all_taxids) if distinct_terms else {}

    outcomes: list[Outcome] = []
    covered: set[str] | None = getattr(backend, "taxa", None)
    for term, sp in pairs:
        taxa = set(sp.split("|"))
        cands = [c for c in found.get(term, []) if c.taxid in taxa]
        fam = None
        if col == "word" and term.strip():
            fam = backend.family(term)
            if fam is not None and "9606" not in taxa:
                # FamPlex members are human genes: use their orthologs in the row's species
                members = sorted(fam[2], key=_id_key)
                found_o: set[str] = set()
                for taxid in sorted(taxa, key=int):
                    for lst in backend.orthologs(members, taxid).values():
                        found_o.update(lst)
                fam = (fam[0], fam[1], tuple(sorted(found_o, key=_id_key))) if found_o else None
        outcome = decide(term, cands, scope, fam)
        if outcome.status == "unmapped" and covered is not None and not taxa & covered:
            outcome.match = "species not in the index"
        outcomes.append(outcome)
    del found

    needed = {g for o in outcomes for g in o.genes}
    genes = backend.annotate(needed) if needed else {}
    target = opts.ortholog_to
    orth: dict[str, list[str]] = {}
    if target:
        sources = sorted({g for g in needed if g in genes and genes[g].taxid != target},
                         key=_id_key)
        orth = backend.orthologs(sources, target) if sources else {}
        extra = {o for lst in orth.values() for o in lst if o not in genes}
        if extra:
            genes.update(backend.annotate(extra))

    out_keys: list[tuple[list[tuple[str, ...]], list[str]]] = []
    for (term, sp), out in zip(pairs, outcomes, strict=True):
        results: list[tuple[str, str]] = []  # (gene_id, status)
        orth_note: list[str] = []
        if out.genes:
            for g in out.genes:
                if not target:
                    results.append((g, out.status))
                    continue
                info = genes.get(g)
                if info is not None and info.taxid == target:
                    results.append((g, out.status))
                    continue
                targets = orth.get(g, [])
                orth_note.extend(targets)
                results.extend((o, out.status) for o in targets)
        results = list(dict.fromkeys(results))  # two genes may share an ortholog
        orth_note = list(dict.fromkeys(orth_note))
        status, match = out.status, out.match
        if out.genes and not results:
            status, match = "unmapped", f"{out.match} (no ortholog)"
        entries: list[tuple[str, ...]] = []
        if results:
            for g, st in results:
                info = genes.get(g) or GeneInfo(g, "", "")
                entries.append((g, info.symbol, info.taxid, "|".join(info.ensembl),
                                "|".join(info.uniprot), st, match, out.family))
        else:
            entries.append(("", "", "", "", "", status, match, out.family))
        chosen = [g for g, _ in results] if not target else out.genes
        out_keys.append((entries, [
            term, sp, status, match,
            "|".join(chosen), "|".join(genes[g].symbol if g in genes else "" for g in chosen),
            out.family,
            ";".join(f"{c.gene_id}:{c.symbol}:{c.match}:{c.taxid}" for c in out.candidates),
            "|".join(orth_note),
        ]))
    return out_keys


ENTRY_NAMES = ("_key", "_gene", "_symbol", "_taxid", "ensembl", "uniprot", "remap_status",
               "remap_match", "remap_family")


def _entry_values(p: Plan) -> dict[str, np.ndarray]:
    """The entries as columns (made on first use: the text path does not need them)."""
    import numpy as np

    if p.values is None:
        p.values = {name: np.array([e[i] for e in p.entry_rows], dtype=object)
                    for i, name in enumerate(ENTRY_NAMES)}
    return p.values


# --------------------------------------------------------------------------------------------
# the text path (every --from but word): rows as bytes, never split into all their fields

#: distinct terms resolved per batch before the rows are read (MyGene.info backend; a multiple
#: of the 1,000 terms of one MyGene.info query, so that batching adds no request)
KEY_BATCH = 20_000

#: lines scanned for new keys when the row loop meets a key not known yet (the first window
#: of a block; doubled with each further miss in the block, up to MISS_WINDOW_MAX: the
#: backends resolve keys fastest in batches of a few hundred to a thousand)
MISS_WINDOW = 256
MISS_WINDOW_MAX = 2048


def out_header(header_in: Sequence[str], opts: Options) -> list[str]:
    """The columns of the remapped table (what apply() makes of a table with these)."""
    columns = list(header_in)
    word = opts.from_ == "word"
    target = bool(opts.ortholog_to)
    if ("entrez" in opts.to or target or word) and "source_gene_id" not in columns:
        columns.insert(columns.index("gene_id") + 1, "source_gene_id")
    if ("symbol" in opts.to or target or word) and "source_symbol" not in columns:
        columns.insert(columns.index("symbol") + 1, "source_symbol")
    columns += [c for c in ("ensembl", "uniprot") if c in opts.to]
    columns += ["remap_status", "remap_match"]
    if word:
        columns.append("remap_family")
    return columns


#: an entry's values, as the text path numbers them (after the n input fields: n + 0..8)
ENTRY_VALUES = ("gene", "symbol", "taxid", "organism", "ensembl", "uniprot", "remap_status",
                "remap_match", "remap_family")


def _picks(header_in: Sequence[str], header_out: Sequence[str], opts: Options
           ) -> tuple[list[int], list[int]]:
    """Per output column, for a mapped and for an unmapped entry: the input field (< n) or
    the entry value (n + i, i in ENTRY_VALUES) it holds."""
    n = len(header_in)
    pos = {c: i for i, c in enumerate(header_in)}
    replace_ids = "entrez" in opts.to or bool(opts.ortholog_to)
    replace_symbols = "symbol" in opts.to or bool(opts.ortholog_to)
    new = {"ensembl": n + 4, "uniprot": n + 5, "remap_status": n + 6, "remap_match": n + 7,
           "remap_family": n + 8}

    def picks(mapped: bool) -> list[int]:
        out = []
        for c in header_out:
            if c in new:
                out.append(new[c])
            elif c == "source_gene_id" and c not in pos:
                out.append(pos["gene_id"])
            elif c == "source_symbol" and c not in pos:
                out.append(pos["symbol"])
            elif c == "gene_id" and mapped and replace_ids:
                out.append(n)
            elif c == "symbol" and mapped and replace_symbols:
                out.append(n + 1)
            elif c == "taxid" and mapped and opts.ortholog_to:
                out.append(n + 2)
            elif c == "organism" and mapped and opts.ortholog_to:
                out.append(n + 3)
            else:
                out.append(pos[c])
        return out

    return picks(True), picks(False)


class TextLayout:
    """How an output line is made from an input line (bytes) and its key's entry.

    Each line is cut once from the right (``rsplit`` at the fields the key and the output
    need, e.g. 8 cuts for ``--from gene_id``): the fields before stay one piece. An output
    line is then slices of the input line (the unchanged fields before and after the changed
    ones), single fields, and per-key constants (the entry's values, joined with their tabs
    once per key). The per-row loop is generated once per layout (Python source made of this
    class's own fixed text and column numbers; no data goes into it) so that a row costs one
    ``rsplit``, one dictionary look-up and a few concatenations."""

    def __init__(self, header_in: Sequence[str], header_out: Sequence[str], opts: Options):
        n = len(header_in)
        self.n = n
        pos = {c: i for i, c in enumerate(header_in)}
        key_cols = [pos[opts.from_]] if opts.species else [pos[opts.from_], pos["taxid"]]
        picks_m, picks_u = _picks(header_in, header_out, opts)
        # s: the first field cut off on its own; before it, only an unchanged start of the
        # line is used (fields 0..s-1 as one piece)
        s = min(key_cols)
        for pk in (picks_m, picks_u):
            start = _identity(pk)
            s = min([s, start, *(j for j in pk[start:] if j < n)])
        s = max(s, 1)
        self.s = s
        self.cuts = n - s
        self.key_idx = [self._idx(k) for k in key_cols]
        #: a cut line's key (the term, or (term, taxid)), as key() gives it
        self.pick = itemgetter(*self.key_idx)
        self.mapped = self._template(picks_m)
        self.unmapped = self._template(picks_u)
        self.key_cols = key_cols
        self.occ = pos.get("occurrences")
        self.mapped_tail = self._tail(picks_m)
        self.unmapped_tail = self._tail(picks_u)
        self.run = self._compile()

    def _tail(self, picks: list[int]) -> tuple[int, list[int]] | None:
        """When an output line is its input line up to a field (``start``, s <= start < n)
        and then only the key's fields, entry values and ``occurrences``: (start, the rest of
        the picks). Then a line whose ``occurrences`` is 1 (nearly every line) is one slice of
        itself and one per-key constant (``tail()``; e.g. --from gene_id --to entrez)."""
        start = _identity(picks)
        if not self.s <= start < self.n:
            return None
        rest = picks[start:]
        if any(j < self.n and j not in self.key_cols and j != self.occ for j in rest):
            return None
        return start, rest

    def tail(self, where: tuple[int, list[int]], values: Sequence[str], key: Sequence[str]
             ) -> bytes:
        """The per-key constant of a line whose occurrences is 1 (``where``: ``_tail()``;
        ``key``: the term, and the taxid for a two-column key)."""
        n = self.n
        parts = []
        for j in where[1]:
            if j >= n:
                parts.append(values[j - n])
            elif j == self.occ:
                parts.append("1")
            else:
                parts.append(key[self.key_cols.index(j)])
        return ("\t" + "\t".join(parts)).encode("utf-8")

    def _idx(self, j: int) -> int:
        """The piece of a cut line that holds field ``j``."""
        if j < self.s:
            assert j == 0 and self.s == 1
            return 0
        return j - self.s + 1

    def _bound(self, j: int) -> str:
        """Python: where the tab before field ``j`` (s <= j < n) is in line ``l``."""
        s, n = self.s, self.n
        if j - s <= n - j:  # from the left: the first s fields are p[0]
            terms = ["len(p[0])", *(f"len(p[{self._idx(i)}])" for i in range(s, j))]
            return " + ".join(terms) + (f" + {j - s}" if j > s else "")
        terms = ["len(l)", *(f"len(p[{self._idx(i)}])" for i in range(j, n))]
        return " - ".join(terms) + f" - {n - j}"

    def _template(self, picks: list[int]
                  ) -> tuple[list[str], str, list[tuple[list[int], bool]]]:
        """(Python statements, Python expression of the output line, its constant runs:
        entry value numbers and whether a tab leads). Every piece after the first brings its
        leading tab: runs of consecutive input fields are one slice of the line each."""
        n = self.n
        pieces: list[tuple[str, list[int]]] = []  # ("f", [a, b]) fields a..b | ("c", values)
        for j in picks:
            last = pieces[-1] if pieces else None
            if j < n and last is not None and last[0] == "f" and last[1][1] == j - 1:
                last[1][1] = j
            elif j < n:
                pieces.append(("f", [j, j]))
            elif last is not None and last[0] == "c":
                last[1].append(j - n)
            else:
                pieces.append(("c", [j - n]))
        bounds: dict[int, str] = {}

        def bound(j: int) -> str:
            if j not in bounds:
                bounds[j] = f"b{j}"
            return bounds[j]

        parts: list[str] = []
        runs: list[tuple[list[int], bool]] = []
        for k, (kind, what) in enumerate(pieces):
            if kind == "c":
                parts.append(f"c[{len(runs)}]")
                runs.append((what, k > 0))
                continue
            a, b = what
            if k == 0 and a == 0 and b == self.s - 1:
                parts.append("p[0]")
                continue
            if k == 0 and a == 0 and b == n - 1:
                parts.append("l")
                continue
            if a == 0:
                start = ""
            elif k == 0:
                start = f"{bound(a)} + 1"
            else:
                start = bound(a)
            end = "" if b == n - 1 else bound(b + 1)
            parts.append(f"l[{start}:{end}]")
        stmts = [f"{name} = {self._bound(j)}" for j, name in sorted(bounds.items())]
        return stmts, " + ".join(parts), runs

    def _compile(self):  # noqa: ANN202
        if len(self.key_idx) == 1:
            find = f"m = get(p[{self.key_idx[0]}])"
        else:  # by species, then term: two look-ups in small tables, no key tuple made
            find = (f"m = get(p[{self.key_idx[1]}])\n"
                    f"        if m is not None:\n"
                    f"            m = m(p[{self.key_idx[0]}])")
        pad = "\n" + " " * 12

        def stmts(lines: list[str]) -> str:
            return "".join(pad + x for x in lines)

        m_stmts, m_expr, _ = self.mapped
        u_stmts, u_expr, _ = self.unmapped

        def one(where: tuple[int, list[int]] | None, stmts_: list[str], expr: str) -> str:
            """The branch of a mapped or unmapped line: c = the entry's constants, ..."""
            general = f"c = m.consts{stmts(stmts_)}{pad}append({expr})"
            if where is None:
                return general
            start, rest = where
            quick = f"append(l[:{self._bound(start)}] + m.tail)"
            if self.occ not in rest:
                return quick
            return (f"if p[{self._idx(self.occ)}] == b\"1\":{pad}    {quick}{pad}else:"
                    f"{pad}    " + general.replace(pad, pad + "    "))
        src = f"""
def run(lines, get, out, miss):
    append = out.append
    for l in lines:
        p = l.rsplit(b"\\t", {self.cuts})
        {find}
        if m is None:
            m = miss(l)
        m.rows += 1
        k = m.kind
        if k == 1:
            {one(self.mapped_tail, m_stmts, m_expr)}
        elif k == 0:
            {one(self.unmapped_tail, u_stmts, u_expr)}
        elif k == 2:{stmts(m_stmts) or pad + "pass"}
            append(b"\\n".join([{m_expr} for c in m.consts]))
"""
        self.source = src
        namespace: dict[str, object] = {}
        exec(compile(src, "<pfocr-remap row loop>", "exec"), namespace)  # noqa: S102
        return namespace["run"]

    def key(self, line: bytes) -> bytes | tuple[bytes, bytes]:
        return self.pick(line.rsplit(b"\t", self.cuts))

    def consts(self, runs: list[tuple[list[int], bool]], values: Sequence[str]
               ) -> tuple[bytes, ...]:
        return tuple((("\t" if lead else "") + "\t".join(values[i] for i in nums))
                     .encode("utf-8") for nums, lead in runs)


def _identity(picks: list[int]) -> int:
    """How many leading output columns are the input's first columns, unchanged."""
    i = 0
    while i < len(picks) and picks[i] == i:
        i += 1
    return i


class ByteReader(TableReader):
    """TableReader's checks on lines of bytes (the text path): UTF-8, the number of fields
    (of every line: a line a field short beside one a field too long do not cancel out, as
    they would in a count over the block), blank lines skipped, CRLF line ends, the longest
    line. Relies on TableReader's ``_data()`` (the next block of whole lines),
    ``_check_utf8()`` (the error of a block that is not UTF-8) and ``line``."""

    def byte_blocks(self) -> Iterator[tuple[list[bytes], int, list[int] | None]]:
        """(lines, number of the first line, line numbers when blank lines were skipped)."""
        n = len(self.header)
        while True:
            data = self._data()  # whole lines; a line over the limit is named
            if not data:
                return
            raw = data
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n")
            lines = data.split(b"\n")
            if lines[-1] == b"":
                lines.pop()
            if not raw.isascii():  # UTF-8: only the lines that are not ASCII are decoded
                try:  # (a line feed never ends or starts a character: lines check alone)
                    b"\n".join(filterfalse(bytes.isascii, lines)).decode("utf-8")
                except UnicodeDecodeError:
                    self._check_utf8(raw)  # the error naming the line, as TableReader's
            first = self.line + 1
            self.line += len(lines)
            numbers = None
            if b"" in lines:
                numbers = [first + i for i, line in enumerate(lines) if line]
                lines = [line for line in lines if line]
            if lines and set(map(bytes.count, lines, repeat(b"\t"))) != {n - 1}:
                field_count_error(lines, n, first, numbers, self.name)
            yield lines, first, numbers


class Entry:
    """What a (term, species) key becomes in the text path: ``kind`` 1 mapped, 0 unmapped,
    2 several result entries (a family, several orthologs), 3 dropped (--unmapped drop);
    ``consts`` the output constants (a list of them for kind 2); ``rows`` the rows read;
    ``tail`` the constant that ends a line whose occurrences is 1 (TextLayout.tail()), or
    None. Slots: the row loop reads them straight from the object (one memory access fewer
    per row than a list's items, which counts with 100,000s of keys)."""

    __slots__ = ("kind", "consts", "rows", "tail")

    def __init__(self, kind: int, consts: tuple[bytes, ...] | list[tuple[bytes, ...]],
                 tail: bytes | None = None) -> None:
        self.kind = kind
        self.consts = consts
        self.rows = 0
        self.tail = tail


class TextRemap:
    """The remapped rows of a table read as bytes: each distinct (term, species) key is
    resolved once (in batches) and kept as a compact entry, its output constants and row
    count; its report row goes to a temporary file until the counts are known."""

    def __init__(self, header_in: Sequence[str], opts: Options, backend,  # noqa: ANN001
                 with_version: bool, name: str):
        self.opts = opts
        self.backend = backend
        self.with_version = with_version
        self.version: str | None = None
        self.name = name
        self.header = out_header(header_in, opts)
        self.layout = TextLayout(header_in, self.header, opts)
        # --unmapped drop: a figure whose first row (the one holding the per-figure columns,
        # in a table that writes them once) is dropped gets them on its first written row
        head = tuple(COLUMNS[:1 + len(SHARED_COLUMNS)])
        self.carry = (opts.unmapped == "drop" and tuple(header_in[:len(head)]) == head
                      and tuple(self.header[:len(head)]) == head)
        self.in_fig: bytes | None = None  # the last figure read and the start of its first row
        self.in_head = b""
        self.out_fig: bytes | None = None  # the last figure written
        # key -> Entry. Two-column keys (term, taxid) are kept as taxid -> term -> entry, and
        # the row loop is given the taxid table's get(): taxid -> that species' get()
        self.memo: dict[object, Entry] = {}
        self.by_species: dict[bytes, dict[bytes, Entry]] = {}
        self.species_get: dict[bytes, object] = {}
        self.get = self.memo.get if opts.species else self.species_get.get
        # the keys' entries in first-seen order (their row counts), and their report rows
        # without the count, spooled to a temporary file (memory: a pointer per key)
        self.entries: list[Entry] = []
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.spooled = array("Q")  # the byte length of each spooled report row
        self.statuses: Counter[str] = Counter()
        self.sp_all = "|".join(opts.species)
        self.target_name = organism_name(opts.ortholog_to) if opts.ortholog_to else ""
        self.good_taxids: set[bytes] = set()
        self.block: tuple[list[bytes], int, list[int] | None] | None = None  # being run
        self.after = 0  # the line after the last miss window of the block
        self.window = MISS_WINDOW

    def check_taxids(self, keys: Iterable, lines: list[bytes], first: int,
                     numbers: list[int] | None) -> None:
        """Row species must be NCBI taxids (one-line error naming the first such line)."""
        if self.opts.species:
            return
        for _, taxid in keys:
            if taxid in self.good_taxids:
                continue
            if not taxid.isdigit():  # ASCII digits only
                for i, line in enumerate(lines):
                    if self.layout.key(line)[1] == taxid:  # type: ignore[index]
                        where = numbers[i] if numbers is not None else first + i
                        raise DataError(f"taxid {taxid.decode('utf-8')!r} is not an NCBI "
                                        "taxid", self.name, where)
            self.good_taxids.add(taxid)

    def resolve(self, keys: Sequence, all_taxids: Sequence[str] | None = None) -> None:
        """Resolve new keys (bytes; in first-seen order) and remember their entries."""
        opts = self.opts
        if opts.species:
            pairs = [(k.decode("utf-8"), self.sp_all) for k in keys]
        else:
            pairs = [(t.decode("utf-8"), sp.decode("utf-8")) for t, sp in keys]
        try:
            resolved = resolve_keys(pairs, self.backend, opts, all_taxids)
        except DataError as exc:
            if exc.path is None:
                exc.path = self.name
            raise DataError(exc.message, exc.path, exc.line) from None
        if self.version is None:
            self.version = self.backend.data_version() if self.with_version else ""
        layout = self.layout
        drop = opts.unmapped == "drop"
        for key, pair, (entries, head) in zip(keys, pairs, resolved, strict=True):
            values = [[g, clean(sym), opts.ortholog_to, self.target_name, ens, uni, st, match,
                       fam] for g, sym, _taxid, ens, uni, st, match, fam in entries]
            if len(entries) > 1:
                m = Entry(2, [layout.consts(layout.mapped[2], v) for v in values])
            elif entries[0][0]:
                m = Entry(1, layout.consts(layout.mapped[2], values[0]))
                if layout.mapped_tail is not None:
                    m.tail = layout.tail(layout.mapped_tail, values[0], pair)
            else:
                m = Entry(3 if drop else 0, layout.consts(layout.unmapped[2], values[0]))
                if layout.unmapped_tail is not None and not drop:
                    m.tail = layout.tail(layout.unmapped_tail, values[0], pair)
            if opts.species:
                self.memo[key] = m
            else:
                table = self.by_species.get(key[1])
                if table is None:
                    table = self.by_species[key[1]] = {}
                    self.species_get[key[1]] = table.get
                table[key[0]] = m
            self.entries.append(m)
            self.spooled.append(self.spool.write(("\t".join(head) + "\t").encode("utf-8")))
            self.statuses[head[2]] += 1

    def lines(self, lines: list[bytes], first: int, numbers: list[int] | None) -> list[bytes]:
        """The output lines of a block of input lines (keys not seen before are resolved)."""
        out: list[bytes] = []
        self.block = (lines, first, numbers)
        self.after, self.window = 0, MISS_WINDOW
        self.layout.run(lines, self.get, out, self.miss)
        self.block = None
        if self.carry:
            self._carry_heads(lines, out)
        return out

    def miss(self, line: bytes) -> Entry:
        """The entry of a line whose key is not known yet (called by the row loop). The new
        keys of a window of lines from this one on are resolved at once, in first-seen order
        (new keys come in clusters: a figure's); the window doubles with each miss in a
        block, so a block of new keys costs a few backend calls."""
        assert self.block is not None
        lines, first, numbers = self.block
        layout = self.layout
        # the lines before `after` have known keys, so the first equal line is this one
        i = lines.index(line, self.after)
        self.after = i + self.window
        window = lines[i:self.after]
        self.window = min(2 * self.window, MISS_WINDOW_MAX)
        keys = list(filter(self.unknown, dict.fromkeys(
            map(layout.pick, map(methodcaller("rsplit", b"\t", layout.cuts), window)))))
        self.check_taxids(keys, lines, first, numbers)
        self.resolve(keys)
        key = layout.key(line)
        if self.opts.species:
            return self.memo[key]
        return self.by_species[key[1]][key[0]]  # type: ignore[index]

    def _carry_heads(self, lines: list[bytes], out: list[bytes]) -> None:
        """With --unmapped drop: the figures whose first written row has empty per-figure
        columns get those of their first input row (the table writes them once per figure
        and that row was dropped). A table that repeats them is left as it is."""
        n = len(SHARED_COLUMNS)
        heads: dict[bytes, bytes] = {}
        fig, head = self.in_fig, self.in_head
        if fig is not None:
            heads[fig] = head
        for line in lines:
            t = line.find(b"\t")
            if line[:t] != fig:
                fig = line[:t]
                end = t
                for _ in range(n):
                    end = line.find(b"\t", end + 1)
                head = line[:end + 1] if end >= 0 else b""
                heads.setdefault(fig, head)
        self.in_fig, self.in_head = fig, heads.get(fig, head) if fig is not None else b""
        prev = self.out_fig
        for i, line in enumerate(out):
            t = line.find(b"\t")
            if line[:t] == prev:
                continue
            prev = line[:t]
            empty = prev + b"\t" * (n + 1)
            head = heads.get(prev, b"")
            if line.startswith(empty) and len(head) > len(empty):
                out[i] = head + line[len(empty):]
        self.out_fig = prev

    def unknown(self, key: object) -> bool:
        if self.opts.species:
            return key not in self.memo
        return key[0] not in self.by_species.get(key[1], ())  # type: ignore[index]

    def rows_written(self) -> int:
        return sum(m.rows * (len(m.consts) if m.kind == 2 else m.kind != 3)
                   for m in self.entries)

    def rows_read(self) -> int:
        return sum(m.rows for m in self.entries)

    def write_report(self, handle) -> None:  # noqa: ANN001
        handle.write("\t".join(REPORT_COLUMNS) + "\n")
        tail = f"\t{self.backend.name}\t{self.version or ''}\n"
        self.spool.seek(0)
        read = self.spool.read
        for m, size in zip(self.entries, self.spooled, strict=True):
            handle.write(f"{read(size).decode('utf-8')}{m.rows}{tail}")

    def close(self) -> None:
        self.spool.close()


def _keys_first(src: str, name: str, text: TextRemap) -> None:
    """MyGene.info: read the distinct keys first, then resolve them in batches of KEY_BATCH
    terms (every query full, as few requests as one batch would need)."""
    layout = text.layout
    counts: Counter = Counter()
    with ByteReader(src, name=name) as reader:
        for lines, first, numbers in gc_paused(reader.byte_blocks()):
            parts = list(map(methodcaller("rsplit", b"\t", layout.cuts), lines))
            terms = map(itemgetter(layout.key_idx[0]), parts)
            if len(layout.key_idx) == 1:
                keys = terms
            else:
                taxids = list(map(itemgetter(layout.key_idx[1]), parts))
                new = set(taxids) - text.good_taxids
                if new:  # checked in the order of the rows (the first bad one is named)
                    text.check_taxids([(b"", t) for t in dict.fromkeys(taxids) if t in new],
                                      lines, first, numbers)
                keys = zip(terms, taxids, strict=True)
            counts.update(keys)
    keys_all = list(counts)
    del counts
    if text.opts.species:
        all_taxids = list(text.opts.species)
        term_of = (lambda k: k)  # noqa: E731
    else:
        all_taxids = sorted({k[1].decode("utf-8") for k in keys_all}, key=int)
        term_of = itemgetter(0)
    start = 0
    while start < len(keys_all):
        terms: set[bytes] = set()
        end = start
        while end < len(keys_all):
            t = term_of(keys_all[end])
            if t not in terms:
                if len(terms) >= KEY_BATCH:
                    break
                if t.strip():
                    terms.add(t)
            end += 1
        text.resolve(keys_all[start:end], all_taxids)
        docs = getattr(text.backend, "docs", None)
        if docs is not None:  # the documents of one batch are not needed by the next
            docs.clear()
        start = end


def apply(df: pd.DataFrame, codes: np.ndarray, p: Plan) -> pd.DataFrame:
    """The remapped rows of (a block of whole figures of) a table; ``codes``: the key code
    of every row."""
    import numpy as np
    import pandas as pd

    opts = p.opts
    col = opts.from_
    target = opts.ortholog_to
    target_name = p.target_name
    per_key, first, n_keys = p.per_key, p.first, len(p.per_key)
    codes_arr = np.asarray(codes, dtype=np.int64)
    base = df.drop(columns=[c for c in ("ensembl", "uniprot", "remap_status", "remap_match",
                                        "remap_family") if c in df.columns])
    if col == "word":
        # a word is looked up again, so the rows it had (one per old gene) all give the same
        # genes: keep the first row per (figure, word, species) whose word maps; rows of
        # unmapped words stay as they were
        key_mapped = p.key_mapped
        fig_codes = pd.factorize(base["figid"])[0].astype(np.int64)
        dup = pd.Series(fig_codes * max(1, n_keys) + codes_arr).duplicated(keep="first")
        keep = ~(dup.to_numpy() & key_mapped[codes_arr])
        if not keep.all():
            base = base[keep]
            codes_arr = codes_arr[keep]
    counts_rows = per_key[codes_arr]
    if bool((counts_rows == 1).all()):
        entry_idx = first[codes_arr]
        out_df = base.reset_index(drop=True)
    else:
        row_idx = np.repeat(np.arange(len(base)), counts_rows)
        starts = np.repeat(np.cumsum(counts_rows) - counts_rows, counts_rows)
        entry_idx = np.repeat(first[codes_arr], counts_rows) + (np.arange(len(row_idx)) - starts)
        out_df = base.take(row_idx).reset_index(drop=True)
    for name, values in _entry_values(p).items():
        out_df[name] = values[entry_idx]
    mapped = out_df["_gene"] != ""
    if opts.unmapped == "drop":
        out_df = out_df[mapped].reset_index(drop=True)
        mapped = out_df["_gene"] != ""

    replace_ids = "entrez" in opts.to or bool(target) or col == "word"
    replace_symbols = "symbol" in opts.to or bool(target) or col == "word"
    columns = list(df.columns)
    if replace_ids:
        if "source_gene_id" not in columns:
            columns.insert(columns.index("gene_id") + 1, "source_gene_id")
            out_df["source_gene_id"] = out_df["gene_id"]
        out_df["gene_id"] = out_df["_gene"].where(mapped, out_df["gene_id"])
    if replace_symbols:
        if "source_symbol" not in columns:
            columns.insert(columns.index("symbol") + 1, "source_symbol")
            out_df["source_symbol"] = out_df["symbol"]
        out_df["symbol"] = out_df["_symbol"].where(mapped, out_df["symbol"])
    if target:
        out_df["taxid"] = out_df["taxid"].where(~mapped, target)
        out_df["organism"] = out_df["organism"].where(~mapped, target_name)
    if col == "word":
        out_df["match"] = out_df["match"].where(~mapped, out_df["word"])
        out_df["source"] = out_df["source"].where(
            ~mapped, out_df["remap_match"].map(WORD_SOURCES).fillna(out_df["source"]))
    for extra_col in ("ensembl", "uniprot"):
        if extra_col in opts.to:
            columns.append(extra_col)
    columns += ["remap_status", "remap_match"]
    if col == "word":
        columns.append("remap_family")
    out_df = out_df[columns]
    return out_df


# --------------------------------------------------------------------------------------------
# command line


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, DESCRIPTION)
    parser.add_argument("input", metavar="IN.tsv",
                        help="figure gene table (from pfocr-extract / pfocr-filter), or - for "
                             "standard input")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.tsv",
                        help="remapped figure gene table to write, - for standard output")
    parser.add_argument("--backend", choices=("local", "mygene"), default="local",
                        help="local: the offline gene index (default); mygene: MyGene.info "
                             "(network)")
    parser.add_argument("--from", dest="from_", choices=("gene_id", "symbol", "word"),
                        default="gene_id", help="column to look up (default: gene_id)")
    parser.add_argument("--species", default="", metavar="NAME[,NAME]",
                        help="species to look terms up in: MyGene.info names or taxids, "
                             "comma-separated (default: each row's taxid)")
    parser.add_argument("--to", default="entrez", metavar="ID[,ID]",
                        help="comma-separated: entrez (replace gene_id, keep the old one in "
                             "source_gene_id), symbol (replace symbol, old in source_symbol), "
                             "ensembl, uniprot (new columns). Default: entrez")
    parser.add_argument("--ortholog-to", default="", metavar="NAME",
                        help="species: rows become that species' orthologous genes "
                             "(taxid, organism, gene_id and symbol updated)")
    parser.add_argument("--unmapped", choices=("keep", "drop"), default="keep",
                        help="rows that map to no single gene: keep as they are (default) or "
                             "drop")
    parser.add_argument("--report", metavar="REPORT.tsv",
                        help="write one row per distinct query term here (TSV)")
    parser.add_argument("--index", metavar="INDEX",
                        help="gene index file for --backend local (default: the one shipped "
                             "in the package; .sqlite or .sqlite.gz)")
    net = parser.add_argument_group("MyGene.info (--backend mygene)")
    net.add_argument("--mygene-url", default=None, metavar="URL",
                     help="API base URL (default https://mygene.info/v3)")
    net.add_argument("--email", metavar="ADDRESS",
                     help="your e-mail, sent to MyGene.info (polite use)")
    net.add_argument("--cache-dir", metavar="DIR",
                     help="cache directory for MyGene.info answers and the unpacked gene index "
                          "(default: $PFOCR_CACHE_DIR or ~/.cache/pfocr-tools)")
    net.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    net.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                     help="seconds to wait for an answer (default 60)")
    net.add_argument("--retries", type=int, default=5, metavar="N",
                     help="retries on 429 / 5xx / connection errors (default 5)")
    net.add_argument("--backoff", type=float, default=1.0, metavar="SECONDS",
                     help="first retry delay in seconds, doubled each time; a Retry-After "
                          "header wins (default 1)")
    return parser


def make_backend(args: argparse.Namespace):  # noqa: ANN201
    if args.backend == "local":
        return LocalBackend(geneindex.GeneIndex(args.index, cache_dir=args.cache_dir))
    from .mygene_backend import DEFAULT_URL, MyGeneClient

    cache_dir = None
    if not args.no_cache:
        cache_dir = args.cache_dir or str(geneindex.writable_dir(geneindex.user_cache_dir()))
    client = MyGeneClient(url=args.mygene_url or DEFAULT_URL, email=args.email,
                          cache_dir=cache_dir, timeout=args.timeout, retries=args.retries,
                          backoff=args.backoff, log=log)
    families = None
    if args.from_ == "word":
        families = geneindex.GeneIndex(args.index, cache_dir=args.cache_dir)
    return MygeneBackend(client, families)


def _body(args: argparse.Namespace) -> int:
    to = tuple(t.strip() for t in args.to.split(",") if t.strip())
    bad = [t for t in to if t not in TO_CHOICES]
    if bad or not to:
        raise UsageError(f"--to: expected some of {', '.join(TO_CHOICES)}, got {args.to!r}")
    check_retry_options(args.timeout, args.retries, args.backoff)
    species = parse_species(args.species) if args.species else ()
    target = parse_species(args.ortholog_to, "--ortholog-to") if args.ortholog_to else ()
    if len(target) > 1:
        raise UsageError("--ortholog-to takes one species")
    check_outputs([args.input, args.index], [("-o", args.output), ("--report", args.report)])
    opts = Options(from_=args.from_, species=species, to=to,
                   ortholog_to=target[0] if target else "", unmapped=args.unmapped)
    with rereadable(args.input) if args.backend != "local" or opts.from_ == "word" \
            else contextlib.nullcontext(args.input) as src:
        if opts.from_ != "word":
            return _text(src, args, opts)
        try:
            keys = _collect_keys(src, args.input, opts)
        except NotGrouped as exc:
            log_reading_whole(exc)
            return _whole(src, args, opts)
        key_code, pairs, counts, n_rows = keys
        if n_rows == 0:  # e.g. a shard with no rows of the chosen organism: pass it on
            log.warning("warning: %s has a header but no rows; writing a table without rows",
                        args.input)
        backend = make_backend(args)
        p = _plan(pairs, counts, backend, opts, bool(args.report), n_rows, args.input)
        import numpy as np

        with contextlib.ExitStack() as stack:  # both files, or neither
            if args.report:
                with_report = stack.enter_context(open_output(args.report))
                write_rows(with_report, p.report, REPORT_COLUMNS)
            statuses = Counter(r[2] for r in p.report)
            n_terms = len(p.report)
            p.report = []  # one row per distinct key: not needed any more
            reader = stack.enter_context(TableReader(src, name=args.input))
            out = stack.enter_context(open_output(args.output))
            header = apply(_empty(reader.header), np.zeros(0, dtype=np.int64), p).columns
            out.write("\t".join(header) + "\n")
            n_out = 0
            for block in reader.blocks("figid", grouped=False):
                terms = block.column(opts.from_)
                if opts.species:
                    sp_all = "|".join(opts.species)
                    codes = [key_code[(t, sp_all)] for t in terms]
                else:
                    codes = list(map(key_code.__getitem__,
                                     zip(terms, block.column("taxid"), strict=True)))
                frame = apply(block.frame(object), np.asarray(codes, dtype=np.int64), p)
                n_out += len(frame)
                write_frame(out, frame)
    _log_done(statuses, n_terms, n_out, backend)
    return 0


def _text(src: str, args: argparse.Namespace, opts: Options) -> int:
    """Remap with the text path (every --from but word). Local backend: one pass, the keys
    resolved block by block as they first appear; MyGene.info: the distinct keys first (one
    pass), resolved in batches, then the rows."""
    with contextlib.ExitStack() as stack:  # both files, or neither
        reader = stack.enter_context(ByteReader(src, name=args.input))
        if opts.from_ not in reader.header:
            raise DataError(f"not a figure gene table: missing column {opts.from_}",
                            args.input, 1)
        backend = make_backend(args)
        text = TextRemap(reader.header, opts, backend, bool(args.report), args.input)
        stack.callback(text.close)
        if backend.name != "local":
            _keys_first(src, args.input, text)
        report = stack.enter_context(open_output(args.report)) if args.report else None
        out = stack.enter_context(open_output(args.output))
        out.write("\t".join(text.header) + "\n")
        buf = getattr(out, "buffer", None)
        if buf is not None:
            out.flush()
            write = buf.write
        else:  # a text stream without a buffer (e.g. captured standard output)
            def write(data: bytes) -> None:
                out.write(data.decode("utf-8"))
        # the cyclic GC paused (a full collection every GC_EVERY blocks): the keys' entries
        # and what resolving them makes would be scanned again and again (110,000 keys: 11 %)
        for lines, first, numbers in gc_paused(reader.byte_blocks()):
            rows = text.lines(lines, first, numbers)
            if rows:
                rows.append(b"")  # the last line's end, without copying the block again
                write(b"\n".join(rows))
        if text.rows_read() == 0:  # e.g. a shard with no rows of the chosen organism
            log.warning("warning: %s has a header but no rows; writing a table without rows",
                        args.input)
        log.info("%d rows, %d distinct (term, species) keys (%s backend)",
                 text.rows_read(), len(text.entries), backend.name)
        if report is not None:
            text.write_report(report)
    _log_done(text.statuses, len(text.entries), text.rows_written(), backend)
    return 0


def _empty(header: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype=str) for c in header}, columns=list(header))


def _plan(pairs, counts, backend, opts, with_version, n_rows, name):  # noqa: ANN001, ANN202
    try:
        return plan(pairs, counts, backend, opts, with_version, n_rows)
    except DataError as exc:
        if exc.path is None:
            exc.path = name
        raise DataError(exc.message, exc.path, exc.line) from None


def _collect_keys(src: str, name: str, opts: Options
                  ) -> tuple[dict[tuple[str, str], int], list[tuple[str, str]], dict[int, int],
                             int]:
    """First pass: the distinct (term, species) keys in first-seen order and their row
    counts (a word lookup needs each figure's rows together: NotGrouped otherwise)."""
    key_code: dict[tuple[str, str], int] = {}
    counts: list[int] = []
    n_rows = 0
    good_taxids: set[str] = set()
    sp_all = "|".join(opts.species)
    with TableReader(src, name=name) as reader:
        if opts.from_ not in reader.header:
            raise DataError(f"not a figure gene table: missing column {opts.from_}", name, 1)
        grouped = opts.from_ == "word"
        for block in reader.blocks("figid" if grouped else None, grouped=grouped):
            terms = block.column(opts.from_)
            if opts.species:
                keys = [(t, sp_all) for t in terms]
            else:
                taxids = block.column("taxid")
                for t in set(taxids) - good_taxids:
                    if not (t.isascii() and t.isdigit()):
                        i = taxids.index(t)
                        raise DataError(f"taxid {t!r} is not an NCBI taxid", name,
                                        block.line_number(i))
                    good_taxids.add(t)
                keys = list(zip(terms, taxids, strict=True))
            for k, n in Counter(keys).items():  # Counter keeps first-seen order
                code = key_code.get(k)
                if code is None:
                    code = key_code[k] = len(counts)
                    counts.append(0)
                counts[code] += n
            n_rows += len(block)
    return key_code, list(key_code), dict(enumerate(counts)), n_rows


def _whole(src: str, args: argparse.Namespace, opts: Options) -> int:
    """Remap a table read whole (a word lookup whose figures' rows are scattered)."""
    df = read_table(src, name=args.input)
    if df.empty:
        log.warning("warning: %s has a header but no rows; writing a table without rows",
                    args.input)
    backend = make_backend(args)
    try:
        out, report = remap(df, backend, opts, with_version=bool(args.report))
    except DataError as exc:
        if exc.path is None:
            exc.path = args.input
        raise DataError(exc.message, exc.path, exc.line) from None
    if not args.report:
        write_table(out, args.output)
    else:
        with open_output(args.report) as handle:  # both files, or neither
            write_rows(handle, report, REPORT_COLUMNS)
            write_table(out, args.output)
    # only once both files are in place (issue 14: no "rows written" before a failed write)
    _log_done(Counter(r[2] for r in report), len(report), len(out), backend)
    return 0


def _log_done(statuses: Counter[str], n_terms: int, n_out: int,
              backend) -> None:  # noqa: ANN001
    log.info("%d distinct terms: %s; %d rows written; %d MyGene.info requests" if
             backend.name == "mygene" else "%d distinct terms: %s; %d rows written%s",
             n_terms, ", ".join(f"{v} {k}" for k, v in sorted(statuses.items())),
             n_out, backend.requests if backend.name == "mygene" else "")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    return run(PROG, _body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
