"""Official PFOCR release GMTs read back into a figure gene table (pfocr-extract).

A release GMT (``pfocr-<YYYYMMDD>-gmt-<Genus_species>.gmt``) has one line per figure:
``<set name> TAB <title> TAB <NCBI Gene ID> ...``. The set name is the figid (releases up to
2023) or the ``PMCID__number`` alias (since late 2023). Each gene becomes one row:

* ``figid``: the set name as written; ``figid_alias``: the set name when it is an alias
  (``PMC<digits>__<digits>`` or ``PMC<digits>__F<digits>``), else empty;
* ``pmcid``: the ``PMC...`` part of the set name; ``figtitle``: column 2 as written;
* ``taxid`` / ``organism``: the species of the file name (``--organism`` wins);
* ``gene_id``: the ID; ``source``: ``pfocr_release`` (the release holds official-symbol
  matches only, so ``pfocr_release`` rows count as strict); ``word``, ``match``, ``symbol``
  and the record fields a release does not carry are empty; ``occurrences``: how often the
  ID is on the line.

So extract then export (defaults) writes the release again, set for set, gene for gene.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from . import organisms
from .errors import DataError, UsageError

RELEASE_SOURCE = "pfocr_release"
RELEASE_NAME = re.compile(r"pfocr-(\d{8})-gmt-([A-Z][a-z]+_[a-z]+(?:_[a-z]+)?)(?=[-_.])")
ALIAS = re.compile(r"PMC\d+__F?\d+")
_SNIFF_BYTES = 1 << 16
_RECORD_SUFFIXES = (".md", ".zip", ".tar", ".tgz", ".tar.gz", "-genes.tsv")
# header words of the tables we read or write: a line starting with one is no GMT line
_HEADER_WORDS = frozenset({"figid", "word", "set_name", "#", "file", "query"})


def _first_lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) >= _SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last one may be cut
    return [ln for ln in lines if ln.strip()][:20]


def looks_like_gmt(data: bytes, numeric_ids: bool = True) -> bool:
    """True when the first lines of ``data`` are GMT lines: a set name without white space,
    a description, and IDs without white space (digits only, with ``numeric_ids``)."""
    lines = _first_lines(data)
    if not lines or data.lstrip().startswith(b"---"):
        return False
    for line in lines:
        fields = line.split("\t")
        if len(fields) < 3 or not fields[0] or any(c.isspace() for c in fields[0]):
            return False
        if fields[0].casefold() in _HEADER_WORDS:
            return False
        ids = [f for f in fields[2:] if f]
        if not ids or any(any(c.isspace() for c in f) for f in ids):
            return False
        if numeric_ids and not all(f.isdigit() for f in ids):
            return False
    return True


def is_release_gmt(path: str) -> bool:
    """A file given to pfocr-extract that is a release GMT: a ``.gmt`` name, or GMT lines of
    NCBI Gene IDs under any other name (recognised by content)."""
    if path == "-" or not os.path.isfile(path):
        return False
    lower = path.lower()
    if lower.endswith(".gmt"):
        return True  # the release reader names a bad line
    if lower.endswith(_RECORD_SUFFIXES):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return looks_like_gmt(head)


def species_from_name(path: str) -> tuple[str, str] | None:
    """``(taxid, scientific name)`` from a release file name, or None."""
    m = RELEASE_NAME.search(os.path.basename(path))
    if m is None:
        return None
    name = m.group(2).replace("_", " ")
    taxid = organisms.name_to_taxid(name)
    if taxid is None:
        return None
    org = organisms.by_taxid(taxid)
    return taxid, org.scientific_name if org is not None else name


def release_species(path: str, organism: str | None) -> tuple[str, str]:
    if organism:
        return organisms.resolve(organism)
    found = species_from_name(path)
    if found is None:
        raise UsageError(f"{path}: no species in the file name (expected "
                         "pfocr-<YYYYMMDD>-gmt-<Genus_species>.gmt): give --organism")
    return found


def read_release(path: str, taxid: str, organism: str
                 ) -> Iterator[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Yield ``(figure metadata, rows)`` per GMT line; rows in the figure gene table's
    column order (``table.COLUMNS``), metadata in ``records.FIGURE_COLUMNS`` order."""
    seen: dict[str, int] = {}
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    with handle:
        lineno = 0
        try:
            for lineno, raw in enumerate(handle, 1):  # noqa: B007
                line = raw.rstrip("\r\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) < 2 or not fields[0].strip():
                    raise DataError("not a GMT line (expected <set name> TAB <description> "
                                    "TAB <gene id> ...)", path, lineno)
                name, title = fields[0], fields[1]
                if any(c.isspace() for c in name):
                    raise DataError(f"set name {name!r} holds white space", path, lineno)
                if name in seen:
                    raise DataError(f"set {name} seen twice (first on line {seen[name]})",
                                    path, lineno)
                seen[name] = lineno
                alias = name if ALIAS.fullmatch(name) else ""
                pmcid = name.split("__", 1)[0] if name.startswith("PMC") else ""
                counts: dict[str, int] = {}
                for gid in fields[2:]:
                    gid = gid.strip()
                    if gid:
                        counts[gid] = counts.get(gid, 0) + 1
                rows = [(name, alias, pmcid, title, "", "", "", "", "", taxid, organism,
                         "", "", "", RELEASE_SOURCE, gid, str(n)) for gid, n in counts.items()]
                meta = (name, alias, pmcid, title, "", "", "", "", "release", str(len(rows)),
                        str(len(rows)))
                yield meta, rows
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", path, lineno + 1) from None


def extract_releases(paths: list[str], output: str, figures: str | None = None,
                     organism: str | None = None, repeat: bool = False) -> dict[str, int]:
    """Write the figure gene table (and ``figures`` table) of release GMTs; return counts.
    The per-figure columns on each set's first row only (``repeat``: on every row)."""
    import contextlib

    from .records import FIGURE_COLUMNS
    from .table import COLUMNS, open_output, write_rows

    species = [release_species(p, organism) for p in paths]  # usage errors before any work
    stats = {"figures": 0, "rows": 0, "releases": len(paths)}
    owner: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open_output(output))
        figs = stack.enter_context(open_output(figures)) if figures else None
        out.write("\t".join(COLUMNS) + "\n")
        if figs is not None:
            figs.write("\t".join(FIGURE_COLUMNS) + "\n")
        for path, (taxid, name) in zip(paths, species, strict=True):
            for meta, rows in read_release(path, taxid, name):
                key = f"{meta[0]}\t{taxid}"
                if key in owner:
                    raise DataError(f"set {meta[0]} of {name} seen twice (first in "
                                    f"{owner[key]})", path)
                owner[key] = path
                if not repeat and len(rows) > 1:
                    rest = (meta[0], *[""] * 8)  # figid, the per-figure columns emptied
                    rows = [rows[0], *((*rest, *row[9:]) for row in rows[1:])]
                stats["rows"] += write_rows(out, rows, header=())
                if figs is not None:
                    write_rows(figs, [meta], header=())
                stats["figures"] += 1
    return stats
