#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-filter: keep the figures and gene rows of chosen organisms'
doc: |
  Keep the figures (and gene rows) of chosen organisms in a figure gene table. Organisms are
  scientific names (Mus musculus), common names (human, mouse, rat, zebrafish, fruit fly, worm,
  yeast, arabidopsis, ...; MyGene.info's names too; case-insensitive) or NCBI taxids.
  `by: genes` (default) keeps the gene rows matched through the lexicon of a chosen species;
  `by: record` keeps every row of the figures whose record lists a chosen organism.
  `exclude_mentions` also drops figures whose title, caption or paper title name another
  organism (yeast, E. coli, plants, viruses, ... in a human library).
  `evidence` (the table of pfocr-organisms) keeps only the figures whose organism call for a
  chosen organism reaches `confidence` (default medium).
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  allow_mentions:
    label: Mentions that never drop a figure
    doc: |-
      With exclude_mentions, organisms or groups (e.g. viruses) whose mention is allowed.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --allow-mention
      items: string
  by:
    label: Select by
    doc: |-
      genes = gene rows of the organism's lexicon (default); record = all rows of figures whose record lists the organism.
    type:
    - 'null'
    - name: by
      type: enum
      symbols:
      - genes
      - record
    inputBinding:
      prefix: --by
  confidence:
    label: Lowest organism call that keeps a figure
    doc: With evidence; high, medium (default) or low (conflict never keeps a 
      figure).
    type:
    - 'null'
    - name: confidence
      type: enum
      symbols:
      - high
      - medium
      - low
    inputBinding:
      prefix: --confidence
  evidence:
    label: Organism evidence table
    doc: |-
      The table pfocr-organisms writes of the same records. When given, keep only the figures whose organism call for a chosen organism reaches confidence; the decision log names the evidence behind each keep or drop.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --evidence
  exclude_mentions:
    label: Exclude figures naming other organisms
    doc: Also drop figures whose title, caption or paper title name another 
      organism.
    type: boolean?
    inputBinding:
      prefix: --exclude-mentions
  figures_from:
    label: Keep the figures of another table
    doc: |-
      Instead of organisms, keep the rows of the figures this table holds (e.g. the gene table filtered by organism), so one decision serves the gene, chemical and disease tables.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --figures-from
  gene_table:
    label: Figure gene table
    doc: The figure gene table from pfocr-extract (or another pfocr tool).
    type: File
    format: edam:format_3475
    inputBinding:
      position: 10
    streamable: true
  log_name:
    label: Decision log file name
    doc: If set, write one line per figure with the decision and its reason.
    type: string?
    inputBinding:
      prefix: --log
  organisms:
    label: Organisms to keep
    doc: Scientific names, common names or NCBI taxids (at least one); or 
      figures_from.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --organism
      items: string
  output_name:
    label: Output file name
    doc: Name of the filtered figure gene table.
    type: string
    default: filtered-genes.tsv
    inputBinding:
      prefix: --output
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet

outputs:
  decision_log:
    label: Decision log
    doc: One line per figure, kept or dropped and why (written when log_name is 
      set).
    type: File?
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.log_name)
  filtered_table:
    label: Filtered figure gene table
    doc: The rows kept, same columns as the input.
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.output_name)

baseCommand: pfocr-filter

hints:
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
  SoftwareRequirement:
    packages:
      pfocr-tools:
        specs:
        - https://pypi.org/project/pfocr-tools/
        version:
        - 0.1.0
intent:
- edam:operation_3695
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-filter
