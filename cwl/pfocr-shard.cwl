#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "One shard of PFOCR records -> filtered figure gene table"
doc: |
  The per-shard part of pfocr-gene-sets.cwl: pfocr-extract (every row, flavor all) ->
  pfocr-filter (chosen organisms). pfocr-gene-sets.cwl scatters this over the shards, so each
  tool call handles many records at once.

$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  records:
    label: PFOCR records of this shard
    doc: Record pages, genes TSVs, archives and Directories of records.
    type:
      type: array
      items: [File, Directory]
  organisms:
    label: Organisms to keep
    doc: Scientific names, common names or NCBI taxids.
    type: string[]
  filter_by:
    label: Select organisms by
    doc: genes (default) or record.
    type:
      - "null"
      - type: enum
        name: filter_by
        symbols: [genes, record]
  exclude_mentions:
    label: Exclude figures naming other organisms
    doc: Drop figures whose title, caption or paper title name another organism.
    type: boolean?
  allow_mentions:
    label: Mentions that never drop a figure
    doc: With exclude_mentions, organisms or groups whose mention is allowed.
    type: string[]?

steps:
  extract:
    run: pfocr-extract.cwl
    in:
      records: records
      quiet: {default: true}
    out: [gene_table]
  filter:
    run: pfocr-filter.cwl
    in:
      gene_table: extract/gene_table
      organisms: organisms
      by: filter_by
      exclude_mentions: exclude_mentions
      allow_mentions: allow_mentions
    out: [filtered_table]

outputs:
  gene_table:
    label: Filtered figure gene table of the shard
    doc: The shard's rows of the chosen organisms.
    type: File
    format: edam:format_3475
    outputSource: filter/filtered_table

s:license: https://spdx.org/licenses/MIT
