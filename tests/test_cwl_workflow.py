"""The gene-set workflow (cwl/pfocr-gene-sets.cwl): cwltool, Toil and the plain CLIs agree.

The same records and options go three ways:

* the CLIs by hand: pfocr-extract -> pfocr-filter -> pfocr-remap -> pfocr-export;
* cwltool on the workflow with one shard, and with two shards (scatter, then merge);
* toil-cwl-runner (single_machine batch system, file job store) with two shards;

and every GMT (the combined library and each per-species file) must be byte-identical.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_cwl import CWL, ROOT, TIMEOUT, runner, skip_if_missing

WORKFLOW = CWL / "pfocr-gene-sets.cwl"
RECORDS = ROOT / "test-data" / "records"
ORGANISM = "human"


def cli(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stderr}"


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI pipeline on all bundled records, with the workflow's options."""
    skip_if_missing(WORKFLOW)
    out = tmp_path_factory.mktemp("cli")
    cli(runner("pfocr-extract"), "-q", str(RECORDS), "-o", str(out / "extracted.tsv"))
    cli(runner("pfocr-filter"), "-q", str(out / "extracted.tsv"), "-o", str(out / "kept.tsv"),
        "--organism", ORGANISM, "--exclude-mentions")
    cli(runner("pfocr-remap"), "-q", str(out / "kept.tsv"), "-o", str(out / "remapped.tsv"),
        "--report", str(out / "remap-report.tsv"))
    cli(runner("pfocr-export"), "-q", str(out / "remapped.tsv"), "-o", str(out / "pfocr.gmt"),
        "--split-by-organism", str(out / "per-species"))
    return out


def job(path: Path, shards: list[list[Path]], **options) -> Path:
    doc = {
        "shards": [[{"class": "Directory", "location": str(d)} for d in shard]
                   for shard in shards],
        "organisms": [ORGANISM],
        "exclude_mentions": True,
        **options,
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def run_workflow(command: list[str], job_file: Path, outdir: Path) -> dict:
    done = subprocess.run([*command, "--outdir", str(outdir), str(WORKFLOW), str(job_file)],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=outdir.parent)
    assert done.returncode == 0, done.stderr[-6000:]
    return json.loads(done.stdout)


def gmts(outputs: dict) -> dict[str, bytes]:
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


def test_cli_pipeline_makes_sets(by_hand: Path) -> None:
    want = expected(by_hand)
    assert want["library"].count(b"\n") > 20
    assert set(want) == {"library", "pfocr-gmt-Homo_sapiens.gmt"}


def test_cwltool_one_shard_equals_cli(by_hand: Path, tmp_path: Path) -> None:
    cmd = [runner("cwltool"), "--quiet", "--no-container",
           "--tmpdir-prefix", f"{tmp_path}/tmp", "--tmp-outdir-prefix", f"{tmp_path}/tmp"]
    outputs = run_workflow(cmd, job(tmp_path / "job.yml", [[RECORDS]]), tmp_path / "out")
    assert gmts(outputs) == expected(by_hand)
    for name, file in (("gene_table", "remapped.tsv"), ("remap_report", "remap-report.tsv")):
        assert Path(outputs[name]["path"]).read_bytes() == (by_hand / file).read_bytes()
    assert outputs["report"] is None


def test_cwltool_two_shards_equal_cli(by_hand: Path, tmp_path: Path) -> None:
    # test-data/records sorts as current-schema, then old-schema: the same rows in the same
    # order as the one-directory run by hand, so the merged shards must give the same bytes.
    cmd = [runner("cwltool"), "--quiet", "--no-container", "--parallel",
           "--tmpdir-prefix", f"{tmp_path}/tmp", "--tmp-outdir-prefix", f"{tmp_path}/tmp"]
    shards = [[RECORDS / "current-schema"], [RECORDS / "old-schema"]]
    outputs = run_workflow(cmd, job(tmp_path / "job.yml", shards), tmp_path / "out")
    assert gmts(outputs) == expected(by_hand)


def test_toil_two_shards_equal_cli(by_hand: Path, tmp_path: Path) -> None:
    cmd = [runner("toil-cwl-runner"), "--batchSystem", "single_machine",
           "--jobStore", f"file:{tmp_path / 'jobstore'}", "--workDir", str(tmp_path),
           "--no-container", "--logWarning"]
    shards = [[RECORDS / "current-schema"], [RECORDS / "old-schema"]]
    outputs = run_workflow(cmd, job(tmp_path / "job.yml", shards, make_report=True),
                           tmp_path / "out")
    assert gmts(outputs) == expected(by_hand)
    report = Path(outputs["report"]["path"]).read_text(encoding="utf-8")
    assert report.lstrip().lower().startswith("<!doctype html")
