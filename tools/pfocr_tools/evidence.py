"""Organism evidence per figure and the organism call (which species a figure is about).

Evidence, per figure, each a set of NCBI taxids (or group taxids such as 33090, plants):

* weak sources, from PFOCR's own annotation:
  ``record``  - the record's ``organisms`` (old-schema records say Homo sapiens for nearly
  every figure; current-schema records list every species named anywhere in the paper),
  ``ner``     - ``organisms_ner``,
  ``genes``   - the organism(s) whose gene lexicon matched the figure best: the highest
  ``count_match`` of a current-schema genes TSV (the counts are per organism and figure,
  repeated on each row), or Homo sapiens for an old-schema figure with gene rows;
* strong sources, independent of the gene lexicons:
  ``mention`` - species named in the figure title, caption or paper title: the names and
  patterns of ``data/organisms.tsv`` and binomials ("Genus species") of the genera of
  ``data/genera.tsv`` (so "Eschscholzia californica" is a plant mention),
  ``journal`` - a journal whose name places it in a kingdom (Plant, Phytochem..., Yeast,
  Mycol..., Bacteriol, Virol, Insect),
  ``mesh``    - PubMed's MeSH organism headings of the paper (opt-in, see pubmed.py).

The call, for each organism O named by any source (a *candidate*):

* strong evidence X *contradicts* O unless they are compatible: the same taxid; both mammals;
  both plants, both fungi, both bacteria, both protists or both viruses; a genus and one of
  its species; one a group that holds the other's group (plants / Viridiplantae holds Arabidopsis,
  Animals holds mammals, vertebrates, invertebrates, Vertebrata holds mammals and
  vertebrates); a virus named beside an animal (viruses are studied in their hosts); or a
  bacterium, protist or fungus named beside an animal in a host context (the text says host,
  infection, immune, inflammation, pathogen, virulence);
* ``conflict``: some strong evidence contradicts O;
* ``high``: no contradiction and a strong source names O;
* ``medium``: no contradiction, no strong source, two or more weak sources name O;
* ``low``: no contradiction, one weak source.

``EvidenceGate`` (``pfocr-filter --evidence``) keeps a figure when a wanted organism's call
is at least LEVEL (high > medium > low; conflict never).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from . import organisms

CONFIDENCES = ("high", "medium", "low", "conflict")
LEVELS = {"high": 3, "medium": 2, "low": 1, "conflict": 0}
WEAK = ("record", "ner", "genes")
STRONG = ("mention", "journal", "mesh")
SOURCES = WEAK + STRONG
ANIMALS = frozenset({"Mammals", "Vertebrates", "Invertebrates"})
MICROBES = frozenset({"Bacteria", "Protists", "Fungi"})
#: group taxids and the groups they hold
CLADES: dict[str, frozenset[str]] = {
    "33208": ANIMALS,  # Metazoa (MeSH Animals)
    "7742": frozenset({"Mammals", "Vertebrates"}),  # Vertebrata
    "40674": frozenset({"Mammals"}),  # Mammalia
    "50557": frozenset({"Invertebrates"}),  # Insecta
    "33090": frozenset({"Plants"}),
    "4751": frozenset({"Fungi"}),
    "2": frozenset({"Bacteria"}),
    "10239": frozenset({"Viruses"}),
}
MAMMAL_GROUPS = frozenset({"Mammals", "Primates", "Rodents"})
HOST_CONTEXT = re.compile(
    r"\b(?:hosts?|infect\w*|immun\w*|inflamm\w*|pathogen\w*|virulen\w*|antivir\w*|"
    r"antibacter\w*|antimicrob\w*|sepsis|septic)\b", re.IGNORECASE)
#: journal name words -> group taxid (matched on the journal title, NLM abbreviation or
#: reference text, case-sensitive on the capitalised word)
JOURNAL_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:Plants?|Phytochem\w*|Phytol\w*|Phytopathol\w*|Bot|Botan\w*|Crop|"
                r"Hortic\w*|Agron\w*|Arabidopsis|Photosynth\w*)\b"), "33090"),
    (re.compile(r"\b(?:Yeast|Fungal|Mycol\w*|Mycolog\w*)\b"), "4751"),
    (re.compile(r"\b(?:Bacteriol\w*)\b"), "2"),
    (re.compile(r"\b(?:Virol\w*|Viruses)\b"), "10239"),
    (re.compile(r"\bInsects?\b"), "50557"),
)
BINOMIAL = re.compile(r"(?<![\w-])([A-Z][a-z]{2,})\s+([a-z][a-z-]{2,})(?![\w-])")


@dataclass(frozen=True)
class Taxon:
    taxid: str
    name: str
    group: str


@lru_cache(maxsize=1)
def genera() -> dict[str, Taxon]:
    """Genus name -> its taxon (``data/genera.tsv``)."""
    text = resources.files("pfocr_tools").joinpath("data/genera.tsv").read_text("utf-8")
    return {r["genus"]: Taxon(r["taxid"], r["genus"], r["group"])
            for r in csv.DictReader(text.splitlines(), delimiter="\t")}


@lru_cache(maxsize=1)
def _taxa() -> dict[str, Taxon]:
    from .pubmed import mesh_organisms

    out: dict[str, Taxon] = {}
    for g in genera().values():
        out.setdefault(g.taxid, g)
    for m in mesh_organisms().values():
        out[m.taxid] = Taxon(m.taxid, m.scientific_name, m.group)
    for org in organisms.organisms():
        group = "Mammals" if org.group in MAMMAL_GROUPS else org.group
        out[org.taxid] = Taxon(org.taxid, org.scientific_name, group)
    return out


def taxon(taxid: str) -> Taxon:
    return _taxa().get(taxid) or Taxon(taxid, f"taxid {taxid}", "")


def name_taxid(name: str) -> str | None:
    """Taxid of an organism name as records write it: a known name, a strain of a known
    species (first two words), else the genus of a known genus."""
    name = " ".join(name.split())
    if not name or name == "NA":
        return None
    taxid = organisms.name_to_taxid(name)
    words = name.split(" ")
    if taxid is None and len(words) > 2:
        taxid = organisms.name_to_taxid(" ".join(words[:2]))
    if taxid is None:
        genus = genera().get(words[0].rstrip(","))
        taxid = genus.taxid if genus is not None else None
    return taxid


def names_taxids(names: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for cell in names:
        for part in str(cell).split("|"):
            for name in part.split(","):
                taxid = name_taxid(name)
                if taxid is not None:
                    out.add(taxid)
    return _sorted(out)


def binomial_taxids(*texts: str) -> list[str]:
    """Taxids named by binomials of the shipped genera: the species' own taxid when the
    organism table knows it, else the genus's."""
    out: set[str] = set()
    table = genera()
    for text in texts:
        for m in BINOMIAL.finditer(text):
            genus = table.get(m.group(1))
            if genus is None:
                continue
            out.add(organisms.name_to_taxid(f"{m.group(1)} {m.group(2)}") or genus.taxid)
    return _sorted(out)


def journal_taxids(*names: str) -> list[str]:
    out = {taxid for text in names for pattern, taxid in JOURNAL_WORDS if pattern.search(text)}
    return _sorted(out)


def _sorted(taxids: Iterable[str]) -> list[str]:
    return sorted(set(taxids), key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t))


@dataclass
class FigureFacts:
    """What the call is made from. ``mesh`` is None when PubMed was not asked."""

    figid: str
    pmcid: str = ""
    alias: str = ""
    record: Sequence[str] = ()  # organism names, as in the record
    ner: Sequence[str] = ()
    gene_counts: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)
    texts: Sequence[str] = ()  # figure title, caption, paper title
    journal: Sequence[str] = ()  # journal title, NLM abbreviation, reference text
    mesh: Sequence[str] | None = None  # MeSH organism taxids
    mentions: Sequence[str] | None = None  # organisms.mentioned_taxids(*texts), if known


@dataclass(frozen=True)
class Evidence:
    """The taxids each source names for one figure, and whether the text is a host context."""

    sources: dict[str, tuple[str, ...]]
    host_context: bool
    mesh_asked: bool

    def naming(self, taxid: str) -> tuple[str, ...]:
        return tuple(s for s in SOURCES if taxid in self.sources[s])


def gather(facts: FigureFacts) -> Evidence:
    counts = facts.gene_counts
    top = max((c[2] for c in counts.values()), default=0)
    genes = [t for t, c in counts.items() if top > 0 and c[2] == top]
    texts = [t for t in facts.texts if t]
    named = facts.mentions if facts.mentions is not None else \
        organisms.mentioned_taxids(*texts)
    mention = set(named) | set(binomial_taxids(*texts))
    sources = {
        "record": tuple(names_taxids(facts.record)),
        "ner": tuple(names_taxids(facts.ner)),
        "genes": tuple(_sorted(genes)),
        "mention": tuple(_sorted(mention)),
        "journal": tuple(journal_taxids(*facts.journal)),
        "mesh": tuple(_sorted(facts.mesh or ())),
    }
    host = any(HOST_CONTEXT.search(t) for t in texts)
    return Evidence(sources, host, facts.mesh is not None)


def compatible(candidate: str, other: str, host_context: bool) -> bool:
    """False if a strong source naming ``other`` contradicts ``candidate`` (see the rule)."""
    if candidate == other:
        return True
    ta, tb = taxon(candidate), taxon(other)
    a, b = ta.group, tb.group
    clade_a, clade_b = CLADES.get(candidate), CLADES.get(other)
    if clade_a is not None and (b in clade_a or (clade_b is not None and clade_b <= clade_a)):
        return True
    if clade_b is not None and (a in clade_b or (clade_a is not None and clade_a <= clade_b)):
        return True
    if a in MAMMAL_GROUPS and b in MAMMAL_GROUPS:
        return True
    if a and a == b and a not in ANIMALS:
        return True  # two plants, two fungi, two bacteria ...
    if ta.name.startswith(tb.name + " ") or tb.name.startswith(ta.name + " "):
        return True  # a genus and one of its species
    animal_a = a in ANIMALS or bool(clade_a and clade_a & ANIMALS)
    animal_b = b in ANIMALS or bool(clade_b and clade_b & ANIMALS)
    if (animal_a and b == "Viruses") or (animal_b and a == "Viruses"):
        return True
    return host_context and ((animal_a and b in MICROBES) or (animal_b and a in MICROBES))


@dataclass(frozen=True)
class Call:
    figid: str
    taxid: str
    organism: str
    group: str
    confidence: str
    support: tuple[str, ...]  # sources naming the organism
    against: tuple[tuple[str, str], ...]  # (source, taxid) of contradicting strong evidence

    @property
    def level(self) -> int:
        return LEVELS[self.confidence]

    def describe(self) -> str:
        """``Homo sapiens conflict (record, ner, genes; against mention Eschscholzia)``."""
        parts = [", ".join(self.support)]
        if self.against:
            parts.append("against " + ", ".join(f"{s} {taxon(t).name}"
                                                 for s, t in self.against))
        return f"{self.organism} {self.confidence} ({'; '.join(parts)})"


def call(facts: FigureFacts, evidence: Evidence | None = None) -> list[Call]:
    """One call per candidate organism, best first (then by taxid)."""
    ev = evidence or gather(facts)
    candidates = {t for ts in ev.sources.values() for t in ts}
    calls = []
    for cand in candidates:
        support = ev.naming(cand)
        against = tuple((s, t) for s in STRONG for t in ev.sources[s]
                        if not compatible(cand, t, ev.host_context))
        if against:
            confidence = "conflict"
        elif any(s in STRONG for s in support):
            confidence = "high"
        elif len(support) >= 2:
            confidence = "medium"
        else:
            confidence = "low"
        info = taxon(cand)
        calls.append(Call(facts.figid, cand, info.name, info.group, confidence, support,
                          against))
    calls.sort(key=lambda c: (-c.level, int(c.taxid) if c.taxid.isdigit() else 0, c.taxid))
    return calls


def at_least(level: str) -> frozenset[str]:
    """The confidences that pass ``--evidence level``."""
    want = LEVELS[level]
    return frozenset(c for c, n in LEVELS.items() if n >= want and c != "conflict")


def decide(calls: Sequence[Call], wanted: Iterable[str], level: str) -> tuple[bool, str]:
    """Keep a figure for the ``wanted`` taxids at ``level``? And why, naming the evidence."""
    wanted = list(wanted)
    ok = at_least(level)
    mine = [c for c in calls if c.taxid in wanted]
    good = [c for c in mine if c.confidence in ok]
    if good:
        return True, "evidence: " + "; ".join(c.describe() for c in good)
    if mine:
        return False, "evidence below " + level + ": " + "; ".join(c.describe() for c in mine)
    named = "; ".join(c.describe() for c in calls[:3])
    return False, "no evidence for the organism" + (f" (calls: {named})" if named else "")


def format_counts(counts: Mapping[str, tuple[int, int, int]]) -> str:
    """``9606:8/11/16|10090:8/10/14`` (taxid: direct/synonym/match)."""
    return "|".join(f"{t}:{d}/{s}/{m}" for t, (d, s, m) in
                    sorted(counts.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0))


def format_calls(calls: Sequence[Call]) -> str:
    """``3466:high|9606:conflict``."""
    return "|".join(f"{c.taxid}:{c.confidence}" for c in calls)


# --------------------------------------------------------------------------- from records

JOURNAL_KEYS = ("journal_title", "journal_nlm_ta", "reftext")
#: a top-level ``key: value`` of the front matter, with its indented continuation lines
_JOURNAL_FIELD = re.compile(
    r"^(?:journal_title|journal_nlm_ta|reftext):[ \t]*(.*(?:\r?\n[ \t]+\S.*)*)", re.MULTILINE)


def journal_fields(front_matter: str) -> list[str]:
    """The journal title, NLM abbreviation and reference text of a page's front matter, read
    by pattern (a second YAML parse would double the cost; the values only feed the journal
    word match, so YAML quoting is merely stripped)."""
    out = []
    for m in _JOURNAL_FIELD.finditer(front_matter):
        value = " ".join(m.group(1).split())
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            out.append(value)
    return out


def gene_counts_tsv(data: bytes, label: str) -> dict[str, tuple[int, int, int]]:
    """Per-organism ``(count_direct, count_synonym, count_match)`` of a current-schema genes
    TSV (the same on every row of an organism); ``{}`` when the TSV has no count columns."""
    from .errors import DataError
    from .records import decode

    lines = decode(data, label).splitlines()
    if not lines:
        return {}
    col = {name.strip(): i for i, name in enumerate(lines[0].split("\t"))}
    keys = ("organism_id", "count_direct", "count_synonym", "count_match")
    if not all(k in col for k in keys):
        return {}
    idx = [col[k] for k in keys]
    out: dict[str, tuple[int, int, int]] = {}
    for n, line in enumerate(lines[1:], 2):
        if not line:
            continue
        cells = line.split("\t")
        try:
            taxid, d, s, m = (cells[i] for i in idx)
            counts = (_count(d), _count(s), _count(m))
        except (IndexError, ValueError):
            raise DataError("bad organism_id / count_* fields", label, n) from None
        if taxid not in out:
            out[taxid] = counts
    return out


def _count(cell: str) -> int:
    """A count cell: ``NA`` or empty is 0 (PFOCR writes NA for an organism with no synonym
    matches)."""
    cell = cell.strip()
    return 0 if cell in ("", "NA") else int(cell)


def facts_from_record(page_data: bytes, tsv_data: bytes | None, label: str,
                      tsv_label: str = "") -> FigureFacts:
    """The facts of one record page (and its genes TSV, for a current-schema record)."""
    from .records import decode, parse_page, split_front_matter

    page = parse_page(page_data, label)
    journal = journal_fields(split_front_matter(decode(page_data, label), label))
    if page.genes is not None:
        n = len(page.genes)
        counts = {"9606": (n, 0, n)} if n else {}
    else:
        counts = gene_counts_tsv(tsv_data, tsv_label or label) if tsv_data else {}
    m = page.meta
    return FigureFacts(figid=page.figid, pmcid=m["pmcid"], alias=m["figid_alias"],
                       record=page.organisms,
                       ner=page.organisms_ner, gene_counts=counts,
                       texts=(m["figtitle"], m["caption"], m["papertitle"]), journal=journal,
                       mentions=page.mentions)


# --------------------------------------------------------------------------- evidence tables

#: the columns of a pfocr-organisms table that pfocr-filter needs
TABLE_REQUIRED = ("figid", "taxid", "organism", "group", "confidence", "against")


def read_calls(path: str) -> dict[str, list[Call]]:
    """figid -> its calls, from a pfocr-organisms table (``-`` is standard input).

    A missing column, an unknown confidence or a short row is a DataError naming the file
    and line."""
    import sys

    from .errors import DataError

    out: dict[str, list[Call]] = {}
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    with handle:
        try:
            header = handle.readline().rstrip("\r\n").split("\t")
        except UnicodeDecodeError:
            raise DataError("not UTF-8 text", path, 1) from None
        col = {name: i for i, name in enumerate(header)}
        missing = [c for c in TABLE_REQUIRED if c not in col]
        if missing:
            raise DataError("not a pfocr-organisms evidence table: missing column(s) "
                            + ", ".join(missing), path, 1)
        flags = [s for s in SOURCES if s in col]
        n = 1
        try:
            for n, line in enumerate(handle, 2):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                cells = line.split("\t")
                if len(cells) != len(header):
                    raise DataError(f"expected {len(header)} tab-separated fields, found "
                                    f"{len(cells)}", path, n)
                confidence = cells[col["confidence"]]
                if confidence not in LEVELS:
                    raise DataError(f"unknown confidence {confidence!r}", path, n)
                against = []
                for item in filter(None, cells[col["against"]].split("|")):
                    source, _, taxid = item.partition(":")
                    against.append((source, taxid))
                support = tuple(s for s in flags if cells[col[s]] == "yes")
                figid = cells[col["figid"]]
                out.setdefault(figid, []).append(Call(
                    figid, cells[col["taxid"]], cells[col["organism"]], cells[col["group"]],
                    confidence, support, tuple(against)))
        except UnicodeDecodeError:
            raise DataError("not UTF-8 text", path, n + 1) from None
    return out


class EvidenceGate:
    """pfocr-filter's ``--evidence``: keep a figure when its call for a wanted organism
    reaches ``level``; ``judge`` gives the decision and the evidence behind it."""

    def __init__(self, path: str, wanted: Iterable[str], level: str = "medium"):
        if level not in LEVELS or level == "conflict":
            raise ValueError(f"unknown confidence level {level!r}")
        self.calls = read_calls(path)
        self.wanted = list(wanted)
        self.level = level
        self.missing = 0

    def judge(self, figid: str) -> tuple[bool, str]:
        kept, reason, _ = self.verdict(figid)
        return kept, reason

    def verdict(self, figid: str) -> tuple[bool, str, str]:
        """(keep?, the reason naming the evidence, a short key for a summary of drops:
        ``with Homo sapiens conflict``, ``with no evidence for Homo sapiens``, ``not in the evidence
        table``)."""
        calls = self.calls.get(figid)
        if calls is None:
            self.missing += 1
            return False, "not in the evidence table", "not in the evidence table"
        kept, reason = decide(calls, self.wanted, self.level)
        mine = [c for c in calls if c.taxid in self.wanted]
        if mine:
            key = "with " + ", ".join(f"{c.organism} {c.confidence}" for c in mine)
        else:
            key = "with no evidence for " + ", ".join(self.wanted_names)
        return kept, reason, key

    @property
    def wanted_names(self) -> list[str]:
        return [taxon(t).name for t in self.wanted]
