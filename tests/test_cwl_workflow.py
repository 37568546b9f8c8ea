"""The gene-set workflow (cwl/pfocr-gene-sets.cwl): cwltool, Toil and the plain CLIs agree.

The tests of ``cwl/pfocr-gene-sets.cwltest.yml`` run under cwltool (one shard; two shards,
scattered and merged) and the two-shard one under toil-cwl-runner (single_machine batch system,
file job store), each through cwltest's runner and comparison; then every GMT (the combined
library and each per-species file) must be byte-identical to the CLIs run by hand on the same
records with the same options: pfocr-extract -> pfocr-filter -> pfocr-remap -> pfocr-export.
``test-data/records`` sorts as current-schema, then old-schema, so the two shards hold the same
rows in the same order as the one directory.

Every workflow run starts at once (``workflow_runs``): Toil spends most of its time waiting
on its own polling, so it overlaps the cwltool runs instead of adding a minute of its own.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.test_cwl import CWL, ROOT, TIMEOUT, load, run_cwltest, runner, skip_if_missing

WORKFLOW = CWL / "pfocr-gene-sets.cwl"
TESTS = CWL / "pfocr-gene-sets.cwltest.yml"
RECORDS = ROOT / "test-data" / "records"
ENTRIES = {entry["id"]: entry for entry in load(TESTS)}


def cli(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stderr}"


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory: pytest.TempPathFactory, workflow_runs: dict[str, Future]) -> Path:
    """The CLI pipeline on all bundled records, with the options of the test jobs (while the
    workflow runs, started first, go on)."""
    skip_if_missing(WORKFLOW)
    for entry in ENTRIES.values():
        job = load(TESTS.parent / entry["job"])
        assert job["organisms"] == ["human"] and job["exclude_mentions"] is True
    out = tmp_path_factory.mktemp("cli")
    cli(runner("pfocr-extract"), "-q", str(RECORDS), "-o", str(out / "extracted.tsv"))
    cli(runner("pfocr-filter"), "-q", str(out / "extracted.tsv"), "-o", str(out / "kept.tsv"),
        "--organism", "human", "--exclude-mentions")
    cli(runner("pfocr-remap"), "-q", str(out / "kept.tsv"), "-o", str(out / "remapped.tsv"),
        "--report", str(out / "remap-report.tsv"))
    cli(runner("pfocr-export"), "-q", str(out / "remapped.tsv"), "-o", str(out / "pfocr.gmt"),
        "--split-by-organism", str(out / "per-species"))
    return out


def gmts(outputs: dict[str, Any]) -> dict[str, bytes]:
    """name -> bytes of the combined library and each per-species library."""
    found = {"library": Path(outputs["library"]["path"]).read_bytes()}
    for item in outputs["per_species"]["listing"]:
        found[item["basename"]] = Path(item["path"]).read_bytes()
    return found


def expected(by_hand: Path) -> dict[str, bytes]:
    found = {"library": (by_hand / "pfocr.gmt").read_bytes()}
    for path in sorted((by_hand / "per-species").iterdir()):
        found[path.name] = path.read_bytes()
    return found


def cwltool(tmp_path: Path) -> list[str]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return [runner("cwltool"), "--no-container", "--parallel",
            "--tmpdir-prefix", f"{tmp}/", "--tmp-outdir-prefix", f"{tmp}/"]


def toil(tmp_path: Path) -> list[str]:
    return [runner("toil-cwl-runner"), "--batchSystem", "single_machine",
            "--jobStore", f"file:{tmp_path / 'jobstore'}", "--workDir", str(tmp_path),
            "--no-container", "--logWarning"]


# run name -> (cwltest entry, the runner's command line for a work folder)
RUNS: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    "cwltool_one_shard": ("gene_sets_one_shard", cwltool),
    "cwltool_two_shards": ("gene_sets_two_shards", cwltool),
    "toil_two_shards": ("gene_sets_two_shards", toil),
}


@pytest.fixture(scope="module")
def workflow_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """Every run of RUNS (through cwltest's runner and comparison), the shard without rows and
    the MyGene.info example job, started together; each test waits for its own."""
    skip_if_missing(WORKFLOW)
    base = tmp_path_factory.mktemp("workflow-runs")
    commands = {}
    for name, (_, command) in RUNS.items():
        (base / name).mkdir()
        commands[name] = command(base / name)  # runner() skips here, not in a thread

    def one(name: str) -> Any:
        command = commands[name]
        return run_cwltest(TESTS, ENTRIES[RUNS[name][0]], command[0], command[1:], None)

    def plain(function: Callable[[Path], Any], tmp: Path) -> tuple[Any, ...]:
        found = function(tmp)
        return (*found, tmp) if isinstance(found, tuple) else (found, tmp)

    others = {"shard_without_rows": shard_without_rows, "mygene": mygene_example_job}
    for name in others:
        (base / name).mkdir()
    old = tempfile.tempdir
    tempfile.tempdir = str(base)  # where cwltest makes each --outdir (one setting for all)
    pool = ThreadPoolExecutor(len(RUNS) + len(others))
    try:
        futures = {name: pool.submit(one, name) for name in RUNS}
        futures.update({name: pool.submit(plain, function, base / name)
                        for name, function in others.items()})
        yield futures
    finally:
        pool.shutdown(wait=True)
        tempfile.tempdir = old


def run(name: str, workflow_runs: dict[str, Future]) -> dict[str, Any]:
    result = workflow_runs[name].result()
    assert result.return_code == 0, (
        f"{result.message}\n--- stderr\n{result.error_output[-6000:]}")
    return json.loads(result.standard_output)


def test_cli_pipeline_makes_sets(by_hand: Path) -> None:
    want = expected(by_hand)
    assert want["library"].count(b"\n") > 20
    assert set(want) == {"library", "pfocr-gmt-Homo_sapiens.gmt"}


def test_cwltool_one_shard_equals_cli(by_hand: Path, workflow_runs) -> None:
    outputs = run("cwltool_one_shard", workflow_runs)
    assert gmts(outputs) == expected(by_hand)
    for name, file in (("gene_table", "remapped.tsv"), ("remap_report", "remap-report.tsv")):
        assert Path(outputs[name]["path"]).read_bytes() == (by_hand / file).read_bytes()


def test_cwltool_two_shards_equal_cli(by_hand: Path, workflow_runs) -> None:
    outputs = run("cwltool_two_shards", workflow_runs)
    assert gmts(outputs) == expected(by_hand)
    merged = Path(outputs["gene_table"]["path"]).read_bytes()
    assert merged == (by_hand / "remapped.tsv").read_bytes()


def test_toil_two_shards_equal_cli(by_hand: Path, workflow_runs) -> None:
    outputs = run("toil_two_shards", workflow_runs)
    assert gmts(outputs) == expected(by_hand)
    report = Path(outputs["report"]["path"]).read_text(encoding="utf-8")
    assert report.lstrip().lower().startswith("<!doctype html")


def shard_without_rows(tmp_path: Path) -> subprocess.CompletedProcess:
    """A shard whose only figure names yeast, run by cwltool (outputs in tmp_path/out)."""
    job = tmp_path / "job.json"
    job.write_text(json.dumps({
        "shards": [[{"class": "Directory", "path": str(RECORDS / "current-schema")}],
                   [{"class": "File",
                     "path": str(RECORDS / "old-schema" / "_figures" /
                                 "PMC1201514__nihms3453f1.md")}]],
        "organisms": ["human"],
        "exclude_mentions": True,
    }), encoding="utf-8")
    return subprocess.run([*cwltool(tmp_path), "--quiet", "--outdir", str(tmp_path / "out"),
                           str(WORKFLOW), str(job)],
                          capture_output=True, text=True, timeout=TIMEOUT)


def test_shard_without_rows_of_the_organism(workflow_runs) -> None:
    """A shard whose only figure names yeast: its filtered table is empty, the rest goes on."""
    done, tmp_path = workflow_runs["shard_without_rows"].result()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "header but no rows" in done.stderr  # remap said so, and passed it on
    gmt = next((tmp_path / "out").rglob("*.gmt")).read_text("utf-8")
    assert gmt and "PMC1201514" not in gmt


def mygene_example_job(tmp_path: Path) -> tuple[subprocess.CompletedProcess, int]:
    """cwl/gene-sets-mygene.job.yml as written, pointed at a local MyGene.info test server:
    cwltool's result and the number of queries the server answered."""
    from tests.mygene_server import MyGeneServer

    job = load(CWL / "gene-sets-mygene.job.yml")
    assert job["backend"] == "mygene"
    for shard in job["shards"]:
        for item in shard:
            item["location"] = str((CWL / item["location"]).resolve())
    server = MyGeneServer.from_file(ROOT / "test-data" / "remap" / "mygene-genes.json").start()
    try:
        job.update(mygene_url=server.url, cache_dir=str(tmp_path / "cache"))
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run([*cwltool(tmp_path), "--outdir", str(tmp_path / "out"),
                               str(WORKFLOW), str(job_file)],
                              capture_output=True, text=True, timeout=TIMEOUT)
        return done, server.requests("/v3/query")
    finally:
        server.stop()


def test_mygene_example_job(workflow_runs) -> None:
    """cwl/gene-sets-mygene.job.yml runs as written, pointed at the local MyGene.info test
    server; both shards write one answer cache (cache_dir). Whether a shard finds the other's
    answers there depends on the order cwltool --parallel runs them, so that is not asserted."""
    done, requests, tmp_path = workflow_runs["mygene"].result()
    assert done.returncode == 0, done.stderr[-4000:]
    assert requests >= 2
    assert (tmp_path / "cache" / "mygene-cache.sqlite").is_file()
    report = (tmp_path / "out" / "remap-report.tsv").read_text("utf-8").splitlines()
    assert {line.split("\t")[10] for line in report[1:]} == {"mygene"}
    assert (tmp_path / "out" / "per-species" / "pfocr-gmt-Homo_sapiens.gmt").exists()
    assert (tmp_path / "out" / "report.html").exists()
