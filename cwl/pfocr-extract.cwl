#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-extract: PFOCR records -> figure gene table'
doc: |
  Read Pathway Figure OCR (PFOCR) records of either published schema and write the figure
  gene table: one row per figure, organism, OCR word, gene and match source (identical rows
  collapsed and counted). Records may be given as record pages (`<figid>.md`; a current-schema
  page's `<figid>-genes.tsv`, `-chemicals.tsv` and `-diseases.tsv` beside it are staged with it), genes TSVs alone, Directories
  (searched recursively; the pfocr-database layout `_figures/` + `_data/` works), or
  .zip / .tar / .tar.gz archives (read in place, never extracted).
  Row order is record order, so the same input always gives a byte-identical table.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  chemicals_name:
    label: Figure chemical table file name
    doc: |
      If set, also write the figure chemical table (one row per figure, word and identifier:
      the figure columns, then word, match, name, mesh, chebi, occurrences), from old-schema
      front matter `chemicals` and current-schema `<figid>-chemicals.tsv`.
    type: string?
    inputBinding:
      prefix: --chemicals
  diseases_name:
    label: Figure disease table file name
    doc: |
      If set, also write the figure disease table (the figure columns, then word, match, name,
      mesh, doid, occurrences), from old-schema front matter `diseases` and current-schema
      `<figid>-diseases.tsv`.
    type: string?
    inputBinding:
      prefix: --diseases
  exact_yaml:
    label: Reference YAML reader only
    doc: Parse every page with the reference (PyYAML) reader only; slower, same 
      result.
    type: boolean?
    inputBinding:
      prefix: --exact-yaml
  figures_name:
    label: Figure table file name
    doc: |-
      If set, also write a per-figure metadata table (figid, titles, year, organisms, ...).
    type: string?
    inputBinding:
      prefix: --figures
  flavor:
    label: Gene rows to keep
    doc: |
      strict = rows matched through a current official symbol; synonyms = plus alias, previous
      and synonym matches; all = plus family/complex expansions (lossless; the default).
    type:
    - 'null'
    - name: flavor
      type: enum
      symbols:
      - all
      - synonyms
      - strict
    inputBinding:
      prefix: --flavor
  max_archive_bytes:
    label: Decompressed bytes per archive
    doc: A whole number, optionally with K, M or G (default 4G).
    type: string?
    inputBinding:
      prefix: --max-archive-bytes
  max_field_chars:
    label: Characters per field value
    doc: A whole number, optionally with K, M or G (default 64K).
    type: string?
    inputBinding:
      prefix: --max-field-chars
  max_record_bytes:
    label: Bytes per record page and genes TSV
    doc: A whole number, optionally with K, M or G (default 4M).
    type: string?
    inputBinding:
      prefix: --max-record-bytes
  on_error:
    label: On a bad record
    doc: fail (exit 1, write nothing; the default) or skip the record and go on.
    type:
    - 'null'
    - name: on_error
      type: enum
      symbols:
      - fail
      - skip
    inputBinding:
      prefix: --on-error
  organism:
    label: Species of release GMTs
    doc: |-
      Release GMT inputs only (pfocr-<YYYYMMDD>-gmt-<Genus_species>.gmt, read back into a figure gene table); their species, when the file name does not give it.
    type: string?
    inputBinding:
      prefix: --organism
  output_name:
    label: Figure gene table file name
    doc: Name of the figure gene table written in the output directory.
    type: string
    default: figure-genes.tsv
    inputBinding:
      prefix: --output
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet
  records:
    label: PFOCR records
    doc: |
      Record pages, genes TSVs, archives (.zip, .tar, .tar.gz) and Directories of records, read
      in the order given; or official release GMTs (recognised by content, in a run of their
      own). A page whose genes TSV sits in a sibling `_data/` folder must be given
      through its Directory (or an archive) so that both are found.
    type:
      type: array
      items:
      - File
      - Directory
    secondaryFiles:
    - pattern: ^-genes.tsv
      required: false
    - pattern: ^-chemicals.tsv
      required: false
    - pattern: ^-diseases.tsv
      required: false
    inputBinding:
      position: 10
  rejects_name:
    label: Rejected records file name
    doc: With on_error skip, write the rejected inputs (file, line, reason) to 
      this file.
    type: string?
    inputBinding:
      prefix: --rejects
  repeat_figure_columns:
    label: Per-figure columns on every row
    doc: |-
      Write the per-figure columns (figid_alias, pmcid, figtitle, papertitle, year, record_organisms, organisms_ner, mentioned_taxids) on every row of a figure, as version 0.1.0 did; by default they are on each figure's first row only (about a quarter of the bytes; every pfocr tool reads both forms).
    type: boolean?
    inputBinding:
      prefix: --repeat-figure-columns
  require_genes:
    label: Require genes TSVs
    doc: |-
      A current-schema page whose genes TSV is not found is an error (default a warning).
    type: boolean?
    inputBinding:
      prefix: --require-genes

outputs:
  chemical_table:
    label: Figure chemical table
    doc: One row per figure, word and identifier (written when chemicals_name is
      set).
    type: File?
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.chemicals_name)
  disease_table:
    label: Figure disease table
    doc: One row per figure, word and identifier (written when diseases_name is 
      set).
    type: File?
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.diseases_name)
  figures:
    label: Figure table
    doc: One row per figure (written when figures_name is set).
    type: File?
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.figures_name)
  gene_table:
    label: Figure gene table
    doc: |-
      One row per figure, organism, word, gene and source (UTF-8 TSV with a header line).
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.output_name)
  rejects:
    label: Rejected records
    doc: file, line, reason of every record skipped (written when rejects_name 
      is set).
    type: File?
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.rejects_name)

baseCommand: pfocr-extract
arguments:
- prefix: --jobs
  position: 0
  valueFrom: $(runtime.cores)

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
- edam:operation_3434
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-extract
