"""Gene-set names and descriptions that every GMT reader takes as written.

Used by pfocr-export (``--description``, ``--max-title``, ``--dedupe``):

* column 2 of a GMT line is the figure title (default, the release format), the figure's
  PFOCR page URL (``url``: no white space, as MSigDB does, so readers that split a line on
  any white space, e.g. decoupler's ``read_gmt``, still get exactly the genes), or the figid;
* titles are made safe: tabs, line breaks and other control characters become a space, ``%``
  becomes `` percent`` (some readers treat ``%`` as a field separator or format directive),
  runs of white space become one space; ``--max-title N`` truncates to N characters
  (ending in ``...``);
* every set name of a library is unique: a second set with a name already written is an
  error naming it, or with ``--dedupe`` an identical copy is dropped and a different set is
  renamed ``<name>_2``, ``<name>_3``, ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from urllib.parse import quote

from .errors import DataError

DESCRIPTIONS = ("title", "url", "figid")
PFOCR_URL = "https://pfocr.wikipathways.org/figures/{figid}.html"
ELLIPSIS = "..."

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def safe_title(text: str, max_chars: int | None = None) -> str:
    """One line a GMT reader keeps as written: no tab, line break, control character or
    ``%`` (written `` percent``), single spaces; at most ``max_chars`` characters."""
    if text.isprintable() and "%" not in text and "  " not in text and text[:1] != " " \
            and text[-1:] != " ":  # already safe (the common case: checked in C)
        return truncate(text, max_chars) if max_chars is not None else text
    text = _UNSAFE.sub(" ", text).replace("%", " percent")
    text = _SPACES.sub(" ", text).strip()
    if max_chars is not None:
        text = truncate(text, max_chars)
    return text


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, ending in ``...`` when cut (at a
    word boundary when one is in the last third)."""
    if max_chars < 1:
        raise ValueError("max_chars must be 1 or more")
    if len(text) <= max_chars:
        return text
    if max_chars <= len(ELLIPSIS):
        return text[:max_chars]
    room = max_chars - len(ELLIPSIS)
    cut = text[:room]
    space = cut.rfind(" ")
    if space >= room * 2 // 3 and text[room] != " ":
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def figure_url(figid: str) -> str:
    """The figure's PFOCR page (percent-encoded, so it never holds white space)."""
    return PFOCR_URL.format(figid=quote(figid, safe=""))


def description(mode: str, figid: str, title: str) -> str:
    """Column 2 of a GMT line for ``--description mode`` (title already made safe)."""
    if mode == "title":
        return title
    if mode == "url":
        return figure_url(figid)
    if mode == "figid":
        return figid
    raise ValueError(f"unknown description {mode!r}")


def has_space(text: str) -> bool:
    return any(c.isspace() for c in text)


@dataclass
class NameGuard:
    """Checks that every set name of one library is unique (see module doc).

    ``check(name, figid, title, ids)`` returns the name to write, or None for an identical
    copy dropped by ``dedupe``; raises DataError for a second set of one name otherwise.
    """

    dedupe: bool = False
    where: str | None = None
    #: name -> (figid, title, IDs joined by tabs with --dedupe, else None): what an error
    #: message or a --dedupe comparison needs, and no more (it is kept for every set)
    seen: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    renamed: int = 0
    dropped: int = 0

    def take_new(self, names: Sequence[str], figids: Sequence[str], titles: Sequence[str]
                 ) -> bool:
        """``check()`` of many sets at once, when it would pass each name as it is: without
        --dedupe, every name distinct and new (recorded, True); else False (nothing
        recorded: check them one by one)."""
        if self.dedupe or len(set(names)) != len(names) or not self.seen.keys().isdisjoint(
                names):
            return False
        self.seen.update(zip(names, zip(figids, titles, repeat(None)), strict=True))
        return True

    def check(self, name: str, figid: str, title: str, ids: Sequence[str]) -> str | None:
        first = self.seen.get(name)
        if first is None:
            self.seen[name] = (figid, title, "\t".join(ids) if self.dedupe else None)
            return name
        if not self.dedupe:
            other = f"figures {first[0]} and {figid}" if first[0] != figid else f"figure {figid}"
            titles = "" if first[1] == title else f", titles {first[1]!r} and {title!r}"
            raise DataError(f"set name {name} is used by two sets ({other}{titles}); set "
                            "names must be unique: use --dedupe, or --set-name figid",
                            self.where)
        joined = "\t".join(ids)
        if first[1:] == (title, joined):
            self.dropped += 1
            return None
        n = 2
        while f"{name}_{n}" in self.seen:
            n += 1
        new = f"{name}_{n}"
        self.seen[new] = (figid, title, joined)
        self.renamed += 1
        return new


def add_arguments(parser) -> None:  # noqa: ANN001 - an argparse parser
    """pfocr-export's options for GMT consumers."""
    parser.add_argument("--description", choices=DESCRIPTIONS, default="title",
                        help="GMT column 2 (and the TSV title column): title = the figure "
                             "title (default, as the releases); url = the figure's PFOCR page "
                             "URL, no spaces (as MSigDB; safe for readers that split lines on "
                             "any white space, e.g. decoupler); figid = the figid")
    parser.add_argument("--max-title", type=int, default=None, metavar="N",
                        help="truncate titles to N characters, ending in ... (default: no "
                             "limit). Titles are always made safe for GMT readers: no tab, "
                             "line break or %%")
    parser.add_argument("--dedupe", action="store_true",
                        help="when two sets get one name: drop an identical copy, rename a "
                             "different set <name>_2, <name>_3, ... (default: an error naming "
                             "the set)")


def check_arguments(args) -> None:  # noqa: ANN001 - an argparse namespace
    from .errors import UsageError

    if args.max_title is not None and args.max_title < 1:
        raise UsageError("--max-title must be 1 or more")


def finish_one(s, guard: NameGuard, fmt: str, mode: str = "title",  # noqa: ANN001
               max_title: int | None = None) -> bool:
    """Make one gene set (``name``, ``title``, ``figid``, ``ids``) ready to write: a safe
    (truncated) title, the chosen GMT/TSV description, a unique name. False: drop it."""
    s.title = safe_title(s.title, max_title)
    if fmt != "json":
        s.title = description(mode, s.figid, s.title)
    name = guard.check(s.name, s.figid, s.title, s.ids)
    if name is None:
        return False
    s.name = name
    return True


def finish(sets, args, where: str | None = None) -> list:  # noqa: ANN001
    """finish_one over a library's sets (those kept), with the export options ``args``."""
    guard = NameGuard(dedupe=args.dedupe, where=where)
    kept = [s for s in sets
            if finish_one(s, guard, args.format, args.description, args.max_title)]
    log_renamed(guard)
    return kept


def log_renamed(guard: NameGuard) -> None:
    """A warning counting what --dedupe changed (nothing when it changed nothing)."""
    if guard.renamed or guard.dropped:
        from .cli import log

        where = guard.where
        log.warning("warning: %s%d set(s) renamed and %d identical copies dropped for "
                    "unique set names", f"{where}: " if where else "", guard.renamed,
                    guard.dropped)
