"""Finding records in what users give: files, folders, archives, standard input.

A :class:`Source` is one record to parse: a page (with its genes TSV when the current schema
keeps one beside it) or a genes TSV alone. File sources are read lazily (in the worker that
parses them); archive members are read in place, never extracted to disk.
"""

from __future__ import annotations

import bz2
import gzip
import heapq
import itertools
import lzma
import os
import posixpath
import stat
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import DataError
from .records import DEFAULT_LIMITS, Limits

PAGE_SUFFIXES = (".md", ".markdown")
TSV_SUFFIX = "-genes.tsv"
TAR_SUFFIXES = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz")
ENTITY_SUFFIXES = {"chemicals": "-chemicals.tsv", "diseases": "-diseases.tsv"}
#: bytes of archive members held while they wait for their partner (a page for its genes
#: TSV, or the other way round) in one streaming pass over a tar archive
MAX_PENDING_BYTES = 512 << 20
_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
                   zlib.error, lzma.LZMAError, ValueError, NotImplementedError, RuntimeError)


def _entity_candidates(page: str | None, tsv: str | None, kind: str) -> list[str]:
    """Archive member names where a figure's chemicals / diseases TSV can sit."""
    from .entities import tsv_paths

    return tsv_paths(page, tsv, kind, "/")


def _entity_members(page: str | None, tsv: str | None, lookup) -> dict[str, tuple[str, bytes]]:
    """``{kind: (name, data)}`` of the entity TSVs ``lookup(name)`` finds (data or None)."""
    found: dict[str, tuple[str, bytes]] = {}
    for kind in ENTITY_SUFFIXES:
        for name in _entity_candidates(page, tsv, kind):
            data = lookup(name)
            if data is not None:
                found[kind] = (name, data)
                break
    return found


@dataclass
class Source:
    label: str  # shown in messages: a path, or archive:member
    page_path: str | None = None
    tsv_path: str | None = None
    page_data: bytes | None = None
    tsv_data: bytes | None = None
    tsv_label: str | None = None
    #: archive members holding the figure's chemicals / diseases TSV: kind -> (label, data)
    entity_data: dict[str, tuple[str, bytes]] | None = None

    def read(self, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes | None, bytes | None]:
        page = self.page_data
        if page is None and self.page_path is not None:
            page = read_file(self.page_path, limits.record_bytes)
        tsv = self.tsv_data
        if tsv is None and self.tsv_path is not None:
            tsv = read_file(self.tsv_path, limits.record_bytes)
        return page, tsv

    @property
    def size(self) -> int:
        return len(self.page_data or b"") + len(self.tsv_data or b"")


@dataclass
class BadSource:
    """An input that could not be opened or listed (reported like a bad record)."""

    label: str
    error: DataError


def _too_big(limit: int) -> str:
    return f"file is larger than {limit:,} bytes (--max-record-bytes)"


def read_file(path: str, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit`` (a FIFO or device is refused, never waited on:
    it is opened without blocking and checked before any read).

    Read with ``os.read`` in requests sized by the file's length (plus one byte, so a file that
    grew since ``fstat`` is still seen), never more than ``limit + 1`` bytes in all, until the
    end of the file (a short read once the ``fstat`` size is in, or an empty one): no buffer
    of ``limit`` bytes is allocated for a small file, one read call for most files."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError("cannot read: not a regular file", path)
        parts: list[bytes] = []
        got = 0
        want = info.st_size + 1
        while got <= limit:
            ask = min(limit + 1 - got, max(want - got, 1 << 16))
            chunk = os.read(fd, ask)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            if len(chunk) < ask and got >= info.st_size:
                break  # a short read of a regular file, all of it read: its end
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    finally:
        os.close(fd)
    if got > limit:
        raise DataError(_too_big(limit), path)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_stdin(limit: int) -> bytes:
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise DataError(_too_big(limit), "<stdin>")
    return data


def is_page(name: str) -> bool:
    return name.lower().endswith(PAGE_SUFFIXES)


def is_tsv(name: str) -> bool:
    return name.endswith(TSV_SUFFIX)


def tsv_candidates(page_name: str, sep: str = "/") -> list[str]:
    """Where the current schema keeps a page's genes TSV: beside it, or in ``../_data/``."""
    head, _, base = page_name.rpartition(sep)
    stem = base.rsplit(".", 1)[0]
    here = f"{head}{sep}" if head else ""
    parent = head.rpartition(sep)[0] if head else ""
    data_dir = f"{parent}{sep}_data{sep}" if parent else ("_data" + sep if head else "")
    found = [f"{here}{stem}{TSV_SUFFIX}"]
    if head:
        found.append(f"{data_dir}{stem}{TSV_SUFFIX}")
    else:
        found.append(f"..{sep}_data{sep}{stem}{TSV_SUFFIX}")
    return found


def file_candidates(page: str) -> list[str]:
    """:func:`tsv_candidates` for a path on disk: beside the page, then ``../_data/``
    (normalised, so a folder such as ``_figures/`` given alone finds its sibling ``_data/``)."""
    here = os.path.dirname(page)
    stem = os.path.basename(page).rsplit(".", 1)[0]
    name = f"{stem}{TSV_SUFFIX}"
    return [os.path.join(here, name), os.path.normpath(os.path.join(here, "..", "_data", name))]


def iter_sources(inputs: list[str], limits: Limits = DEFAULT_LIMITS
                 ) -> Iterator[Source | BadSource]:
    for item in inputs:
        if item == "-":
            try:
                yield Source(label="<stdin>", page_data=read_stdin(limits.record_bytes))
            except DataError as exc:
                yield BadSource("<stdin>", exc)
        elif os.path.isdir(item):
            yield from _from_directory(item)
        elif not os.path.exists(item):
            yield BadSource(item, DataError("no such file or directory", item))
        elif item.lower().endswith(".zip"):
            yield from _guard(item, _from_zip, limits)
        elif item.lower().endswith(TAR_SUFFIXES):
            yield from _guard(item, _from_tar, limits)
        elif is_tsv(item):
            yield Source(label=item, tsv_path=item, tsv_label=item)
        else:
            tsv = next((p for p in file_candidates(item) if os.path.isfile(p)), None)
            yield Source(label=item, page_path=item, tsv_path=tsv, tsv_label=tsv)


def _guard(path: str, reader, limits: Limits) -> Iterator[Source | BadSource]:
    try:
        yield from reader(path, limits)
    except DataError as exc:
        yield BadSource(exc.path or path, exc)
    except _ARCHIVE_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        yield BadSource(path, DataError(f"cannot read archive: {reason}", path))


class _Budget:
    """A file object that counts the decompressed bytes read and stops at the limit."""

    def __init__(self, raw, path: str, limit: int):
        self.raw, self.path, self.limit, self.used = raw, path, limit, 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.limit + 1 - self.used
        data = self.raw.read(min(n, self.limit + 1 - self.used) if n else 0)
        self.charge(len(data))
        return data

    def charge(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise DataError(f"archive holds more than {self.limit:,} bytes when unpacked "
                            "(--max-archive-bytes)", self.path)


def _decompressed(path: str):
    """The archive's bytes, decompressed as they are read (gzip, bzip2, xz or none)."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the wrapper
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw, "rb"), raw
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw, "rb"), raw
    return raw, raw


def _read_member(handle, label: str, limit: int) -> bytes:
    data = handle.read(limit + 1) if handle is not None else b""
    if len(data) > limit:
        raise DataError(_too_big(limit), label)
    return data


def _from_directory(root: str) -> Iterator[Source]:
    """Pages in sorted path order (with their genes TSV), then the TSVs no page claimed.

    Paths are the ones :func:`file_candidates` gives; per-directory parts are computed once,
    and a candidate in a directory the walk listed is looked up in the listing, not with a
    ``stat`` (only a candidate outside the folder given is checked on disk).

    Memory: the listing keeps each directory's sorted file names (the walk's own strings)
    and a flag per genes TSV, not a path per file; the pages' paths are made one at a time,
    in sorted order (a merge of the directories' sorted names when pages sit in several)."""
    dirs: list[tuple[str, str, list[str]]] = []  # (normalised dir, dir + separator, pages)
    tsvs: dict[str, dict[str, bool]] = {}  # normalised dir -> genes TSV name -> claimed
    prefix_of: dict[str, str] = {}  # normalised dir -> its path as walked, with a separator
    filenames: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        here = os.path.normpath(dirpath)
        prefix = prefix_of[here] = os.path.join(dirpath, "")
        names = [n for n in filenames if is_page(n)]
        if names:
            names.sort()
            dirs.append((here, prefix, names))
        found = dict.fromkeys((n for n in filenames if is_tsv(n)), False)
        if found:
            tsvs[here] = found
    del filenames
    no_tsvs: dict[str, bool] = {}
    parts = []  # per directory of pages: where its TSVs are looked up
    for here, prefix, _ in dirs:
        data = os.path.normpath(os.path.join(here, "..", "_data"))
        parts.append((tsvs.get(here, no_tsvs), prefix_of.get(here, prefix), tsvs.get(data),
                      prefix_of.get(data), os.path.join(data, "")))
    if len(dirs) == 1:
        ordered: Iterator[tuple[str, int, str]] = zip(
            map(dirs[0][1].__add__, dirs[0][2]), itertools.repeat(0), dirs[0][2])
    else:  # full paths in sorted order: a directory's pages may sort between a subfolder's
        ordered = heapq.merge(*(zip(map(prefix.__add__, names), itertools.repeat(i), names)
                                for i, (_, prefix, names) in enumerate(dirs)))
    for page, i, name in ordered:
        here_tsvs, here_prefix, data_tsvs, data_prefix, data_sep = parts[i]
        want = name.rsplit(".", 1)[0] + TSV_SUFFIX
        tsv = None
        if want in here_tsvs:  # the TSV beside the page, else in ../_data/
            here_tsvs[want] = True
            tsv = here_prefix + want
        elif data_tsvs is not None and want in data_tsvs:
            data_tsvs[want] = True
            tsv = data_prefix + want
        elif data_prefix is None and os.path.isfile(data_sep + want):
            # outside the folder given: _figures/ alone finds ../_data/ as a page file does
            tsv = data_sep + want
        yield Source(label=page, page_path=page, tsv_path=tsv, tsv_label=tsv)
    left = sorted(prefix_of[here] + name for here, found in tsvs.items()
                  for name, claimed in found.items() if not claimed)
    for tsv in left:
        yield Source(label=tsv, tsv_path=tsv, tsv_label=tsv)


def _safe_member(archive: str, name: str) -> str:
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    if norm.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
        raise DataError(f"archive member {name!r} escapes the archive root", archive)
    return posixpath.normpath(norm)


def _from_zip(path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Source | BadSource]:
    budget = _Budget(None, path, limits.archive_bytes)

    def read(info: zipfile.ZipInfo, label: str) -> bytes:
        if info.file_size > limits.record_bytes:
            raise DataError(_too_big(limits.record_bytes), label)
        with zf.open(info) as handle:
            data = _read_member(handle, label, limits.record_bytes)
        budget.charge(len(data))
        return data

    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        names = {_safe_member(path, i.filename): i for i in infos}
        claimed: set[str] = set()
        pages = [n for n in names if is_page(n)]
        pairs = []
        for page in pages:
            tsv = next((posixpath.normpath(c) for c in tsv_candidates(page)
                        if posixpath.normpath(c) in names), None)
            if tsv:
                claimed.add(tsv)
            pairs.append((page, tsv))

        def member(name: str) -> bytes | None:
            return read(names[name], f"{path}:{name}") if name in names else None

        def extras(page: str | None, tsv: str | None) -> dict[str, tuple[str, bytes]]:
            return {k: (f"{path}:{n}", d)
                    for k, (n, d) in _entity_members(page, tsv, member).items()}

        for page, tsv in pairs:
            label = f"{path}:{page}"
            tsv_label = f"{path}:{tsv}" if tsv else None
            try:
                yield Source(label=label, page_data=read(names[page], label),
                             tsv_data=read(names[tsv], tsv_label) if tsv and tsv_label else None,
                             tsv_label=tsv_label, entity_data=extras(page, tsv))
            except DataError as exc:
                if exc.path == path:  # the archive's own budget: stop
                    raise
                yield BadSource(label, exc)
        for name in names:
            if is_tsv(name) and name not in claimed:
                label = f"{path}:{name}"
                try:
                    yield Source(label=label, tsv_data=read(names[name], label), tsv_label=label,
                                 entity_data=extras(None, name))
                except DataError as exc:
                    if exc.path == path:
                        raise
                    yield BadSource(label, exc)


def _from_tar(path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Source | BadSource]:
    """One streaming pass; a page waits for its genes TSV (or the TSV for its page).

    Decompressed bytes are counted as they are read (members skipped too), so an archive bomb
    stops at ``--max-archive-bytes``; a member is read up to ``--max-record-bytes``.
    """
    pending_pages: dict[str, tuple[str, bytes]] = {}  # wanted TSV name -> (page, data)
    pending_tsvs: dict[str, bytes] = {}
    # chemicals / diseases TSVs (small) met so far: a page takes those that came before it
    # (the pfocr-database layout puts _data/ before _figures/)
    # (held until their page takes them, counted with the other waiting members)
    entity_seen: dict[str, bytes] = {}
    pending = 0

    def take(name: str) -> bytes | None:
        nonlocal pending
        data = entity_seen.pop(name, None)
        if data is not None:
            pending -= len(data)
        return data

    def extras(page: str | None, tsv: str | None) -> dict[str, tuple[str, bytes]]:
        found = _entity_members(page, tsv, take)
        return {k: (f"{path}:{n}", d) for k, (n, d) in found.items()}

    stream, raw = _decompressed(path)
    budget = _Budget(stream, path, limits.archive_bytes)
    with raw, stream, tarfile.open(fileobj=budget, mode="r|") as tf:  # type: ignore
        for member in tf:
            name = _safe_member(path, member.name)
            if member.issym() or member.islnk():
                target = member.linkname.replace("\\", "/")
                if target.startswith("/") or ".." in target.split("/"):
                    raise DataError(f"archive member {member.name!r} links outside the archive",
                                    path)
                continue
            if member.isfile() and name.endswith(tuple(ENTITY_SUFFIXES.values())):
                label = f"{path}:{name}"
                if member.size > limits.record_bytes:
                    yield BadSource(label, DataError(_too_big(limits.record_bytes), label))
                    continue
                entity_seen[name] = _read_member(tf.extractfile(member), label,
                                                 limits.record_bytes)
                pending += len(entity_seen[name])
                continue
            if not member.isfile() or not (is_page(name) or is_tsv(name)):
                continue
            label = f"{path}:{name}"
            if member.size > limits.record_bytes:
                yield BadSource(label, DataError(_too_big(limits.record_bytes), label))
                continue
            data = _read_member(tf.extractfile(member), label, limits.record_bytes)
            if pending > MAX_PENDING_BYTES:
                raise DataError(f"more than {MAX_PENDING_BYTES >> 20} MiB of records wait for "
                                "their page or genes TSV further on in the archive; unpack it "
                                "and give the folder", path)
            if is_page(name):
                wanted = [posixpath.normpath(c) for c in tsv_candidates(name)]
                found = next((w for w in wanted if w in pending_tsvs), None)
                if found is not None:
                    tsv_data = pending_tsvs.pop(found)
                    pending -= len(tsv_data)
                    yield Source(label=f"{path}:{name}", page_data=data,
                                 tsv_data=tsv_data, tsv_label=f"{path}:{found}",
                                 entity_data=extras(name, found))
                elif b"\ngenes:" in data:
                    yield Source(label=f"{path}:{name}", page_data=data,
                                 entity_data=extras(name, None))
                else:
                    for w in wanted:
                        pending_pages[w] = (name, data)
                    pending += len(data)
            else:
                waiting = pending_pages.pop(name, None)
                if waiting is not None:
                    page, pdata = waiting
                    pending -= len(pdata)
                    for w in tsv_candidates(page):
                        pending_pages.pop(posixpath.normpath(w), None)
                    yield Source(label=f"{path}:{page}", page_data=pdata, tsv_data=data,
                                 tsv_label=f"{path}:{name}", entity_data=extras(page, name))
                else:
                    pending_tsvs[name] = data
                    pending += len(data)
    seen: set[str] = set()
    for page, pdata in pending_pages.values():
        if page not in seen:
            seen.add(page)
            yield Source(label=f"{path}:{page}", page_data=pdata,
                         entity_data=extras(page, None))
    for name, data in pending_tsvs.items():
        yield Source(label=f"{path}:{name}", tsv_data=data, tsv_label=f"{path}:{name}",
                     entity_data=extras(None, name))

