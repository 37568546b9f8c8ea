#!/usr/bin/env python3
"""Benchmark the CWL gene-set workflow under cwltool and Toil against the plain CLI pipeline.

    python bench/bench_cwl.py --records 20000 --shards 4 [--archives] [--toil-arg=...]
                              [--batch-system single_machine] [--batch-system slurm]
                              [--workdir DIR] [--keep] [--skip-toil] [--skip-cwltool]
    python bench/bench_cwl.py --tools --records 11500 --shards 1   # resource use per tool

Builds N synthetic records (copies of the real records of ``test-data/records`` with unique
figids) split into S shard folders in the pfocr-database layout (``_figures/`` + ``_data/``),
then times, wall clock:

* the plain CLIs, one call each on the whole corpus: pfocr-extract (all shard folders, one
  worker per core) -> pfocr-filter -> pfocr-remap -> pfocr-export --split-by-organism;
* ``cwltool --parallel --no-container`` on cwl/pfocr-gene-sets.cwl with the S shards;
* ``toil-cwl-runner --batchSystem B --no-container`` on the same job, for each batch system
  given (default single_machine). ``slurm`` starts a single-node Slurm cluster with
  scripts/slurm-cluster.sh for the run (as root) and stops it afterwards;

checks that they all give byte-identical GMT files, and prints the ratio to the CLI time with
the load average (the machine may be shared). ``--tools`` instead runs each tool of the
workflow on the first shard (extract with ``--jobs 1`` and with all cores) and prints its
wall time, CPU time / wall time (cores used) and peak memory (the sum of the resident set of
the tool and its child processes, sampled every 20 ms): the numbers behind the CWL
``ResourceRequirement`` hints. Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import psutil

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


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def timed(label: str, commands: list[list[str]], cwd: Path,
          env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    for command in commands:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed: {' '.join(command)}\n{done.stderr[-4000:]}")
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.1f} s   ({load()})", flush=True)
    return elapsed


def measured(command: list[str], cwd: Path) -> tuple[float, int]:
    """Run COMMAND; return its wall seconds and the peak of the summed resident set of the
    process and its descendants (bytes), sampled every 20 ms."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            root = None
        while proc.poll() is None:
            if root is not None:
                rss = 0
                try:
                    for p in [root, *root.children(recursive=True)]:
                        try:
                            rss += p.memory_info().rss
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
                peak = max(peak, rss)
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"failed: {' '.join(command)}\n{err.read().decode()[-4000:]}")
    return wall, peak


def measure_tools(shard: Path, work: Path) -> None:
    """Wall time, cores used and peak memory of each workflow tool on one shard."""
    jobs = str(os.cpu_count() or 1)
    steps = [
        ("pfocr-extract --jobs 1", [tool("pfocr-extract"), "-q", "--jobs", "1", str(shard),
                                    "-o", "extracted.tsv"]),
        (f"pfocr-extract --jobs {jobs}", [tool("pfocr-extract"), "-q", "--jobs", jobs,
                                          str(shard), "-o", "extracted.tsv"]),
        ("pfocr-filter", [tool("pfocr-filter"), "-q", "extracted.tsv", "-o", "kept.tsv",
                          *OPTIONS]),
        ("pfocr-remap (local)", [tool("pfocr-remap"), "-q", "kept.tsv", "-o", "remapped.tsv",
                                 "--report", "remap-report.tsv"]),
        ("merge-tables (tail -n +2)", ["sh", "-c", "cat remapped.tsv > merged.tsv && "
                                       "tail -n +2 remapped.tsv >> merged.tsv"]),
        ("pfocr-export --split-by-organism", [tool("pfocr-export"), "-q", "merged.tsv", "-o",
                                             "pfocr.gmt", "--split-by-organism", "per-species"]),
        ("pfocr-report", [tool("pfocr-report"), "-q", "merged.tsv", "--gmt", "pfocr.gmt",
                          "-o", "report.html"]),
    ]
    print(f"{'tool':<34} {'wall s':>7} {'cores':>6} {'peak MiB':>9}")
    for label, command in steps:
        # CPU of the tool and its (waited-for) worker processes: RUSAGE_CHILDREN grows by it
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, peak = measured(command, work)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"{label:<34} {wall:7.1f} {cpu / wall:6.2f} {peak / 2**20:9.0f}   ({load()})",
              flush=True)
    size = sum(1 for _ in open(work / "extracted.tsv", encoding="utf-8")) - 1
    print(f"  ({size} extracted gene rows)")


def start_slurm(work: Path) -> dict[str, str]:
    """Start a single-node Slurm cluster in WORK/slurm; the environment that reaches it."""
    env = dict(os.environ)
    env["SLURM_CONF"] = str(work / "slurm" / "slurm.conf")
    # Toil submits with sbatch --export=ALL: the jobs need _toil_worker and the tools on PATH
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    start = time.perf_counter()
    subprocess.run(["bash", str(ROOT / "scripts" / "slurm-cluster.sh"), "start",
                    str(work / "slurm")], check=True, env=env)
    print(f"slurm cluster up in {time.perf_counter() - start:.1f} s")
    return env


def stop_slurm(work: Path) -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "slurm-cluster.sh"), "stop",
                    str(work / "slurm")], check=False)


def gmt_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.gmt"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--skip-toil", action="store_true")
    parser.add_argument("--skip-cwltool", action="store_true")
    parser.add_argument("--batch-system", action="append", choices=["single_machine", "slurm"],
                        help="Toil batch system (repeatable; default single_machine); slurm "
                             "starts a single-node cluster (root)")
    parser.add_argument("--tools", action="store_true",
                        help="measure each tool's time, cores and peak memory on the first "
                             "shard instead")
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

        if args.tools:
            tools_dir = work / "tools"
            tools_dir.mkdir()
            print(f"each tool on shard 1 ({shards[0].name}, "
                  f"{args.records // args.shards} records)")
            measure_tools(shards[0], tools_dir)
            return

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
        runs: dict[str, list[str]] = {}
        if not args.skip_cwltool:
            runs["cwltool"] = [tool("cwltool"), "--quiet", "--no-container", "--parallel"]
        if not args.skip_toil:
            for batch in args.batch_system or ["single_machine"]:
                runs[f"toil {batch}"] = [
                    tool("toil-cwl-runner"), "--batchSystem", batch,
                    "--jobStore", f"file:{work / ('jobstore-' + batch)}", "--workDir",
                    str(work), "--no-container", "--logWarning", *args.toil_arg]
        for name, command in runs.items():
            env = None
            if name == "toil slurm":
                env = start_slurm(work)
            try:
                out = work / name.replace(" ", "-")
                out.mkdir()
                times[name] = timed(f"{name} workflow ({args.shards} shards)",
                                    [[*command, "--outdir", str(out), str(WORKFLOW), str(job)]],
                                    work, env)
            finally:
                if env is not None:
                    stop_slurm(work)
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
