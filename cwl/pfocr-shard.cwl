#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow
label: One shard of PFOCR records -> filtered, remapped figure gene table
doc: |
  The per-shard part of pfocr-gene-sets.cwl: pfocr-extract (every row, flavor all) ->
  pfocr-filter (chosen organisms) -> pfocr-remap (current IDs, other ID types or orthologs).
  pfocr-gene-sets.cwl scatters this over the shards, so each tool call handles many records
  at once. The figure chemical and disease tables are extracted too, and pfocr-filter keeps
  the rows of the figures the gene filter kept (figures_from), so one decision serves all three.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

requirements:
  NetworkAccess:
    networkAccess: true
  StepInputExpressionRequirement: {}

inputs:
  allow_mentions:
    label: Mentions that never drop a figure
    doc: With exclude_mentions, organisms or groups whose mention is allowed.
    type: string[]?
  backend:
    label: Remap backend
    doc: local (default; the offline gene index in the package) or mygene 
      (MyGene.info).
    type:
    - 'null'
    - name: backend
      type: enum
      symbols:
      - local
      - mygene
  cache_dir:
    label: MyGene.info cache folder
    doc: A path on storage shared by the jobs, to keep MyGene.info answers 
      between runs.
    type: string?
  chemicals_and_diseases:
    label: Filter the chemical and disease tables too
    doc: |-
      Without it the two filter steps are skipped (no jobs) and their outputs are null.
    type: boolean
    default: false
  email:
    label: E-mail
    doc: Your e-mail address, sent to MyGene.info.
    type: string?
  exclude_mentions:
    label: Exclude figures naming other organisms
    doc: Drop figures whose title, caption or paper title name another organism.
    type: boolean?
  filter_by:
    label: Select organisms by
    doc: genes (default) or record.
    type:
    - 'null'
    - name: filter_by
      type: enum
      symbols:
      - genes
      - record
  gene_index:
    label: Gene index
    doc: Gene index for the local backend (default the one shipped in the 
      package).
    type: File?
  mygene_url:
    label: MyGene.info URL
    doc: API base URL (default https://mygene.info/v3).
    type: string?
  organisms:
    label: Organisms to keep
    doc: Scientific names, common names or NCBI taxids.
    type: string[]
  ortholog_to:
    label: Ortholog species
    doc: Rows become that species' orthologous genes (e.g. mouse).
    type: string?
  records:
    label: PFOCR records of this shard
    doc: Record pages, genes TSVs, archives and Directories of records.
    type:
      type: array
      items:
      - File
      - Directory
  remap_from:
    label: Column to look up
    doc: gene_id (default), symbol or word.
    type:
    - 'null'
    - name: remap_from
      type: enum
      symbols:
      - gene_id
      - symbol
      - word
  remap_to:
    label: Identifier types
    doc: Any of entrez (default), ensembl, uniprot, symbol.
    type: string[]?
  unmapped:
    label: Unmapped rows
    doc: keep (default) or drop.
    type:
    - 'null'
    - name: unmapped
      type: enum
      symbols:
      - keep
      - drop

outputs:
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

steps:
  extract:
    in:
      chemicals_name:
        default: figure-chemicals.tsv
      diseases_name:
        default: figure-diseases.tsv
      records: records
    run: pfocr-extract.cwl
    out:
    - gene_table
    - chemical_table
    - disease_table
  filter:
    in:
      allow_mentions: allow_mentions
      by: filter_by
      exclude_mentions: exclude_mentions
      gene_table: extract/gene_table
      organisms: organisms
    run: pfocr-filter.cwl
    out:
    - filtered_table
  filter_chemicals:
    in:
      chemicals_and_diseases: chemicals_and_diseases
      figures_from: filter/filtered_table
      gene_table:
        valueFrom: $(self)
        source: extract/chemical_table
      output_name:
        default: filtered-chemicals.tsv
    run: pfocr-filter.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - filtered_table
  filter_diseases:
    in:
      chemicals_and_diseases: chemicals_and_diseases
      figures_from: filter/filtered_table
      gene_table:
        valueFrom: $(self)
        source: extract/disease_table
      output_name:
        default: filtered-diseases.tsv
    run: pfocr-filter.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - filtered_table
  remap:
    in:
      backend: backend
      cache_dir: cache_dir
      email: email
      gene_table: filter/filtered_table
      index: gene_index
      lookup_from: remap_from
      mygene_url: mygene_url
      ortholog_to: ortholog_to
      to: remap_to
      unmapped: unmapped
    run: pfocr-remap.cwl
    out:
    - remapped_table
    - report
s:license: https://spdx.org/licenses/MIT
