"""Non-table inputs are named in one line (issue 14, item 5)."""

from __future__ import annotations

import gzip

from pfocr_tools import sniff

from .conftest import TEST_DATA


def test_kinds() -> None:
    gmt = (TEST_DATA / "releases" / "pfocr-20260215-gmt-Mus_musculus.slice.gmt").read_bytes()
    assert sniff.kind_of(gmt) == "a GMT (gene-set library)"
    assert sniff.kind_of(b"PMC1__a\tA title\tIL6\tSTAT3\n") == "a GMT (gene-set library)"
    assert sniff.kind_of(gzip.compress(b"figid\n")) == "a gzip file"
    page = next((TEST_DATA / "records" / "old-schema" / "_figures").glob("*.md")).read_bytes()
    assert sniff.kind_of(page).startswith("a PFOCR record page")
    assert sniff.kind_of(b'[{"_id": 1}]') == "JSON"
    assert sniff.kind_of(b"abc\x00def") == "a binary file"
    # tables are not named
    assert sniff.kind_of((TEST_DATA / "export" / "table.tsv").read_bytes()) is None
    assert sniff.kind_of(b"figid\tgene_id\nPMC1__a\t1\n") is None
    assert sniff.not_a_table("JSON") == "this looks like JSON, expected a figure gene table"
