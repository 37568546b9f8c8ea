#!/usr/bin/env bash
# Set up and run the main job on the bundled example records; results land in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
. .venv/bin/activate
mkdir -p out
pfocr-extract test-data/records -o out/figure-genes.tsv --figures out/figures.tsv
echo "wrote out/figure-genes.tsv and out/figures.tsv"
