"""Property tests (issue 15, item 10): random and mutated pages, front matter, genes TSVs,
archives and tables never give a traceback, a crash or a hang; only a clean result or the
one-line error (exit 0 or 1). Example counts are small so the suite stays fast."""

from __future__ import annotations

import io
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pfocr_tools import export, extract
from pfocr_tools import filter as pfilter

from tests.clirun import run_main

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "test-data" / "records" / "current-schema"
OLD_PAGE = sorted((ROOT / "test-data" / "records" / "old-schema").rglob("*.md"))[0].read_bytes()
CUR_PAGE = sorted((CURRENT / "_figures").glob("*.md"))[0]
CUR_TSV = (CURRENT / "_data" / CUR_PAGE.name.replace(".md", "-genes.tsv")).read_bytes()
TABLE = (ROOT / "test-data" / "filter" / "table.tsv").read_bytes()

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
YAMLISH = st.text(alphabet=st.sampled_from(list("-:[]{}'\"!&*#|>?,%@`\n \t\\aZ09_.~")) |
                  st.characters(), max_size=400)


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` with a few random edits: bytes replaced, slices cut, copied or inserted."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not buf:
            break
        kind = draw(st.sampled_from(["flip", "cut", "dup", "insert", "trunc"]))
        at = draw(st.integers(0, len(buf) - 1))
        if kind == "flip":
            buf[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del buf[at:at + draw(st.integers(1, 64))]
        elif kind == "dup":
            piece = buf[at:at + draw(st.integers(1, 200))]
            buf[at:at] = piece * draw(st.integers(1, 30))
        elif kind == "insert":
            buf[at:at] = draw(YAMLISH).encode("utf-8", "surrogatepass")
        else:
            del buf[at:]
    return bytes(buf)


def check(res, prog: str) -> None:
    assert res.returncode in (0, 1), res.stderr
    assert "Traceback" not in res.stderr
    if res.returncode == 1:
        last = res.stderr.strip().splitlines()[-1]
        assert last.startswith(f"{prog}: error: "), res.stderr


def run_extract(files: dict[str, bytes], *args: str):
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            path = Path(tmp, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        res = run_main(extract.main, [*args, "-j", "1", "-q", tmp, "-o", f"{tmp}/out.tsv"])
        check(res, "pfocr-extract")
        if res.returncode == 1:
            assert not Path(tmp, "out.tsv").exists()
        assert not list(Path(tmp).glob(".pfocr-*"))


@SETTINGS
@given(mutated(OLD_PAGE))
def test_mutated_old_schema_page(data: bytes) -> None:
    run_extract({"PMC1__F1.md": data})


@SETTINGS
@given(mutated(CUR_PAGE.read_bytes()), mutated(CUR_TSV))
def test_mutated_current_schema_page_and_tsv(page: bytes, tsv: bytes) -> None:
    run_extract({"db/_figures/PMC1__F1.md": page, "db/_data/PMC1__F1-genes.tsv": tsv})


@SETTINGS
@given(YAMLISH, st.booleans())
def test_random_front_matter(text: str, exact: bool) -> None:
    page = f"---\nfigid: PMC1__F1\n{text}\n---\n".encode("utf-8", "surrogatepass")
    run_extract({"PMC1__F1.md": page}, *(["--exact-yaml"] if exact else []))


@SETTINGS
@given(st.lists(st.lists(st.text(max_size=12), max_size=12), max_size=20))
def test_random_genes_tsv(rows: list[list[str]]) -> None:
    text = "\n".join("\t".join(r) for r in rows)
    run_extract({"PMC1__F1-genes.tsv": text.encode("utf-8", "surrogatepass")},
                "--on-error", "skip")


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("db/_figures/PMC1__F1.md", CUR_PAGE.read_bytes()),
                           ("db/_data/PMC1__F1-genes.tsv", CUR_TSV), ("old.md", OLD_PAGE)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("db/_figures/PMC1__F1.md", CUR_PAGE.read_bytes())
        zf.writestr("db/_data/PMC1__F1-genes.tsv", CUR_TSV)
        zf.writestr("old.md", OLD_PAGE)
    return buf.getvalue()


@SETTINGS
@given(st.one_of(mutated(_tar()).map(lambda d: ("r.tar.gz", d)),
                 mutated(_zip()).map(lambda d: ("r.zip", d))))
def test_mutated_archives(archive: tuple[str, bytes]) -> None:
    name, data = archive
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, name).write_bytes(data)
        res = run_main(extract.main, ["-j", "1", "-q", f"{tmp}/{name}", "-o", f"{tmp}/o.tsv",
                                      "--max-archive-bytes", "64M"])
        check(res, "pfocr-extract")


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(TABLE), st.sampled_from(["filter", "export"]))
def test_mutated_tables(data: bytes, tool: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.tsv").write_bytes(data)
        if tool == "filter":
            res = run_main(pfilter.main, [f"{tmp}/t.tsv", "-o", f"{tmp}/o.tsv", "-q",
                                          "--organism", "human"])
            check(res, "pfocr-filter")
        else:
            res = run_main(export.main, [f"{tmp}/t.tsv", "-o", f"{tmp}/o.gmt", "-q"])
            check(res, "pfocr-export")
