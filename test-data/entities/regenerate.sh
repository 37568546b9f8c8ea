#!/usr/bin/env bash
# Regenerate the golden files of the chemical / disease tests (review every diff by hand).
# Inputs: records/ (13 current-schema figures with chemicals/diseases TSVs, copied verbatim
# from the pfocr-database layout), ../records/old-schema (67 old-schema pages, 27 listing
# chemicals and 11 diseases) and odd/ (hand-made: the oddities of the corpus).
set -euo pipefail
cd "$(dirname "$0")"
inputs=(records ../records/old-schema odd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pfocr-extract -q -j 1 "${inputs[@]}" -o "$tmp/genes.tsv" --chemicals golden-chemicals.tsv \
  --diseases golden-diseases.tsv
# the strict gene table gives the same NDJSON (--flavor strict) and feeds the Galaxy test
pfocr-extract -q -j 1 "${inputs[@]}" --flavor strict -o bte-genes.tsv 2>/dev/null
pfocr-export -q "$tmp/genes.tsv" --chemicals golden-chemicals.tsv \
  --diseases golden-diseases.tsv --format ndjson --flavor strict -o golden-bte-strict.ndjson
rm -rf golden-chemical-split
pfocr-export -q golden-chemicals.tsv --split-by-organism golden-chemical-split \
  --prefix pfocr-20260215
