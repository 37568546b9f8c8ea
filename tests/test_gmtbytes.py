"""pfocr-export's GMT byte path (gmtbytes): the same libraries as the whole-table path.

The oracle is the tool itself reading the table whole (pandas, build_sets): a table whose
first figure comes back at its end (one repeated row, which changes no set) is not grouped,
so pfocr-export reads it whole; the grouped table goes through the numpy byte path (blocks
made tiny: many blocks, figures carried over). Their GMT files must be byte-identical.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
from pfocr_tools import export, gmtbytes, table
from pfocr_tools.table import COLUMNS

from .clirun import run_main

HEADER = [*COLUMNS[:COLUMNS.index("gene_id") + 1], "occurrences"]
SOURCES = ["hgnc_symbol", "ncbigene_symbol", "pfocr_release", "hgnc_alias_symbol",
           "ncbigene_synonym", "bioentities_symbol", "famplex_relations"]
TAXA = [("9606", "Homo sapiens"), ("10090", "Mus musculus"), ("10116", "Rattus norvegicus"),
        ("7955", "")]  # no organism name: the file is named from the taxid
TITLES = ["Wnt signaling", "", "  spaces   and\u00a0odd  ", "50% of \u03b2-catenin",
          "a very long title " * 8, "Caf\u00e9 pathway"]


def random_table(seed: int, *, bars: bool = False, wide: bool = False,
                 nfig: int = 120) -> list[list[str]]:
    """Rows of a grouped figure gene table: taxa interleaved within figures, repeated and
    empty IDs, all the flavors' sources, per-figure values on each figure's first row."""
    rnd = random.Random(seed)
    pool = [str(rnd.randrange(1, 10**rnd.choice((1, 3, 5, 9, 12)))) for _ in range(60)]
    pool += ["", "ENSG00000141510", "P04637", "\u00e9tude"]
    if wide:
        pool.append("X" * 70)  # wider than gmtbytes.MAX_ID_BYTES
    rows = []
    for f in range(nfig):
        figid = f"PMC{rnd.randrange(10**6):07d}__F{f}"
        alias = rnd.choice(["", f"PMC{f % 7}__F1"])  # repeated aliases: --dedupe
        first = [figid, alias, figid.split("__")[0], rnd.choice(TITLES), rnd.choice(TITLES),
                 "2020", "Homo sapiens", "", ""]
        taxa = rnd.sample(TAXA, rnd.randint(1, 3))
        for r in range(rnd.randint(1, 25)):
            taxid, organism = rnd.choice(taxa)
            gid = rnd.choice(pool)
            if bars and rnd.random() < 0.05:
                gid = "|".join(rnd.sample(pool, 3))
            head = first if r == 0 else [figid] + [""] * 8
            rows.append([*head, taxid, organism, "w", "m", f"S{gid}", rnd.choice(SOURCES),
                         gid, "1"])
    return rows


def write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [HEADER, *rows]) + "\n", "utf-8")
    return path


def libraries(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in sorted(os.listdir(out))
            if name.endswith(".gmt")}


OPTIONS = [
    [],
    ["--flavor", "all", "--min-size", "0"],
    ["--flavor", "synonyms", "--max-size", "6", "--min-size", "2"],
    ["--set-name", "alias", "--dedupe", "--description", "url"],
    ["--description", "figid", "--max-title", "12", "--min-size", "1"],
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("kind", ["plain", "bars", "wide"])
def test_byte_path_matches_whole_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       options: list[str], kind: str) -> None:
    monkeypatch.setattr(table, "BLOCK_BYTES", 2048)  # many blocks, figures carried over
    rows = random_table(len(options) * 7 + len(kind), bars=kind == "bars",
                        wide=kind == "wide")
    grouped = write(tmp_path / "grouped.tsv", rows)
    scattered = write(tmp_path / "scattered.tsv", [*rows, rows[0]])  # figure 1 comes back
    results = {}
    for name, src in (("bytes", grouped), ("whole", scattered)):
        out = tmp_path / name
        out.mkdir()
        got = run_main(export.main, [src, "--split-by-organism", out, "-o", out / "all.gmt",
                                     "--no-manifest", *options])
        assert got.returncode == 0, got.stderr
        assert ("reading the whole table" in got.stderr) == (name == "whole"), got.stderr
        results[name] = libraries(out)
    assert len(results["bytes"]) >= 2
    assert results["bytes"] == results["whole"]


def test_repeated_set_name_is_an_error_on_the_byte_path(tmp_path: Path) -> None:
    rows = random_table(3, nfig=40)
    for i, row in enumerate(rows):  # every figure's alias the same
        if row[1] or i == 0:
            row[1] = "PMC1__F1"
    src = write(tmp_path / "t.tsv", rows)
    got = run_main(export.main, [src, "--split-by-organism", tmp_path / "out",
                                 "--set-name", "alias", "--min-size", "0"])
    assert got.returncode == 1
    assert "set name PMC1__F1 is used by two sets" in got.stderr
    assert "Traceback" not in got.stderr


def test_blank_lines_and_crlf(tmp_path: Path) -> None:
    rows = random_table(5, nfig=30)
    text = "\r\n".join("\t".join(r) for r in [HEADER, *rows]) + "\r\n"
    text = text.replace("\r\n", "\r\n\r\n", 3)  # blank lines
    crlf = tmp_path / "crlf.tsv"
    crlf.write_text(text, "utf-8", newline="")
    plain = write(tmp_path / "plain.tsv", rows)
    got = {}
    for name, src in (("crlf", crlf), ("plain", plain)):
        assert run_main(export.main, [src, "--split-by-organism", tmp_path / name,
                                      "--no-manifest"]).returncode == 0
        got[name] = libraries(tmp_path / name)
    assert got["crlf"] == got["plain"] and got["plain"]


def test_malformed_row_error_names_its_line(tmp_path: Path) -> None:
    rows = random_table(9, nfig=60)
    rows[40] = rows[40][:-1]  # one field too few ...
    rows[41] = [*rows[41], "x"]  # ... and one too many: they must not cancel out
    src = write(tmp_path / "bad.tsv", rows)
    got = run_main(export.main, [src, "--split-by-organism", tmp_path / "out"])
    assert got.returncode == 1
    assert "bad.tsv:42: malformed TSV: 16 fields" in got.stderr, got.stderr


# ------------------------------------------------------------------------ the numpy parts


def reference_distinct(keys: np.ndarray) -> list[int]:
    seen: dict[tuple[int, ...], int] = {}
    for i, row in enumerate(map(tuple, keys.tolist())):
        seen.setdefault(row, i)
    return sorted(seen.values())


def colliding_rows() -> np.ndarray:
    """Two different 2-column rows with one mixed value (gmtbytes._mixed), made by
    inverting its last step: the lexsort fallback must tell them apart."""
    mask = (1 << 64) - 1
    m0, m1 = gmtbytes._MIX[0], gmtbytes._MIX[1]

    def step(x: int) -> int:
        return x ^ (x >> 29)

    a0, a1, b0 = 12345, 678, 999
    inner_a = step((a0 * m0) & mask) ^ ((a1 * m1) & mask)
    b1 = ((inner_a ^ step((b0 * m0) & mask)) * pow(m1, -1, 1 << 64)) & mask
    keys = np.array([[a0, a1], [b0, b1], [a0, a1], [b0, b1], [a0, a1 + 1]], dtype=np.uint64)
    mixed = gmtbytes._mixed(keys)
    assert mixed[0] == mixed[1] and keys[0, 1] != keys[1, 1]
    return keys


def test_distinct_rows_random() -> None:
    rnd = np.random.default_rng(1)
    for n in (0, 1, 2, 50, 500):
        for width in (1, 2, 4):
            keys = rnd.integers(0, 4, size=(n, width)).astype(np.uint64)
            assert gmtbytes.distinct_rows(keys).tolist() == reference_distinct(keys)


def test_distinct_rows_and_codes_on_a_collision() -> None:
    keys = colliding_rows()
    assert gmtbytes.distinct_rows(keys).tolist() == [0, 1, 4]
    codes, n = gmtbytes.codes(keys)
    assert n == 3
    assert codes[0] == codes[2] != codes[1] == codes[3] != codes[4]
    first_codes, firsts = gmtbytes.first_seen_codes(keys)
    assert first_codes.tolist() == [0, 1, 0, 1, 2] and firsts.tolist() == [0, 1, 4]


def test_span_keys_are_exact() -> None:
    values = [b"", b"a", b"a\0", b"abcdefg", b"abcdefgh", b"abcdefgh\0", b"123456789",
              "\u00e9\u00e9".encode(), b"z" * 64]
    data = b"\t".join(values)  # the last value ends the data: read byte by byte
    starts, at = [], 0
    for v in values:
        starts.append(at)
        at += len(v) + 1
    start = np.array(starts, dtype=np.intp)
    end = start + np.array([len(v) for v in values], dtype=np.intp)
    keys = gmtbytes.span_keys(data, start, end)
    assert keys is not None
    assert len({tuple(k) for k in keys.tolist()}) == len(values)
    again = gmtbytes.span_keys(data + b"\tpadding" * 3, start, end)
    assert again is not None and (again == keys).all()
    assert gmtbytes.span_keys(b"x" * 65, np.array([0]), np.array([65])) is None
