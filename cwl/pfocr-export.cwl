#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "pfocr-export: figure gene table -> GMT / TSV / JSON gene-set library"
doc: |
  Write the gene sets of a figure gene table, one set per figure. The defaults reproduce the
  official PFOCR release rule: strict rows only, distinct gene IDs per figure in first-seen
  order, sets of at least 3 genes, no maximum; GMT lines are
  `<set name> TAB <title> TAB <id> ...`. `per_species_dir` also writes one library per species
  (`<prefix>-<format>-<Genus_species>.<format>`, the release names). The same input always gives
  byte-identical output.

intent: [edam:operation_0335]

$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

hints:
  SoftwareRequirement:
    packages:
      pfocr-tools:
        version: ["0.1.0"]
        specs: [https://pypi.org/project/pfocr-tools/]
  ResourceRequirement:
    coresMin: 1
    ramMin: 2048  # merged table: peak 768 MiB (46,000 records), ~1.4 GiB (corpus)

baseCommand: pfocr-export

inputs:
  gene_table:
    label: Figure gene, chemical or disease table
    doc: From pfocr-extract, pfocr-filter or pfocr-remap. A figure chemical or disease table
      (the kind is read from its header) gives sets of ChEBI / MeSH / DOID IDs, split by the
      figure's organisms into `<prefix>-chemical-<format>-<Genus_species>.<format>`.
    type: File
    format: edam:format_3475
    streamable: true
    inputBinding:
      position: 10
  output_name:
    label: Library file name
    doc: Name of the library written (use a .tsv or .json name with those formats).
    type: string
    default: pfocr.gmt
    inputBinding:
      prefix: --output
  format:
    label: Library format
    doc: gmt (default); tsv = long table set_name, title, id, symbol; json = BioThings PFOCR
      API documents; ndjson = one BioThings PFOCR document per figure and line (with chemicals
      and diseases), as the BioThings PFOCR plugin loads.
    type:
      - "null"
      - type: enum
        name: format
        symbols: [gmt, tsv, json, ndjson]
    inputBinding:
      prefix: --format
  flavor:
    label: Gene rows to use
    doc: strict = official symbols only (default, as the releases); synonyms = plus
      alias/previous/synonym matches; all = plus family/complex expansions.
    type:
      - "null"
      - type: enum
        name: flavor
        symbols: [all, synonyms, strict]
    inputBinding:
      prefix: --flavor
  min_size:
    label: Minimum set size
    doc: Leave out sets with fewer distinct genes (default 3).
    type: int?
    inputBinding:
      prefix: --min-size
  max_size:
    label: Maximum set size
    doc: Leave out sets with more distinct genes (default no maximum).
    type: int?
    inputBinding:
      prefix: --max-size
  set_name:
    label: Set name
    doc: figid (default, as the 2021 release) or alias (PMC<id>__F<n>, the current release
      style).
    type:
      - "null"
      - type: enum
        name: set_name
        symbols: [figid, alias]
    inputBinding:
      prefix: --set-name
  id_column:
    label: Identifier column
    doc: Table column holding the identifiers to write (default gene_id, NCBI Gene; e.g.
      symbol, or ensembl / uniprot added by pfocr-remap; chebi (default) or mesh for a chemical
      table, mesh (default) or doid for a disease table).
    type: string?
    inputBinding:
      prefix: --id-column
  chemicals:
    label: Figure chemical table
    doc: With format ndjson, the chemical table whose MeSH and ChEBI IDs go into
      mentions.chemicals.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --chemicals
  diseases:
    label: Figure disease table
    doc: With format ndjson, the disease table whose MeSH and DOID IDs go into
      mentions.diseases.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --diseases
  per_species_dir:
    label: Per-species libraries folder name
    doc: If set, also write one library per species into this folder.
    type: string?
    inputBinding:
      prefix: --split-by-organism
  prefix:
    label: Per-species file name prefix
    doc: File name prefix of the per-species libraries (default pfocr; e.g. pfocr-20260215).
    type: string?
    inputBinding:
      prefix: --prefix
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet

outputs:
  library:
    label: Gene-set library
    doc: GMT (tab-separated, no header), TSV, JSON or NDJSON, as chosen by format.
    type: File
    format: edam:format_2330
    outputBinding:
      glob: $(inputs.output_name)
  per_species:
    label: Per-species libraries
    doc: One library per species (when per_species_dir is set).
    type: Directory?
    outputBinding:
      glob: $(inputs.per_species_dir)

s:license: https://spdx.org/licenses/MIT
s:name: pfocr-export
