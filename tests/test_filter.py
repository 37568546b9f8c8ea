"""pfocr-filter: organisms by name or taxid, --by genes|record, --exclude-mentions, logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pfocr_tools import filter as pfilter
from pfocr_tools.table import read_table

from .clirun import Result, run_main
from .conftest import TEST_DATA

DATA = TEST_DATA / "filter"
TABLE = DATA / "table.tsv"  # 8 real records: yeast, plant, bacteria, virus, mammal figures
MENTIONS = DATA / "mentions.tsv"  # hand-made: one figure per mention rule


def run(*args: str | Path) -> int:
    return pfilter.main([str(a) for a in args])


def cli(*args: str | Path, stdin: str | None = None) -> Result:
    """Run the command line in this process (stdin, stdout and stderr captured)."""
    return run_main(pfilter.main, args, stdin)


def subprocess_cli(*args: str | Path, stdin: str | None = None
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pfocr_tools.filter", *map(str, args)],
                          capture_output=True, text=True, input=stdin, check=False)


def figures(path: Path) -> list[str]:
    return list(dict.fromkeys(read_table(str(path))["figid"]))


def kept(*args: str | Path, table: Path = MENTIONS, tmp: Path) -> list[str]:
    out = tmp / "out.tsv"
    assert run(table, "-o", out, "-q", *args) == 0
    return figures(out)


# ----------------------------------------------------------------------------- golden files


def test_golden_human_exclude_mentions(tmp_path: Path) -> None:
    out, log = tmp_path / "out.tsv", tmp_path / "log.tsv"
    assert run(TABLE, "-o", out, "--organism", "human", "--exclude-mentions", "--log", log) == 0
    assert out.read_bytes() == (DATA / "golden-human-exclude.tsv").read_bytes()
    assert log.read_bytes() == (DATA / "golden-human-exclude.log.tsv").read_bytes()


def test_golden_mouse_by_genes(tmp_path: Path) -> None:
    out, log = tmp_path / "out.tsv", tmp_path / "log.tsv"
    assert run(TABLE, "-o", out, "--organism", "Mus musculus", "--log", log) == 0
    assert out.read_bytes() == (DATA / "golden-mouse.tsv").read_bytes()
    assert log.read_bytes() == (DATA / "golden-mouse.log.tsv").read_bytes()
    df = read_table(str(out))
    assert set(df["taxid"]) == {"10090"} and set(df["organism"]) == {"Mus musculus"}
    assert list(df.columns) == list(read_table(str(TABLE)).columns)


@pytest.mark.parametrize("name", ["Mus musculus", "mouse", "MOUSE", "mice", "house mouse",
                                  "10090", "Mus_musculus", "  mus   musculus ", "NCBITaxon:10090"])
def test_organism_spellings_agree(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.tsv"
    assert run(TABLE, "-o", out, "--organism", name, "-q") == 0
    assert out.read_bytes() == (DATA / "golden-mouse.tsv").read_bytes()


def test_several_organisms(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    assert run(TABLE, "-o", out, "--organism", "human", "--organism", "10090",
               "--organism", "mouse") == 0
    df = read_table(str(out))
    assert set(df["taxid"]) == {"9606", "10090"}
    again = tmp_path / "again.tsv"
    assert run(TABLE, "-o", again, "--organism", "human,mouse") == 0
    assert again.read_bytes() == out.read_bytes()
    full = read_table(str(TABLE))
    assert len(df) == full["taxid"].isin({"9606", "10090"}).sum()


def test_old_schema_rows_are_human(tmp_path: Path) -> None:
    # every figure here has human rows (old schema: all rows; current: the human lexicon)
    assert kept("--organism", "human", table=TABLE, tmp=tmp_path) == figures(TABLE)
    df = read_table(str(TABLE))
    old = df[df["figid_alias"] == ""]
    assert set(old["taxid"]) == {"9606"} and set(old["organism"]) == {"Homo sapiens"}
    assert kept("--organism", "zebrafish", table=TABLE, tmp=tmp_path) == [
        "PMC5736463__nihms886129f7"]


# ----------------------------------------------------------------------------- --by record


def test_by_record(tmp_path: Path) -> None:
    # record_organisms or organisms_ner list the organism; items may be comma-joined
    assert kept("--organism", "mouse", "--by", "record", tmp=tmp_path) == [
        "PMC11__rodents", "PMC16__none"]
    assert kept("--organism", "maize", "--by", "record", tmp=tmp_path) == ["PMC14__maize"]
    out = tmp_path / "out.tsv"
    assert run(MENTIONS, "-o", out, "--organism", "zebrafish", "--by", "record") == 0
    df = read_table(str(out))
    assert set(df["taxid"]) == {"9606", "7955"}  # whole figures: every row is kept
    assert kept("--organism", "human", "--by", "record", table=TABLE, tmp=tmp_path) == \
        figures(TABLE)
    assert kept("--organism", "arabidopsis", "--by", "record", table=TABLE, tmp=tmp_path) == [
        "PMC10035662__fpls-14-1114172-g008"]


# ----------------------------------------------------------------------------- mentions


def test_record_lists() -> None:
    wanted, names = {"562"}, {"escherichia coli"}
    assert pfilter.record_lists(["Homo sapiens|Escherichia coli O111B4"], wanted, names)
    assert pfilter.record_lists(["e. coli"], wanted, names)
    assert not pfilter.record_lists(["Escherichia|NA", ""], wanted, names)
    assert pfilter.record_lists(["Xiphophorus, Danio, Oryzias"], {"8090"}, set())  # genera
    assert not pfilter.record_lists(["Xiphophorus, Danio, Oryzias"], {"10090"}, set())
    assert pfilter.record_lists(["Danio rerio, Oryzias latipes"], {"8090"}, set())


def test_mention_rule(tmp_path: Path) -> None:
    human = kept("--organism", "human", "--exclude-mentions", tmp=tmp_path)
    assert human == ["PMC11__rodents", "PMC16__none"]  # mouse and rat mentions keep a figure
    fish = kept("--organism", "zebrafish", "--exclude-mentions", tmp=tmp_path)
    assert fish == ["PMC12__zebrafish"]  # the chosen organism's own mention
    cress = kept("--organism", "arabidopsis", "--exclude-mentions", tmp=tmp_path)
    assert cress == ["PMC13__plants"]  # "plants" holds Arabidopsis; maize does not
    both = kept("--organism", "arabidopsis", "--organism", "maize", "--exclude-mentions",
                tmp=tmp_path)
    assert both == ["PMC13__plants", "PMC14__maize"]
    mouse = kept("--organism", "mouse", "--exclude-mentions", tmp=tmp_path)
    assert mouse == ["PMC11__rodents", "PMC16__none"]


def test_allow_mention(tmp_path: Path) -> None:
    # a group allows its members: viruses allows HIV-1 too
    allowed = kept("--organism", "human", "--exclude-mentions", "--allow-mention", "viruses",
                   tmp=tmp_path)
    assert allowed == ["PMC11__rodents", "PMC15__virus", "PMC16__none"]
    allowed = kept("--organism", "human", "--exclude-mentions", "--allow-mention", "7955",
                   "--allow-mention", "plants", tmp=tmp_path)
    assert allowed == ["PMC11__rodents", "PMC12__zebrafish", "PMC13__plants", "PMC16__none"]


def test_mention_excludes_function() -> None:
    f = pfilter.mention_excludes
    assert not f("10090", ["9606"]) and not f("10116", ["9606"]) and not f("9913", ["10090"])
    for other in ("4932", "562", "3702", "7227", "6239", "7955", "33090", "10239", "2",
                  "11676", "4751", "5833", "9031"):
        assert f(other, ["9606"]), other
    assert not f("33090", ["3702"]) and not f("4751", ["4932"]) and not f("2", ["562"])
    assert f("4896", ["4932"])  # fission yeast is not budding yeast
    assert not f("11676", ["9606"], allowed=["10239"])
    assert f("424242", ["9606"]) and not f("424242", ["424242"])


def test_mentions_in_the_real_records() -> None:
    """The records' titles, captions and paper titles give the expected mentions."""
    df = read_table(str(TABLE))
    mentions = dict(zip(df["figid"], df["mentioned_taxids"], strict=True))
    assert mentions["PMC1201514__nihms3453f1"] == "4932"  # ... in Saccharomyces cerevisiae
    assert mentions["PMC155355__45000-8f7_C4TT"] == "3702|33090"
    assert mentions["PMC3023586__gmic0102_0094_fig001"] == "2"
    assert mentions["PMC3789782__ppat.1003652.g001"] == "10239"
    assert mentions["PMC4865504__fendo-07-00042-g001"] == ""  # "Human and rodent ..."


def test_summary_on_stderr_and_log_columns(tmp_path: Path) -> None:
    log = tmp_path / "log.tsv"
    proc = cli(TABLE, "-o", tmp_path / "o.tsv", "--organism", "human", "--exclude-mentions",
               "--log", log)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "pfocr-filter: Homo sapiens (9606) (by genes, excluding other mentions): 8 figures: "
        "2 kept, 6 dropped: 6 naming other organisms (Arabidopsis thaliana 2, Bacteria 1, "
        "Gallus gallus 1, Saccharomyces cerevisiae 1, Viridiplantae 1, Viruses 1); 29 of 192 "
        f"rows written to {tmp_path / 'o.tsv'}"]
    assert log.read_text("utf-8").splitlines()[0].split("\t") == list(pfilter.LOG_COLUMNS)


# ----------------------------------------------------------------------------- bad input


def test_unknown_organism(tmp_path: Path) -> None:
    out = tmp_path / "o.tsv"
    proc = subprocess_cli(TABLE, "-o", out, "--organism", "mose")
    assert proc.returncode == 2
    assert proc.stderr == ("pfocr-filter: error: unknown organism 'mose'; did you mean: "
                           "mouse, moss, marmoset, horse, horses? (or give an NCBI taxid)\n")
    assert not out.exists()
    proc = cli(TABLE, "-o", out, "--organism", "drosofila")
    assert proc.returncode == 2 and "drosophila" in proc.stderr


def test_organism_is_required() -> None:
    proc = cli(TABLE)
    assert proc.returncode == 2 and "--organism" in proc.stderr


def test_unknown_taxid_is_fine_and_empty_result_warns(tmp_path: Path) -> None:
    out = tmp_path / "o.tsv"
    proc = cli(TABLE, "-o", out, "--organism", "424242")
    assert proc.returncode == 0
    assert "warning: no rows left for taxid 424242" in proc.stderr
    assert out.read_text("utf-8") == TABLE.read_text("utf-8").splitlines()[0] + "\n"


def test_missing_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    cols = [c for c in TABLE.read_text("utf-8").splitlines()[0].split("\t")
            if c != "mentioned_taxids"]
    bad.write_text("\t".join(cols) + "\n", encoding="utf-8")
    out = tmp_path / "o.tsv"
    proc = cli(bad, "-o", out, "--organism", "human", "--exclude-mentions")
    assert proc.returncode == 1
    assert proc.stderr == (f"pfocr-filter: error: {bad}:1: not a figure gene table: missing "
                           "column(s) mentioned_taxids\n")
    assert not out.exists()
    proc = cli(bad, "-o", out, "--organism", "human", "--by", "record")
    assert proc.returncode == 0  # record_organisms is there


def test_empty_and_unwritable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_bytes(b"")
    proc = cli(empty, "-o", tmp_path / "o.tsv", "--organism", "human")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "empty file" in proc.stderr
    proc = cli(TABLE, "-o", tmp_path / "no" / "o.tsv", "--organism", "human")
    assert proc.returncode == 1 and "does not exist" in proc.stderr
    assert os.listdir(tmp_path) == ["empty.tsv"]


def test_unwritable_log_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "o.tsv"
    proc = cli(TABLE, "-o", out, "--organism", "human", "--log", tmp_path / "no" / "log.tsv")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert not out.exists()


def test_header_only_input(tmp_path: Path) -> None:
    header = tmp_path / "header.tsv"
    header.write_text(TABLE.read_text("utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out, log = tmp_path / "o.tsv", tmp_path / "log.tsv"
    proc = cli(header, "-o", out, "--organism", "human", "--exclude-mentions", "--log", log)
    assert proc.returncode == 0 and "warning: no rows left" in proc.stderr
    assert out.read_bytes() == header.read_bytes()
    assert log.read_text("utf-8") == "\t".join(pfilter.LOG_COLUMNS) + "\n"


def test_allow_mention_needs_exclude(tmp_path: Path) -> None:
    proc = cli(TABLE, "-o", tmp_path / "o.tsv", "--organism", "human", "--allow-mention", "viruses")
    assert proc.returncode == 2 and "--exclude-mentions" in proc.stderr


def test_stdin_and_determinism(tmp_path: Path) -> None:
    a = subprocess_cli("-", "--organism", "human", "--exclude-mentions",
                       stdin=TABLE.read_text("utf-8"))  # the real CLI
    b = cli(TABLE, "--organism", "human", "--exclude-mentions", "-o", "-")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout == (DATA / "golden-human-exclude.tsv").read_text("utf-8")


def test_minimal_table(tmp_path: Path) -> None:
    table = tmp_path / "min.tsv"
    table.write_text("figid\ttaxid\torganism\tword\tsymbol\tsource\tgene_id\n"
                     "PMC9__x\t9606\tHomo sapiens\tw\tS1\thgnc_symbol\t1\n"
                     "PMC9__y\t10090\tMus musculus\tw\tS2\tncbigene_symbol\t2\n", encoding="utf-8")
    out, log = tmp_path / "o.tsv", tmp_path / "log.tsv"
    assert run(table, "-o", out, "--organism", "mouse", "--log", log) == 0
    assert out.read_text("utf-8").splitlines()[1:] == [
        "PMC9__y\t10090\tMus musculus\tw\tS2\tncbigene_symbol\t2"]
    assert [line.split("\t")[2] for line in log.read_text("utf-8").splitlines()[1:]] == [
        "dropped", "kept"]
    proc = cli(table, "--organism", "mouse", "--by", "record")
    assert proc.returncode == 1 and "missing column(s) record_organisms" in proc.stderr


# ----------------------------------------------------------------------------- --evidence

EVIDENCE = TEST_DATA / "evidence" / "records-organisms.tsv"  # pfocr-organisms test-data/records


def log_rows(path: Path) -> dict[str, dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return {r["figid"]: r for r in csv.DictReader(fh, delimiter="\t")}


def test_evidence_gate_on_the_table(tmp_path: Path) -> None:
    out, log = tmp_path / "out.tsv", tmp_path / "log.tsv"
    res = cli(TABLE, "-o", out, "--organism", "human", "--evidence", EVIDENCE, "--log", log)
    assert res.returncode == 0, res.stderr
    rows = log_rows(log)
    # plant, yeast and chick figures dropped; host-pathogen figures (EPEC, HSV-1) kept
    assert sorted(f for f, r in rows.items() if r["decision"] == "kept") == [
        "PMC3023586__gmic0102_0094_fig001", "PMC3789782__ppat.1003652.g001",
        "PMC4865504__fendo-07-00042-g001", "PMC6092617__EMBJ-37-e99429-g013"]
    assert rows["PMC3789782__ppat.1003652.g001"]["reason"].startswith(
        "evidence: Homo sapiens medium (")
    assert rows["PMC1201514__nihms3453f1"]["reason"] == (
        "evidence below medium: Homo sapiens conflict (record, genes; against mention "
        "Saccharomyces cerevisiae)")
    assert "(by genes, evidence >= medium): 8 figures: 4 kept, 4 dropped: 4 with Homo " \
        "sapiens conflict;" in res.stderr
    # the rows are still those of --by genes, for the kept figures only
    full = read_table(str(TABLE))
    df = read_table(str(out))
    assert set(df["taxid"]) == {"9606"}
    assert len(df) == sum(int(r["rows_kept"]) for r in rows.values())
    assert list(df.columns) == list(full.columns)


def test_evidence_combines_with_mentions_and_by(tmp_path: Path) -> None:
    ev = ("--evidence", EVIDENCE)
    alone = set(kept("--organism", "human", *ev, table=TABLE, tmp=tmp_path))
    names = set(kept("--organism", "human", "--exclude-mentions", table=TABLE, tmp=tmp_path))
    both = set(kept("--organism", "human", "--exclude-mentions", *ev, table=TABLE,
                    tmp=tmp_path))
    assert both == alone & names and both < alone  # both rules: the host-pathogen figures go
    record = set(kept("--organism", "human", "--by", "record", *ev, table=TABLE, tmp=tmp_path))
    assert record == alone  # every figure here lists human: the gate alone decides
    low = set(kept("--organism", "human", *ev, "--confidence", "low", table=TABLE,
                   tmp=tmp_path))
    high = set(kept("--organism", "human", *ev, "--confidence", "high", table=TABLE,
                    tmp=tmp_path))
    assert high <= alone <= low
    plants = kept("--organism", "arabidopsis", "--by", "record", *ev, "--confidence", "high",
                  table=TABLE, tmp=tmp_path)
    assert plants == ["PMC10035662__fpls-14-1114172-g008"]


def test_evidence_streamed_and_whole_agree(tmp_path: Path) -> None:
    """A scattered table (read whole) gives the streamed decisions."""
    lines = TABLE.read_text(encoding="utf-8").splitlines(keepends=True)
    scattered = tmp_path / "scattered.tsv"
    scattered.write_text(lines[0] + "".join(lines[1:][::-1]), encoding="utf-8")
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    for table, log in ((TABLE, a), (scattered, b)):
        assert run(table, "-o", tmp_path / "o.tsv", "--organism", "human", "--evidence",
                   EVIDENCE, "--log", log, "-q") == 0
    ra, rb = log_rows(a), log_rows(b)
    assert {f: (r["decision"], r["reason"]) for f, r in ra.items()} == \
        {f: (r["decision"], r["reason"]) for f, r in rb.items()}


def test_evidence_missing_figures_are_dropped_with_a_warning(tmp_path: Path) -> None:
    part = tmp_path / "part.tsv"
    text = EVIDENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    part.write_text("".join(line for line in text if "PMC3789782" not in line),
                    encoding="utf-8")
    out, log = tmp_path / "out.tsv", tmp_path / "log.tsv"
    res = cli(TABLE, "-o", out, "--organism", "human", "--evidence", part, "--log", log)
    assert res.returncode == 0
    assert f"warning: 1 figure(s) of {TABLE} are not in the evidence table {part}: dropped" \
        in res.stderr
    assert log_rows(log)["PMC3789782__ppat.1003652.g001"]["reason"] == \
        "not in the evidence table"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--organism", "human", "--confidence", "high"), 2,
     "error: --confidence only makes sense with --evidence"),
    (("--figures-from", TABLE, "--evidence", EVIDENCE), 2,
     "error: --evidence goes with --organism, not with --figures-from"),
    (("--organism", "human", "--evidence", TABLE), 1,
     f"error: {TABLE}:1: not a pfocr-organisms evidence table: missing column(s) group, "
     "confidence, against"),
    (("--organism", "human", "--evidence", "/nonexistent/ev.tsv"), 1,
     "error: /nonexistent/ev.tsv: cannot read"),
    (("--organism", "human", "--evidence", EVIDENCE, "--confidence", "conflict"), 2,
     "invalid choice: 'conflict'"),
])
def test_evidence_errors(tmp_path: Path, args: tuple[str | Path, ...], code: int,
                         message: str) -> None:
    out = tmp_path / "out.tsv"
    res = cli(TABLE, "-o", out, *args)
    assert res.returncode == code
    assert message in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_evidence_output_cannot_replace_it(tmp_path: Path) -> None:
    ev = tmp_path / "ev.tsv"
    ev.write_bytes(EVIDENCE.read_bytes())
    res = cli(TABLE, "-o", ev, "--organism", "human", "--evidence", ev)
    assert res.returncode == 2 and "is also an input" in res.stderr
    assert ev.read_bytes() == EVIDENCE.read_bytes()
