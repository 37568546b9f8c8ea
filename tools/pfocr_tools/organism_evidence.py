"""pfocr-organisms: organism evidence and the organism call per figure (see evidence.py)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from . import evidence as ev
from .atomic import atomic_open
from .cli import check_retry_options, log, make_parser, run
from .errors import DataError, UsageError
from .export import check_writable
from .pubmed import pmc_number
from .records import figid_from_tsv_name
from .sources import BadSource, Source, iter_sources

PROG = "pfocr-organisms"

DESCRIPTION = """\
Read PFOCR records and write, for every figure and every organism some evidence names, the
evidence and the organism call (TSV, one row per figure and organism, best call first).

Evidence columns: record (the record's organisms list it), ner (organisms_ner), count_direct
/ count_synonym / count_match (its gene lexicon's matches in a current-schema genes TSV; an
old-schema figure's gene rows count as Homo sapiens), genes (its lexicon matched best: the
highest count_match), mention (named in the figure title,
caption or paper title, by name or as a binomial of a known genus), journal (a plant,
fungal, bacteriological, virological or insect journal) and, with --pubmed, mesh (PubMed's
MeSH organism headings of the paper; NA without --pubmed).

The call (column confidence): conflict when a figure-independent source (mention, journal,
mesh) names an organism that cannot go with it (a plant against a human, a fish against a
human; mammals go together, and a virus, or a microbe in a host context, goes with an
animal); else high when such a source names it; else medium when two of record, ner and
genes name it; else low. The column against names the contradicting evidence.

Filtering a figure gene table by these calls: pfocr-filter --organism NAME --evidence
OUT.tsv [--confidence high|medium|low].

INPUT is what pfocr-extract reads: record pages, genes TSVs, directories, .zip / .tar
archives, or - for one page on standard input.
"""

COLUMNS = ("figid", "figid_alias", "pmcid", "pmid", "taxid", "organism", "group",
           "confidence", "record", "ner", "count_direct", "count_synonym", "count_match",
           "genes", "mention", "journal", "mesh", "against")


def build_parser() -> argparse.ArgumentParser:
    p = make_parser(PROG, DESCRIPTION)
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="record files, directories, archives, or - for standard input")
    p.add_argument("-o", "--output", default="-", metavar="OUT.tsv",
                   help="evidence table to write (default: standard output)")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="on a bad record: fail (exit 1, write nothing) or skip it with a "
                        "warning (default: fail)")
    net = p.add_argument_group("PubMed (--pubmed; network: NCBI E-utilities)")
    net.add_argument("--pubmed", action="store_true",
                     help="add MeSH organisms of each figure's paper (PMCID -> PMID -> MeSH)")
    net.add_argument("--api-key", metavar="KEY", help="NCBI API key: 10 requests/s instead of 3")
    net.add_argument("--email", metavar="ADDRESS", help="your e-mail, sent to NCBI as it asks")
    net.add_argument("--tool", default="pfocr-tools", metavar="NAME",
                     help="tool name sent to NCBI (default pfocr-tools)")
    net.add_argument("--eutils-url", default=None, metavar="URL",
                     help="E-utilities base URL (default "
                          "https://eutils.ncbi.nlm.nih.gov/entrez/eutils)")
    net.add_argument("--cache-dir", metavar="DIR",
                     help="cache directory for E-utilities answers (default: "
                          "$PFOCR_CACHE_DIR or ~/.cache/pfocr-tools)")
    net.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    net.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                     help="seconds to wait for an answer (default 60)")
    net.add_argument("--retries", type=int, default=5, metavar="N",
                     help="retries on 429 / 5xx / network faults / malformed XML (default 5)")
    net.add_argument("--backoff", type=float, default=1.0, metavar="SECONDS",
                     help="first retry delay in seconds, doubled each time; a Retry-After "
                          "header wins (default 1)")
    return p


@dataclass
class FigureEvidence:
    figid: str
    alias: str
    pmcid: str
    facts: ev.FigureFacts
    evidence: ev.Evidence


def read_source(src: Source) -> FigureEvidence:
    page, tsv = src.read()
    if page is None:
        label = src.tsv_label or src.label
        facts = ev.FigureFacts(figid=figid_from_tsv_name(label),
                               gene_counts=ev.gene_counts_tsv(tsv or b"", label))
    else:
        facts = ev.facts_from_record(page, tsv, src.label, src.tsv_label or "")
    # keep what the call needs, not the texts (captions add up on a full PFOCR release)
    evidence = ev.gather(facts)
    slim = ev.FigureFacts(figid=facts.figid, pmcid=facts.pmcid, gene_counts=facts.gene_counts)
    return FigureEvidence(facts.figid, facts.alias, facts.pmcid, slim, evidence)


def collect(inputs: list[str], on_error: str) -> Iterator[FigureEvidence]:
    skipped = 0
    for src in iter_sources(inputs):
        try:
            if isinstance(src, BadSource):
                raise src.error
            yield read_source(src)
        except DataError as exc:
            if on_error == "fail":
                raise
            skipped += 1
            log.warning("skipped %s", exc)
    if skipped:
        log.warning("%d input(s) skipped", skipped)


def with_mesh(figures: list[FigureEvidence], args: argparse.Namespace
              ) -> dict[str, tuple[str, list[str]]]:
    """PMCID -> (PMID, MeSH organism taxids) from E-utilities."""
    from .geneindex import user_cache_dir
    from .pubmed import DEFAULT_URL, EUtilsClient  # httpx and Bio load only when asked

    cache = None if args.no_cache else (args.cache_dir or str(user_cache_dir()))
    with EUtilsClient(args.eutils_url or DEFAULT_URL, api_key=args.api_key, email=args.email,
                      tool=args.tool, cache_dir=cache, timeout=args.timeout,
                      retries=args.retries, backoff=args.backoff, log=log) as client:
        papers = client.paper_mesh(f.pmcid for f in figures if f.pmcid)
        log.info("E-utilities: %d PMCIDs, %d with a PMID, %d requests", len(papers),
                 sum(1 for p in papers.values() if p.pmid), client.requests)
    return {k: (p.pmid, p.taxids) for k, p in papers.items()}


def rows(fig: FigureEvidence, mesh: tuple[str, list[str]] | None) -> Iterator[list[str]]:
    e = fig.evidence
    pmid = ""
    if mesh is not None:
        pmid = mesh[0]
        e = ev.Evidence({**e.sources, "mesh": tuple(mesh[1])}, e.host_context, True)
    for c in ev.call(fig.facts, e):
        counts = fig.facts.gene_counts.get(c.taxid)
        flags = ["yes" if c.taxid in e.sources[s] else "no" for s in ("record", "ner")]
        strong = ["yes" if c.taxid in e.sources[s] else "no"
                  for s in ("genes", "mention", "journal")]
        mesh_flag = ("yes" if c.taxid in e.sources["mesh"] else "no") if e.mesh_asked \
            else "NA"
        against = "|".join(f"{s}:{t}" for s, t in c.against)
        yield [fig.figid, fig.alias, fig.pmcid, pmid, c.taxid, c.organism, c.group,
               c.confidence, *flags,
               *(str(n) for n in (counts or ("", "", ""))), *strong, mesh_flag, against]


def _clean(value: str) -> str:
    return " ".join(value.split())


def body(args: argparse.Namespace) -> int:
    if args.api_key is not None and not args.api_key.strip():
        raise UsageError("--api-key is empty")
    if not args.pubmed and (args.api_key or args.email or args.eutils_url):
        raise UsageError("--api-key, --email and --eutils-url need --pubmed")
    check_retry_options(args.timeout, args.retries, args.backoff)
    if args.output != "-":
        check_writable(args.output)  # before reading records and asking NCBI
    figures = list(collect(args.inputs, args.on_error))
    mesh: dict[str, tuple[str, list[str]]] = {}
    if args.pubmed:
        mesh = with_mesh(figures, args)
    n_rows = 0
    calls: dict[str, int] = {}
    with atomic_open(args.output) as out:
        out.write("\t".join(COLUMNS) + "\n")
        for fig in figures:
            got = None
            if args.pubmed:
                number = pmc_number(fig.pmcid)
                got = mesh.get(f"PMC{number}", ("", [])) if number else ("", [])
            for row in rows(fig, got):
                out.write("\t".join(_clean(v) for v in row) + "\n")
                n_rows += 1
                calls[row[7]] = calls.get(row[7], 0) + 1
    summary = ", ".join(f"{calls.get(c, 0)} {c}" for c in ev.CONFIDENCES)
    log.info("%d figures, %d figure-organism calls (%s) written to %s", len(figures), n_rows,
             summary, "standard output" if args.output == "-" else args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, body, build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
