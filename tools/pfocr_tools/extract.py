"""pfocr-extract: PFOCR records (both schemas) -> one figure gene table."""

from __future__ import annotations

import argparse
import collections
import contextlib
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence

from .atomic import atomic_open
from .cli import log, make_parser, progress_enabled, run
from .errors import DataError, UsageError
from .records import FIGURE_COLUMNS, build_figure, figid_from_tsv_name, parse_genes_tsv, parse_page
from .sources import BadSource, Source, iter_sources
from .table import COLUMNS, FLAVORS, write_rows

PROG = "pfocr-extract"
BATCH = 128
MAX_WARNINGS = 10

DESCRIPTION = """\
Read PFOCR records and write the figure gene table (TSV, one row per figure, organism,
word, gene and source; identical rows collapsed and counted).

INPUT may be a record page (.md; its <figid>-genes.tsv is found beside it or in ../_data/),
a genes TSV alone, a directory (searched recursively), a .zip / .tar / .tar.gz archive (read
in place), or - for one record page on standard input.
"""


def build_parser() -> argparse.ArgumentParser:
    p = make_parser(PROG, DESCRIPTION)
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="record files, directories, archives, or - for standard input")
    p.add_argument("-o", "--output", default="-", metavar="OUT.tsv",
                   help="figure gene table to write (default: standard output)")
    p.add_argument("--flavor", choices=FLAVORS, default="all",
                   help="which gene rows to keep: strict = official symbols only, synonyms = "
                        "plus alias/previous/synonym matches, all = plus family/complex "
                        "expansions (default: all, lossless)")
    p.add_argument("--figures", metavar="FIGS.tsv",
                   help="also write a per-figure metadata table")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="on a bad record: fail (exit 1, write nothing) or skip it and go on "
                        "(default: fail)")
    p.add_argument("--rejects", metavar="REJECTS.tsv",
                   help="with --on-error skip: write the rejected inputs (file, line, reason)")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: one per core)")
    p.add_argument("--exact-yaml", action="store_true",
                   help="parse every page with the reference YAML reader only (slower; the "
                        "default fast path gives the same result)")
    return p


# ------------------------------------------------------------------------- worker side


def parse_source(src: Source, flavor: str, exact: bool):
    """Parse one source; return a result tuple (picklable, small)."""
    try:
        page_data, tsv_data = src.read()
        gene_rows = parse_genes_tsv(tsv_data, src.tsv_label or src.label) if tsv_data else None
        if page_data is not None:
            page = parse_page(page_data, src.label, exact)
            fig = build_figure(page, gene_rows, flavor=flavor)
        else:
            figid = figid_from_tsv_name(src.tsv_label or src.label)
            fig = build_figure(None, gene_rows or [], figid=figid, flavor=flavor)
    except DataError as exc:
        return ("err", src.label, exc.path or src.label, exc.line, exc.message)
    return ("ok", src.label, fig.figid, fig.schema, fig.text, fig.n_rows, fig.meta, fig.warnings)


def _parse_batch(batch: list[Source], flavor: str, exact: bool) -> list:
    return [parse_source(s, flavor, exact) for s in batch]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _results(sources: Iterable[Source | BadSource], flavor: str, exact: bool, jobs: int):
    """Parse sources in order, in ``jobs`` processes, at most a few batches in flight."""

    def one(batch):
        out = []
        for s in batch:
            if isinstance(s, BadSource):
                out.append(("err", s.label, s.error.path or s.label, s.error.line,
                            s.error.message))
            else:
                out.append(parse_source(s, flavor, exact))
        return out

    batches = _batches(sources, BATCH)
    if jobs <= 1:
        for b in batches:
            yield from one(b)
        return
    first = list(_take(batches, 2))
    if len(first) < 2:  # small input: no worker processes
        for b in first:
            yield from one(b)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ctx.Pool(jobs) as pool:
        window: collections.deque = collections.deque()

        def submit(batch):
            bad = [s for s in batch if isinstance(s, BadSource)]
            if bad:  # keep order simple: parse such a batch here
                window.append(("done", one(batch)))
            else:
                window.append(("async", pool.apply_async(_parse_batch, (batch, flavor, exact))))

        pending = _chain(first, batches)
        for batch in _take(pending, 2 * jobs):
            submit(batch)
        while window:
            kind, value = window.popleft()
            yield from (value if kind == "done" else value.get())
            nxt = next(pending, None)
            if nxt is not None:
                submit(nxt)


def _take(it: Iterator, n: int) -> Iterator:
    for _ in range(n):
        try:
            yield next(it)
        except StopIteration:
            return


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


# ------------------------------------------------------------------------- main side


def extract(inputs: Sequence[str], output: str, flavor: str = "all", figures: str | None = None,
            on_error: str = "fail", rejects: str | None = None, jobs: int = 0,
            exact: bool = False) -> dict[str, int]:
    """Run the extraction; return counts. Raises DataError on the first bad input (fail)."""
    jobs = jobs or os.cpu_count() or 1
    stats = collections.Counter()
    seen: dict[str, str] = {}
    reject_rows: list[tuple[str, str, str]] = []
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(atomic_open(output))
        figs = stack.enter_context(atomic_open(figures)) if figures else None
        out.write("\t".join(COLUMNS) + "\n")
        if figs is not None:
            figs.write("\t".join(FIGURE_COLUMNS) + "\n")
        results = _results(iter_sources(list(inputs)), flavor, exact, jobs)
        bar = None
        if progress_enabled():
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(results, unit=" records", desc=PROG, leave=False))
            results = bar
        for res in results:
            if res[0] == "ok":
                _, label, figid, schema, text, nrows, meta, warnings = res
                if figid in seen:
                    res = ("err", label, label, None,
                           f"figid {figid} seen twice (first in {seen[figid]})")
                else:
                    seen[figid] = label
                    out.write(text)
                    if figs is not None:
                        write_rows(figs, [tuple(meta[c] for c in FIGURE_COLUMNS)], header=())
                    stats["figures"] += 1
                    stats[f"schema_{schema}"] += 1
                    stats["rows"] += nrows
                    for w in warnings:
                        stats["warnings"] += 1
                        if stats["warnings"] <= MAX_WARNINGS:
                            log.warning("warning: %s: %s", label, w)
                    continue
            _, label, path, line, message = res
            err = DataError(message, path, line)
            if on_error == "fail":
                raise err
            stats["rejects"] += 1
            reject_rows.append((path, "" if line is None else str(line), message))
            log.warning("skipped: %s", err)
        if stats["warnings"] > MAX_WARNINGS:
            log.warning("warning: %d more warnings not shown", stats["warnings"] - MAX_WARNINGS)
        if rejects:
            with atomic_open(rejects) as rj:
                write_rows(rj, [tuple(v.replace("\t", " ").replace("\n", " ") for v in r)
                                for r in reject_rows], header=("file", "line", "reason"))
    return dict(stats)


def _body(args: argparse.Namespace) -> int:
    if args.rejects and args.on_error != "skip":
        raise UsageError("--rejects needs --on-error skip")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    if args.inputs.count("-") > 1:
        raise UsageError("standard input (-) can be given once")
    stats = extract(args.inputs, args.output, args.flavor, args.figures, args.on_error,
                    args.rejects, args.jobs, args.exact_yaml)
    log.info(
        "%d figures read (%d old schema, %d current schema, %d genes TSV only), "
        "%d rows written to %s, %d rejected",
        stats.get("figures", 0), stats.get("schema_old", 0), stats.get("schema_current", 0),
        stats.get("schema_genes-tsv", 0), stats.get("rows", 0),
        "standard output" if args.output == "-" else args.output, stats.get("rejects", 0),
    )
    if stats.get("figures", 0) == 0:
        log.warning("warning: no records found in the input")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, _body, build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
