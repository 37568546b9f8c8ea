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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    """Two different 2-column rows with one hash (gmtbytes.hash_words: its last steps are
    one-to-one, so rows whose multiplied words xor to the same value collide): the lexsort
    fallback must tell them apart."""
    mask = (1 << 64) - 1
    m0, m1 = gmtbytes._WORD_MIX[0], gmtbytes._WORD_MIX[1]
    a0, a1, b0 = 12345, 678, 999
    inner_a = ((a0 * m0) & mask) ^ ((a1 * m1) & mask)
    b1 = ((inner_a ^ ((b0 * m0) & mask)) * pow(m1, -1, 1 << 64)) & mask
    keys = np.array([[a0, a1], [b0, b1], [a0, a1], [b0, b1], [a0, a1 + 1]], dtype=np.uint64)
    hashed = gmtbytes.hash_words(keys)
    assert hashed[0] == hashed[1] and keys[0, 1] != keys[1, 1]
    return keys


def test_distinct_rows_random() -> None:
    rnd = np.random.default_rng(1)
    for n in (0, 1, 2, 50, 500):
        for width in (1, 2, 4):
            keys = rnd.integers(0, 4, size=(n, width)).astype(np.uint64)
            assert gmtbytes.distinct_rows(keys).tolist() == reference_distinct(keys)
            assert gmtbytes.first_seen_codes(keys)[1].tolist() == reference_distinct(keys)


def test_distinct_rows_and_codes_on_a_collision() -> None:
    keys = colliding_rows()
    assert gmtbytes.distinct_rows(keys).tolist() == [0, 1, 4]
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


# -- KeyCodes: pfocr-report's gene codes keyed on the bytes

_VALUE = st.one_of(
    st.sampled_from(["", "1", "1234567", "12345678", "abcdefgh" * 8, "abcdefgh" * 8 + "x",
                     "\u00e9", "a\x00", "\x00", "ENSG00000141510"]),
    st.text(alphabet="ab\u00e9\x00-0", max_size=20),
    st.integers(0, 10**12).map(str))


def _keyed(values: list[str]) -> np.ndarray | None:
    """``values`` as span_keys rows over one buffer (tab-separated, as a table's field)."""
    enc = [v.encode("utf-8") for v in values]
    lens = np.fromiter(map(len, enc), np.intp, len(enc))
    ends = np.cumsum(lens + 1) - 1
    return gmtbytes.span_keys(b"\t".join(enc) + b"\n", ends - lens, ends)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.tuples(st.lists(_VALUE, max_size=40), st.booleans()), max_size=8),
       collide=st.booleans(), narrow=st.booleans())
def test_key_codes_equal_a_dict(batches: list[tuple[list[str], bool]], collide: bool,
                                narrow: bool) -> None:
    """KeyCodes gives each distinct value one code, from bytes (keys) or text, with a hash
    that collides all the time (values then looked up in the dict of odd values) and with
    values wider than MAX_ID_BYTES (text only); new values get the next codes, in the order
    first seen unless a collision or a wide value sends one to the dict (later)."""
    with pytest.MonkeyPatch.context() as mp:
        if collide:  # hashed values by length mod 3: many keys, one hash
            mp.setattr(gmtbytes, "hash_words", lambda k: k[:, 0] % np.uint64(3))
        if narrow:
            mp.setattr(gmtbytes, "MAX_ID_BYTES", 12)
        table = gmtbytes.KeyCodes()
        want: dict[str, int] = {}
        asked: list[int] = []
        ordered = not collide  # codes in the order first seen (no value in the dict)
        for values, as_text in batches:
            if any(len(v.encode("utf-8")) > gmtbytes.MAX_ID_BYTES for v in values):
                ordered = False
            keys = None if as_text else _keyed(values)
            if keys is None:
                got = table.encode_texts(values)
            else:
                def texts(rows: np.ndarray, values: list[str] = values) -> list[str]:
                    asked.extend(rows.tolist())
                    return [values[i] for i in rows.tolist()]

                got = table.encode(keys, texts)
            assert isinstance(got, np.ndarray) and len(got) == len(values)
            assert [table.names[c] for c in got.tolist()] == values
            assert len(set(table.names)) == len(table.names)
            assert set(table.names) == set(want) | set(values)
            if not ordered:
                want.update((v, 0) for v in values)
            else:
                assert got.tolist() == [want.setdefault(v, len(want)) for v in values]
                assert table.names == list(want)
    if not collide:  # a value is decoded only when first seen
        assert len(asked) <= len(want)


def test_key_values_exact_below_8_bytes() -> None:
    """Values of at most 7 bytes: their exact value (no check needed); longer ones a hash
    with the top bit set (never an exact value); zero words (padding) change no hash."""
    keys = _keyed(["", "a", "abc\x00", "1234567", "12345678", "x" * 30])
    assert keys is not None
    value, hashed = gmtbytes.key_values(keys)
    assert hashed is not None and hashed.tolist() == [False] * 4 + [True] * 2
    assert len(set(value.tolist())) == 6
    assert value[0] == 0 and value[1] == (1 << 56 | ord("a"))
    assert (value[hashed] >> np.uint64(63)).all() and not (value[~hashed] >> np.uint64(63)).any()
    wide = np.pad(keys, ((0, 0), (0, 3)))
    assert (gmtbytes.key_values(wide)[0] == value).all()
    short = gmtbytes.key_values(keys[:4, :2])
    assert short[1] is None and (short[0] == value[:4]).all()


@pytest.mark.parametrize("crowd", [False, True])
def test_key_codes_grow_and_probe(monkeypatch: pytest.MonkeyPatch, crowd: bool) -> None:
    """Thousands of values over many batches (the table grows, slots are shared, probes wrap
    round the end of the table): the codes of a dict. ``crowd``: every value's first slot
    one of three at the end of the table (long probe runs)."""
    if crowd:
        def crowded(self: gmtbytes.KeyCodes, value: np.ndarray) -> np.ndarray:
            return ((1 << self.bits) - 1 - value % np.uint64(3)).astype(np.intp)

        monkeypatch.setattr(gmtbytes.KeyCodes, "_slots", crowded)
    rnd = random.Random(7)
    pool = [str(i) for i in range(3000)] + [f"ENSG{i:011d}" for i in range(1500)]
    table = gmtbytes.KeyCodes()
    want: dict[str, int] = {}
    for _ in range(25):
        values = [rnd.choice(pool) for _ in range(rnd.randint(1, 900 if not crowd else 200))]
        keys = _keyed(values)
        assert keys is not None
        got = table.encode(keys, lambda rows, v=values: [v[i] for i in rows.tolist()])
        assert got.tolist() == [want.setdefault(v, len(want)) for v in values]
    assert table.names == list(want)
    assert table.used == len(want) and 4 * table.used <= len(table.slots)
