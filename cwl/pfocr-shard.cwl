#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "One shard of PFOCR records -> filtered, remapped figure gene table"
doc: |
  The per-shard part of pfocr-gene-sets.cwl: pfocr-extract (every row, flavor all) ->
  pfocr-filter (chosen organisms) -> pfocr-remap (current IDs, other ID types or orthologs).
  pfocr-gene-sets.cwl scatters this over the shards, so each tool call handles many records
  at once. The figure chemical and disease tables are extracted too, and pfocr-filter keeps
  the rows of the figures the gene filter kept (figures_from), so one decision serves all three.

requirements:
  NetworkAccess:
    networkAccess: true
  StepInputExpressionRequirement: {}

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
  backend:
    label: Remap backend
    doc: local (default; the offline gene index in the package) or mygene (MyGene.info).
    type:
      - "null"
      - type: enum
        name: backend
        symbols: [local, mygene]
  remap_from:
    label: Column to look up
    doc: gene_id (default), symbol or word.
    type:
      - "null"
      - type: enum
        name: remap_from
        symbols: [gene_id, symbol, word]
  remap_to:
    label: Identifier types
    doc: Any of entrez (default), ensembl, uniprot, symbol.
    type: string[]?
  ortholog_to:
    label: Ortholog species
    doc: Rows become that species' orthologous genes (e.g. mouse).
    type: string?
  unmapped:
    label: Unmapped rows
    doc: keep (default) or drop.
    type:
      - "null"
      - type: enum
        name: unmapped
        symbols: [keep, drop]
  gene_index:
    label: Gene index
    doc: Gene index for the local backend (default the one shipped in the package).
    type: File?
  mygene_url:
    label: MyGene.info URL
    doc: API base URL (default https://mygene.info/v3).
    type: string?
  email:
    label: E-mail
    doc: Your e-mail address, sent to MyGene.info.
    type: string?
  cache_dir:
    label: MyGene.info cache folder
    doc: A path on storage shared by the jobs, to keep MyGene.info answers between runs.
    type: string?
  chemicals_and_diseases:
    label: Filter the chemical and disease tables too
    doc: Without it the two filter steps are skipped (no jobs) and their outputs are null.
    type: boolean
    default: false

steps:
  extract:
    run: pfocr-extract.cwl
    in:
      records: records
      chemicals_name: {default: figure-chemicals.tsv}
      diseases_name: {default: figure-diseases.tsv}
    out: [gene_table, chemical_table, disease_table]
  filter:
    run: pfocr-filter.cwl
    in:
      gene_table: extract/gene_table
      organisms: organisms
      by: filter_by
      exclude_mentions: exclude_mentions
      allow_mentions: allow_mentions
    out: [filtered_table]
  remap:
    run: pfocr-remap.cwl
    in:
      gene_table: filter/filtered_table
      backend: backend
      lookup_from: remap_from
      to: remap_to
      ortholog_to: ortholog_to
      unmapped: unmapped
      index: gene_index
      mygene_url: mygene_url
      email: email
      cache_dir: cache_dir
    out: [remapped_table, report]
  filter_chemicals:
    run: pfocr-filter.cwl
    when: $(inputs.chemicals_and_diseases)
    in:
      chemicals_and_diseases: chemicals_and_diseases
      gene_table:  # always written here (chemicals_name / diseases_name are set)
        source: extract/chemical_table
        valueFrom: $(self)
      figures_from: filter/filtered_table
      output_name: {default: filtered-chemicals.tsv}
    out: [filtered_table]
  filter_diseases:
    run: pfocr-filter.cwl
    when: $(inputs.chemicals_and_diseases)
    in:
      chemicals_and_diseases: chemicals_and_diseases
      gene_table:  # always written here (chemicals_name / diseases_name are set)
        source: extract/disease_table
        valueFrom: $(self)
      figures_from: filter/filtered_table
      output_name: {default: filtered-diseases.tsv}
    out: [filtered_table]

outputs:
  gene_table:
    label: Filtered, remapped figure gene table of the shard
    doc: The shard's rows of the chosen organisms, remapped.
    type: File
    format: edam:format_3475
    outputSource: remap/remapped_table
  remap_report:
    label: Remap report of the shard
    doc: One row per distinct query term of the shard.
    type: File
    format: edam:format_3475
    outputSource: remap/report

  chemical_table:
    label: Figure chemical table of the shard
    doc: The chemical rows of the figures the gene filter kept.
    type: File?
    format: edam:format_3475
    outputSource: filter_chemicals/filtered_table
  disease_table:
    label: Figure disease table of the shard
    doc: The disease rows of the figures the gene filter kept.
    type: File?
    format: edam:format_3475
    outputSource: filter_diseases/filtered_table

s:license: https://spdx.org/licenses/MIT
