"""pfocr-filter: keep the figures / gene rows of chosen organisms in a figure gene table."""

from __future__ import annotations

import argparse
import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only to filter a table read whole
    import pandas as pd

from . import organisms
from .cli import check_outputs, log, make_parser, run
from .errors import UsageError
from .evidence import EvidenceGate
from .export import check_writable
from .table import (
    REQUIRED,
    SHARED_COLUMNS,
    ByteBlock,
    NotGrouped,
    TableReader,
    is_gzip_name,
    log_reading_whole,
    open_output,
    open_output_bytes,
    read_table,
    rereadable,
    write_rows,
)

PROG = "pfocr-filter"

DESCRIPTION = """\
Keep the figures (and gene rows) of chosen organisms in a figure gene table.

--figures-from FIGS.tsv keeps instead the rows of the figures FIGS.tsv holds, in a figure
gene, chemical or disease table: filter the gene table by organism, then apply the same
decision to the chemical and disease tables with --figures-from the filtered gene table.

--organism takes a scientific name (Mus musculus), a common name (human, mouse, rat,
zebrafish, fruit fly, worm, yeast, arabidopsis, ...; MyGene.info's names such as fruitfly,
nematode, thale-cress, frog, pig too; case-insensitive) or an NCBI taxid; repeat it (or
separate names with commas) for several organisms.

--by genes (default) keeps the gene rows matched through the lexicon of a chosen species
(the table's taxid column; old-schema rows are all Homo sapiens). --by record keeps every
row of the figures whose record lists a chosen organism in `organisms` or `organisms_ner`.

--exclude-mentions also drops figures whose title, caption or paper title name another
organism (the table's mentioned_taxids column). The rule: a mentioned organism does NOT drop
a figure when it is one of the chosen organisms; when it and a chosen organism are both
mammals (papers on mammal genes name human, mouse and rat together); when it is a group
(plants, fungi, bacteria, viruses) that holds a chosen organism; or when --allow-mention
lists it (a group such as viruses allows its members too). Any other mention drops the
figure: yeast, E. coli, Arabidopsis and other plants, Drosophila, C. elegans, zebrafish,
Xenopus, chicken, fish, viruses, bacteria, fungi and parasites, for a human library.

--evidence ORGANISMS.tsv (the table pfocr-organisms writes) keeps a figure only when its
organism call for a chosen organism reaches --confidence (high, medium (default) or low;
conflict never passes): a per-figure gate on top of --by, which still picks the rows. A
figure missing from the evidence table is dropped (with a warning). With --exclude-mentions
as well, a figure must pass both (the evidence already weighs the mentions, so the two
together are stricter than either). The decision log's reason names the evidence behind
each keep or drop, e.g. "evidence: Homo sapiens medium (record, genes)".
"""

LOG_COLUMNS = ("figid", "figid_alias", "decision", "reason", "rows_in", "rows_kept",
               "genes_kept", "mentioned_taxids", "excluding_taxids")

#: Groups of organisms.tsv with a group-level taxid that mentions can name.
GROUP_TAXIDS = {"Plants": "33090", "Fungi": "4751", "Bacteria": "2", "Viruses": "10239"}
MAMMAL_GROUPS = frozenset({"Mammals", "Primates", "Rodents"})


def build_parser() -> argparse.ArgumentParser:
    p = make_parser(PROG, DESCRIPTION)
    p.add_argument("input", metavar="IN.tsv",
                   help="figure gene table (from pfocr-extract), or - for standard input")
    p.add_argument("-o", "--output", default="-", metavar="OUT.tsv",
                   help="filtered figure gene table (default: standard output)")
    which = p.add_mutually_exclusive_group(required=True)  # one decision: by organism, or
    which.add_argument("--organism", action="append", metavar="NAME",  # that of another table
                   help="organism to keep: scientific name, common name or NCBI taxid "
                        "(repeatable; or comma-separated: human,mouse)")
    which.add_argument("--figures-from", metavar="FIGS.tsv",
                   help="instead of --organism: keep the rows of the figures FIGS.tsv holds "
                        "(any figure table, e.g. the gene table pfocr-filter wrote), so one "
                        "decision serves the gene, chemical and disease tables")
    p.add_argument("--by", choices=("genes", "record"), default="genes",
                   help="genes: keep gene rows of the organism's lexicon (default); record: "
                        "keep all rows of figures whose record lists the organism")
    p.add_argument("--exclude-mentions", action="store_true",
                   help="also drop figures whose title, caption or paper title name another "
                        "organism (see the rule above)")
    p.add_argument("--allow-mention", action="append", default=[], metavar="NAME",
                   help="with --exclude-mentions: an organism or group (e.g. viruses) whose "
                        "mention never drops a figure (repeatable)")
    p.add_argument("--evidence", metavar="ORGANISMS.tsv",
                   help="organism evidence table from pfocr-organisms: keep only figures whose "
                        "call for a chosen organism reaches --confidence")
    p.add_argument("--confidence", choices=("high", "medium", "low"), default=None,
                   help="with --evidence: the lowest call that keeps a figure (default medium)")
    p.add_argument("--log", metavar="LOG.tsv",
                   help="write one line per figure: decision and reason")
    return p


# --------------------------------------------------------------------------- the rule


def _is_mammal(taxid: str) -> bool:
    org = organisms.by_taxid(taxid)
    return org is not None and org.group in MAMMAL_GROUPS


def _group_taxid(taxid: str) -> str | None:
    org = organisms.by_taxid(taxid)
    return GROUP_TAXIDS.get(org.group) if org is not None else None


def mention_excludes(mention: str, wanted: Iterable[str], allowed: Iterable[str] = ()) -> bool:
    """True if a figure naming ``mention`` (a taxid) must be dropped for the ``wanted`` taxids.

    See the module description for the rule; ``allowed`` are taxids (or group taxids) whose
    mention never drops a figure.
    """
    allowed = set(allowed)
    if mention in allowed or _group_taxid(mention) in allowed:
        return False
    for want in wanted:
        if mention == want:
            return False
        if _is_mammal(mention) and _is_mammal(want):
            return False
        if mention == _group_taxid(want):
            return False
    return True


def organism_label(taxid: str) -> str:
    org = organisms.by_taxid(taxid)
    if org is None:
        return f"taxid {taxid}"
    return org.scientific_name


def _split_names(value: str) -> list[str]:
    """Organism names of a record_organisms / organisms_ner cell (``|``- or comma-joined)."""
    names = []
    for part in value.split("|"):
        names.extend(p.strip() for p in part.split(","))
    return [n for n in names if n and n != "NA"]


def record_lists(cells: Sequence[str], wanted: set[str], wanted_names: set[str]) -> bool:
    """True if one of the record's organism names is a wanted organism (by name, common name
    or taxid; a strain or serovar name counts as its species)."""
    for cell in cells:
        for name in _split_names(cell):
            if name.casefold() in wanted_names:
                return True
            taxid = organisms.name_to_taxid(name)
            if taxid is None and name.count(" ") > 1:  # a strain: "Escherichia coli O111B4"
                taxid = organisms.name_to_taxid(" ".join(name.split()[:2]))
            if taxid is not None and taxid in wanted:
                return True
    return False


# --------------------------------------------------------------------------- filtering


@dataclass
class Decision:
    figid: str
    figid_alias: str
    kept: bool
    reason: str
    rows_in: int
    rows_kept: int
    genes_kept: int
    mentioned: str
    excluding: list[str]
    tally: str = ""  # the summary's key for a drop, when not the reason itself

    def row(self) -> tuple[str, ...]:
        return (self.figid, self.figid_alias, "kept" if self.kept else "dropped", self.reason,
                str(self.rows_in), str(self.rows_kept), str(self.genes_kept), self.mentioned,
                "|".join(self.excluding))


def resolve_all(names: Sequence[str], option: str = "--organism") -> list[tuple[str, str]]:
    """Resolve user-typed organisms (a value may hold several, comma-separated, as MyGene.info
    and Galaxy multiple selects write them); keep the order, drop repeats."""
    seen: dict[str, str] = {}
    for value in names:
        parts = [part for part in value.split(",") if part.strip()]
        if not parts:
            raise UsageError(f"{option} needs a name or taxid, got an empty value")
        for name in parts:
            taxid, sci = organisms.resolve(name)
            seen.setdefault(taxid, sci)
    return list(seen.items())


def filter_table(df: pd.DataFrame, wanted: Sequence[str], by: str = "genes",
                 exclude_mentions: bool = False, allowed: Sequence[str] = (),
                 gate: EvidenceGate | None = None) -> tuple[pd.DataFrame, list[Decision]]:
    """Filter a figure gene table; return the kept rows and one decision per figure."""
    import numpy as np
    import pandas as pd

    wanted_set = set(wanted)
    wanted_names = {organism_label(t).casefold() for t in wanted}
    wanted_label = ", ".join(organism_label(t) for t in wanted)
    if by == "genes":
        row_ok = df["taxid"].isin(wanted_set).to_numpy()
    elif by == "record":
        ner = df["organisms_ner"] if "organisms_ner" in df else pd.Series("", index=df.index)
        cache: dict[tuple[str, str], bool] = {}
        ok = []
        for pair in zip(df["record_organisms"].to_numpy(), ner.to_numpy(), strict=True):
            hit = cache.get(pair)
            if hit is None:
                hit = cache[pair] = record_lists(pair, wanted_set, wanted_names)
            ok.append(hit)
        row_ok = pd.Series(ok, index=df.index, dtype=bool).to_numpy()
    else:
        raise ValueError(f"unknown --by {by!r}")

    # per-figure facts, in first-seen order (vectorized: tables can hold millions of rows)
    codes, uniques = pd.factorize(df["figid"], sort=False)
    n_figs = len(uniques)
    rows_in = np.bincount(codes, minlength=n_figs)
    rows_kept = np.bincount(codes, weights=row_ok, minlength=n_figs).astype(int)
    with_gene = row_ok & (df["gene_id"].to_numpy() != "")
    pairs = pd.DataFrame({"c": codes[with_gene], "g": df["gene_id"].to_numpy()[with_gene]})
    genes = np.bincount(pairs.drop_duplicates()["c"].to_numpy(), minlength=n_figs)
    first_row = np.unique(codes, return_index=True)[1]  # codes number figures as first seen

    alias_col = df["figid_alias"].to_numpy() if "figid_alias" in df else None
    mention_col = df["mentioned_taxids"].to_numpy() if "mentioned_taxids" in df else None
    mention_cache: dict[str, list[str]] = {}
    decisions: list[Decision] = []
    dropped: set[str] = set()
    for code, fid in enumerate(uniques):
        i = first_row[code]
        mentioned = mention_col[i] if mention_col is not None else ""
        excluding: list[str] = []
        if exclude_mentions and mentioned:
            excluding = mention_cache.get(mentioned)  # type: ignore[assignment]
            if excluding is None:
                excluding = mention_cache[mentioned] = [
                    t for t in mentioned.split("|")
                    if t and mention_excludes(t, wanted, allowed)
                ]
        kept_rows = int(rows_kept[code])
        kept, reason, key = decide(fid, kept_rows, excluding, by, wanted_label, gate)
        if not kept:
            dropped.add(fid)
        decisions.append(Decision(
            figid=fid,
            figid_alias=alias_col[i] if alias_col is not None else "",
            kept=kept,
            reason=reason,
            rows_in=int(rows_in[code]),
            rows_kept=kept_rows if kept else 0,
            genes_kept=int(genes[code]) if kept else 0,
            mentioned=mentioned,
            excluding=excluding,
            tally=key,
        ))
    mask = row_ok
    if dropped:
        mask = mask & ~df["figid"].isin(dropped).to_numpy()
    return df[mask], decisions


def decide(figid: str, kept_rows: int, excluding: list[str], by: str, wanted_label: str,
           gate: EvidenceGate | None) -> tuple[bool, str, str]:
    """The rule for one figure, the same for a table read whole or streamed: no rows of the
    chosen organisms, then a mention of another organism, then the evidence gate drop it.
    Returns (keep?, reason, summary key)."""
    if kept_rows == 0:
        return False, (f"no gene rows of {wanted_label}" if by == "genes"
                       else f"record does not list {wanted_label}"), ""
    if excluding:
        return False, "names " + ", ".join(organism_label(t) for t in excluding), ""
    if gate is None:
        return True, "kept", ""
    return gate.verdict(figid)


class Tally:
    """The summary of a stream of decisions (what ``summarize`` says of a list)."""

    def __init__(self) -> None:
        self.n = 0
        self.kept = 0
        self.no_rows: Counter[str] = Counter()
        self.named: Counter[str] = Counter()
        self.n_named = 0

    def add(self, d: Decision) -> None:
        self.n += 1
        if d.kept:
            self.kept += 1
        elif d.excluding:
            self.n_named += 1
            self.named.update(organism_label(t) for t in d.excluding)
        else:
            self.no_rows[d.tally or d.reason] += 1

    def text(self) -> str:
        parts = [f"{n} {reason}" for reason, n in sorted(self.no_rows.items())]
        if self.n_named:
            detail = ", ".join(f"{name} {n}" for name, n in
                               sorted(self.named.items(), key=lambda kv: (-kv[1], kv[0])))
            parts.append(f"{self.n_named} naming other organisms ({detail})")
        text = f"{self.n} figures: {self.kept} kept, {self.n - self.kept} dropped"
        if parts:
            text += ": " + "; ".join(parts)
        return text


def summarize(decisions: Iterable[Decision]) -> str:
    tally = Tally()
    for d in decisions:
        tally.add(d)
    return tally.text()


def _carry_values(block: ByteBlock, starts: Any, mask: Any) -> dict[int, bytes]:
    """Tables with the per-figure columns on each figure's first row only: a figure whose
    first row is dropped and others kept gets its values on its first kept row (row ->
    that row's new line). Nothing for a table that repeats them on every row."""
    import numpy as np

    shared = [k for k in map(block.index, SHARED_COLUMNS) if k is not None]
    if not shared or not mask.any():
        return {}
    kept = np.flatnonzero(mask)
    ends = np.append(starts[1:], len(block))
    first_kept = kept[np.minimum(np.searchsorted(kept, starts), len(kept) - 1)]
    moved = (~mask[starts]) & (first_kept >= starts) & (first_kept < ends)
    if not moved.any():
        return {}
    data = block.data
    out: dict[int, bytes] = {}
    for s, r in zip(starts[moved].tolist(), first_kept[moved].tolist(), strict=True):
        head = data[int(block.starts[s]):int(block.ends[s])].split(b"\t")
        cells = data[int(block.starts[r]):int(block.ends[r])].split(b"\t")
        if any(not cells[k] and head[k] for k in shared):
            for k in shared:
                cells[k] = cells[k] or head[k]
            out[r] = b"\t".join(cells) + b"\n"
    return out


class _Rule:
    """The per-row and per-figure rule of filter_table, for streaming (block by block)."""

    def __init__(self, wanted: Sequence[str], by: str, exclude_mentions: bool,
                 allowed: Sequence[str], count_genes: bool = True,
                 gate: EvidenceGate | None = None):
        self.count_genes = count_genes
        self.gate = gate
        if by not in ("genes", "record"):
            raise ValueError(f"unknown --by {by!r}")
        self.wanted = list(wanted)
        self.wanted_set = set(wanted)
        self.wanted_names = {organism_label(t).casefold() for t in wanted}
        self.wanted_label = ", ".join(organism_label(t) for t in wanted)
        self.by = by
        self.exclude_mentions = exclude_mentions
        self.allowed = list(allowed)
        self.record_bytes_cache: dict[tuple[bytes, bytes], bool] = {}
        self.wanted_bytes = [t.encode("utf-8") for t in self.wanted]
        self.mention_cache: dict[str, list[str]] = {}

    def excluding(self, mentioned: str) -> list[str]:
        if not (self.exclude_mentions and mentioned):
            return []
        found = self.mention_cache.get(mentioned)
        if found is None:
            found = self.mention_cache[mentioned] = [
                t for t in mentioned.split("|")
                if t and mention_excludes(t, self.wanted, self.allowed)]
        return found

    def byte_block(self, block: ByteBlock) -> tuple[list[memoryview], int, list[Decision]]:
        """The kept rows of a block of whole figures as slices of the block's data (written
        as they were read; a first kept row that must carry its figure's values rewritten),
        their count, and one decision per figure."""
        import numpy as np

        n = len(block)
        starts = block.runs("figid")
        rows_in = np.diff(starts, append=n)
        if self.by == "genes":
            ok = block.isin("taxid", self.wanted_bytes)
        else:  # the record's lists: per figure, from its first row
            cache = self.record_bytes_cache
            hits = []
            for pair in zip(block.values_at("record_organisms", starts),
                            block.values_at("organisms_ner", starts), strict=True):
                hit = cache.get(pair)
                if hit is None:
                    hit = cache[pair] = record_lists(
                        (pair[0].decode("utf-8"), pair[1].decode("utf-8")), self.wanted_set,
                        self.wanted_names)
                hits.append(hit)
            ok = np.repeat(np.array(hits, dtype=bool), rows_in)
        kept_rows = np.add.reduceat(ok.astype(np.intp), starts).tolist() if n else []
        figs = [v.decode("utf-8") for v in block.values_at("figid", starts)]
        alias = [v.decode("utf-8") for v in block.values_at("figid_alias", starts)]
        mention = [v.decode("utf-8") for v in block.values_at("mentioned_taxids", starts)]
        keep = []
        decisions = []
        for fid, fid_alias, n_in, n_ok, mentioned in zip(figs, alias, rows_in.tolist(),
                                                         kept_rows, mention, strict=True):
            excluding = self.excluding(mentioned)
            kept, reason, key = decide(fid, n_ok, excluding, self.by, self.wanted_label,
                                       self.gate)
            keep.append(kept)
            decisions.append(Decision(fid, fid_alias, kept, reason, n_in,
                                      n_ok if kept else 0, 0, mentioned, excluding, key))
        mask = ok & np.repeat(np.array(keep, dtype=bool), rows_in)
        if self.count_genes and mask.any():
            rows = np.flatnonzero(mask)
            fig_of = np.repeat(np.arange(len(starts)), rows_in)[rows].tolist()
            genes = block.values_at("gene_id", rows)
            counts = Counter(f for f, g in set(zip(fig_of, genes, strict=True)) if g)
            for f, c in counts.items():
                decisions[f].genes_kept = c
        return block.segments(mask, _carry_values(block, starts, mask)), int(mask.sum()), \
            decisions


def body(args: argparse.Namespace) -> int:
    check_outputs([args.input, args.figures_from, args.evidence],
                  [("-o", args.output), ("--log", args.log)])
    if args.figures_from is not None:
        from .entity_filter import figures_from_body

        return figures_from_body(args)
    if args.input != "-":
        from .entity_filter import check_gene_table

        check_gene_table(args.input)
    wanted = resolve_all(args.organism)
    allowed = [t for t, _ in resolve_all(args.allow_mention, "--allow-mention")]
    if allowed and not args.exclude_mentions:
        raise UsageError("--allow-mention only makes sense with --exclude-mentions")
    if args.confidence is not None and args.evidence is None:
        raise UsageError("--confidence only makes sense with --evidence")
    if args.evidence == "-" and args.input == "-":
        raise UsageError("--evidence and IN.tsv cannot both be standard input")
    for path in (args.output, args.log):
        if path not in (None, "-"):
            check_writable(path)
    required = list(REQUIRED)
    if args.by == "record":
        required.append("record_organisms")
    if args.exclude_mentions:
        required.append("mentioned_taxids")
    taxids = [t for t, _ in wanted]
    level = args.confidence or "medium"
    gate = EvidenceGate(args.evidence, taxids, level) if args.evidence is not None else None
    label = ", ".join(f"{sci} ({t})" if sci else f"taxid {t}" for t, sci in wanted)
    with rereadable(args.input) as src:
        try:
            n_in, n_out, summary = _stream(src, args, required, taxids, allowed, gate)
        except NotGrouped as exc:
            log_reading_whole(exc)
            if gate is not None:
                gate.missing = 0  # counted again on the second reading
            n_in, n_out, summary = _whole(src, args, required, taxids, allowed, gate)
    if gate is not None and gate.missing:
        log.warning("warning: %d figure(s) of %s are not in the evidence table %s: dropped",
                    gate.missing, args.input, args.evidence)
    log.info("%s (by %s%s%s): %s; %d of %d rows written to %s", label, args.by,
             ", excluding other mentions" if args.exclude_mentions else "",
             f", evidence >= {level}" if gate is not None else "",
             summary, n_out, n_in,
             "standard output" if args.output == "-" else args.output)
    if n_out == 0:
        log.warning("warning: no rows left for %s; wrote a table with the header only", label)
    return 0


def _stream(src: str, args: argparse.Namespace, required: Sequence[str], taxids: list[str],
            allowed: list[str], gate: EvidenceGate | None = None) -> tuple[int, int, str]:
    """Filter block by block (bounded memory); raise NotGrouped for a scattered table."""
    rule = _Rule(taxids, args.by, args.exclude_mentions, allowed, count_genes=bool(args.log),
                 gate=gate)
    tally = Tally()
    n_in = n_out = 0
    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(TableReader(src, required, name=args.input))
        # a .gz output is written as text, in the same writes as before, so that its
        # compressed bytes stay the same (they depend on the sizes of the writes)
        gz = is_gzip_name(args.output)
        # standard output is spooled: a scattered table found late starts over (NotGrouped)
        out = stack.enter_context(open_output(args.output) if gz
                                  else open_output_bytes(args.output, spool=True))
        log_out = stack.enter_context(open_output(args.log, spool=True)) if args.log else None
        header = "\t".join(reader.header) + "\n"
        out.write(header if gz else header.encode("utf-8"))
        if log_out is not None:
            log_out.write("\t".join(LOG_COLUMNS) + "\n")
        for block in reader.byte_blocks("figid", grouped=True):
            segments, kept, decisions = rule.byte_block(block)
            n_in += len(block)
            n_out += kept
            if not gz:
                out.writelines(segments)
            elif segments:
                out.write(b"".join(segments).decode("utf-8"))
            for d in decisions:
                tally.add(d)
            if log_out is not None and decisions:
                log_out.write("".join("\t".join(d.row()) + "\n" for d in decisions))
    return n_in, n_out, tally.text()


def _whole(src: str, args: argparse.Namespace, required: Sequence[str], taxids: list[str],
           allowed: list[str], gate: EvidenceGate | None = None) -> tuple[int, int, str]:
    """Filter a table read whole (its figures' rows are scattered)."""
    df = read_table(src, required, name=args.input)
    out, decisions = filter_table(df, taxids, args.by, args.exclude_mentions, allowed, gate)
    with open_output(args.output) as handle:
        write_rows(handle, out.to_numpy().tolist(), list(df.columns))
    if args.log:
        with open_output(args.log) as handle:
            write_rows(handle, (d.row() for d in decisions), LOG_COLUMNS)
    return len(df), len(out), summarize(decisions)


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, body, build_parser(), argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
