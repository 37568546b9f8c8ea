#!/usr/bin/env python3
"""Benchmark the CWL gene-set workflow under cwltool and Toil against the plain CLI pipeline.

    python bench/bench_cwl.py --records 20000 --shards 4 [--archives] [--toil-arg=...]
                              [--workdir DIR] [--keep] [--skip-toil]

Builds N synthetic records (copies of the real records of ``test-data/records`` with unique
figids) split into S shard folders in the pfocr-database layout (``_figures/`` + ``_data/``),
then times, wall clock:

* the plain CLIs, one call each on the whole corpus: pfocr-extract (all shard folders, one
  worker per core) -> pfocr-filter -> pfocr-remap -> pfocr-export --split-by-organism;
* ``cwltool --parallel --no-container`` on cwl/pfocr-gene-sets.cwl with the S shards;
* ``toil-cwl-runner --batchSystem single_machine --no-container`` on the same job;

checks that the three give byte-identical GMT files, and prints the ratio to the CLI time.
Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-data" / "records"
WORKFLOW = ROOT / "cwl" / "pfocr-gene-sets.cwl"
BIN = Path(sys.executable).parent
OPTIONS = ["--organism", "human", "--exclude-mentions"]


def build_corpus(dest: Path, n: int, shards: int) -> list[Path]:
    """N records over S shard folders (record i goes to shard i * S // N: contiguous runs)."""
    templates = []
    for page in sorted(RECORDS.glob("*/_figures/*.md")):
        tsv = page.parent.parent / "_data" / f"{page.stem}-genes.tsv"
        templates.append((page.stem, page.read_text("utf-8"),
                          tsv.read_text("utf-8") if tsv.exists() else None))
    dirs = [dest / f"shard{k + 1}" for k in range(shards)]
    for d in dirs:
        (d / "_figures").mkdir(parents=True)
        (d / "_data").mkdir()
    for i in range(n):
        figid, text, tsv = templates[i % len(templates)]
        new = f"{figid}__syn{i:07d}"
        shard = dirs[i * shards // n]
        page = text.replace(f"figid: {figid}\n", f"figid: {new}\n", 1)
        (shard / "_figures" / f"{new}.md").write_text(page, "utf-8")
        if tsv is not None:
            (shard / "_data" / f"{new}-genes.tsv").write_text(tsv, "utf-8")
    return dirs


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def timed(label: str, commands: list[list[str]], cwd: Path) -> float:
    start = time.perf_counter()
    for command in commands:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed: {' '.join(command)}\n{done.stderr[-4000:]}")
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.1f} s", flush=True)
    return elapsed


def gmt_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.gmt"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--skip-toil", action="store_true")
    parser.add_argument("--archives", action="store_true",
                        help="give each shard as one .tar archive instead of a folder")
    parser.add_argument("--toil-arg", action="append", default=[], metavar="ARG",
                        help="extra toil-cwl-runner option (repeatable), e.g. "
                             "--toil-arg=--bypass-file-store")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-cwl-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        shard_dirs = build_corpus(work / "corpus", args.records, args.shards)
        shards: list[Path] = shard_dirs
        if args.archives:
            shards = []
            for d in shard_dirs:
                with tarfile.open(d.with_suffix(".tar"), "w") as tar:
                    tar.add(d, arcname=d.name)
                shards.append(d.with_suffix(".tar"))
        kind = "archives" if args.archives else "folders"
        print(f"corpus: {args.records} records in {args.shards} shard {kind} "
              f"({time.perf_counter() - t0:.1f} s to build), {os.cpu_count()} cores")

        cli = work / "cli"
        cli.mkdir()
        times = {"cli": timed("plain CLIs (extract -> filter -> remap -> export)", [
            [tool("pfocr-extract"), "-q", *map(str, shards), "-o", "extracted.tsv"],
            [tool("pfocr-filter"), "-q", "extracted.tsv", "-o", "kept.tsv", *OPTIONS],
            [tool("pfocr-remap"), "-q", "kept.tsv", "-o", "remapped.tsv",
             "--report", "remap-report.tsv"],
            [tool("pfocr-export"), "-q", "remapped.tsv", "-o", "pfocr.gmt",
             "--split-by-organism", "per-species"],
        ], cli)}
        want = gmt_bytes(cli)

        job = work / "job.json"
        job.write_text(json.dumps({
            "shards": [[{"class": "File" if args.archives else "Directory", "path": str(d)}]
                       for d in shards],
            "organisms": ["human"],
            "exclude_mentions": True,
        }), "utf-8")
        runs = {
            "cwltool": [tool("cwltool"), "--quiet", "--no-container", "--parallel"],
            "toil": [tool("toil-cwl-runner"), "--batchSystem", "single_machine",
                     "--jobStore", f"file:{work / 'jobstore'}", "--workDir", str(work),
                     "--no-container", "--logWarning", *args.toil_arg],
        }
        if args.skip_toil:
            del runs["toil"]
        for name, command in runs.items():
            out = work / name
            out.mkdir()
            times[name] = timed(f"{name} workflow ({args.shards} shards)",
                                [[*command, "--outdir", str(out), str(WORKFLOW), str(job)]],
                                work)
            got = gmt_bytes(out)
            same = got == want
            print(f"  {name}: {len(got)} GMT files, byte-identical to the CLI: {same}; "
                  f"{times[name] / times['cli']:.2f}x the CLI time")
            if not same:
                raise SystemExit(f"{name}: GMT files differ from the CLI's")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
