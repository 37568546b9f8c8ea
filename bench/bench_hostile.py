#!/usr/bin/env python3
"""Peak RSS and time of pfocr-extract on hostile inputs (issue 15), made here in a temp folder.

    python bench/bench_hostile.py [--bomb-gb 5] [--workdir DIR] [--keep]

Cases: a .tar.gz holding one member of zeros (``--bomb-gb`` GB; named as a record page, and
named ``zeros.bin`` so it is skipped and only the archive budget stops it); a 40 KB record
whose front matter nests block lists 20,000 deep; an old-schema page of 4 MiB of gene rows
whose ``entrez`` yaml_rs reads as numbers (read again by the simple-shape reader), and the
same with a comment line, which the reference YAML reader must read (the worst page at the
default --max-record-bytes).
Each run goes through ``/usr/bin/time -v``; exit code, wall time and peak RSS are printed with
the load average. Numbers are printed, never asserted: CI does not run this.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


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


def bomb(path: Path, member: str, size: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo(member)
        info.size = size
        tf.addfile(info, io.BufferedReader(Zeros(size), 1 << 20))


def measure(label: str, args: list[str]) -> None:
    exe = shutil.which("pfocr-extract") or str(Path(sys.executable).parent / "pfocr-extract")
    proc = subprocess.run(["/usr/bin/time", "-v", exe, *args], capture_output=True, text=True)
    err = proc.stderr
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err)
    first = next((line for line in err.splitlines() if line.startswith("pfocr-extract:")), "")
    print(f"{label}: exit {proc.returncode}, {wall.group(1) if wall else '?'} wall, "
          f"peak RSS {int(rss.group(1)) / 1024 if rss else 0:.0f} MB, "
          f"load {os.getloadavg()[0]:.2f}\n    {first}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bomb-gb", type=float, default=5.0)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pfocr-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        size = int(args.bomb_gb * 1e9)
        for member in ("_figures/PMC1__F1.md", "zeros.bin"):
            path = work / f"bomb-{member.rsplit('.', 1)[-1]}.tar.gz"
            bomb(path, member, size)
            measure(f"{args.bomb_gb:g} GB gzip bomb, member {member} "
                    f"({path.stat().st_size / 1e6:.0f} MB)", [str(path), "-o", str(work / "o")])
        deep = work / "deep.md"
        deep.write_text("---\nfigid: PMC1__F1\nfigtitle: t\njunk:\n" + "- " * 20000 + "x\n---\n")
        measure("20,000-level nested record (40 KB)", [str(deep), "-o", str(work / "o")])
        measure("same, --exact-yaml", ["--exact-yaml", str(deep), "-o", str(work / "o")])
        row = "- word: TP53\n  symbol: TP53\n  source: hgnc_symbol\n  hgnc_symbol: TP53\n" \
              "  entrez: 7157\n"
        big = work / "genes-big.md"
        big.write_text("---\nfigid: PMC2__F1\nfigtitle: t\ngenes:\n"
                       + row * ((4 << 20) // len(row) - 4) + "---\n")
        measure("4 MiB old-schema page (typed entrez: the simple-shape reader reads it)",
                [str(big), "-o", str(work / "o")])
        # a comment line keeps it off the simple-shape reader: the reference reader reads it
        big.write_text("---\nfigid: PMC2__F1\nfigtitle: t\ngenes:\n# rows\n"
                       + row * ((4 << 20) // len(row) - 5) + "---\n")
        measure("4 MiB old-schema page read by the reference YAML reader",
                [str(big), "-o", str(work / "o")])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
