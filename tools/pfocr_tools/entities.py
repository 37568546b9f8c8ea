"""Chemicals and diseases of PFOCR records: the figure chemical and figure disease tables.

Old schema: the page's front matter lists ``chemicals`` and ``diseases`` as
``{word, source, identifier}`` rows (``source: MESH``, or empty). Current schema:
``_data/<figid>-chemicals.tsv`` (``word mesh match name chebi``) and
``_data/<figid>-diseases.tsv`` (``word mesh match name doid``) beside the genes TSV; a
``word type identifier`` / ``word source identifier`` header (``MESH:D006984``) is read too.

Identifiers come out bare (``D001839``, ``6641``, ``0060239``): the ``mesh:`` / ``chebi:`` /
``doid:`` prefix is dropped whatever its case, ``NA`` and empty cells become empty, and a
value that is not an identifier of its column (an OMIM number in a MeSH column) is left out
with a warning. Words keep their text with runs of white space made one space.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import organisms
from .errors import DataError
from .records import (
    HUMAN,
    Page,
    _all_text,
    _kind,
    _line_of,
    decode,
    load_front_matter,
    load_reference,
    split_front_matter,
)
from .table import clean

ENTITY_KINDS = ("chemicals", "diseases")
#: The second identifier column of each kind (after ``mesh``).
OTHER_ID = {"chemicals": "chebi", "diseases": "doid"}
TSV_SUFFIXES = {"chemicals": "-chemicals.tsv", "diseases": "-diseases.tsv"}
NA = frozenset({"", "NA", "N/A", "na", "nan", "NaN", "None", "null", ".na.character"})

#: What a bare identifier of each namespace looks like.
ID_SHAPES = {
    "mesh": re.compile(r"[CDM]\d{6,9}"),
    "chebi": re.compile(r"\d+"),
    "doid": re.compile(r"\d+"),
}
_PREFIX = re.compile(r"^([A-Za-z_.]+):(.*)$")
_SPACES = re.compile(r"\s+")


@dataclass
class Entities:
    """One figure's chemical or disease rows ``(word, match, name, mesh, other_id)``."""

    kind: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def tsv_paths(src_page: str | None, src_tsv: str | None, kind: str,
              sep: str = os.sep) -> list[str]:
    """Where a figure's chemicals / diseases TSV can sit: beside its genes TSV, beside the
    page, or in the page's ``../_data/``."""
    suffix = TSV_SUFFIXES[kind]
    out: list[str] = []
    if src_tsv and src_tsv.endswith("-genes.tsv"):
        out.append(src_tsv[: -len("-genes.tsv")] + suffix)
    if src_page:
        head, _, base = src_page.rpartition(sep)
        stem = base.rsplit(".", 1)[0]
        out.append(f"{head}{sep}{stem}{suffix}" if head else f"{stem}{suffix}")
        parent = head.rpartition(sep)[0] if head else ""
        if head:
            out.append(f"{parent}{sep}_data{sep}{stem}{suffix}" if parent
                       else f"_data{sep}{stem}{suffix}")
        else:
            out.append(f"..{sep}_data{sep}{stem}{suffix}")
    if sep == "/":
        out = [posixpath.normpath(p) for p in out]
    return list(dict.fromkeys(out))


def find_tsv(src_page: str | None, src_tsv: str | None, kind: str) -> str | None:
    """The first existing chemicals / diseases TSV of a file source (None if there is none)."""
    return next((p for p in tsv_paths(src_page, src_tsv, kind) if os.path.isfile(p)), None)


# --------------------------------------------------------------------------- identifiers


def split_id(value: str, default: str | None) -> tuple[str | None, str]:
    """``(namespace, bare id)`` of a cell: ``mesh:D001839`` -> ``("mesh", "D001839")``;
    a bare value takes ``default``; ``NA`` / empty -> ``(None, "")``."""
    value = value.strip()
    if value in NA:
        return None, ""
    m = _PREFIX.match(value)
    if m:
        return m.group(1).lower(), m.group(2).strip()
    return default, value


def _id_cell(value: str, column: str, warnings: list[str], where: str) -> str:
    ns, bare = split_id(value, column)
    if ns is None or not bare:
        return ""
    if ns == column and ID_SHAPES[column].fullmatch(bare):
        return bare
    warnings.append(f"{where}: {value.strip()!r} is not a {column} identifier; left out")
    return ""


def clean_word(word: str) -> str:
    return _SPACES.sub(" ", word).strip()


# --------------------------------------------------------------------------- TSV files


def parse_entity_tsv(data: bytes, label: str, kind: str) -> Entities:
    """Rows of a ``<figid>-chemicals.tsv`` / ``<figid>-diseases.tsv``."""
    other = OTHER_ID[kind]
    text = decode(data, label)
    lines = text.splitlines()
    header = lines[0].split("\t")
    col = {name.strip().lower(): i for i, name in enumerate(header)}
    ent = Entities(kind)
    generic = "identifier" in col and "mesh" not in col and other not in col
    if "word" not in col or (not generic and "mesh" not in col and other not in col):
        missing = [c for c in ("word", "mesh", other) if c not in col]
        raise DataError(f"{kind} TSV lacks column(s) " + ", ".join(missing), label, 1)
    width = len(header)
    typecol = col.get("type", col.get("source"))
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != width:
            raise DataError(f"expected {width} tab-separated fields, found {len(cells)}",
                            label, n)
        where = f"{label}:{n}"
        word = clean_word(cells[col["word"]])
        if generic:
            mesh, oid = _generic_ids(cells[col["identifier"]],
                                     cells[typecol] if typecol is not None else "",
                                     other, ent.warnings, where)
            ent.rows.append((word, "", "", mesh, oid))
            continue
        match = cells[col["match"]].strip() if "match" in col else ""
        name = cells[col["name"]].strip() if "name" in col else ""
        ent.rows.append((
            word,
            "" if match in NA else match,
            "" if name in NA else name,
            _id_cell(cells[col["mesh"]], "mesh", ent.warnings, where) if "mesh" in col else "",
            _id_cell(cells[col[other]], other, ent.warnings, where) if other in col else "",
        ))
    return ent


def _generic_ids(identifier: str, source: str, other: str, warnings: list[str],
                 where: str) -> tuple[str, str]:
    """``(mesh, other)`` of a ``word type|source identifier`` row."""
    src = source.strip().lower()
    default = src if src in ("mesh", other) else ("mesh" if src in ("", "na") else src)
    ns, bare = split_id(identifier, default)
    if ns is None or not bare:
        return "", ""
    if ns in ("mesh", other):
        return ((_id_cell(bare, "mesh", warnings, where), "") if ns == "mesh"
                else ("", _id_cell(bare, other, warnings, where)))
    warnings.append(f"{where}: {identifier.strip()!r} is not a mesh or {other} identifier; "
                    "left out")
    return "", ""


# --------------------------------------------------------------------------- front matter


_TOP_KEY = re.compile(r"^(chemicals|diseases):", re.MULTILINE)
_NEXT_KEY = re.compile(r"^[^\s#-]", re.MULTILINE)


def _fragment(fm: str) -> str | None:
    """Only the top-level ``chemicals:`` / ``diseases:`` entries of a front matter (they end
    at the next line that starts in column 0 with anything but ``-``, a space or ``#``), or
    None when a key is there twice. Parsing them alone spares a second parse of the page."""
    starts = [m for m in _TOP_KEY.finditer(fm)]
    if len({m.group(1) for m in starts}) != len(starts):
        return None
    parts = []
    for m in starts:
        nxt = _NEXT_KEY.search(fm, m.end())
        parts.append(fm[m.start(): nxt.start() if nxt else len(fm)].rstrip("\n") + "\n")
    return "".join(parts)


def page_entities(data: bytes, label: str, exact: bool = False
                  ) -> dict[str, Entities | None]:
    """The ``chemicals`` / ``diseases`` lists of a page's front matter (None if absent)."""
    fm = split_front_matter(decode(data, label), label)
    part = None if exact else _fragment(fm)
    if part is not None:
        try:
            doc = load_front_matter(part, label) if part else {}
            return _lists(doc, part, label)
        except DataError:
            pass  # read the whole front matter: the error then names the right line
    doc = load_front_matter(fm, label, exact)
    return _lists(doc, fm, label)


def _lists(doc: dict, fm: str, label: str) -> dict[str, Entities | None]:
    if not all(_all_text(doc.get(k, "")) for k in ENTITY_KINDS):
        doc = load_reference(fm, label)  # a typed scalar: read every value as text
    out: dict[str, Entities | None] = {}
    for kind in ENTITY_KINDS:
        if kind not in doc:
            out[kind] = None
            continue
        raw = doc[kind]
        if raw in (None, ""):
            raw = []
        if not isinstance(raw, list):
            raise DataError(f"field {kind!r} must be a list, found a {_kind(raw)}", label,
                            _line_of(fm, kind))
        ent = Entities(kind)
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise DataError(f"{kind} item {i + 1} must be a mapping, found a "
                                f"{_kind(item)}", label, _line_of(fm, kind, i))
            if "word" not in item:
                raise DataError(f"{kind} item {i + 1} lacks word", label, _line_of(fm, kind, i))
            for key in ("word", "source", "identifier"):
                value = item.get(key)
                if value is not None and not isinstance(value, str):
                    raise DataError(f"{kind} item {i + 1} {key!r} must be text, found a "
                                    f"{_kind(value)}", label, _line_of(fm, kind, i))
            where = f"{label}: {kind} item {i + 1}"
            mesh, oid = _generic_ids(item.get("identifier") or "", item.get("source") or "",
                                     OTHER_ID[kind], ent.warnings, where)
            ent.rows.append((clean_word(item["word"] or ""), "", "", mesh, oid))
        out[kind] = ent
    return out


# --------------------------------------------------------------------------- rows


def figure_organisms(page: Page | None, gene_rows: Sequence[tuple[str, ...]] | None
                     ) -> tuple[str, str]:
    """The figure's organism(s) for its chemical / disease rows: ``(taxids, names)``.

    The distinct organisms of its gene rows in first-seen order, ``|``-joined (an old-schema
    figure: Homo sapiens, as its gene rows). A figure without gene rows takes the species its
    record lists (``organisms``) that resolve to an NCBI taxid; else it has none.
    """
    if page is not None and page.genes is not None:
        return HUMAN
    seen: dict[str, str] = {}
    for row in gene_rows or ():
        seen.setdefault(row[0], row[1])
    if not seen and page is not None:
        for name in page.organisms:
            taxid = organisms.name_to_taxid(name.strip())
            if taxid is not None:
                org = organisms.by_taxid(taxid)
                seen.setdefault(taxid, org.scientific_name if org is not None else name.strip())
    return "|".join(seen), "|".join(seen.values())


def entity_text(page: Page | None, figid: str, organism: tuple[str, str],
                ent: Entities | None) -> tuple[str, int]:
    """The figure's rows of a chemical / disease table as TSV lines (identical rows collapsed
    and counted, first-seen order) and their number."""
    if ent is None or not ent.rows:
        return "", 0
    counts: dict[tuple[str, ...], int] = {}
    for row in ent.rows:
        counts[row] = counts.get(row, 0) + 1
    if page is not None:
        meta = page.meta
        head_values = (figid, meta["figid_alias"], meta["pmcid"], meta["figtitle"],
                       meta["papertitle"], meta["year"], "|".join(page.organisms),
                       "|".join(page.organisms_ner), "|".join(page.mentions))
    else:
        head_values = (figid, "", "", "", "", "", "", "", "")
    head = "\t".join(clean(v) for v in (*head_values, *organism))
    lines = [f"{head}\t" + "\t".join(clean(v) for v in row) + f"\t{n}\n"
             for row, n in counts.items()]
    return "".join(lines), len(lines)
