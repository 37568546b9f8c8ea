"""pfocr-extract: PFOCR records (both schemas) -> one figure gene table."""

from __future__ import annotations

import argparse
import collections
import contextlib
import gzip
import multiprocessing
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from .atomic import atomic_open
from .cli import log, make_parser, progress_enabled, run
from .errors import DataError, UsageError
from .records import FIGURE_COLUMNS, build_figure, figid_from_tsv_name, parse_genes_tsv, parse_page
from .sources import BadSource, Source, iter_sources
from .table import COLUMNS, FLAVORS, GZIP_LEVEL, is_gzip_name, write_rows

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
    """Parse one source; return a result tuple (picklable, small).

    ``("ok", label, figid, schema, data, nrows, meta, warnings)`` with ``data`` the figure's
    rows as UTF-8 TSV bytes, or ``("err", label, path, line, message)``.
    """
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
    return ("ok", src.label, fig.figid, fig.schema, fig.text.encode("utf-8"), fig.n_rows,
            fig.meta, fig.warnings)


def _parse_batch(batch: list[Source | BadSource], flavor: str, exact: bool,
                 spill: str | None = None) -> list:
    """Parse a batch. With ``spill``, the rows go to that file (in order) instead of back
    through the pipe, and each result carries its byte count in place of the data."""
    results = []
    for s in batch:
        if isinstance(s, BadSource):
            results.append(("err", s.label, s.error.path or s.label, s.error.line,
                            s.error.message))
        else:
            results.append(parse_source(s, flavor, exact))
    if spill is not None:
        with open(spill, "wb") as handle:
            for i, res in enumerate(results):
                if res[0] == "ok":
                    handle.write(res[4])
                    results[i] = (*res[:4], len(res[4]), *res[5:])
    return results


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _results(sources: Iterable[Source | BadSource], flavor: str, exact: bool, jobs: int,
             spill_dir: str):
    """Yield ``(spill file or None, results)`` per batch, in input order.

    With several jobs, batches are parsed in worker processes (at most ``2 * jobs`` batches
    in flight, so memory stays flat) and their rows spilled to files in ``spill_dir``, which
    the main process copies into the output in the kernel (no second pass through Python).
    """
    batches = _batches(sources, BATCH)
    first = list(_take(batches, 2)) if jobs > 1 else []
    if jobs <= 1 or len(first) < 2:  # one job, or a small input: no worker processes
        for b in _chain(first, batches):
            yield None, _parse_batch(b, flavor, exact)
        return
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ctx.Pool(jobs) as pool:
        window: collections.deque = collections.deque()
        counter = iter(range(1 << 62))

        def submit(batch: list) -> None:
            spill = os.path.join(spill_dir, f"{next(counter)}.tsv")
            window.append((spill, pool.apply_async(_parse_batch, (batch, flavor, exact, spill))))

        pending = _chain(first, batches)
        for batch in _take(pending, 2 * jobs):
            submit(batch)
        while window:
            spill, result = window.popleft()
            yield spill, result.get()
            nxt = next(pending, None)
            if nxt is not None:
                submit(nxt)


def _copy_ranges(src: str, dst_fd: int, ranges: list[tuple[int, int]]) -> None:
    """Append byte ranges of file ``src`` to ``dst_fd`` (in the kernel where possible)."""
    with open(src, "rb") as handle:
        fd = handle.fileno()
        for offset, size in ranges:
            done = 0
            while done < size:
                try:
                    n = os.copy_file_range(fd, dst_fd, size - done, offset + done)
                except (AttributeError, OSError):
                    handle.seek(offset + done)
                    n = os.write(dst_fd, handle.read(size - done))
                if n <= 0:
                    raise OSError(f"short copy from {src}")
                done += n


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
    stats: collections.Counter = collections.Counter()
    seen: dict[str, str] = {}
    reject_rows: list[tuple[str, str, str]] = []
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(atomic_open(output, "wb"))
        gz = is_gzip_name(output)
        if gz:  # a .gz name: gzip-compressed, deterministic (no time stamp, no file name)
            out = stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=out,
                                                    mtime=0, compresslevel=GZIP_LEVEL))
        figs = stack.enter_context(atomic_open(figures)) if figures else None
        out.write(("\t".join(COLUMNS) + "\n").encode())
        if figs is not None:
            figs.write("\t".join(FIGURE_COLUMNS) + "\n")
        base = os.path.dirname(os.path.abspath(output)) if output != "-" else None
        spill_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix=".pfocr-extract-",
                                                                    dir=base))
        batches = _results(iter_sources(list(inputs)), flavor, exact, jobs, spill_dir)
        bar = None
        if progress_enabled():
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(unit=" records", desc=PROG, leave=False))
        for spill, results in batches:
            ranges: list[tuple[int, int]] = []
            offset = 0
            for res in results:
                if res[0] == "ok":
                    _, label, figid, schema, data, nrows, meta, warnings = res
                    size = data if spill else len(data)
                    if figid in seen:
                        res = ("err", label, label, None,
                               f"figid {figid} seen twice (first in {seen[figid]})")
                    else:
                        seen[figid] = label
                        if spill:
                            if ranges and ranges[-1][0] + ranges[-1][1] == offset:
                                ranges[-1] = (ranges[-1][0], ranges[-1][1] + size)
                            else:
                                ranges.append((offset, size))
                        else:
                            out.write(data)
                        offset += size
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
                    offset += size
                _, label, path, line, message = res
                err = DataError(message, path, line)
                if on_error == "fail":
                    raise err
                stats["rejects"] += 1
                reject_rows.append((path, "" if line is None else str(line), message))
                log.warning("skipped: %s", err)
            if spill and gz:
                with open(spill, "rb") as handle:
                    for start, size in ranges:
                        handle.seek(start)
                        out.write(handle.read(size))
                os.unlink(spill)
            elif spill:
                out.flush()
                _copy_ranges(spill, out.fileno(), ranges)
                os.unlink(spill)
            if bar is not None:
                bar.update(len(results))
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
