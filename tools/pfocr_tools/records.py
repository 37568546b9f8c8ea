"""Reading PFOCR records of both published schemas into figure gene table rows.

Old schema: a Markdown page whose YAML front matter holds ``genes`` rows
(``word, symbol, source, hgnc_symbol, entrez``); also published as
``download/<figid>-genes.tsv``. Current schema: the page holds metadata only and the genes
sit in ``<figid>-genes.tsv`` beside it or in the sibling ``_data/`` folder.

Every value comes out as the exact text of the record. PyYAML's ``BaseLoader`` (every
scalar a string) is the reference reading; the fast path parses with the Rust ``yaml_rs``
and, for any record where a field we use came back typed (``symbol: 9_1_1`` read as 911,
``word: NO`` as a boolean, an empty value as null...), reads it again exactly: with the
simple-shape reader (:func:`fast_front_matter`) when the front matter has the dumper's plain
block shape, else with the reference.
"""

from __future__ import annotations

import collections
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
_USED_KEYS = (*TEXT_KEYS, *LIST_KEYS)
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
#: what :func:`_prefixes_short` checks: no line's structural prefix is longer than this
_SHORT_PREFIX = 15
# bytes of a prefix without anchors or tags -> 1, anchor / tag openers -> 2, line feed kept
_PREFIX_BYTES = bytes(1 if c in b" \t-?:" else 2 if c in b"&!" else c if c == 10 else 0
                      for c in range(256))
_LONG_RUN = b"\n" + b"\x01" * (_SHORT_PREFIX + 1)


def _prefixes_short(fm: str) -> bool:
    """True if no line of ``fm`` has a structural prefix (``_PREFIX``) longer than
    ``_SHORT_PREFIX`` characters; False if some line may have one.

    Without a regex pass over every line: a prefix is made of spaces, tabs, the indicators
    ``- ? :`` and of anchors and tags, which start with ``&`` or ``!``. So a line whose prefix
    is longer than N characters either starts with N + 1 spaces, tabs or indicators, or has
    ``&`` or ``!`` after at most N of them. The text is mapped to classes with one
    ``bytes.translate`` (a character outside ASCII becomes bytes >= 0x80, mapped to 0) and
    searched with ``find``.
    """
    b = fm.encode("utf-8").translate(_PREFIX_BYTES)
    if _LONG_RUN in b or b.startswith(_LONG_RUN[1:]):
        return False
    at = b.find(2)
    while at >= 0:
        start = b.rfind(10, 0, at) + 1
        if at - start <= _SHORT_PREFIX and b.count(1, start, at) == at - start:
            return False
        at = b.find(2, at + 1)
    return True


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
    if not data or data.isspace():  # as ``not data.strip()``, without the copy
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
    nl = text.find("\n")  # positions in ``text``: no copy of the rest of the page
    start = len(text) if nl < 0 else nl + 1
    if text[: start - 1 if nl >= 0 else start].rstrip() != "---":
        raise DataError("no YAML front matter: the first line must be '---'", label, 1)
    cut = text.find("\n---", start)  # the usual closing line "---", found fast when the
    if (cut >= 0 and text.startswith("\n", cut + 4)  # first such line is it, with nothing
            and not text.startswith(("---", "..."), start)  # that could close before it
            and text.find("\n...", start, cut) < 0):
        return text[start: cut + 1]
    end = _FM_END.search(text, start) if nl >= 0 else None
    if end is None:
        raise DataError("YAML front matter is not closed by a '---' line", label)
    return text[start: end.start()]


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
    # every bracket bounds the flow collections from above (cheap); count exactly only if needed
    brackets = fm.count("[") + fm.count("{")
    if 2 * (_SHORT_PREFIX + 1) + brackets <= limit and _prefixes_short(fm):
        return  # no prefix is longer than _SHORT_PREFIX: the bound below holds without findall
    prefix = max(map(len, _PREFIX.findall(fm)), default=0)
    block = 2 * (prefix + 1)
    if block + brackets <= limit:
        return
    if block + len(_FLOW_OPEN.findall(fm)) <= limit:
        return
    walk_depth(fm, label, limit)


def walk_depth(fm: str, label: str, limit: int = MAX_DEPTH) -> None:
    """check_depth's exact walk: PyYAML's event parser, the collections open at each event
    (a loop over a heap stack, no recursion)."""
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
    if isinstance(value, list):  # a list of names, checked at once; else item by item
        return set(map(type, value)) <= _JUST_STR or all(map(_all_text, value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _all_text(v) for k, v in value.items())
    return False


def _fields_are_text(doc: dict) -> bool:
    """True if every field we use came back as text (so the typed reading is exact)."""
    values = list(map(doc.get, _USED_KEYS, itertools.repeat("")))
    if not set(map(type, values)) <= _JUST_STR and not all(
            type(v) is str or _all_text(v) for v in values):
        return False
    genes = doc.get("genes", "")
    if type(genes) is not list:
        return _all_text(genes)
    # every row a mapping of text to text, checked in C-level passes (keys, then values)
    return (set(map(type, genes)) <= _JUST_DICT
            and set(map(type, itertools.chain.from_iterable(genes))) <= _JUST_STR
            and set(map(type, itertools.chain.from_iterable(map(dict.values, genes))))
            <= _JUST_STR)


# ---------------------------------------------------------------- the simple-shape reader
#
# Front matter written by a YAML dumper in block style (every record page of PFOCR) is read
# here without a general YAML parser, giving exactly what the reference (PyYAML BaseLoader,
# every scalar a string) gives. Only a narrow, checked shape is taken: block mappings of
# simple keys, block sequences (also "indentless" under a key), one-line or folded plain and
# single-quoted scalars, ``[]``, ``{}``; no tabs, carriage returns, blank lines, trailing
# spaces, comments, anchors, aliases, tags, double quotes, block scalars or flow content.
# Anything else returns None and goes to the general readers (which also give the errors),
# so this reader needs to be sound, not complete. The checks are C-level passes (``in``,
# ``count``, ``split``, one regex) over a whole level, not a loop over characters.

#: characters outside the printable set of YAML / PyYAML, and those that end a line or
#: are skipped there (tab, CR, NEL, LS, PS, BOM): front matter holding one takes the full path
_FAST_BAD = re.compile("[^\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                       "\U00010000-\U0010ffff]")
_FAST_KEY = r"(?:[A-Za-z0-9_][\w.-]*|'[^'\n]*')"
#: one entry of a block mapping at column 0: key, the rest of its line, the lines under it
_FAST_ENTRY = re.compile(rf"^({_FAST_KEY}):(?: (.+))?\n((?:[ -].*\n)*)", re.MULTILINE)
_FAST_ITEM_KEY = re.compile(rf"{_FAST_KEY}:(?: |$)", re.MULTILINE)
#: first characters a plain scalar may not start with (or starts only in some contexts)
_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FAST_DEPTH = 32  # nesting taken by the simple-shape reader (deeper: the general path)
_GENE_PREFIXES = ("- word: ", "  symbol: ", "  source: ", "  hgnc_symbol: ", "  entrez: ")
_FIRST = operator.itemgetter(0)
_LAST = operator.itemgetter(-1)


def fast_front_matter(fm: str) -> dict | None:
    """The reference reading of ``fm`` if it has the simple block shape (see above), else
    None. Never raises for any input (a None sends it to the general readers)."""
    if (not fm.endswith("\n") or fm[0] in " -" or " \n" in fm or "\n\n" in fm
            or _FAST_BAD.search(fm)):
        return None
    try:
        return _fast_mapping(fm, 1)
    except (IndexError, ValueError):  # pragma: no cover - a shape the checks missed
        return None


def _fast_mapping(text: str, depth: int) -> dict | None:
    """A block mapping at column 0 (``text`` ends with a line feed, starts with a key)."""
    entries = _FAST_ENTRY.findall(text)
    # every line at column 0 that is not a "- " item must start an entry (findall skips lines)
    if len(entries) != text.count("\n") - text.count("\n ") - text.count("\n-"):
        return None
    doc: dict = {}
    plain: list[str] = []
    for key, value, block in entries:
        if len(key) > 512:  # a simple key is at most 1024 characters long
            return None
        if key[0] == "'":
            key = key[1:-1]
        if block:
            v = _fast_folded(value, block) if value else _fast_block(block, depth + 1)
            if v is None:
                return None
            doc[key] = v
        elif not value:
            doc[key] = ""  # "key:" and nothing under it: an empty scalar
        elif value[0] in _PLAIN_BAD_START:
            v = _fast_special(value, depth + 1)
            if v is None:
                return None
            doc[key] = v
        else:
            plain.append(value)
            doc[key] = value
    if plain and not _plain_ok("\n".join(plain)):
        return None
    return doc


def _plain_ok(joined: str) -> bool:
    """True if each line of ``joined`` (a plain scalar's text, its first character checked)
    reads as itself: no ``: `` or line-final ``:`` (a mapping value) and no `` #`` (a
    comment)."""
    return ": " not in joined and " #" not in joined and ":\n" not in joined and (
        not joined.endswith(":"))


def _fast_special(value: str, depth: int) -> object:
    """A one-line value that does not start like a plain scalar: a single-quoted scalar,
    ``[]`` or ``{}``; else None."""
    if value[0] == "'":
        return _single_quoted(value)
    if _plain_start(value):  # "-x", "?x", ":x": plain
        return value if _plain_ok(value) else None
    if depth > _FAST_DEPTH:
        return None
    if value == "[]":
        return []
    if value == "{}":
        return {}
    return None


def _single_quoted(text: str) -> str | None:
    """A single-quoted scalar (lines already folded) that ends the text, else None."""
    if len(text) < 2 or text[-1] != "'":
        return None
    inner = text[1:-1]
    if "'" in inner.replace("''", ""):
        return None
    return inner.replace("''", "'")


def _fast_folded(value: str, block: str) -> str | None:
    """A scalar whose first line is ``value`` and whose next lines (``block``, each more
    indented than its key) fold into it, one space per line break."""
    if block[0] != " " or "\n-" in block:
        return None
    text = value + " " + " ".join(map(str.lstrip, block[:-1].split("\n"),
                                      itertools.repeat(" ")))
    if value[0] == "'":
        return _single_quoted(text)
    if not _plain_start(value) or not _plain_ok(text):
        return None
    return text


def _plain_start(value: str) -> bool:
    """True if ``value`` (no line feed, tab or trailing space) may start a plain scalar in a
    block collection (``-``, ``?`` and ``:`` only before a character other than a space)."""
    return value[0] not in _PLAIN_BAD_START or (
        value[0] in "-?:" and len(value) > 1 and value[1] != " ")


def _fast_block(block: str, depth: int) -> object:
    """The collection under a ``key:`` line: a sequence at the key's column, or a mapping or
    sequence indented under it (shifted to column 0 first)."""
    if depth > _FAST_DEPTH:
        return None
    if block[0] == "-":
        return _fast_sequence(block, depth)
    n = len(block) - len(block.lstrip(" "))
    pad = "\n" + " " * n
    if block.count(pad) != block.count("\n") - 1:  # a line less indented than the first
        return None
    text = block[n:].replace(pad, "\n")
    return _fast_sequence(text, depth) if text[0] == "-" else _fast_mapping(text, depth)


def _fast_sequence(text: str, depth: int) -> list | None:
    """A block sequence at column 0: every column-0 line an item (``- ``)."""
    dashes = text.count("\n-")
    if (not text.startswith("- ") or dashes != text.count("\n- ")
            or dashes + text.count("\n ") != text.count("\n") - 1):  # other lines: indented
        return None
    if text.startswith(_GENE_PREFIXES[0]):
        rows = _gene_rows(text)
        if rows is not None:
            return rows
    if "\n " not in text and ": " not in text and ":\n" not in text:
        items = text[2:-1].split("\n- ")  # one-line scalars (the usual list of names)
        return _fast_scalars(items, depth)
    out: list = []
    for item in text[2:-1].split("\n- "):
        if _FAST_ITEM_KEY.match(item):  # "- key: ...": a mapping at column 2
            if item.count("\n") != item.count("\n  "):
                return None
            v = _fast_mapping(item.replace("\n  ", "\n") + "\n", depth + 1)
        elif "\n" in item:
            first, _, rest = item.partition("\n")
            v = _fast_folded(first, rest + "\n")
        else:
            v = _fast_scalars([item], depth)
            v = v[0] if v is not None else None
        if v is None:
            return None
        out.append(v)
    return out


def _fast_scalars(items: list[str], depth: int) -> list | None:
    """One-line scalars (plain, single-quoted, ``[]``, ``{}``) read at once."""
    if not all(items):
        return None
    if set(map(_FIRST, items)).isdisjoint(_PLAIN_BAD_START):
        return items if _plain_ok("\n".join(items)) else None
    out = []
    plain = []
    for item in items:
        if item[0] in _PLAIN_BAD_START:
            v = _fast_special(item, depth + 1)
            if v is None:
                return None
            out.append(v)
        else:
            plain.append(item)
            out.append(item)
    if plain and not _plain_ok("\n".join(plain)):
        return None
    return out


def _gene_rows(text: str) -> list | None:
    """Old-schema gene rows in the dumper's layout (five one-line keys per row, in the order
    of ``_GENE_PREFIXES``), read column by column; None for any other layout."""
    lines = text[:-1].split("\n")
    if len(lines) % 5:
        return None
    columns = []
    for k, prefix in enumerate(_GENE_PREFIXES):
        part = lines[k::5]
        if not all(map(str.startswith, part, itertools.repeat(prefix))):
            return None
        values = [line[len(prefix):] for line in part]
        if not all(values):
            return None
        if set(map(_FIRST, values)).isdisjoint(_PLAIN_BAD_START):
            if not _plain_ok("\n".join(values)):
                return None
        elif (set(map(_FIRST, values)) == {"'"} and set(map(_LAST, values)) == {"'"}
              and min(map(len, values)) > 1):
            inner = [v[1:-1] for v in values]  # quoted, as the dumper writes numbers
            joined = "\n".join(inner)
            if "'" in joined:
                if "'" in joined.replace("''", ""):
                    return None
                inner = [v.replace("''", "'") for v in inner]
            values = inner
        else:
            values = _fast_scalars(values, 3)
            if values is None:
                return None
        columns.append(values)
    return [{"word": w, "symbol": s, "source": so, "hgnc_symbol": h, "entrez": e}
            for w, s, so, h, e in zip(*columns, strict=True)]


def load_front_matter(fm: str, label: str, exact: bool = False,
                      depth: int = MAX_DEPTH) -> dict:
    """Parse front matter; the fields we use come out exactly as the reference reads them."""
    return _load_front_matter(fm, label, exact, depth)[0]


def _load_front_matter(fm: str, label: str, exact: bool, depth: int) -> tuple[dict, bool]:
    """:func:`load_front_matter`, and whether every field we use is known to be text (the
    fast path checked it with :func:`_fields_are_text`)."""
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
            if isinstance(doc, dict) and _fields_are_text(doc):
                return doc, True
            # a field came back typed (``symbol: 9_1_1`` as 911...): the exact reading, from
            # the simple-shape reader when the front matter has that shape (about 6x faster
            # than the reference reader), else from the reference
            doc = fast_front_matter(fm)
            if doc is None:
                doc = load_reference(fm, label)
    if not isinstance(doc, dict):
        raise DataError("YAML front matter is not a mapping of keys to values", label, 2)
    return doc, False


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
    doc, all_text = _load_front_matter(fm, label, exact, limits.depth)
    if "figid" not in doc or doc["figid"] in ("", None):
        raise DataError("record has no 'figid'", label)
    values = list(map(doc.get, TEXT_KEYS, itertools.repeat("")))
    if set(map(type, values)) <= _JUST_STR:  # the usual case: every field text (or absent)
        meta = dict(zip(TEXT_KEYS, values, strict=True))
    else:
        meta = {k: _text_field(doc, k, label, fm) for k in TEXT_KEYS}
    # no value read from the front matter is longer than its text (escapes, folding and block
    # scalars only shorten; an alias repeats a value written in it): check values only then
    long_text = len(fm) > limits.field_chars
    if long_text:
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
        if _plain_gene_rows(raw, all_text):  # the usual case; rows as the loop below
            genes = raw
            if long_text:
                for i, row in enumerate(raw):
                    _check_gene_chars(row, i, label, limits, fm)
        else:
            genes = _checked_gene_rows(raw, label, limits, fm)
    page = Page(
        figid=figid,
        meta=meta,
        organisms=_list_field(doc, "organisms", label, fm),
        organisms_ner=_list_field(doc, "organisms_ner", label, fm),
        genes=genes,
    )
    for key in LIST_KEYS if long_text else ():
        for name in getattr(page, key):
            _check_chars(name, f"field {key!r}", label, limits, fm, key)
    page.mentions = mentioned_taxids(meta["figtitle"], meta["caption"], meta["papertitle"])
    return page


_OLD_GENE_KEYSET = frozenset(OLD_GENE_KEYS)
_JUST_DICT = frozenset({dict})
_JUST_STR = frozenset({str})


def _plain_gene_rows(raw: list, all_text: bool) -> bool:
    """True if every row is a mapping of exactly the five old-schema keys to text (checked
    with C-level passes, no Python per row; ``all_text``: rows are known to be mappings of
    text to text, only their keys are left to check)."""
    return ((all_text or set(map(type, raw)) <= _JUST_DICT)
            and all(map(operator.eq, map(dict.keys, raw), itertools.repeat(_OLD_GENE_KEYSET)))
            and (all_text or set(map(type, itertools.chain.from_iterable(map(dict.values, raw))))
                 <= _JUST_STR))


def _check_gene_chars(row: dict, i: int, label: str, limits: Limits, fm: str) -> None:
    if max(map(len, row.values())) > limits.field_chars:
        key = max(row, key=lambda k: len(row[k]))
        _check_chars(row[key], f"genes item {i + 1} {key!r}", label, limits,
                     line=_line_of(fm, "genes", i))


def _checked_gene_rows(raw: list, label: str, limits: Limits, fm: str) -> list[dict[str, str]]:
    """The gene rows, checked one by one: the first bad one is the error."""
    genes = []
    for i, row in enumerate(raw):
        if type(row) is dict and len(row) == 5 and all(
                type(row.get(k)) is str for k in OLD_GENE_KEYS):
            _check_gene_chars(row, i, label, limits, fm)
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
        _check_gene_chars({k: row[k] for k in OLD_GENE_KEYS}, i, label, limits, fm)
        genes.append(row)
    return genes


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
    cells_of = [line.split("\t") for line in itertools.islice(lines, 1, None) if line]
    if len(text) <= limits.field_chars and set(map(len, cells_of)) <= {width}:
        # the usual case, checked at once: every line of the width, no field too long
        if prefix:
            return [prefix + cells for cells in map(pick, cells_of)]
        return list(map(pick, cells_of))
    rows = []  # find the first bad line, as the check line by line does
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


_OLD_PICK = operator.itemgetter("word", "symbol", "hgnc_symbol", "source", "entrez")


def build_figure(page: Page | None, gene_rows: list[tuple[str, ...]] | None,
                 figid: str | None = None, flavor: str = "all",
                 limits: Limits = DEFAULT_LIMITS, label: str | None = None,
                 repeat: bool = False) -> Figure:
    """Collapse identical gene rows (counting them) and attach the figure's metadata.

    The per-figure columns are written on the first row only, empty on the others
    (``repeat``: on every row)."""
    warnings: list[str] = []
    lead: tuple[str, ...] = ()  # leading gene columns the same on every row (old schema)
    if page is not None:
        meta = page.meta
        figid = page.figid
        if page.genes is not None:
            schema = "old"
            lead = HUMAN  # rows below: (word, match, symbol, source, gene_id)
            gene_rows = list(map(_OLD_PICK, page.genes))
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
    source_at, gene_at = 5 - len(lead), 6 - len(lead)
    if flavor != "all":
        gene_rows = [row for row in gene_rows if source_in_flavor(row[source_at], flavor)]
    counts = collections.Counter(gene_rows)  # first-seen order
    values = (figid, meta["figid_alias"], meta["pmcid"], meta["figtitle"], meta["papertitle"],
              meta["year"], record_orgs, ner, mentions)
    head = "\t".join(values)
    if head.count("\t") != 8 or "\n" in head or "\r" in head:
        head = "\t".join(map(clean, values))
    # the per-figure columns on the first row only (repeat: on every row)
    rest = head if repeat else head[:head.index("\t")] + "\t" * 8
    joined = list(map("\t".join, counts))
    # the characters of every row's values (a join adds gene_at tabs to them), as before
    size = ((len(rest) + 16 + sum(map(len, lead))) * len(counts) + len(head) - len(rest)
            + sum(map(len, joined)) - gene_at * len(joined))
    if size > limits.figure_bytes:
        raise DataError(f"the figure's rows would take {size:,} bytes, over "
                        f"{limits.figure_bytes:,} (4 x --max-record-bytes)", label or figid)
    if joined:
        every = "\n".join(joined)  # a tab or line break inside a value: clean the values
        if (every.count("\t") != (gene_at * len(joined)) or "\r" in every
                or every.count("\n") != len(joined) - 1):
            joined = ["\t".join(map(clean, row)) for row in counts]
    prefix = "\t".join((head, *lead, ""))
    after = "\t".join((rest, *lead, ""))  # the prefix of every row but the first
    if not joined:
        text = ""
    elif sum(counts.values()) == len(joined):  # every row once (the usual case)
        text = prefix + ("\t1\n" + after).join(joined) + "\t1\n"
    else:
        text = prefix + ("\n" + after).join(
            map("\t".join, zip(joined, map(str, counts.values()), strict=True))) + "\n"
    n_genes = len(set(map(operator.itemgetter(gene_at), counts)))
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
        "n_rows": str(len(joined)),
        "n_genes": str(n_genes),
    }
    return Figure(figid=figid, schema=schema, text=text, n_rows=len(joined),
                  meta=fmeta, warnings=warnings)


FIGURE_COLUMNS: Sequence[str] = ("figid", "figid_alias", "pmcid", "figtitle", "papertitle",
                                 "year", "record_organisms", "organisms_ner", "schema",
                                 "n_rows", "n_genes")


def figid_from_tsv_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[: -len("-genes.tsv")] if base.endswith("-genes.tsv") else base
