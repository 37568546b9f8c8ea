#!/usr/bin/env bash
# Regenerate the golden files of the Galaxy tool tests with the command-line tools, laid out
# exactly as the wrappers lay out their inputs (records/<name>). Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")"
TD=$PWD
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
old=records/old-schema/_figures
cur=records/current-schema

# pfocr_extract test 1: a collection of old-schema pages, flavor all, per-figure table
mkdir -p "$W/t1/records"
for f in PMC100003__mb2410470011 PMC4767141__jm-2014-01436m_0006 PMC4502937__12917_2015_473_Fig8_HTML; do
  ln -s "$TD/$old/$f.md" "$W/t1/records/$f.md"
done
(cd "$W/t1" && pfocr-extract -q records -o "$TD/extract/old-schema-all.tsv" --flavor all \
  --figures "$TD/extract/old-schema-figures.tsv" --jobs 1)
# pfocr_extract test 1b: the same, the per-figure columns on every row
(cd "$W/t1" && pfocr-extract -q records -o "$TD/extract/old-schema-all-every.tsv" --flavor all \
  --repeat-figure-columns --jobs 1)

# pfocr_extract test 2: current-schema pages + genes TSVs, strict
mkdir -p "$W/t2/records"
for f in PMC4134342__prio-7-378-g2 PMC6092617__EMBJ-37-e99429-g013; do
  ln -s "$TD/$cur/_figures/$f.md" "$W/t2/records/$f.md"
  ln -s "$TD/$cur/_data/$f-genes.tsv" "$W/t2/records/$f-genes.tsv"
done
(cd "$W/t2" && pfocr-extract -q records -o "$TD/extract/current-schema-strict.tsv" --flavor strict --jobs 1)

# pfocr_extract tests 5, 6: the zip archive (the tar.gz holds the same members)
pfocr-extract -q extract/records.zip -o extract/archive-all.tsv --jobs 1

# pfocr_extract test 7: skip a bad record
mkdir -p "$W/t7/records"
ln -s "$TD/$old/PMC100003__mb2410470011.md" "$W/t7/records/PMC100003__mb2410470011.md"
ln -s "$TD/extract/broken-yaml.md" "$W/t7/records/broken-yaml.md"
(cd "$W/t7" && pfocr-extract -q records -o /dev/null --on-error skip --rejects "$TD/extract/rejects.tsv" --jobs 1)

# pfocr_filter tests 1, 2
P=project
pfocr-filter -q $P/filter/table.tsv -o filter/mouse.tsv --organism 10090 --by genes
pfocr-filter -q $P/filter/table.tsv -o filter/human-exclude.tsv --organism human --by genes \
  --exclude-mentions --allow-mention viruses --log filter/human-exclude-log.tsv

# pfocr_filter test 7: the organism evidence gate (the evidence table is test-data/evidence's,
# pfocr-organisms of test-data/records; tests/test_evidence.py checks it is current)
pfocr-filter -q $P/filter/table.tsv -o filter/human-evidence.tsv --organism human --by genes \
  --evidence $P/evidence/records-organisms.tsv --confidence medium

# pfocr_organisms test 1: the zip archive of records
pfocr-organisms -q extract/records.zip -o organisms/records-zip.tsv

# pfocr_export tests 1, 2, 4
pfocr-export -q $P/export/table.tsv -o export/default.gmt --format gmt --flavor strict --min-size 3 \
  --set-name figid --id-column gene_id
pfocr-export -q $P/export/table.tsv -o export/all-alias.tsv --format tsv --flavor all --min-size 1 \
  --set-name alias --id-column gene_id
rm -rf "$W/split"
pfocr-export -q $P/export/table.tsv --split-by-organism "$W/split" --prefix pfocr-test --format gmt
cp "$W"/split/pfocr-test-gmt-*.gmt export/

# pfocr_remap tests 1, 2 (local backend, the shipped gene index)
(cd "$W" && pfocr-remap -q "$TD/$P/remap/PMC7048131-fig1.tsv" -o "$TD/remap/entrez-ensembl.tsv" \
  --backend local --cache-dir pfocr-cache --from gene_id --to entrez,ensembl --unmapped keep \
  --report "$W/report.tsv")
(cd "$W" && pfocr-remap -q "$TD/$P/remap/PMC7048131-fig1.tsv" -o "$TD/remap/word.tsv" \
  --backend local --cache-dir pfocr-cache --from word --to entrez,symbol --unmapped keep)

# workflow pfocr-gene-sets (galaxy/workflows/pfocr-gene-sets-tests.yml): two current-schema
# records, mouse
mkdir -p "$W/wf/records"
for f in PMC4134342__prio-7-378-g2 PMC6092617__EMBJ-37-e99429-g013; do
  ln -s "$TD/$cur/_figures/$f.md" "$W/wf/records/$f.md"
  ln -s "$TD/$cur/_data/$f-genes.tsv" "$W/wf/records/$f-genes.tsv"
done
(cd "$W/wf" && pfocr-extract -q records -o table.tsv --flavor all --on-error fail --jobs 1 \
  && pfocr-filter -q table.tsv -o mouse.tsv --organism mouse --by genes \
  && pfocr-remap -q mouse.tsv -o remapped.tsv --backend local --cache-dir pfocr-cache \
       --from gene_id --to entrez,ensembl --unmapped keep --report remap-report.tsv \
  && pfocr-export -q remapped.tsv -o "$TD/workflow/mouse.gmt" --format gmt --flavor strict \
       --min-size 3 --set-name figid --id-column gene_id \
  && cp remapped.tsv "$TD/workflow/mouse-remapped.tsv")

# pfocr_extract test 8: a current-schema page with its genes, chemicals and diseases TSVs
E=$P/entities/records/current-schema
mkdir -p "$W/t8/records"
f=PMC10036441__fpls-14-1142753-g003
ln -s "$TD/$E/_figures/$f.md" "$W/t8/records/$f.md"
for k in genes chemicals diseases; do ln -s "$TD/$E/_data/$f-$k.tsv" "$W/t8/records/$f-$k.tsv"; done
(cd "$W/t8" && pfocr-extract -q records -o /dev/null --chemicals "$TD/extract/PMC10036441-chemicals.tsv" \
  --diseases "$TD/extract/PMC10036441-diseases.tsv" --jobs 1)

# pfocr_filter test 5: the chemicals of the figures the mouse gene table kept
pfocr-filter -q $P/entities/bte-genes.tsv -o filter/entities-mouse-genes.tsv --organism mouse
pfocr-filter -q $P/entities/golden-chemicals.tsv -o filter/entities-mouse-chemicals.tsv \
  --figures-from filter/entities-mouse-genes.tsv
# pfocr_export tests 6, 7 use test-data/entities (test-data/entities/regenerate.sh)

# workflow pfocr-chemicals-diseases (galaxy/workflows/pfocr-chemicals-diseases-tests.yml):
# two current-schema records with genes, chemicals and diseases tables, human
mkdir -p "$W/wfe/records"
for f in PMC10033682__41598_2023_31924_Fig4_HTML PMC10017456__fpls-14-1084358-g002; do
  ln -s "$TD/$E/_figures/$f.md" "$W/wfe/records/$f.md"
  for k in genes chemicals diseases; do
    [ -f "$TD/$E/_data/$f-$k.tsv" ] && ln -s "$TD/$E/_data/$f-$k.tsv" "$W/wfe/records/$f-$k.tsv"
  done
done
(cd "$W/wfe" && pfocr-extract -q records -o x.tsv --flavor all --on-error fail --chemicals xc.tsv \
    --diseases xd.tsv --jobs 1 \
  && pfocr-filter -q x.tsv -o k.tsv --organism human --by genes \
  && pfocr-filter -q xc.tsv -o kc.tsv --figures-from k.tsv \
  && pfocr-filter -q xd.tsv -o kd.tsv --figures-from k.tsv \
  && pfocr-export -q k.tsv --chemicals kc.tsv --diseases kd.tsv --format ndjson --flavor strict \
       --min-size 3 --set-name figid --id-column gene_id -o "$TD/workflow/entities-human.ndjson" \
  && pfocr-export -q kc.tsv --split-by-organism split --prefix pfocr --format gmt --flavor strict \
       --min-size 3 --set-name figid --id-column gene_id \
  && cp split/pfocr-chemical-gmt-Homo_sapiens.gmt "$TD/workflow/entities-chemical-gmt-Homo_sapiens.gmt")

# the manifests pfocr-export writes beside each library are not test data
rm -f export/*.manifest.json workflow/*.manifest.json
