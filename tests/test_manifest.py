"""The manifest beside every library pfocr-export writes (issue 14, item 4)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from pfocr_tools import __version__, export, manifest, remap
from pfocr_tools.errors import DataError

from .clirun import run_main
from .conftest import TEST_DATA

TABLE = TEST_DATA / "export" / "table.tsv"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args: str | Path) -> str:
    res = run_main(export.main, list(args))
    assert res.returncode == 0, res.stderr
    return res.stderr


def test_manifest_beside_the_library(tmp_path: Path) -> None:
    lib = tmp_path / "lib.gmt"
    run(TABLE, "-o", lib, "--max-size", "50", "--description", "url")
    path = tmp_path / "lib.gmt.manifest.json"
    doc = json.loads(path.read_text("utf-8"))
    assert doc["schema"] == manifest.SCHEMA
    assert doc["tool"] == {"name": "pfocr-export", "version": __version__,
                           "package": "pfocr-tools"}
    assert doc["command_line"] == ["pfocr-export", str(TABLE), "-o", str(lib), "--max-size",
                                   "50", "--description", "url"]
    assert doc["options"]["description"] == "url" and doc["options"]["max_size"] == 50
    assert doc["options"]["input"] == str(TABLE) and "argv" not in doc["options"]
    assert doc["inputs"] == [{"name": TABLE.name, "path": str(TABLE),
                              "size": TABLE.stat().st_size,
                              "sha256": sha(TABLE)}]
    assert doc["rule"] == {"flavor": "strict", "min_size": 3, "max_size": 50,
                           "id_column": "gene_id", "set_name": "figid", "description": "url",
                           "max_title": None, "format": "gmt"}
    lines = lib.read_text("utf-8").splitlines()
    ids = {gid for line in lines for gid in line.split("\t")[2:]}
    assert doc["counts"] == {"figures_in_table": 5, "sets": len(lines),
                             "distinct_ids": len(ids), "files": 1}
    assert doc["outputs"] == [{"name": "lib.gmt", "path": str(lib), "size": lib.stat().st_size,
                               "sha256": sha(lib), "sets": len(lines),
                               "distinct_ids": len(ids)}]
    assert doc["gene_data"]["remapped"] is False
    assert "created" not in doc


def test_manifest_is_deterministic(tmp_path: Path) -> None:
    lib = tmp_path / "lib.gmt"
    run(TABLE, "-o", lib)
    first = (tmp_path / "lib.gmt.manifest.json").read_bytes()
    run(TABLE, "-o", lib)
    assert (tmp_path / "lib.gmt.manifest.json").read_bytes() == first
    run(TABLE, "-o", lib, "--manifest-timestamp")
    doc = json.loads((tmp_path / "lib.gmt.manifest.json").read_text("utf-8"))
    assert doc["created"].endswith("Z") and len(doc["created"]) == 20


def test_one_manifest_per_split_folder(tmp_path: Path) -> None:
    out = tmp_path / "libs"
    run(TABLE, "--split-by-organism", out, "--prefix", "pfocr-test")
    doc = json.loads((out / "pfocr-test-gmt.manifest.json").read_text("utf-8"))
    names = sorted(p.name for p in out.glob("*.gmt"))
    assert [o["name"] for o in doc["outputs"]] == names
    for entry in doc["outputs"]:
        assert entry["sha256"] == sha(out / entry["name"])
    assert doc["counts"]["files"] == 2
    assert doc["counts"]["sets"] == sum(o["sets"] for o in doc["outputs"])


def test_no_manifest_for_stdout_unless_asked(tmp_path: Path) -> None:
    res = run_main(export.main, [TABLE, "-o", "-"])
    assert res.returncode == 0 and os.listdir(tmp_path) == []
    where = tmp_path / "m.json"
    res = run_main(export.main, [TABLE, "-o", "-", "--manifest", where])
    assert res.returncode == 0
    doc = json.loads(where.read_text("utf-8"))
    assert doc["outputs"][0]["name"] == "-" and doc["outputs"][0]["sha256"] is None
    run(TABLE, "-o", tmp_path / "x.gmt", "--no-manifest")
    assert sorted(os.listdir(tmp_path)) == ["m.json", "x.gmt"]


def test_gene_data_from_remap_reports(tmp_path: Path) -> None:
    remapped = tmp_path / "remapped.tsv"
    report = tmp_path / "report.tsv"
    res = run_main(remap.main, [TABLE, "-o", remapped, "--to", "symbol", "--report", report])
    assert res.returncode == 0, res.stderr
    # a concatenation of per-shard reports (headers repeated) counts each version once
    both = tmp_path / "both.tsv"
    both.write_text(report.read_text("utf-8") * 2, "utf-8")
    run(remapped, "-o", tmp_path / "lib.gmt", "--id-column", "symbol", "--remap-report", both)
    doc = json.loads((tmp_path / "lib.gmt.manifest.json").read_text("utf-8"))
    gene = doc["gene_data"]
    assert gene["remapped"] is True
    assert len(gene["data_versions"]) == 1
    assert gene["data_versions"][0]["backend"] == "local"
    assert gene["data_versions"][0]["data_version"].startswith("gene-index:")
    assert [i["name"] for i in doc["inputs"]] == ["remapped.tsv", "both.tsv"]
    # remapped, but no report given: said so
    run(remapped, "-o", tmp_path / "lib2.gmt", "--id-column", "symbol")
    doc = json.loads((tmp_path / "lib2.gmt.manifest.json").read_text("utf-8"))
    assert doc["gene_data"]["data_versions"] == [] and "--remap-report" in \
        doc["gene_data"]["note"]


def test_bad_remap_report(tmp_path: Path) -> None:
    res = run_main(export.main, [TABLE, "-o", tmp_path / "x.gmt", "--remap-report",
                                 tmp_path / "none.tsv"])
    assert res.returncode == 1 and "none.tsv: no such file (--remap-report)" in res.stderr
    assert os.listdir(tmp_path) == []
    res = run_main(export.main, [TABLE, "-o", tmp_path / "x.gmt", "--remap-report", TABLE])
    assert res.returncode == 1 and "not a pfocr-remap report" in res.stderr


def test_load_and_find(tmp_path: Path) -> None:
    lib = tmp_path / "lib.gmt"
    run(TABLE, "-o", lib)
    assert manifest.find_for(str(lib)) == str(lib) + manifest.SUFFIX
    out = tmp_path / "libs"
    run(TABLE, "--split-by-organism", out)
    found = manifest.find_for(str(out / "pfocr-gmt-Mus_musculus.gmt"))
    assert found == str(out / "pfocr-gmt.manifest.json")
    doc = manifest.load(found)
    rows = dict(manifest.summary_rows(doc))
    assert rows["made by"] == f"pfocr-export {__version__}"
    assert rows["rule"] == "strict rows, 3.. distinct gene_id values"
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    with pytest.raises(DataError, match="not a pfocr-export manifest"):
        manifest.load(str(bad))
    bad.write_text("{", "utf-8")
    with pytest.raises(DataError, match="bad JSON"):
        manifest.load(str(bad))
    assert manifest.find_for(str(tmp_path / "nothing.gmt")) is None
