"""The gene-set workflow with chemicals_and_diseases: its chemical GMTs and BioThings NDJSON
are byte-identical to the CLIs run by hand on the same records (cwltool)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cwl import ROOT, runner, skip_if_missing
from tests.test_cwl_workflow import ENTRIES, TESTS, WORKFLOW, cli, cwltool, run_cwltest

SHARDS = [ROOT / "test-data" / "entities" / "records", ROOT / "test-data" / "records"
          / "old-schema"]


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    skip_if_missing(WORKFLOW)
    out = tmp_path_factory.mktemp("cli")
    x, k = str(out / "x.tsv"), str(out / "k.tsv")
    cli(runner("pfocr-extract"), "-q", *map(str, SHARDS), "-o", x, "--chemicals",
        str(out / "xc.tsv"), "--diseases", str(out / "xd.tsv"))
    cli(runner("pfocr-filter"), "-q", x, "-o", k, "--organism", "human", "--exclude-mentions")
    for kind in ("c", "d"):
        cli(runner("pfocr-filter"), "-q", str(out / f"x{kind}.tsv"), "-o",
            str(out / f"k{kind}.tsv"), "--figures-from", k)
    cli(runner("pfocr-remap"), "-q", k, "-o", str(out / "r.tsv"))
    cli(runner("pfocr-export"), "-q", str(out / "r.tsv"), "--chemicals", str(out / "kc.tsv"),
        "--diseases", str(out / "kd.tsv"), "--format", "ndjson", "-o", str(out / "bte.ndjson"))
    cli(runner("pfocr-export"), "-q", str(out / "kc.tsv"), "-o", str(out / "c.gmt"),
        "--split-by-organism", str(out / "chem"))
    return out


def test_cwltool_entities_equal_cli(by_hand: Path, tmp_path: Path) -> None:
    entry = ENTRIES["gene_sets_entities"]
    assert entry["job"].endswith("gene-sets-entities.job.yml")
    command = cwltool(tmp_path)
    result = run_cwltest(TESTS, entry, command[0], command[1:], tmp_path)
    assert result.return_code == 0, (
        f"{result.message}\n--- stderr\n{result.error_output[-6000:]}")
    outputs = json.loads(result.standard_output)
    ndjson = Path(outputs["ndjson"]["path"]).read_bytes()
    assert ndjson == (by_hand / "bte.ndjson").read_bytes()
    docs = [json.loads(line) for line in ndjson.decode("utf-8").splitlines()]
    assert any(d["associatedWith"]["mentions"]["chemicals"]["chebi"] for d in docs)
    got = {item["basename"]: Path(item["path"]).read_bytes()
           for item in outputs["chemical_libraries"]["listing"]}
    want = {p.name: p.read_bytes() for p in sorted((by_hand / "chem").iterdir())}
    assert got == want and got
