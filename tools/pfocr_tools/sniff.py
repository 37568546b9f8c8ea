"""What a file that is not a figure gene table looks like, for a one-line error.

``kind_of(head)`` names the kind of file from its first bytes (a GMT gene-set library, a
PFOCR record page, JSON, a compressed or binary file); the table readers use it when a header
lacks the table's columns, so a GMT given as a table gets "looks like a GMT (gene-set
library), expected a figure gene table" instead of a tokenizer error.
"""

from __future__ import annotations

import os

HEAD_BYTES = 1 << 16

_MAGIC = {
    b"\x1f\x8b": "a gzip file",
    b"PK\x03\x04": "a zip archive",
    b"BZh": "a bzip2 file",
    b"\xfd7zXZ": "an xz file",
    b"SQLite format 3": "an SQLite database",
    b"%PDF": "a PDF",
}


def kind_of(head: bytes) -> str | None:
    """A short description of what ``head`` (a file's first bytes) looks like, or None when
    it could be a table."""
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"---"):
        return "a PFOCR record page (YAML front matter; run pfocr-extract first)"
    if text[:1] in (b"{", b"["):
        return "JSON"
    if text.startswith((b"<!DOCTYPE", b"<html", b"<?xml")):
        return "HTML or XML"
    if b"\x00" in head:
        return "a binary file"
    from .releases import looks_like_gmt

    if looks_like_gmt(head, numeric_ids=False):
        return "a GMT (gene-set library)"
    return None


def kind_of_file(path: str) -> str | None:
    if path == "-" or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            return kind_of(handle.read(HEAD_BYTES))
    except OSError:
        return None


def not_a_table(kind: str, expected: str = "a figure gene table") -> str:
    """The one-line message: ``this looks like <kind>, expected <expected>``."""
    return f"this looks like {kind}, expected {expected}"
