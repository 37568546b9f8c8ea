"""Hostile input and hostile environments (issue 15): bounded time and memory, one-line errors,
clean exits on every signal. Every hostile input is made here at run time, in tmp_path."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from pfocr_tools import export, extract, remap, report
from pfocr_tools import filter as pfilter
from pfocr_tools.atomic import spill_dir_base
from pfocr_tools.cli import usable_cpus
from pfocr_tools.geneindex import GeneIndex
from pfocr_tools.mygene_backend import Cache

from tests.clirun import run_main
from tests.mygene_server import MyGeneServer

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-data" / "records"
CURRENT = RECORDS / "current-schema"
TABLE = ROOT / "test-data" / "filter" / "table.tsv"
REMAP_DATA = ROOT / "test-data" / "remap"

PAGE = "---\nfigid: PMC1__F1\nfigtitle: {title}\n{extra}genes:\n- word: TP53\n  symbol: TP53\n" \
       "  source: hgnc_symbol\n  hgnc_symbol: TP53\n  entrez: '7157'\n---\n"


def page(title: str = "a title", extra: str = "", figid: str = "PMC1__F1") -> str:
    return PAGE.format(title=title, extra=extra).replace("PMC1__F1", figid)


def cli(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pfocr_tools.extract", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def one_error(proc, code: int = 1, prog: str = "pfocr-extract") -> str:
    """The run failed with one line on stderr (no traceback); return that line."""
    err = proc.stderr if hasattr(proc, "stderr") else ""
    assert proc.returncode == code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), err
    return lines[0]


def litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".pfocr-*"))


# ------------------------------------------------------------------------------ nesting (1)


def deep_block(levels: int) -> str:
    return "junk:\n" + "- " * levels + "x\n"


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact-yaml"])
def test_deep_nesting_in_an_unused_key_is_a_one_line_error(tmp_path: Path, exact: bool) -> None:
    rec = tmp_path / "deep.md"
    rec.write_text(page(extra=deep_block(20000)), "utf-8")  # the Rust parser's stack overflows
    out = tmp_path / "out.tsv"
    proc = cli(rec, "-o", out, *(["--exact-yaml"] if exact else []))
    line = one_error(proc)
    assert f"{rec}:5: YAML front matter nests deeper than 100 levels" in line
    assert not out.exists() and litter(tmp_path) == []


@pytest.mark.parametrize("text", [
    "[" * 400 + "]" * 400,
    "{a: " * 400 + "b" + "}" * 400,
    "\n" + "".join(" " * i + "- \n" for i in range(1, 2000)),
], ids=["flow-lists", "flow-maps", "indented-block"])
def test_deep_nesting_in_a_used_field(tmp_path: Path, text: str) -> None:
    rec = tmp_path / "deep.md"
    rec.write_text(page(title=text), "utf-8")
    line = one_error(cli(rec, "-o", tmp_path / "out.tsv"))
    assert "nests deeper than 100 levels" in line and f"{rec}:" in line


def test_nesting_under_the_limit_is_read(tmp_path: Path) -> None:
    """The cheap screen sends this (prefix 90 columns) to the exact count, which passes it."""
    rec = tmp_path / "ok.md"
    rec.write_text(page(extra=deep_block(45) + "other: '" + "[" * 80 + "'\n"), "utf-8")
    proc = cli(rec, "-o", tmp_path / "out.tsv")
    assert proc.returncode == 0, proc.stderr
    assert "TP53" in (tmp_path / "out.tsv").read_text("utf-8")


def test_parallel_skip_run_rejects_deep_records(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(300):
        (folder / f"r{i:03d}.md").write_text(page(figid=f"PMC{i}__F1"), "utf-8")
    (folder / "r100.md").write_text(page(figid="PMC100__F1", extra=deep_block(20000)), "utf-8")
    (folder / "r200.md").write_text(page(figid="PMC200__F1", title="[" * 400), "utf-8")
    out, rej = tmp_path / "out.tsv", tmp_path / "rej.tsv"
    proc = cli("-j", "2", "--on-error", "skip", "--rejects", rej, folder, "-o", out)
    assert proc.returncode == 0, proc.stderr
    rows = rej.read_text("utf-8").splitlines()[1:]
    assert [r.split("\t")[0] for r in rows] == [str(folder / "r100.md"), str(folder / "r200.md")]
    assert len(out.read_text("utf-8").splitlines()) == 1 + 298


# ------------------------------------------------------------------------------- limits (3)


def test_record_bytes_limit(tmp_path: Path) -> None:
    rec = tmp_path / "big.md"
    rec.write_text(page(extra="caption: " + "x" * 5000 + "\n"), "utf-8")
    line = one_error(cli(rec, "-o", tmp_path / "o.tsv", "--max-record-bytes", "4K"))
    assert f"{rec}: file is larger than 4,096 bytes (--max-record-bytes)" in line
    proc = cli(rec, "-o", tmp_path / "o.tsv", "--max-record-bytes", "8K")
    assert proc.returncode == 0, proc.stderr


def test_field_chars_limit(tmp_path: Path) -> None:
    rec = tmp_path / "long.md"
    rec.write_text(page(title="t" * 2000), "utf-8")
    line = one_error(cli(rec, "-o", tmp_path / "o.tsv", "--max-field-chars", "1000"))
    assert f"{rec}:3: field 'figtitle' is longer than 1,000 characters" in line
    tsv = tmp_path / "PMC9__F9-genes.tsv"
    tsv.write_text("word\tsymbol\tsource\thgnc_symbol\tentrez\nw\t" + "S" * 2000
                   + "\thgnc_symbol\tS\t1\n", "utf-8")
    line = one_error(cli(tsv, "-o", tmp_path / "o.tsv", "--max-field-chars", "1000"))
    assert f"{tsv}:2: a field is longer than 1,000 characters" in line


def test_title_repeated_on_every_row_is_bounded(tmp_path: Path) -> None:
    rec = tmp_path / "PMC1__F1.md"
    rec.write_text("---\nfigid: PMC1__F1\nfigtitle: " + "t" * 15000 + "\n---\n", "utf-8")
    tsv = tmp_path / "PMC1__F1-genes.tsv"
    tsv.write_text("word\tsymbol\tsource\thgnc_symbol\tentrez\n"
                   + "".join(f"w{i}\tS{i}\thgnc_symbol\tS{i}\t{i}\n" for i in range(300)),
                   "utf-8")
    line = one_error(cli(rec, "-o", tmp_path / "o.tsv", "--max-record-bytes", "20K",
                         "--repeat-figure-columns"))
    assert "the figure's rows would take" in line and "4 x --max-record-bytes" in line
    # by default the title is written once (on the figure's first row): within the limit
    proc = cli(rec, "-o", tmp_path / "o.tsv", "--max-record-bytes", "20K")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o.tsv").read_text("utf-8").count("t" * 15000) == 1


def test_size_options_are_checked(tmp_path: Path) -> None:
    for bad in ("0", "-3", "lots", "1.5M"):
        proc = cli(CURRENT, "-o", tmp_path / "o.tsv", "--max-record-bytes", bad)
        assert proc.returncode == 2 and "--max-record-bytes" in proc.stderr


def _bomb(path: Path, member: str, size: int) -> None:
    class Zeros(io.RawIOBase):
        def __init__(self, n: int) -> None:
            self.n = n

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[override]
            k = min(len(b), self.n)
            b[:k] = bytes(k)
            self.n -= k
            return k

    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo(member)
        info.size = size
        tf.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))


@pytest.mark.parametrize("member", ["_figures/PMC1__F1.md", "zeros.bin"])
def test_archive_bomb_stops_at_the_limit(tmp_path: Path, member: str) -> None:
    arch = tmp_path / "bomb.tar.gz"
    _bomb(arch, member, 64 << 20)  # 64 MiB of zeros in 64 KiB; 5 GB is measured in bench/
    proc = cli(arch, "-o", tmp_path / "o.tsv", "--max-record-bytes", "1M",
               "--max-archive-bytes", "16M")
    line = one_error(proc)
    if member.endswith(".md"):
        assert f"{arch}:{member}: file is larger than 1,048,576 bytes" in line
    else:
        assert f"{arch}: archive holds more than 16,777,216 bytes when unpacked" in line


def test_zip_member_limits_and_lying_sizes(tmp_path: Path) -> None:
    arch = tmp_path / "r.zip"
    with zipfile.ZipFile(arch, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/PMC1__F1.md", page())
        zf.writestr("a/PMC2__F1.md", page(figid="PMC2__F1", extra="c: " + "0" * 300000 + "\n"))
    proc = cli(arch, "-o", tmp_path / "o.tsv", "--max-record-bytes", "64K", "--on-error",
               "skip", "--rejects", tmp_path / "rej.tsv")
    assert proc.returncode == 0, proc.stderr
    assert "a/PMC2__F1.md\t\tfile is larger than 65,536" in (tmp_path / "rej.tsv").read_text()
    # a zip whose central directory lies about the sizes: a reason, never an empty message
    data = bytearray(arch.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 20:cd + 28] = (5).to_bytes(4, "little") * 2  # compressed and real size: 5
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    line = one_error(cli(liar, "-o", tmp_path / "o.tsv"))
    assert "liar.zip" in line and not line.rstrip().endswith(":")


def test_fifo_in_a_folder_is_rejected_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(CURRENT, folder)
    os.mkfifo(folder / "_figures" / "zz-fifo.md")
    proc = cli(folder, "-o", tmp_path / "o.tsv", "--on-error", "skip", "--rejects",
               tmp_path / "rej.tsv", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "zz-fifo.md\t\tcannot read: not a regular file" in (tmp_path / "rej.tsv").read_text()


# ------------------------------------------------------------------- genes TSVs, _figures (7)


def test_zero_byte_genes_tsv_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    shutil.copytree(CURRENT, folder)
    tsv = sorted((folder / "_data").glob("*-genes.tsv"))[0]
    tsv.write_bytes(b"")
    line = one_error(cli(folder, "-o", tmp_path / "o.tsv"))
    assert f"{tsv}: empty file" in line


def test_figures_folder_alone_finds_its_data(tmp_path: Path) -> None:
    whole, alone = tmp_path / "whole.tsv", tmp_path / "alone.tsv"
    assert cli(CURRENT, "-o", whole).returncode == 0
    proc = cli(CURRENT / "_figures", "-o", alone)
    assert proc.returncode == 0, proc.stderr
    assert "no genes TSV" not in proc.stderr
    assert alone.read_bytes() == whole.read_bytes()


def test_missing_genes_tsv_counted_and_required(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    shutil.copytree(CURRENT, folder)
    gone = sorted((folder / "_data").glob("*-genes.tsv"))[:2]
    for tsv in gone:
        tsv.unlink()
    proc = cli(folder / "_figures", "-o", tmp_path / "o.tsv")
    assert proc.returncode == 0
    assert ", 2 current-schema pages without a genes TSV" in proc.stderr.splitlines()[-1]
    line = one_error(cli(folder / "_figures", "-o", tmp_path / "o.tsv", "--require-genes"))
    assert "no genes TSV found beside the page or in ../_data/ (--require-genes)" in line


# ---------------------------------------------------------------------------- outputs (8, 9)


@pytest.mark.parametrize("tool,args", [
    (extract.main, ["{IN}", "-o", "{IN}"]),
    (pfilter.main, ["{IN}", "-o", "{IN}", "--organism", "human"]),
    (export.main, ["{IN}", "-o", "{IN}"]),
    (remap.main, ["{IN}", "-o", "{IN}", "--backend", "local"]),
    (report.main, ["{IN}", "-o", "{IN}"]),
], ids=["extract", "filter", "export", "remap", "report"])
def test_output_replacing_an_input_is_a_usage_error(tmp_path: Path, tool, args) -> None:
    src = tmp_path / "in.tsv"
    if tool is extract.main:
        src = tmp_path / "PMC1__F1.md"
        src.write_text(page(), "utf-8")
    else:
        shutil.copy(TABLE, src)
    before = src.read_bytes()
    res = run_main(tool, [a.replace("{IN}", str(src)) for a in args])
    assert res.returncode == 2, res.stderr
    assert "is also an input; it would be replaced" in res.stderr
    assert src.read_bytes() == before and litter(tmp_path) == []


def test_two_outputs_on_one_path(tmp_path: Path) -> None:
    res = run_main(extract.main, [CURRENT, "-o", tmp_path / "x.tsv", "--figures",
                                  f"{tmp_path}/sub/../x.tsv"])
    assert res.returncode == 2 and "-o and --figures name one file" in res.stderr
    assert not (tmp_path / "x.tsv").exists()


def test_output_errors_name_the_users_path(tmp_path: Path) -> None:
    res = run_main(extract.main, [CURRENT, "-o", tmp_path])
    assert res.returncode == 1 and f"error: {tmp_path}: cannot write output: is a directory" \
        in res.stderr
    if os.path.exists("/dev/full"):
        proc = cli(CURRENT, "-o", "/dev/full")
        line = one_error(proc)
        assert "/dev/full: cannot write output: No space left on device" in line


def test_spill_folder_never_beside_a_device(tmp_path: Path) -> None:
    assert spill_dir_base("/dev/null") is None and spill_dir_base("-") is None
    assert spill_dir_base(str(tmp_path / "o.tsv")) == str(tmp_path)
    proc = cli("-j", "2", CURRENT, CURRENT / "_figures", "-o", "/dev/null", "--on-error", "skip")
    assert proc.returncode == 0, proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "o.tsv"
    for extra in (["--species", "martian"], ["--timeout", "inf"], ["--timeout", "nan"],
                  ["--backoff", "inf"]):
        res = run_main(remap.main, [TABLE, "-o", out, "--backend", "local", *extra])
        assert res.returncode == 2, (extra, res.stderr)
        assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    res = run_main(pfilter.main, [TABLE, "-o", out, "--organism", "martian"])
    assert res.returncode == 2


def test_report_leaves_no_pngs_when_the_html_fails(tmp_path: Path) -> None:
    pngs = tmp_path / "new" / "pngs"
    res = run_main(report.main, [ROOT / "test-data" / "report" / "small.tsv", "-o",
                                 tmp_path / "missing" / "r.html", "--png-dir", pngs])
    assert res.returncode == 1, res.stderr
    assert not (tmp_path / "new").exists() and litter(tmp_path) == []
    res = run_main(report.main, [ROOT / "test-data" / "report" / "small.tsv", "-o",
                                 tmp_path / "r.html", "--png-dir", pngs])
    assert res.returncode == 0 and len(list(pngs.glob("*.png"))) > 0


# ------------------------------------------------------------------- worker failures (2)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _many(folder: Path, n: int) -> None:
    folder.mkdir()
    tsv = (CURRENT / "_data" / "PMC4134342__prio-7-378-g2-genes.tsv").read_bytes()
    for i in range(n):
        (folder / f"PMC{i}__F1.md").write_text(
            f"---\nfigid: PMC{i}__F1\nfigtitle: figure {i}\n---\n", "utf-8")
        (folder / f"PMC{i}__F1-genes.tsv").write_bytes(tsv)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_killed_worker_neither_hangs_nor_loses_records(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _many(folder, 6000)  # about 1 s of work with two workers on a quiet machine
    one = tmp_path / "one.tsv"
    assert cli("-j", "1", folder, "-o", one).returncode == 0
    out = tmp_path / "out.tsv"
    proc = subprocess.Popen([sys.executable, "-m", "pfocr_tools.extract", "-j", "2", folder,
                             "-o", out], stderr=subprocess.PIPE, text=True)
    killed = False
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not killed:
        kids = _children(proc.pid)
        if kids:
            try:
                os.kill(kids[-1], signal.SIGKILL)
                killed = True
            except ProcessLookupError:  # that worker was gone already: wait for another
                pass
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert killed, "the run ended before its workers were seen"
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert out.read_bytes() == one.read_bytes()  # records in flight were parsed again


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signals_clean_up_like_sigint(tmp_path: Path, sig: int) -> None:
    folder = tmp_path / "in"
    _many(folder, 4000)
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "pfocr_tools.extract", "-j", "2", folder,
                             "-o", outdir / "o.tsv", "--figures", outdir / "f.tsv"],
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    kids: list[int] = []
    while proc.poll() is None and time.monotonic() < deadline:
        kids = _children(proc.pid)
        if kids and list(outdir.iterdir()):
            break
        time.sleep(0.02)
    assert kids, "the run ended before its workers were seen"
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    code = {signal.SIGTERM: 143, signal.SIGHUP: 129, signal.SIGINT: 130}[sig]
    assert proc.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert list(outdir.iterdir()) == []  # temporary outputs and the spill folder removed
    time.sleep(0.5)
    for kid in kids:
        assert not Path(f"/proc/{kid}").exists() or \
            Path(f"/proc/{kid}/stat").read_text().split()[2] == "Z", "a worker outlived the run"


def _open_writer(fifo: Path) -> int:
    """Open the FIFO's write end once the tool has opened its read end (so the tool is running
    its body, signal handlers in place); the tool then waits in read()."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("prog,module", [("pfocr-filter", "filter"), ("pfocr-export", "export"),
                                         ("pfocr-remap", "remap"), ("pfocr-report", "report")])
def test_every_tool_stops_cleanly_on_sigterm(tmp_path: Path, prog: str, module: str) -> None:
    """Each tool, blocked reading a FIFO nobody writes, stops on SIGTERM with one line."""
    fifo = tmp_path / "in.tsv"
    os.mkfifo(fifo)
    extra = {"filter": ["--organism", "human"], "remap": ["--backend", "local"]}.get(module, [])
    proc = subprocess.Popen([sys.executable, "-m", f"pfocr_tools.{module}", fifo, "-o",
                             tmp_path / "out", *extra], stderr=subprocess.PIPE, text=True)
    writer = _open_writer(fifo)
    try:
        time.sleep(0.3)
        kids = _children(proc.pid)  # report: its plot process, importing matplotlib
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        os.close(writer)
    assert proc.returncode == 143, err
    assert err.strip() == f"{prog}: stopped by SIGTERM; temporary files removed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv"]
    if module == "report" and Path("/proc/self/task").exists() and usable_cpus() > 1:
        assert kids, "no plot process seen"
    for kid in kids:  # ended and reaped by the tool (a zombie would be reaped by init)
        assert not Path(f"/proc/{kid}").exists(), "a child outlived the run"


# --------------------------------------------------------------- MyGene.info answers (5, 6)


@pytest.fixture(scope="module")
def server():
    srv = MyGeneServer.from_file(REMAP_DATA / "mygene-genes.json").start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("payload", [
    {"not": "a list"}, ["a", "list", "of", "strings"], [{"_id": "1", "symbol": "X"}],
    [{"query": {"a": 1}}], 42, None,
], ids=["object", "strings", "no-query", "query-object", "number", "null"])
def test_wrong_shaped_answers_are_retried_then_one_line(tmp_path: Path, server, payload) -> None:
    server.reset()
    server.faults[:] = [("json", payload)] * 3
    out, rep = tmp_path / "out.tsv", tmp_path / "rep.tsv"
    res = run_main(remap.main, [REMAP_DATA / "queries.tsv", "-o", out, "--report", rep,
                                "--from", "symbol", "--backend", "mygene", "--mygene-url",
                                server.url, "--backoff", "0.01", "--retries", "2", "--no-cache"])
    assert res.returncode == 1, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("pfocr-remap: error: ") and "failed after 3 attempts" in last
    assert "answer of the wrong shape" in last and "Traceback" not in res.stderr
    assert not out.exists() and not rep.exists()
    # one bad answer, then good ones: the run goes through
    server.reset()
    server.faults[:] = [("json", payload)]
    res = run_main(remap.main, [REMAP_DATA / "queries.tsv", "-o", out, "--report", rep,
                                "--from", "symbol", "--backend", "mygene", "--mygene-url",
                                server.url, "--backoff", "0.01", "--no-cache"])
    assert res.returncode == 0, res.stderr
    assert "retrying" in res.stderr


def test_wrong_shaped_metadata(tmp_path: Path, server) -> None:
    server.reset()
    rep = tmp_path / "rep.tsv"
    args = [REMAP_DATA / "queries.tsv", "-o", tmp_path / "out.tsv", "--report", rep, "--from",
            "symbol", "--backend", "mygene", "--mygene-url", server.url, "--backoff", "0.01",
            "--retries", "1", "--no-cache"]
    server.faults[:] = [("ok",)] + [("json", ["metadata", "as", "a", "list"])] * 2
    res = run_main(remap.main, args)
    assert res.returncode == 1 and "metadata request failed after 2 attempts" in res.stderr


def test_cache_files_follow_the_umask(tmp_path: Path) -> None:
    saved = os.umask(0o002)
    try:
        Cache(str(tmp_path / "c")).put_many([("k", 1)])
        index = tmp_path / "ix.sqlite.gz"
        con = sqlite3.connect(tmp_path / "ix.sqlite")
        con.execute("CREATE TABLE meta(key TEXT, value TEXT)")
        con.execute("INSERT INTO meta VALUES ('schema_version', 'x')")
        con.commit()
        con.close()
        index.write_bytes(gzip.compress((tmp_path / "ix.sqlite").read_bytes()))
        with pytest.raises(Exception, match="schema"):
            GeneIndex(str(index), cache_dir=str(tmp_path / "ic"))
    finally:
        os.umask(saved)
    mode = stat.S_IMODE((tmp_path / "c" / "mygene-cache.sqlite").stat().st_mode)
    assert mode == 0o664
    unpacked = list((tmp_path / "ic").glob("gene_index-*.sqlite"))
    assert len(unpacked) == 1 and stat.S_IMODE(unpacked[0].stat().st_mode) == 0o664


def test_unwritable_cache_falls_back_with_a_warning(tmp_path: Path, server,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "mygene-cache.sqlite").mkdir()  # a path SQLite cannot open, even as root
    server.reset()
    out = tmp_path / "out.tsv"
    res = run_main(remap.main, [REMAP_DATA / "queries.tsv", "-o", out, "--from", "symbol",
                                "--backend", "mygene", "--mygene-url", server.url,
                                "--cache-dir", cache])
    assert res.returncode == 0, res.stderr
    assert "cannot write the MyGene.info cache" in res.stderr and "going on without" in \
        res.stderr


def test_four_processes_share_one_cache(tmp_path: Path, server) -> None:
    server.reset()
    cache = tmp_path / "c"
    procs = [subprocess.Popen([sys.executable, "-m", "pfocr_tools.remap",
                               str(REMAP_DATA / "queries.tsv"), "-o", str(tmp_path / f"o{i}.tsv"),
                               "--from", "symbol", "--backend", "mygene", "--mygene-url",
                               server.url, "--cache-dir", str(cache)],
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    outs = {(tmp_path / f"o{i}.tsv").read_bytes() for i in range(4)}
    assert len(outs) == 1
