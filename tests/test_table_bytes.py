"""The raw-byte table reader (``TableReader.byte_blocks``) against a plain line-by-line
reading of the same bytes: the same rows, line numbers and runs of figures, or the same
one-line error (UTF-8, field count) or NotGrouped, whatever the block size (tiny blocks
carry figures, and long ones their control-byte offsets, over many blocks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pfocr_tools import table
from pfocr_tools.table import DataError, NotGrouped, TableReader

FIGIDS = ["F1", "F2", "PMC1__g001", "x" * 9, "w" * (table.RUN_WIDTH + 3), "PMC1__g002",
          "caf\u00e9", "\u4e2d"]
VALUES = ["", "a", "9606", "Homo sapiens", "caf\u00e9", "\u4e2d\u6587", "x\x01y", "TP53"]


def oracle(raw: bytes, n: int) -> tuple[list[tuple[int, list[bytes]]], str | None]:
    """The rows (line number, fields) of a table's bytes read line by line, or the one-line
    error of its first bad line (only one kind of defect is made per table)."""
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    rows = []
    for number, line in enumerate(lines[1:], 2):
        # the line with its line feed (the last line may have none: a character cut there is
        # "unexpected end of data", as the readers have always said)
        end = b"" if number == len(lines) and not raw.endswith(b"\n") else b"\n"
        try:
            (line + end).decode("utf-8")
        except UnicodeDecodeError as exc:
            return rows, f":{number}: not UTF-8 text ({exc.reason})"
        if line.endswith(b"\r") and number <= len(lines) - (not raw.endswith(b"\n")):
            line = line[:-1]  # CR LF (a CR that ends the file stays)
        if not line:
            continue
        fields = line.split(b"\t")
        if len(fields) != n:
            return rows, (f":{number}: malformed TSV: {len(fields)} fields, the header has "
                          f"{n} ({'too few' if len(fields) < n else 'too many'})")
        rows.append((number, fields))
    return rows, None


@st.composite
def tables(draw: st.DrawFn) -> tuple[bytes, int, str]:
    """A table's bytes, its number of columns and its defect (none, utf8, fields, scatter)."""
    n = draw(st.integers(1, 5))
    defect = draw(st.sampled_from(["none", "none", "utf8", "fields", "scatter"]))
    figs = draw(st.lists(st.sampled_from(FIGIDS), min_size=1, max_size=6, unique=True))
    order = []
    for fig in figs:
        order += [fig] * draw(st.integers(1, 8))
    if defect == "scatter":
        order = draw(st.permutations(order))
    out = ["\t".join(f"c{i}" for i in range(n)).encode() + b"\n"]
    for fig in order:
        vals = [fig] + [draw(st.sampled_from(VALUES)) for _ in range(n - 1)]
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from([b"\n", b"\r\n"])))  # a blank line
        end = b"\r\n" if draw(st.booleans()) else b"\n"
        out.append("\t".join(vals).encode() + end)
    if len(out) > 1:
        at = draw(st.integers(1, len(out) - 1))
        line = out[at]
        if defect == "utf8" and line.strip():
            cut = draw(st.integers(0, len(line.rstrip(b"\r\n"))))
            bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80"]))
            out[at] = line[:cut] + bad + line[cut:]
        elif defect == "fields" and line.strip():
            out[at] = line.replace(b"\t", b"", 1) if n > 1 and draw(st.booleans()) \
                else b"\t" + line
    raw = b"".join(out)
    if draw(st.booleans()):
        raw = raw.rstrip(b"\r\n") + draw(st.sampled_from([b"", b"\r"]))  # no last LF
    return raw, n, defect


def first_scattered(rows: list[tuple[int, list[bytes]]]) -> tuple[str, int] | None:
    """The first row whose figure was seen before another figure's rows (figid, line)."""
    seen: set[bytes] = set()
    before = None
    for number, fields in rows:
        if fields[0] != before:
            if fields[0] in seen:
                return fields[0].decode(), number
            seen.add(fields[0])
            before = fields[0]
    return None


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=tables(), block_bytes=st.integers(1, 400), grouped=st.booleans())
def test_byte_blocks_read_what_lines_read(tmp_path: Path, case: tuple[bytes, int, str],
                                          block_bytes: int, grouped: bool) -> None:
    raw, n, defect = case
    path = tmp_path / "t.tsv"
    path.write_bytes(raw)
    rows, error = oracle(raw, n)
    scattered = first_scattered(rows) if grouped and error is None else None
    got: list[tuple[int, list[bytes]]] = []
    figures: list[bytes] = []
    try:
        with TableReader(str(path), required=(), block_bytes=block_bytes) as reader:
            for block in reader.byte_blocks("c0", grouped=grouped):
                cols = [block.column(k) for k in range(n)]
                got += [(block.line_number(i), [c[i] for c in cols]) for i in range(len(block))]
                runs = block.runs("c0").tolist()
                assert runs == [i for i in range(len(block)) if i == 0
                                or cols[0][i] != cols[0][i - 1]]
                figures += [cols[0][i] for i in runs]
    except DataError as exc:
        assert error is not None and str(exc) == f"{path}{error}"
        return
    except NotGrouped as exc:
        assert scattered == (exc.figid, exc.line)
        return
    assert error is None and scattered is None, (error, scattered)
    assert got == rows
    if grouped:  # a figure's rows are in one block
        assert len(figures) == len(set(figures))


def test_invalid_utf8_after_non_ascii_rows_names_its_line(tmp_path: Path) -> None:
    """Blocks of non-ASCII rows read as rows; a bad byte in the middle of such a block, of a
    carried figure, or cut at the end of the file gives the decoder's reason and its line."""
    head = "figid\tvalue\n"
    rows = "".join(f"F{i // 3}\tcaf\u00e9 \u4e2d {i}\n" for i in range(300))
    path = tmp_path / "t.tsv"
    for bad, reason in ((b"\xe4\xb8x", "invalid continuation byte"),
                        (b"\xff", "invalid start byte"),
                        (b"\xed\xa0\x80", "invalid continuation byte")):
        for at in (2, 150, 299):
            body = rows.encode().split(b"\n")
            body[at - 2] = body[at - 2][:4] + bad + body[at - 2][4:]
            path.write_bytes(head.encode() + b"\n".join(body))
            for block_bytes in (64, 1000, 1 << 16):
                with pytest.raises(DataError) as info, \
                        TableReader(str(path), required=(), block_bytes=block_bytes) as reader:
                    for _ in reader.byte_blocks("figid", grouped=True):
                        pass
                assert str(info.value) == f"{path}:{at}: not UTF-8 text ({reason})"
    path.write_bytes((head + rows).encode() + b"F9\tcaf\xc3")
    with pytest.raises(DataError) as info, TableReader(str(path), required=()) as reader:
        for _ in reader.byte_blocks():
            pass
    assert str(info.value) == f"{path}:302: not UTF-8 text (unexpected end of data)"


def test_closed_figures_found_again_after_merges(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A figure seen again long after its rows (its hash merged into the sorted array of
    closed figures) raises NotGrouped naming it and its line."""
    monkeypatch.setattr(table.ClosedRuns, "MERGE_EVERY", 4)
    path = tmp_path / "t.tsv"
    lines = [f"F{i}\tx\n" for i in range(200)] + ["F17\ty\n"]
    path.write_text("figid\tv\n" + "".join(lines), "utf-8")
    for block_bytes in (16, 100, 1 << 16):
        with pytest.raises(NotGrouped) as info, \
                TableReader(str(path), required=(), block_bytes=block_bytes) as reader:
            for _ in reader.byte_blocks("figid", grouped=True):
                pass
        assert (info.value.figid, info.value.line) == ("F17", 202)
    path.write_text("figid\tv\n" + "".join(lines[:-1]), "utf-8")
    with TableReader(str(path), required=(), block_bytes=16) as reader:
        assert sum(len(b) for b in reader.byte_blocks("figid", grouped=True)) == 200


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.lists(st.sampled_from(VALUES + ["", "", "x" * 40]), min_size=3,
                                max_size=3), min_size=64, max_size=400),
       pick=st.integers(0, 2 ** 30))
def test_columns_of_long_blocks(tmp_path: Path, values: list[list[str]], pick: int) -> None:
    """column() and values_at() of blocks of many rows (short values are gathered and split
    at once, long ones sliced): the fields as split from the lines."""
    import numpy as np

    path = tmp_path / "t.tsv"
    path.write_text("a\tb\tc\n" + "".join("\t".join(v) + "\n" for v in values), "utf-8")
    with TableReader(str(path), required=()) as reader:
        (block,) = list(reader.byte_blocks(None))
    rng = np.random.default_rng(pick)
    rows = np.flatnonzero(rng.random(len(values)) < 0.7)
    mask = rng.random(len(values)) < 0.5
    for k in range(3):
        want = [v[k].encode() for v in values]
        assert block.column(k) == want
        assert block.values_at(k, rows) == [want[i] for i in rows]
        assert block.values_at(k, rows.tolist()) == [want[i] for i in rows]
        assert block.values_at(k, mask) == [w for w, m in zip(want, mask, strict=True) if m]
