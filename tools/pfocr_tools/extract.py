"""pfocr-extract: PFOCR records (both schemas) -> one figure gene table."""

from __future__ import annotations

import argparse
import array
import collections
import contextlib
import gzip
import multiprocessing
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from . import entities, releases
from .atomic import atomic_open, spill_dir_base
from .cli import (
    check_outputs,
    log,
    make_parser,
    progress_enabled,
    run,
    signals_deferred,
    usable_cpus,
    worker_signals,
)
from .errors import DataError, UsageError
from .records import (
    DEFAULT_LIMITS,
    FIGURE_COLUMNS,
    NO_TSV_WARNING,
    Limits,
    build_figure,
    figid_from_tsv_name,
    parse_genes_tsv,
    parse_page,
)
from .sources import BadSource, Source, iter_sources, read_file
from .table import (
    CHEMICAL_COLUMNS,
    COLUMNS,
    DISEASE_COLUMNS,
    FLAVORS,
    GZIP_LEVEL,
    is_gzip_name,
    write_rows,
)

PROG = "pfocr-extract"
BATCH = 64  # records in the first batch; each next batch twice as many, up to MAX_BATCH
MAX_BATCH = 512  # (few hand-offs between processes on a large corpus, all workers busy early)
BATCH_BYTES = 16 << 20  # a batch also ends when its archive members hold this many bytes
MAX_WARNINGS = 10
WRITE_BYTES = 1 << 20  # rows parsed in the main process are written in pieces of this size

DESCRIPTION = """\
Read PFOCR records and write the figure gene table (TSV, one row per figure, organism,
word, gene and source; identical rows collapsed and counted).

INPUT may be a record page (.md; its <figid>-genes.tsv is found beside it or in ../_data/),
a genes TSV alone, a directory (searched recursively), a .zip / .tar / .tar.gz archive (read
in place), or - for one record page on standard input.

INPUT may also be official release GMTs (pfocr-<YYYYMMDD>-gmt-<Genus_species>.gmt, recognised
by their content): each line becomes one figure's rows (source pfocr_release, the species
from the file name or --organism, an alias set name kept in figid_alias).
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
    p.add_argument("--chemicals", metavar="CHEMICALS.tsv",
                   help="also write the figure chemical table (old-schema front matter "
                        "chemicals; current-schema <figid>-chemicals.tsv)")
    p.add_argument("--diseases", metavar="DISEASES.tsv",
                   help="also write the figure disease table (old-schema front matter "
                        "diseases; current-schema <figid>-diseases.tsv)")
    p.add_argument("--repeat-figure-columns", action="store_true",
                   help="write the per-figure columns (figid_alias ... mentioned_taxids) on "
                        "every row of a figure, as 0.1.0 did (default: on the figure's first "
                        "row only; every pfocr tool reads both)")
    p.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="on a bad record: fail (exit 1, write nothing) or skip it and go on "
                        "(default: fail)")
    p.add_argument("--rejects", metavar="REJECTS.tsv",
                   help="with --on-error skip: write the rejected inputs (file, line, reason)")
    p.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: one per core this process may use)")
    p.add_argument("--exact-yaml", action="store_true",
                   help="parse every page with the reference YAML reader only (slower; the "
                        "default fast path gives the same result)")
    p.add_argument("--require-genes", action="store_true",
                   help="a current-schema page whose genes TSV is not found is an error "
                        "(default: a warning, counted in the summary line)")
    p.add_argument("--organism", metavar="NAME",
                   help="release GMT inputs only: their species (default: from the file "
                        "name, pfocr-<YYYYMMDD>-gmt-<Genus_species>.gmt)")
    lim = p.add_argument_group("limits (a record over a limit is an error, or a reject with "
                               "--on-error skip)")
    lim.add_argument("--max-record-bytes", type=_size, default=DEFAULT_LIMITS.record_bytes,
                     metavar="N", help="bytes per record page and per genes TSV, on disk or in "
                     "an archive; a figure may write 4 x N bytes of rows (default: 4M)")
    lim.add_argument("--max-field-chars", type=_size, default=DEFAULT_LIMITS.field_chars,
                     metavar="N", help="characters per field value (default: 64K)")
    lim.add_argument("--max-archive-bytes", type=_size, default=DEFAULT_LIMITS.archive_bytes,
                     metavar="N", help="bytes read from one archive once decompressed, "
                     "skipped members included (default: 4G)")
    return p


def _size(text: str) -> int:
    """A byte or character count: a whole number, optionally with K, M or G (powers of 1024)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    digits = t[:-1] if scale > 1 else t
    if not digits.isdigit() or int(digits) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size such as 65536 or 8M, "
                                         f"got {text!r}")
    return int(digits) * scale


# ------------------------------------------------------------------------- worker side


def parse_source(src: Source, flavor: str, exact: bool, limits: Limits = DEFAULT_LIMITS,
                 require_genes: bool = False, kinds: Sequence[str] = (), repeat: bool = False,
                 meta: bool = True):
    """Parse one source; return a result tuple (picklable, small).

    ``("ok", label, figid, schema, data, nrows, meta, warnings, extra)`` with ``data`` the
    figure's rows as UTF-8 TSV bytes, ``meta`` its ``--figures`` row (a dict; None unless
    ``meta``: not sent between processes when no one writes it) and ``extra`` the rows of
    the entity ``kinds`` asked for (``{kind: (text, nrows)}``), or ``("err", label, path,
    line, message)``. Any failure, ours or not (MemoryError, RecursionError...), comes back
    as an error for this record.
    """
    try:
        page_data, tsv_data = src.read(limits)
        tsv_label = src.tsv_label or src.label
        gene_rows = (parse_genes_tsv(tsv_data, tsv_label, limits) if tsv_data is not None
                     else None)
        page = None
        if page_data is not None:
            page = parse_page(page_data, src.label, exact, limits)
            if require_genes and page.genes is None and gene_rows is None:
                raise DataError(f"{NO_TSV_WARNING} (--require-genes)", src.label)
            fig = build_figure(page, gene_rows, flavor=flavor, limits=limits, label=src.label,
                               repeat=repeat)
        else:
            figid = figid_from_tsv_name(tsv_label)
            fig = build_figure(None, gene_rows or [], figid=figid, flavor=flavor,
                               limits=limits, label=tsv_label, repeat=repeat)
        extra = (source_entities(src, page, page_data, gene_rows, fig.figid, exact, kinds,
                                 fig.warnings, limits) if kinds else {})
    except DataError as exc:
        return ("err", src.label, exc.path or src.label, exc.line, exc.message)
    except (Exception, RecursionError) as exc:  # never a traceback, never a dead worker
        return ("err", src.label, src.label, None,
                f"cannot parse this record ({type(exc).__name__}: {exc})".rstrip(": )") + ")")
    return ("ok", src.label, fig.figid, fig.schema, fig.text.encode("utf-8"), fig.n_rows,
            fig.meta if meta else None, fig.warnings, extra)


def source_entities(src: Source, page, page_data: bytes | None, gene_rows, figid: str,
                    exact: bool, kinds: Sequence[str], warnings: list[str],
                    limits: Limits = DEFAULT_LIMITS) -> dict[str, tuple[str, int]]:
    """The chemical / disease rows of one source: the page's front matter lists when it has
    them (old schema), else the ``<figid>-<kind>.tsv`` beside the genes TSV or the page."""
    listed = entities.page_entities(page_data, src.label, exact) if page_data else {}
    attached = getattr(src, "entity_data", None) or {}
    organism = entities.figure_organisms(page, gene_rows)
    out: dict[str, tuple[str, int]] = {}
    for kind in kinds:
        ent = listed.get(kind)
        if ent is None:
            if kind in attached:
                label, data = attached[kind]
                ent = entities.parse_entity_tsv(data, label, kind)
            elif src.page_path is not None or src.tsv_path is not None:
                path = entities.find_tsv(src.page_path, src.tsv_path, kind)
                if path is not None:
                    ent = entities.parse_entity_tsv(read_file(path, limits.record_bytes),
                                                    path, kind)
        if ent is not None:
            warnings.extend(ent.warnings)
        out[kind] = entities.entity_text(page, figid, organism, ent)
    return out


def _parse_batch(batch: list[Source | BadSource], flavor: str, exact: bool,
                 spill: str | None = None, limits: Limits = DEFAULT_LIMITS,
                 require_genes: bool = False, kinds: Sequence[str] = (),
                 repeat: bool = False, meta: bool = True) -> list:
    """Parse a batch. With ``spill``, the rows go to that file (in order) instead of back
    through the pipe, and each result carries its byte count in place of the data."""
    results = []
    with open(spill, "wb") if spill is not None else contextlib.nullcontext() as handle:
        for s in batch:
            if isinstance(s, BadSource):
                res = ("err", s.label, s.error.path or s.label, s.error.line, s.error.message)
            else:
                res = parse_source(s, flavor, exact, limits, require_genes, kinds, repeat,
                                   meta)
                if handle is not None and res[0] == "ok":  # spilled as parsed: memory flat
                    handle.write(res[4])
                    res = (*res[:4], len(res[4]), *res[5:])
            results.append(res)
    return results


def _batches(items: Iterable, size: int, max_bytes: int = BATCH_BYTES,
             max_size: int | None = None) -> Iterator[list]:
    """Batches of ``size`` items, each next one twice as large up to ``max_size``; a batch
    also ends when its archive members hold ``max_bytes``."""
    batch: list = []
    held = 0
    for item in items:
        batch.append(item)
        held += item.size if isinstance(item, Source) else 0
        if len(batch) >= size or held >= max_bytes:
            yield batch
            batch = []
            held = 0
            size = min(2 * size, max(size, max_size or size))
    if batch:
        yield batch


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


@contextlib.contextmanager
def _executor(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die on SIGTERM and leave SIGINT to us; on any way out
    (error, signal) the workers are killed, never waited for."""
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(_start_method()),
                               initializer=worker_signals)
    try:
        yield pool
    except BaseException:
        _kill_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(5)


def _died(exc: BaseException) -> str:
    return f"a worker process died while parsing it ({type(exc).__name__}: {exc})"


def _in_own_process(batch: list, flavor: str, exact: bool, spill: str | None, limits: Limits,
                    require_genes: bool, kinds: Sequence[str], repeat: bool = False,
                    meta: bool = True) -> list:
    """Parse a batch in a fresh process of its own; BrokenProcessPool if that process dies."""
    with _executor(1) as pool:
        with signals_deferred():  # forks the worker
            future = pool.submit(_parse_batch, batch, flavor, exact, spill, limits,
                                 require_genes, kinds, repeat, meta)
        return future.result()


def _isolated(batch: list, flavor: str, exact: bool, spill: str, limits: Limits,
              require_genes: bool, kinds: Sequence[str], repeat: bool = False,
              meta: bool = True) -> list:
    """After a worker died: parse a batch again in a process of its own; if that dies too,
    one record per process, so the record that kills its process is the one reported and
    the others are kept."""
    try:
        return _in_own_process(batch, flavor, exact, spill, limits, require_genes, kinds,
                               repeat, meta)
    except BrokenProcessPool:
        pass
    results = []
    with open(spill, "wb") as out:
        for item in batch:
            try:
                res = _in_own_process([item], flavor, exact, None, limits, require_genes,
                                      kinds, repeat, meta)[0]
            except BrokenProcessPool as exc:
                res = ("err", item.label, item.label, None, _died(exc))
            if res[0] == "ok":
                out.write(res[4])
                res = (*res[:4], len(res[4]), *res[5:])
            results.append(res)
    return results


def _results(sources: Iterable[Source | BadSource], flavor: str, exact: bool, jobs: int,
             spill_dir: str, limits: Limits = DEFAULT_LIMITS, require_genes: bool = False,
             kinds: Sequence[str] = (), repeat: bool = False, meta: bool = True):
    """Yield ``(spill file or None, results)`` per batch, in input order.

    With several jobs, batches are parsed in worker processes (at most ``2 * jobs`` batches
    in flight, so memory stays flat) and their rows spilled to files in ``spill_dir``, which
    the main process copies into the output in the kernel (no second pass through Python).
    A worker that dies (a signal, the OOM killer) breaks the pool: the batches then in flight
    are parsed again one record per process, and a new pool takes the rest.
    """
    batches = _batches(sources, BATCH, max_size=MAX_BATCH)
    first = list(_take(batches, 2)) if jobs > 1 else []
    if jobs <= 1 or len(first) < 2:  # one job, or a small input: no worker processes
        for b in _chain(first, batches):  # one record at a time: nothing held (memory flat)
            for item in b:
                yield None, _parse_batch([item], flavor, exact, None, limits, require_genes,
                                         kinds, repeat, meta)
        return
    counter = iter(range(1 << 62))
    pending = _chain(first, batches)
    window: collections.deque[tuple[str, list, Future | None]] = collections.deque()
    while True:
        with _executor(jobs) as pool:

            def submit(batch: list) -> None:
                spill = os.path.join(spill_dir, f"{next(counter)}.tsv")
                future: Future | None = None
                with signals_deferred():  # may fork workers
                    try:
                        future = pool.submit(_parse_batch, batch, flavor, exact, spill, limits,
                                             require_genes, kinds, repeat, meta)
                    except BrokenProcessPool:  # a worker died already: redone below
                        pass
                window.append((spill, batch, future))

            for batch in _take(pending, 2 * jobs - len(window)):
                submit(batch)
            broken = False
            while window:
                spill, batch, future = window[0]
                try:
                    if future is None:
                        raise BrokenProcessPool("the pool broke before this batch went in")
                    results = future.result()
                except BrokenProcessPool:
                    broken = True
                    break
                window.popleft()
                yield spill, results
                nxt = next(pending, None)
                if nxt is not None:
                    submit(nxt)
        if not broken:
            return
        # the pool is gone: redo the batches in flight record by record, then go on
        redo = list(window)
        window.clear()
        for spill, batch, _ in redo:
            yield spill, _isolated(batch, flavor, exact, spill, limits, require_genes, kinds,
                                   repeat, meta)


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


class FirstSeen:
    """figid -> the input it was first read from, for the duplicate check, in 16 bytes of
    memory per figure: an open-addressing hash table of two integer arrays (the figid's hash,
    where its entry sits in a file) and the entries (figid, label) in that file. A hash found
    is confirmed by reading its entry back, so distinct figids never clash."""

    _HEAD = struct.Struct("<II")

    def __init__(self, path: str):
        self._file = open(path, "w+b")  # noqa: SIM115 - closed by close()
        self._end = 0
        self._size = 0
        self._hashes = array.array("q", [0]) * 1024
        self._where = array.array("q", [0]) * 1024  # file offset + 1; 0 = empty slot

    def close(self) -> None:
        self._file.close()

    def _entry(self, where: int) -> tuple[str, str]:
        self._file.seek(where - 1)
        n_figid, n_label = self._HEAD.unpack(self._file.read(self._HEAD.size))
        data = self._file.read(n_figid + n_label)
        self._file.seek(self._end)
        return (data[:n_figid].decode("utf-8", "surrogatepass"),
                data[n_figid:].decode("utf-8", "surrogatepass"))

    def first(self, figid: str, label: str) -> str | None:
        """The label ``figid`` was first seen with; else None, and ``figid`` is recorded
        as seen now, with ``label``."""
        h = hash(figid)
        mask = len(self._where) - 1
        i = h & mask
        where, hashes = self._where, self._hashes
        while where[i]:
            if hashes[i] == h:
                seen_figid, seen_label = self._entry(where[i])
                if seen_figid == figid:
                    return seen_label
            i = (i + 1) & mask
        f, lab = figid.encode("utf-8", "surrogatepass"), label.encode("utf-8", "surrogatepass")
        self._file.write(self._HEAD.pack(len(f), len(lab)) + f + lab)
        hashes[i], where[i] = h, self._end + 1
        self._end += self._HEAD.size + len(f) + len(lab)
        self._size += 1
        if 2 * self._size > len(where):
            self._grow()
        return None

    def _grow(self) -> None:
        old_hashes, old_where = self._hashes, self._where  # rehashed from the arrays: no
        hashes = self._hashes = array.array("q", [0]) * (2 * len(old_hashes))  # list of
        where = self._where = array.array("q", [0]) * (2 * len(old_where))  # pairs held
        mask = len(where) - 1
        for h, w in zip(old_hashes, old_where, strict=True):
            if w:
                i = h & mask
                while where[i]:
                    i = (i + 1) & mask
                hashes[i], where[i] = h, w


def extract(inputs: Sequence[str], output: str, flavor: str = "all", figures: str | None = None,
            on_error: str = "fail", rejects: str | None = None, jobs: int = 0,
            exact: bool = False, limits: Limits = DEFAULT_LIMITS,
            require_genes: bool = False, chemicals: str | None = None,
            diseases: str | None = None, repeat: bool = False) -> dict[str, int]:
    """Run the extraction; return counts. Raises DataError on the first bad input (fail).
    ``repeat``: the per-figure columns on every row (else on each figure's first row)."""
    jobs = jobs or usable_cpus()
    stats: collections.Counter = collections.Counter()
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
        entity_outs = {}
        for kind, path, columns in (("chemicals", chemicals, CHEMICAL_COLUMNS),
                                    ("diseases", diseases, DISEASE_COLUMNS)):
            if path:
                entity_outs[kind] = stack.enter_context(atomic_open(path))
                entity_outs[kind].write("\t".join(columns) + "\n")
        kinds = tuple(entity_outs)
        spill_dir = stack.enter_context(tempfile.TemporaryDirectory(
            prefix=".pfocr-extract-", dir=spill_dir_base(output)))
        seen = FirstSeen(os.path.join(spill_dir, "figids"))
        stack.callback(seen.close)
        batches = _results(iter_sources(list(inputs), limits), flavor, exact, jobs, spill_dir,
                           limits, require_genes, kinds, repeat, meta=figs is not None)
        stack.callback(batches.close)  # stop the workers before the spill folder goes
        bar = None
        if progress_enabled():
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(unit=" records", desc=PROG, leave=False))
        pending: list[bytes] = []  # rows parsed here, written in large writes
        pending_bytes = 0
        for spill, results in batches:
            ranges: list[tuple[int, int]] = []
            chunks: list[bytes] = []
            offset = 0
            for res in results:
                if res[0] == "ok":
                    _, label, figid, schema, data, nrows, meta, warnings, extra = res
                    size = data if spill else len(data)
                    first = seen.first(figid, label)
                    if first is not None:
                        res = ("err", label, label, None,
                               f"figid {figid} seen twice (first in {first})")
                    else:
                        if spill:
                            if ranges and ranges[-1][0] + ranges[-1][1] == offset:
                                ranges[-1] = (ranges[-1][0], ranges[-1][1] + size)
                            else:
                                ranges.append((offset, size))
                        else:
                            chunks.append(data)
                        offset += size
                        if figs is not None:
                            write_rows(figs, [tuple(meta[c] for c in FIGURE_COLUMNS)], header=())
                        stats["figures"] += 1
                        stats[f"schema_{schema}"] += 1
                        stats["rows"] += nrows
                        if NO_TSV_WARNING in warnings:
                            stats["no_tsv"] += 1
                        for kind, (text, n) in extra.items():
                            entity_outs[kind].write(text)
                            stats[f"{kind}_rows"] += n
                            stats[f"{kind}_figures"] += n > 0
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
            if chunks:
                pending.extend(chunks)
                pending_bytes += sum(map(len, chunks))
            if pending and (spill or pending_bytes >= WRITE_BYTES):  # large writes, in order
                out.write(b"".join(pending))
                pending.clear()
                pending_bytes = 0
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
        if pending:
            out.write(b"".join(pending))
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
    if [args.output, args.figures, args.chemicals, args.diseases, args.rejects].count("-") > 1:
        raise UsageError("only one output can go to standard output (-)")
    check_outputs(args.inputs, [("-o", args.output), ("--figures", args.figures),
                                ("--chemicals", args.chemicals), ("--diseases", args.diseases),
                                ("--rejects", args.rejects)])
    gmts = [p for p in args.inputs if releases.is_release_gmt(p)]
    if gmts:
        return _releases(args, gmts)
    if args.organism:
        raise UsageError("--organism applies to release GMT inputs only")
    limits = Limits(record_bytes=args.max_record_bytes, field_chars=args.max_field_chars,
                    archive_bytes=args.max_archive_bytes)
    stats = extract(args.inputs, args.output, args.flavor, args.figures, args.on_error,
                    args.rejects, args.jobs, args.exact_yaml, limits, args.require_genes,
                    args.chemicals, args.diseases, args.repeat_figure_columns)
    log.info(
        "%d figures read (%d old schema, %d current schema, %d genes TSV only), "
        "%d rows written to %s, %d rejected%s",
        stats.get("figures", 0), stats.get("schema_old", 0), stats.get("schema_current", 0),
        stats.get("schema_genes-tsv", 0), stats.get("rows", 0),
        "standard output" if args.output == "-" else args.output, stats.get("rejects", 0),
        f", {stats['no_tsv']} current-schema pages without a genes TSV" if stats.get("no_tsv")
        else "",
    )
    for kind in ("chemicals", "diseases"):
        if getattr(args, kind):
            log.info("%s: %d rows of %d figures written to %s", kind,
                     stats.get(f"{kind}_rows", 0), stats.get(f"{kind}_figures", 0),
                     getattr(args, kind))
    if stats.get("figures", 0) == 0:
        log.warning("warning: no records found in the input")
    return 0


def _releases(args: argparse.Namespace, gmts: list[str]) -> int:
    others = [p for p in args.inputs if p not in gmts]
    if others:
        raise UsageError(f"{others[0]}: release GMTs and records go in separate runs "
                         "(extract each, then concatenate the tables)")
    if args.chemicals or args.diseases:
        raise UsageError("release GMTs hold genes only: --chemicals / --diseases need records")
    stats = releases.extract_releases(gmts, args.output, args.figures, args.organism,
                                      args.repeat_figure_columns)
    log.info("%d figures read from %d release GMT(s), %d rows written to %s",
             stats["figures"], stats["releases"], stats["rows"],
             "standard output" if args.output == "-" else args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(PROG, _body, build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
