#!/usr/bin/env bash
# Set up and run the main job: the CWL gene-set workflow (cwl/pfocr-gene-sets.cwl) run by
# cwltool on the bundled example records (cwl/gene-sets.job.yml: two shards, human, mouse and
# rat, the offline gene index shipped in the package, no network). Results land in out/:
#   out/per-species/pfocr-gmt-<Genus_species>.gmt   one GMT library per species
#   out/per-species/pfocr-gmt.manifest.json         their manifest (versions, inputs, SHA-256)
#   out/pfocr.gmt                                   all chosen species in one GMT (an overview:
#                                                   use the per-species ones for enrichment)
#   out/figure-genes.tsv, out/remap-report.tsv      the merged table and remap report
#   out/report.html                                 offline HTML summary
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
. .venv/bin/activate
mkdir -p out
rm -rf out/per-species out/pfocr.gmt out/figure-genes.tsv out/remap-report.tsv out/report.html
cwltool --quiet --no-container --parallel --outdir out \
  cwl/pfocr-gene-sets.cwl cwl/gene-sets.job.yml > out/cwl-outputs.json
echo "wrote out/per-species/:"
ls out/per-species
echo "and out/pfocr.gmt, out/figure-genes.tsv, out/remap-report.tsv, out/report.html"
