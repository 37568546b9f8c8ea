"""Finding records in what users give: files, folders, archives, standard input.

A :class:`Source` is one record to parse: a page (with its genes TSV when the current schema
keeps one beside it) or a genes TSV alone. File sources are read lazily (in the worker that
parses them); archive members are read in place, never extracted to disk.
"""

from __future__ import annotations

import os
import posixpath
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import DataError

PAGE_SUFFIXES = (".md", ".markdown")
TSV_SUFFIX = "-genes.tsv"
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
ENTITY_SUFFIXES = {"chemicals": "-chemicals.tsv", "diseases": "-diseases.tsv"}


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

    def read(self) -> tuple[bytes | None, bytes | None]:
        page = self.page_data
        if page is None and self.page_path is not None:
            page = _read_file(self.page_path)
        tsv = self.tsv_data
        if tsv is None and self.tsv_path is not None:
            tsv = _read_file(self.tsv_path)
        return page, tsv


@dataclass
class BadSource:
    """An input that could not be opened or listed (reported like a bad record)."""

    label: str
    error: DataError


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None


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


def iter_sources(inputs: list[str]) -> Iterator[Source | BadSource]:
    for item in inputs:
        if item == "-":
            yield Source(label="<stdin>", page_data=sys.stdin.buffer.read())
        elif os.path.isdir(item):
            yield from _from_directory(item)
        elif not os.path.exists(item):
            yield BadSource(item, DataError("no such file or directory", item))
        elif item.lower().endswith(".zip"):
            yield from _guard(item, _from_zip)
        elif item.lower().endswith(TAR_SUFFIXES):
            yield from _guard(item, _from_tar)
        elif is_tsv(item):
            yield Source(label=item, tsv_path=item, tsv_label=item)
        else:
            tsv = next((p for p in tsv_candidates(item, os.sep) if os.path.isfile(p)), None)
            yield Source(label=item, page_path=item, tsv_path=tsv, tsv_label=tsv)


def _guard(path: str, reader) -> Iterator[Source | BadSource]:
    try:
        yield from reader(path)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        yield BadSource(path, DataError(f"cannot read archive: {exc}", path))
    except DataError as exc:
        yield BadSource(exc.path or path, exc)


def _from_directory(root: str) -> Iterator[Source]:
    pages: list[str] = []
    tsvs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            if is_page(name):
                pages.append(full)
            elif is_tsv(name):
                tsvs.add(full)
    pages.sort()
    claimed: set[str] = set()
    for page in pages:
        tsv = next((p for p in tsv_candidates(page, os.sep) if p in tsvs), None)
        if tsv is not None:
            claimed.add(tsv)
        yield Source(label=page, page_path=page, tsv_path=tsv, tsv_label=tsv)
    for tsv in sorted(tsvs - claimed):
        yield Source(label=tsv, tsv_path=tsv, tsv_label=tsv)


def _safe_member(archive: str, name: str) -> str:
    norm = name.replace("\\", "/")
    parts = norm.split("/")
    if norm.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
        raise DataError(f"archive member {name!r} escapes the archive root", archive)
    return posixpath.normpath(norm)


def _from_zip(path: str) -> Iterator[Source]:
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
            return zf.read(names[name]) if name in names else None

        def extras(page: str | None, tsv: str | None) -> dict[str, tuple[str, bytes]]:
            return {k: (f"{path}:{n}", d)
                    for k, (n, d) in _entity_members(page, tsv, member).items()}

        for page, tsv in pairs:
            yield Source(
                label=f"{path}:{page}",
                page_data=zf.read(names[page]),
                tsv_data=zf.read(names[tsv]) if tsv else None,
                tsv_label=f"{path}:{tsv}" if tsv else None,
                entity_data=extras(page, tsv),
            )
        for name in names:
            if is_tsv(name) and name not in claimed:
                yield Source(label=f"{path}:{name}", tsv_data=zf.read(names[name]),
                             tsv_label=f"{path}:{name}", entity_data=extras(None, name))


def _from_tar(path: str) -> Iterator[Source]:
    """One streaming pass; a page waits for its genes TSV (or the TSV for its page)."""
    pending_pages: dict[str, tuple[str, bytes]] = {}  # wanted TSV name -> (page, data)
    pending_tsvs: dict[str, bytes] = {}
    # chemicals / diseases TSVs (small) met so far: a page takes those that came before it
    # (the pfocr-database layout puts _data/ before _figures/)
    entity_seen: dict[str, bytes] = {}

    def extras(page: str | None, tsv: str | None) -> dict[str, tuple[str, bytes]]:
        found = _entity_members(page, tsv, entity_seen.get)
        return {k: (f"{path}:{n}", d) for k, (n, d) in found.items()}

    with tarfile.open(path, mode="r|*") as tf:
        for member in tf:
            name = _safe_member(path, member.name)
            if member.issym() or member.islnk():
                target = member.linkname.replace("\\", "/")
                if target.startswith("/") or ".." in target.split("/"):
                    raise DataError(f"archive member {member.name!r} links outside the archive",
                                    path)
                continue
            if member.isfile() and name.endswith(tuple(ENTITY_SUFFIXES.values())):
                handle = tf.extractfile(member)
                entity_seen[name] = handle.read() if handle else b""
                continue
            if not member.isfile() or not (is_page(name) or is_tsv(name)):
                continue
            handle = tf.extractfile(member)
            data = handle.read() if handle else b""
            if is_page(name):
                wanted = [posixpath.normpath(c) for c in tsv_candidates(name)]
                found = next((w for w in wanted if w in pending_tsvs), None)
                if found is not None:
                    yield Source(label=f"{path}:{name}", page_data=data,
                                 tsv_data=pending_tsvs.pop(found), tsv_label=f"{path}:{found}",
                                 entity_data=extras(name, found))
                elif b"\ngenes:" in data:
                    yield Source(label=f"{path}:{name}", page_data=data,
                                 entity_data=extras(name, None))
                else:
                    for w in wanted:
                        pending_pages[w] = (name, data)
            else:
                waiting = pending_pages.pop(name, None)
                if waiting is not None:
                    page, pdata = waiting
                    for w in tsv_candidates(page):
                        pending_pages.pop(posixpath.normpath(w), None)
                    yield Source(label=f"{path}:{page}", page_data=pdata, tsv_data=data,
                                 tsv_label=f"{path}:{name}", entity_data=extras(page, name))
                else:
                    pending_tsvs[name] = data
    seen: set[str] = set()
    for page, pdata in pending_pages.values():
        if page not in seen:
            seen.add(page)
            yield Source(label=f"{path}:{page}", page_data=pdata,
                         entity_data=extras(page, None))
    for name, data in pending_tsvs.items():
        yield Source(label=f"{path}:{name}", tsv_data=data, tsv_label=f"{path}:{name}",
                     entity_data=extras(None, name))

