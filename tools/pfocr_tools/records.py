"""Reading PFOCR records of both published schemas into figure gene table rows.

Old schema: a Markdown page whose YAML front matter holds ``genes`` rows
(``word, symbol, source, hgnc_symbol, entrez``); also published as
``download/<figid>-genes.tsv``. Current schema: the page holds metadata only and the genes
sit in ``<figid>-genes.tsv`` beside it or in the sibling ``_data/`` folder.

Every value comes out as the exact text of the record. PyYAML's ``BaseLoader`` (every
scalar a string) is the reference reading; the fast path parses with the Rust ``yaml_rs``
and falls back to the reference for any record where a field we use came back typed
(``symbol: 9_1_1`` read as 911, ``word: NO`` as a boolean, an empty value as null...).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from .errors import DataError
from .organisms import mentioned_taxids
from .table import clean, source_in_flavor

try:  # the fast path; the reference reading needs only PyYAML
    import yaml_rs
except ImportError:  # pragma: no cover - yaml_rs is a declared dependency
    yaml_rs = None

_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
# a repeated key: the last one wins, as in PyYAML
_LAST_WINS = yaml_rs.DuplicateKeyPolicy.LastWins if yaml_rs is not None else None

OLD_GENE_KEYS = ("word", "symbol", "source", "hgnc_symbol", "entrez")
CURRENT_TSV_REQUIRED = ("organism_id", "organism_name", "word", "ncbigene_symbol",
                        "ncbigene_id", "source")
TEXT_KEYS = ("figid", "figid_alias", "pmcid", "figtitle", "papertitle", "year", "caption",
             "number")
LIST_KEYS = ("organisms", "organisms_ner")
HUMAN = ("9606", "Homo sapiens")
_ALLOWED_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
                           "tag:yaml.org,2002:map"})
_TAG_HINT = re.compile(r"(?:^|[\s\[{,])!", re.MULTILINE)
_FM_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_RS_LINE = re.compile(r"line (\d+)")

#: nesting levels (lists and mappings inside each other) a front matter may have; real records
#: use fewer than 5. Deeper input is refused before any parser that recurses sees it.
MAX_DEPTH = 100
# a line's structural prefix: indentation, then "- ", "? ", ": " indicators, anchors and tags
_PREFIX = re.compile(r"^[ \t]*(?:(?:[-?:]|[&!][^ \t\n]*)[ \t]+)*", re.MULTILINE)
# a bracket that may open a flow collection (not one inside running text such as "ref [1]")
_FLOW_OPEN = re.compile(r"(?:^|[\[{,:?-])[ \t]*(?:[&!][^ \t\n]*[ \t]+)*[\[{]", re.MULTILINE)


@dataclass(frozen=True)
class Limits:
    """Size limits for one record (see README, "Limits and hardening")."""

    record_bytes: int = 4 << 20  # per page and per genes TSV
    field_chars: int = 65536  # per field value
    archive_bytes: int = 4 << 30  # decompressed bytes read from one archive
    depth: int = MAX_DEPTH

    @property
    def figure_bytes(self) -> int:
        """Rows one figure may write (its title is repeated on every gene row)."""
        return 4 * self.record_bytes


DEFAULT_LIMITS = Limits()
NO_TSV_WARNING = "no genes TSV found beside the page or in ../_data/"


@dataclass
class Page:
    """What we keep of one record page."""

    figid: str
    meta: dict[str, str]
    organisms: list[str]
    organisms_ner: list[str]
    genes: list[dict[str, str]] | None  # old schema rows; None for the current schema
    mentions: list[str] = field(default_factory=list)


@dataclass
class Figure:
    """One figure's rows, ready to be written: ``text`` holds them as TSV lines."""

    figid: str
    schema: str  # "old", "current" or "genes-tsv"
    text: str
    n_rows: int
    meta: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[list[str]]:
        return [line.split("\t") for line in self.text.splitlines()]


# --------------------------------------------------------------------------- text level


def decode(data: bytes, label: str) -> str:
    if not data.strip():
        raise DataError("empty file", label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", label, line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def split_front_matter(text: str, label: str) -> str:
    """Return the YAML between the opening ``---`` line and the closing one."""
    first, sep, rest = text.partition("\n")
    if first.rstrip() != "---":
        raise DataError("no YAML front matter: the first line must be '---'", label, 1)
    cut = rest.find("\n---\n")  # the usual closing line, found fast when nothing before it
    if (cut >= 0 and not rest.startswith(("---", "..."))
            and rest.find("\n---", 0, cut) < 0 and rest.find("\n...", 0, cut) < 0):
        return rest[: cut + 1]
    end = _FM_END.search(rest)
    if end is None:
        raise DataError("YAML front matter is not closed by a '---' line", label)
    return rest[: end.start()]


def _yaml_error(exc: Exception, label: str) -> DataError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = mark.line + 2 if mark is not None else None  # +1 for 0-based, +1 for '---'
    context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and cmark is not None and cmark is not mark:
        problem += f" ({context} at line {cmark.line + 2})"
    return DataError(f"invalid YAML front matter: {problem}", label, line)


def _line_of(fm: str, key: str, index: int | None = None) -> int | None:
    """File line of a top-level key (or of item ``index`` of its list); error path only."""
    try:
        root = yaml.compose(fm, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for k, v in root.value:
        if k.value == key:
            node = v
            if index is not None and isinstance(v, yaml.SequenceNode) and index < len(v.value):
                node = v.value[index]
            return (node.start_mark.line if index is not None else k.start_mark.line) + 2
    return None


def _tag_text(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


def _check_tags(fm: str, label: str) -> None:
    """Refuse explicit YAML tags (``!!python/object`` and friends)."""
    if "!" not in fm or not _TAG_HINT.search(fm):
        return
    try:
        root = yaml.compose(fm, Loader=_BaseLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if node.tag not in _ALLOWED_TAGS:
            raise DataError(f"YAML tag {_tag_text(node.tag)} is not allowed in a record", label,
                            node.start_mark.line + 2)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def check_depth(fm: str, label: str, limit: int = MAX_DEPTH) -> None:
    """Refuse front matter nesting deeper than ``limit`` (a one-line error naming the line).

    A cheap screen bounds the depth from above: block collections open at most two levels per
    column of a line's structural prefix, flow collections one per bracket that can open one.
    Only front matter the screen cannot clear is walked exactly, with PyYAML's event parser
    (a loop over a heap stack, no recursion, so no input can overflow a stack).
    """
    prefix = max(map(len, _PREFIX.findall(fm)), default=0)
    block = 2 * (prefix + 1)
    # every bracket bounds the flow collections from above (cheap); count exactly only if needed
    if block + fm.count("[") + fm.count("{") <= limit:
        return
    if block + len(_FLOW_OPEN.findall(fm)) <= limit:
        return
    depth = 0
    try:
        for event in yaml.parse(fm, Loader=_BaseLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > limit:
                    raise DataError(f"YAML front matter nests deeper than {limit} levels",
                                    label, event.start_mark.line + 2)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None


def load_reference(fm: str, label: str) -> object:
    """The exact reading: PyYAML BaseLoader, every scalar a string."""
    try:
        return yaml.load(fm, Loader=_BaseLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None


def _all_text(value: object) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(_all_text(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _all_text(v) for k, v in value.items())
    return False


def _fields_are_text(doc: dict) -> bool:
    """True if every field we use came back as text (so the typed reading is exact)."""
    for key in (*TEXT_KEYS, *LIST_KEYS):
        if not _all_text(doc.get(key, "")):
            return False
    genes = doc.get("genes", "")
    if type(genes) is not list:
        return _all_text(genes)
    for row in genes:
        if type(row) is not dict:
            return False
        for k, v in row.items():
            if type(v) is not str or type(k) is not str:
                return False
    return True


def load_front_matter(fm: str, label: str, exact: bool = False,
                      depth: int = MAX_DEPTH) -> dict:
    """Parse front matter; the fields we use come out exactly as the reference reads them."""
    check_depth(fm, label, depth)
    _check_tags(fm, label)
    if exact or yaml_rs is None:
        doc = load_reference(fm, label)
    else:
        try:
            doc = yaml_rs.loads(fm, parse_datetime=False, duplicate_key_policy=_LAST_WINS)
        except Exception:  # yaml_rs raises its own error types
            doc = load_reference(fm, label)  # gives the precise error, or the exact reading
        else:
            if not isinstance(doc, dict) or not _fields_are_text(doc):
                doc = load_reference(fm, label)
    if not isinstance(doc, dict):
        raise DataError("YAML front matter is not a mapping of keys to values", label, 2)
    return doc


# --------------------------------------------------------------------------- record level


def _text_field(doc: dict, key: str, label: str, fm: str) -> str:
    value = doc.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"field {key!r} must be text, found a {_kind(value)}", label,
                        _line_of(fm, key))
    return value


def _list_field(doc: dict, key: str, label: str, fm: str) -> list[str]:
    value = doc.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"field {key!r} must be a list of names", label, _line_of(fm, key))
    return value


def _kind(value: object) -> str:
    return {dict: "mapping", list: "list"}.get(type(value), type(value).__name__)


def _check_size(data: bytes, label: str, limits: Limits) -> None:
    if len(data) > limits.record_bytes:
        raise DataError(f"file is larger than {limits.record_bytes:,} bytes "
                        "(--max-record-bytes)", label)


def _check_chars(value: str, what: str, label: str, limits: Limits, fm: str | None = None,
                 key: str | None = None, line: int | None = None) -> None:
    if len(value) > limits.field_chars:
        if line is None and fm is not None and key is not None:
            line = _line_of(fm, key)
        raise DataError(f"{what} is longer than {limits.field_chars:,} characters "
                        "(--max-field-chars)", label, line)


def parse_page(data: bytes, label: str, exact: bool = False,
               limits: Limits = DEFAULT_LIMITS) -> Page:
    _check_size(data, label, limits)
    text = decode(data, label)
    fm = split_front_matter(text, label)
    doc = load_front_matter(fm, label, exact, limits.depth)
    if "figid" not in doc or doc["figid"] in ("", None):
        raise DataError("record has no 'figid'", label)
    meta = {k: _text_field(doc, k, label, fm) for k in TEXT_KEYS}
    for k, v in meta.items():
        _check_chars(v, f"field {k!r}", label, limits, fm, k)
    figid = meta["figid"]
    if any(c in figid for c in "\t\n\r/") or figid != figid.strip():
        raise DataError(f"invalid figid {figid!r}", label, _line_of(fm, "figid"))
    genes = None
    if "genes" in doc:
        raw = doc["genes"]
        if raw in (None, ""):
            raw = []
        if not isinstance(raw, list):
            raise DataError(f"field 'genes' must be a list, found a {_kind(raw)}", label,
                            _line_of(fm, "genes"))
        genes = []
        for i, row in enumerate(raw):
            if type(row) is dict and len(row) == 5 and all(
                    type(row.get(k)) is str for k in OLD_GENE_KEYS):
                if max(map(len, row.values())) > limits.field_chars:
                    key = max(row, key=lambda k: len(row[k]))
                    _check_chars(row[key], f"genes item {i + 1} {key!r}", label, limits,
                                 line=_line_of(fm, "genes", i))
                genes.append(row)
                continue
            problem = None
            if not isinstance(row, dict):
                problem = f"must be a mapping, found a {_kind(row)}"
            elif missing := [k for k in OLD_GENE_KEYS if k not in row]:
                problem = f"lacks {', '.join(missing)}"
            else:
                bad = [k for k in OLD_GENE_KEYS if not isinstance(row[k], str)]
                if bad:
                    problem = f"{bad[0]!r} must be text, found a {_kind(row[bad[0]])}"
            if problem:
                raise DataError(f"genes item {i + 1} {problem}", label, _line_of(fm, "genes", i))
            genes.append(row)
    page = Page(
        figid=figid,
        meta=meta,
        organisms=_list_field(doc, "organisms", label, fm),
        organisms_ner=_list_field(doc, "organisms_ner", label, fm),
        genes=genes,
    )
    for key in LIST_KEYS:
        for name in getattr(page, key):
            _check_chars(name, f"field {key!r}", label, limits, fm, key)
    page.mentions = mentioned_taxids(meta["figtitle"], meta["caption"], meta["papertitle"])
    return page


def parse_genes_tsv(data: bytes, label: str, limits: Limits = DEFAULT_LIMITS
                    ) -> list[tuple[str, ...]]:
    """Gene rows ``(taxid, organism, word, match, symbol, source, gene_id)`` of a genes TSV.

    Accepts the current ``_data/<figid>-genes.tsv`` (columns used by name; count columns
    optional) and the old ``download/<figid>-genes.tsv`` (``word symbol source hgnc_symbol
    entrez``, human).
    """
    _check_size(data, label, limits)
    text = decode(data, label)
    lines = text.splitlines()
    header = lines[0].split("\t")
    col = {name.strip(): i for i, name in enumerate(header)}
    if all(k in col for k in CURRENT_TSV_REQUIRED):
        order = [col[k] for k in ("organism_id", "organism_name", "word")]
        order += [col.get("match", col["word"])]
        order += [col[k] for k in ("ncbigene_symbol", "source", "ncbigene_id")]
    elif all(k in col for k in OLD_GENE_KEYS):
        order = [-1, -2] + [col[k] for k in ("word", "symbol", "hgnc_symbol", "source", "entrez")]
    else:
        missing = [k for k in CURRENT_TSV_REQUIRED if k not in col]
        raise DataError("genes TSV lacks column(s) " + ", ".join(missing), label, 1)
    width = len(header)
    pick = operator.itemgetter(*order[2:] if order[0] < 0 else order)
    prefix = HUMAN if order[0] < 0 else ()
    rows = []
    for n, line in enumerate(lines[1:], 2):
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != width:
            raise DataError(f"expected {width} tab-separated fields, found {len(cells)}",
                            label, n)
        if len(line) > limits.field_chars:
            for cell in cells:
                _check_chars(cell, "a field", label, limits, line=n)
        rows.append(prefix + pick(cells))
    return rows


def _old_rows(genes: list[dict[str, str]]) -> list[tuple[str, ...]]:
    return [(*HUMAN, g["word"], g["symbol"], g["hgnc_symbol"], g["source"], g["entrez"])
            for g in genes]


def build_figure(page: Page | None, gene_rows: list[tuple[str, ...]] | None,
                 figid: str | None = None, flavor: str = "all",
                 limits: Limits = DEFAULT_LIMITS, label: str | None = None,
                 repeat: bool = False) -> Figure:
    """Collapse identical gene rows (counting them) and attach the figure's metadata.

    The per-figure columns are written on the first row only, empty on the others
    (``repeat``: on every row)."""
    warnings: list[str] = []
    if page is not None:
        meta = page.meta
        figid = page.figid
        if page.genes is not None:
            schema = "old"
            gene_rows = _old_rows(page.genes)
        else:
            schema = "current"
            if gene_rows is None:
                warnings.append(NO_TSV_WARNING)
                gene_rows = []
        record_orgs = "|".join(page.organisms)
        ner = "|".join(page.organisms_ner)
        mentions = "|".join(page.mentions)
    else:
        assert figid is not None and gene_rows is not None
        schema = "genes-tsv"
        meta = dict.fromkeys(TEXT_KEYS, "")
        meta["figid"] = figid
        record_orgs = ner = mentions = ""
    counts: dict[tuple[str, ...], int] = {}
    for row in gene_rows:
        if flavor == "all" or source_in_flavor(row[5], flavor):
            counts[row] = counts.get(row, 0) + 1
    head = "\t".join(clean(v) for v in (figid, meta["figid_alias"], meta["pmcid"],
                                        meta["figtitle"], meta["papertitle"], meta["year"],
                                        record_orgs, ner, mentions))
    rest = head if repeat else clean(figid) + "\t" * (head.count("\t"))
    size = (len(head) + len(rest) * (len(counts) - 1) + 16 * len(counts)
            + sum(map(len, itertools.chain.from_iterable(counts))))
    if size > limits.figure_bytes:
        raise DataError(f"the figure's rows would take {size:,} bytes, over "
                        f"{limits.figure_bytes:,} (4 x --max-record-bytes)", label or figid)
    lines = []
    genes = set()
    for row, n in counts.items():
        joined = "\t".join(row)
        if joined.count("\t") != 6 or "\n" in joined or "\r" in joined:
            joined = "\t".join(clean(v) for v in row)
        lines.append(f"{rest if lines else head}\t{joined}\t{n}\n")
        genes.add(row[6])
    fmeta = {
        "figid": figid,
        "figid_alias": meta["figid_alias"],
        "pmcid": meta["pmcid"],
        "figtitle": meta["figtitle"],
        "papertitle": meta["papertitle"],
        "year": meta["year"],
        "record_organisms": record_orgs,
        "organisms_ner": ner,
        "schema": schema,
        "n_rows": str(len(lines)),
        "n_genes": str(len(genes)),
    }
    return Figure(figid=figid, schema=schema, text="".join(lines), n_rows=len(lines),
                  meta=fmeta, warnings=warnings)


FIGURE_COLUMNS: Sequence[str] = ("figid", "figid_alias", "pmcid", "figtitle", "papertitle",
                                 "year", "record_organisms", "organisms_ner", "schema",
                                 "n_rows", "n_genes")


def figid_from_tsv_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[: -len("-genes.tsv")] if base.endswith("-genes.tsv") else base
