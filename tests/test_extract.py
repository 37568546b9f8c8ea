"""pfocr-extract: golden files, both schemas, every input kind, bad input, determinism."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from pfocr_tools import extract
from pfocr_tools.records import parse_page
from pfocr_tools.table import COLUMNS, read_table

from .conftest import CURRENT_RECORDS, OLD_RECORDS, RECORDS, TEST_DATA

GOLDEN = TEST_DATA / "extract"
BAD = TEST_DATA / "bad"
GOLDEN_INPUTS = [
    OLD_RECORDS / "PMC3789782__ppat.1003652.g001.md",
    OLD_RECORDS / "PMC7048131__12964_2020_527_Fig1_HTML.md",
    CURRENT_RECORDS / "_figures" / "PMC5390606__BMRI2017-2954351.002.md",
    CURRENT_RECORDS / "_figures" / "PMC10017456__fpls-14-1084358-g002.md",
]


def run(*args: str | Path) -> int:
    return extract.main([str(a) for a in args])


def rows_of(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text("utf-8").splitlines()]


# ----------------------------------------------------------------------------- golden files


def compacted(text: str) -> str:
    """The oracle of the default form: the per-figure cells (SHARED_COLUMNS) emptied on
    every row whose figid is the row above's."""
    from pfocr_tools.table import SHARED_COLUMNS

    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\n").split("\t")
    shared = [i for i, c in enumerate(header) if c in SHARED_COLUMNS]
    out, last = [lines[0]], None
    for line in lines[1:]:
        cells = line.split("\t")
        if cells[0] == last:
            for i in shared:
                cells[i] = ""
        last = cells[0]
        out.append("\t".join(cells))
    return "".join(out)


@pytest.mark.parametrize("flavor", ["all", "strict"])
def test_golden_table(tmp_path: Path, flavor: str) -> None:
    out = tmp_path / "out.tsv"
    figs = tmp_path / "figs.tsv"
    assert run(*GOLDEN_INPUTS, "-o", out, "--flavor", flavor, "--figures", figs,
               "--repeat-figure-columns") == 0
    assert out.read_bytes() == (GOLDEN / f"golden-{flavor}.tsv").read_bytes()
    if flavor == "all":
        assert figs.read_bytes() == (GOLDEN / "golden-figures.tsv").read_bytes()
    # the default: the per-figure columns on each figure's first row only
    assert run(*GOLDEN_INPUTS, "-o", out, "--flavor", flavor) == 0
    golden = (GOLDEN / f"golden-{flavor}.tsv").read_text("utf-8")
    assert out.read_text("utf-8") == compacted(golden)


def test_9_1_1_kept_as_text(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    assert run(OLD_RECORDS / "PMC3789782__ppat.1003652.g001.md", "-o", out) == 0
    df = read_table(str(out))
    complex_rows = df[df["match"] == "9_1_1"]
    assert sorted(complex_rows["symbol"]) == ["HUS1", "RAD1", "RAD9A"]
    assert "911" not in set(df["match"])


def test_old_schema_rows_match_reference_reading(tmp_path: Path) -> None:
    """Every old record: collapsed rows sum to the genes list read by PyYAML BaseLoader."""
    out = tmp_path / "out.tsv"
    assert run(RECORDS / "old-schema", "-o", out, "--jobs", "1") == 0
    df = read_table(str(out))
    df["occurrences"] = df["occurrences"].astype(int)
    per_fig = df.groupby("figid")["occurrences"].sum().to_dict()
    for page in sorted(OLD_RECORDS.glob("*.md")):
        doc = yaml.load(page.read_text("utf-8").split("\n---", 1)[0][4:], Loader=yaml.BaseLoader)
        genes = doc["genes"] if isinstance(doc["genes"], list) else []
        assert per_fig.get(doc["figid"], 0) == len(genes), page.name
        sub = df[df["figid"] == doc["figid"]]
        expected = {(g["word"], g["symbol"], g["hgnc_symbol"], g["source"], g["entrez"])
                    for g in genes}
        got = set(zip(sub["word"], sub["match"], sub["symbol"], sub["source"], sub["gene_id"],
                      strict=True))
        assert got == expected, page.name
        assert set(sub["taxid"]) <= {"9606"}


def test_current_schema_rows_match_genes_tsv(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    assert run(CURRENT_RECORDS, "-o", out) == 0
    df = read_table(str(out))
    for tsv in sorted((CURRENT_RECORDS / "_data").glob("*-genes.tsv")):
        figid = tsv.name[: -len("-genes.tsv")]
        lines = tsv.read_text("utf-8").splitlines()
        header = lines[0].split("\t")
        body = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]
        sub = df[df["figid"] == figid]
        assert sub["occurrences"].astype(int).sum() == len(body)
        expected = {(r["organism_id"], r["organism_name"], r["word"], r["match"],
                     r["ncbigene_symbol"], r["source"], r["ncbigene_id"]) for r in body}
        got = set(zip(sub["taxid"], sub["organism"], sub["word"], sub["match"], sub["symbol"],
                      sub["source"], sub["gene_id"], strict=True))
        assert got == expected
        # metadata comes from the page beside it
        assert set(sub["pmcid"]) == {figid.split("__")[0]}


def test_flavors_are_nested(tmp_path: Path) -> None:
    sizes = {}
    for flavor in ("strict", "synonyms", "all"):
        out = tmp_path / f"{flavor}.tsv"
        assert run(RECORDS, "-o", out, "--flavor", flavor) == 0
        df = read_table(str(out))
        sizes[flavor] = len(df)
        if flavor == "strict":
            assert set(df["source"]) == {"hgnc_symbol", "ncbigene_symbol"}
        if flavor == "synonyms":
            assert not set(df["source"]) & {"bioentities_symbol", "famplex_relations"}
    assert sizes["strict"] < sizes["synonyms"] < sizes["all"]


# ----------------------------------------------------------------------------- fast path


@pytest.mark.parametrize("page", sorted(RECORDS.glob("*/_figures/*.md")), ids=lambda p: p.stem)
def test_fast_path_equals_reference(page: Path) -> None:
    data = page.read_bytes()
    assert parse_page(data, str(page)) == parse_page(data, str(page), exact=True)


TRICKY = """\
---
figid: PMC1__tricky
figtitle: NO
papertitle:
year: 2001
organisms: Homo sapiens
pathway_score: 0.5
genes:
- word: NO
  symbol: 9_1_1
  source: bioentities_symbol
  hgnc_symbol: ON
  entrez: 0x1F
- word: yes
  symbol: ~
  source: hgnc_symbol
  hgnc_symbol: 1e3
  entrez: 2001-01-01
---
"""


def test_fast_path_falls_back_for_typed_values() -> None:
    page = parse_page(TRICKY.encode(), "tricky.md")
    assert page == parse_page(TRICKY.encode(), "tricky.md", exact=True)
    assert page.meta["figtitle"] == "NO" and page.meta["year"] == "2001"
    assert page.meta["papertitle"] == ""
    assert page.organisms == ["Homo sapiens"]
    assert page.genes == [
        {"word": "NO", "symbol": "9_1_1", "source": "bioentities_symbol", "hgnc_symbol": "ON",
         "entrez": "0x1F"},
        {"word": "yes", "symbol": "~", "source": "hgnc_symbol", "hgnc_symbol": "1e3",
         "entrez": "2001-01-01"},
    ]


# ----------------------------------------------------------------------------- input kinds


def _sorted_body(path: Path) -> list[str]:
    lines = path.read_text("utf-8").splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    return sorted(lines[1:])


def test_archives_and_directory_agree(tmp_path: Path) -> None:
    zpath = tmp_path / "records.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(RECORDS.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(RECORDS).as_posix())
    tpath = tmp_path / "records.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        # genes TSVs first: a page then waits for nothing, a TSV waits for its page
        for f in sorted(RECORDS.rglob("*"), key=lambda p: (p.suffix != ".tsv", str(p))):
            if f.is_file():
                tf.add(f, f.relative_to(RECORDS).as_posix())
    outs = {}
    for name, src in (("dir", RECORDS), ("zip", zpath), ("tgz", tpath)):
        outs[name] = tmp_path / f"{name}.tsv"
        assert run(src, "-o", outs[name]) == 0
    assert _sorted_body(outs["dir"]) == _sorted_body(outs["zip"]) == _sorted_body(outs["tgz"])
    assert len(_sorted_body(outs["dir"])) > 2000


def test_stdin(tmp_path: Path) -> None:
    page = OLD_RECORDS / "PMC3789782__ppat.1003652.g001.md"
    out = tmp_path / "out.tsv"
    proc = subprocess.run(
        [sys.executable, "-m", "pfocr_tools.extract", "-", "-o", str(out)],
        input=page.read_bytes(), capture_output=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    ref = tmp_path / "ref.tsv"
    assert run(page, "-o", ref) == 0
    assert out.read_bytes() == ref.read_bytes()


def test_stdout_default(tmp_path: Path) -> None:
    page = OLD_RECORDS / "PMC3789782__ppat.1003652.g001.md"
    proc = subprocess.run([sys.executable, "-m", "pfocr_tools.extract", str(page)],
                          capture_output=True, check=True)
    ref = tmp_path / "ref.tsv"
    assert run(page, "-o", ref) == 0
    assert proc.stdout == ref.read_bytes()
    assert b"1 figures read" in proc.stderr or b"figures read" in proc.stderr


def test_genes_tsv_alone_and_10_columns(tmp_path: Path) -> None:
    src = CURRENT_RECORDS / "_data" / "PMC5390606__BMRI2017-2954351.002-genes.tsv"
    lines = src.read_text("utf-8").splitlines()
    header = lines[0].split("\t")
    drop = header.index("count_synonym")
    ten = tmp_path / src.name
    ten.write_text("\n".join("\t".join(c for i, c in enumerate(line.split("\t")) if i != drop)
                             for line in lines) + "\n", "utf-8")
    for tsv in (src, ten):
        out = tmp_path / "out.tsv"
        assert run(tsv, "-o", out) == 0
        df = read_table(str(out))
        assert set(df["figid"]) == {"PMC5390606__BMRI2017-2954351.002"}
        assert len(df) == len(lines) - 1
        assert set(df["pmcid"]) == {""}


def test_old_download_genes_tsv(tmp_path: Path) -> None:
    tsv = tmp_path / "PMC1__x-genes.tsv"
    tsv.write_text("word\tsymbol\tsource\thgnc_symbol\tentrez\n"
                   "9-1-1\t9_1_1\tbioentities_symbol\tRAD1\t5810\n"
                   "STAT3\tSTAT3\thgnc_symbol\tSTAT3\t6774\n"
                   "STAT3\tSTAT3\thgnc_symbol\tSTAT3\t6774\n", "utf-8")
    out = tmp_path / "out.tsv"
    assert run(tsv, "-o", out) == 0
    rows = rows_of(out)[1:]
    assert [r[9:] for r in rows] == [
        ["9606", "Homo sapiens", "9-1-1", "9_1_1", "RAD1", "bioentities_symbol", "5810", "1"],
        ["9606", "Homo sapiens", "STAT3", "STAT3", "STAT3", "hgnc_symbol", "6774", "2"],
    ]


def test_page_in_flat_folder_with_tsv_beside(tmp_path: Path) -> None:
    figid = "PMC5390606__BMRI2017-2954351.002"
    (tmp_path / f"{figid}.md").write_bytes((CURRENT_RECORDS / "_figures" / f"{figid}.md")
                                           .read_bytes())
    (tmp_path / f"{figid}-genes.tsv").write_bytes(
        (CURRENT_RECORDS / "_data" / f"{figid}-genes.tsv").read_bytes())
    out = tmp_path / "out.tsv"
    assert run(tmp_path / f"{figid}.md", "-o", out) == 0
    df = read_table(str(out))
    assert len(df) == 6 and set(df["figid_alias"]) == {"PMC5390606__F2"}


def test_current_page_without_tsv_warns(tmp_path: Path, capsys) -> None:
    page = tmp_path / "PMC5390606__BMRI2017-2954351.002.md"
    page.write_bytes((CURRENT_RECORDS / "_figures" / page.name).read_bytes())
    out = tmp_path / "out.tsv"
    assert run(page, "-o", out) == 0
    assert "no genes TSV found" in capsys.readouterr().err
    assert len(rows_of(out)) == 1


# ----------------------------------------------------------------------------- determinism


def test_deterministic_and_parallel_equals_serial(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "c.tsv"
    assert run(RECORDS, "-o", a, "--jobs", "1") == 0
    assert run(RECORDS, "-o", b, "--jobs", "2") == 0
    assert run(RECORDS, "-o", c, "--jobs", "2", "--exact-yaml") == 0
    assert a.read_bytes() == b.read_bytes() == c.read_bytes()


def test_parallel_path_on_many_records(tmp_path: Path) -> None:
    """More records than two batches, so worker processes really run."""
    src = OLD_RECORDS / "PMC3789782__ppat.1003652.g001.md"
    text = src.read_text("utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(extract.BATCH * 3 + 5):
        figid = f"PMC3789782__copy{i:04d}"
        (corpus / f"{figid}.md").write_text(
            text.replace("figid: PMC3789782__ppat.1003652.g001", f"figid: {figid}"), "utf-8")
    a, b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    assert run(corpus, "-o", a, "--jobs", "1") == 0
    assert run(corpus, "-o", b, "--jobs", "2") == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(rows_of(a)) == 1 + 11 * (extract.BATCH * 3 + 5)
    # bad records and duplicate figids inside worker batches: skipped the same way
    for i in (3, extract.BATCH + 7, 2 * extract.BATCH):
        (corpus / f"PMC3789782__copy{i:04d}-dup.md").write_text(
            text.replace("figid: PMC3789782__ppat.1003652.g001", f"figid: PMC3789782__copy{i:04d}"),
            "utf-8")
        (corpus / f"PMC3789782__copy{i:04d}-bad.md").write_text("---\nfigid: [\n---\n", "utf-8")
    outs = {}
    for jobs in ("1", "2"):
        outs[jobs] = (tmp_path / f"skip{jobs}.tsv", tmp_path / f"rejects{jobs}.tsv")
        assert run(corpus, "-o", outs[jobs][0], "--jobs", jobs, "--on-error", "skip",
                   "--rejects", outs[jobs][1]) == 0
    assert outs["1"][0].read_bytes() == outs["2"][0].read_bytes() == a.read_bytes()
    assert outs["1"][1].read_bytes() == outs["2"][1].read_bytes()
    assert len(rows_of(outs["1"][1])) == 1 + 6
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["corpus", "a.tsv", "b.tsv", "skip1.tsv", "skip2.tsv", "rejects1.tsv", "rejects2.tsv"])


# ----------------------------------------------------------------------------- bad input

BAD_CASES = {
    "broken-yaml.md": ("broken-yaml.md:7:", "invalid YAML front matter"),
    "no-front-matter.md": ("no-front-matter.md:1:", "no YAML front matter"),
    "missing-figid.md": ("missing-figid.md:", "no 'figid'"),
    "wrong-type-figid.md": ("wrong-type-figid.md:2:", "'figid' must be text, found a list"),
    "wrong-type-genes.md": ("wrong-type-genes.md:38:", "'genes' must be a list"),
    "gene-row-missing-key.md": ("gene-row-missing-key.md:44:", "genes item 2 lacks hgnc_symbol"),
    "not-utf8.md": ("not-utf8.md:5:", "not UTF-8"),
    "empty.md": ("empty.md:", "empty file"),
    "yaml-tag.md": ("yaml-tag.md:17:", "YAML tag !!python/object/apply:os.system"),
    "unclosed-front-matter.md": ("unclosed-front-matter.md:", "not closed"),
    "PMCBAD__missing-columns-genes.tsv": ("missing-columns-genes.tsv:1:",
                                          "lacks column(s) ncbigene_symbol, ncbigene_id"),
    "PMCBAD__short-row-genes.tsv": ("short-row-genes.tsv:3:", "expected 8 tab-separated"),
}


def _cli(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pfocr_tools.extract", *map(str, args)],
                          capture_output=True, input=stdin, check=False)


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_input_fails_cleanly(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.tsv"
    good = OLD_RECORDS / "PMC100003__mb2410470011.md"
    proc = _cli(good, BAD / name, "-o", out)
    where, what = BAD_CASES[name]
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pfocr-extract: error: ") and where in err and what in err
    assert not out.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left either


def test_skip_writes_rejects_and_good_rows(tmp_path: Path) -> None:
    out, rejects = tmp_path / "out.tsv", tmp_path / "rejects.tsv"
    good = OLD_RECORDS / "PMC100003__mb2410470011.md"
    proc = _cli(good, BAD, "-o", out, "--on-error", "skip", "--rejects", rejects)
    assert proc.returncode == 0, proc.stderr
    rej = rows_of(rejects)
    assert rej[0] == ["file", "line", "reason"]
    # every bad file, plus the duplicate figid (the good page seen again in bad/)
    names = sorted(Path(r[0]).name for r in rej[1:])
    assert names == sorted([*BAD_CASES, "duplicate-figid.md"])
    dup = next(r for r in rej if r[0].endswith("duplicate-figid.md"))
    assert "seen twice" in dup[2]
    df = read_table(str(out))
    assert set(df["figid"]) == {"PMC100003__mb2410470011"}


def test_duplicate_figid_fails(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    proc = _cli(OLD_RECORDS / "PMC100003__mb2410470011.md", BAD / "duplicate-figid.md",
                "-o", out)
    assert proc.returncode == 1
    assert "seen twice" in proc.stderr.decode() and not out.exists()


def _evil_tar(path: Path, name: str) -> None:
    data = (OLD_RECORDS / "PMC100003__mb2410470011.md").read_bytes()
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("member", ["../escape.md", "/etc/escape.md", "a/../../escape.md"])
def test_archive_member_escaping_root(tmp_path: Path, member: str) -> None:
    for kind in ("tar", "zip"):
        arch = tmp_path / ("evil.tar.gz" if kind == "tar" else "evil.zip")
        if kind == "tar":
            _evil_tar(arch, member)
        else:
            with zipfile.ZipFile(arch, "w") as zf:
                zf.writestr(zipfile.ZipInfo(member), b"---\nfigid: x\n---\n")
        out = tmp_path / "out.tsv"
        proc = _cli(arch, "-o", out)
        assert proc.returncode == 1, kind
        assert "escapes the archive root" in proc.stderr.decode()
        assert not out.exists()
        assert not (tmp_path.parent / "escape.md").exists()


def test_corrupt_archive(tmp_path: Path) -> None:
    arch = tmp_path / "broken.tar.gz"
    arch.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    proc = _cli(arch, "-o", tmp_path / "o.tsv")
    assert proc.returncode == 1 and "cannot read archive" in proc.stderr.decode()


@pytest.mark.parametrize("args", [
    [], ["x.md", "--flavor", "loose"], ["x.md", "--rejects", "r.tsv"], ["-", "-"],
    ["x.md", "--jobs", "-1"],
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    proc = _cli(*args, "-o", tmp_path / "o.tsv", stdin=b"")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr.decode()
    assert not (tmp_path / "o.tsv").exists()


def test_missing_input_and_unwritable_output(tmp_path: Path) -> None:
    proc = _cli(tmp_path / "nope.md", "-o", tmp_path / "o.tsv")
    assert proc.returncode == 1 and "no such file" in proc.stderr.decode()
    proc = _cli(OLD_RECORDS / "PMC100003__mb2410470011.md", "-o", tmp_path / "no" / "o.tsv")
    assert proc.returncode == 1 and "does not exist" in proc.stderr.decode()


def test_output_to_dev_null_leaves_the_device(tmp_path: Path) -> None:
    assert run(OLD_RECORDS / "PMC100003__mb2410470011.md", "-o", os.devnull) == 0
    assert not os.path.isfile(os.devnull)  # still a character device, not renamed over
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    assert run(OLD_RECORDS / "PMC100003__mb2410470011.md", "-o", fifo) == 0
    out, _ = reader.communicate(timeout=30)
    assert out.startswith(b"figid\t") and fifo.exists() and not fifo.is_file()
