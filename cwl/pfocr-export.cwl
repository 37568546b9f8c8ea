#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-export: figure gene table -> GMT / TSV / JSON gene-set library'
doc: |
  Write the gene sets of a figure gene table, one set per figure. The defaults reproduce the
  official PFOCR release rule: strict rows only, distinct gene IDs per figure in first-seen
  order, sets of at least 3 genes, no maximum; GMT lines are
  `<set name> TAB <title> TAB <id> ...`. `per_species_dir` also writes one library per species
  (`<prefix>-<format>-<Genus_species>.<format>`, the release names). The same input always gives
  byte-identical output.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  format:
    label: Library format
    doc: |-
      gmt (default); tsv = long table set_name, title, id, symbol; json = BioThings PFOCR API documents; ndjson = one BioThings PFOCR document per figure and line (with chemicals and diseases), as the BioThings PFOCR plugin loads.
    type:
    - 'null'
    - name: format
      type: enum
      symbols:
      - gmt
      - tsv
      - json
      - ndjson
    inputBinding:
      prefix: --format
  prefix:
    label: Per-species file name prefix
    doc: |-
      File name prefix of the per-species libraries (default pfocr; e.g. pfocr-20260215).
    type: string?
    inputBinding:
      prefix: --prefix
  chemicals:
    label: Figure chemical table
    doc: |-
      With format ndjson, the chemical table whose MeSH and ChEBI IDs go into mentions.chemicals.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --chemicals
  dedupe:
    label: Make set names unique
    doc: |-
      When two sets get one name, drop an identical copy and rename a different set <name>_2, ... (default an error naming the set).
    type: boolean?
    inputBinding:
      prefix: --dedupe
  description:
    label: GMT description column
    doc: |-
      title = the figure title (default, as the releases); url = the figure's PFOCR page URL, no spaces (as MSigDB; safe for readers that split lines on any white space, e.g. decoupler); figid = the figid.
    type:
    - 'null'
    - name: description
      type: enum
      symbols:
      - title
      - url
      - figid
    inputBinding:
      prefix: --description
  diseases:
    label: Figure disease table
    doc: |-
      With format ndjson, the disease table whose MeSH and DOID IDs go into mentions.diseases.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --diseases
  flavor:
    label: Gene rows to use
    doc: |-
      strict = official symbols only (default, as the releases); synonyms = plus alias/previous/synonym matches; all = plus family/complex expansions.
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
  gene_table:
    label: Figure gene, chemical or disease table
    doc: |-
      From pfocr-extract, pfocr-filter or pfocr-remap. A figure chemical or disease table (the kind is read from its header) gives sets of ChEBI / MeSH / DOID IDs, split by the figure's organisms into `<prefix>-chemical-<format>-<Genus_species>.<format>`.
    type: File
    format: edam:format_3475
    inputBinding:
      position: 10
    streamable: true
  id_column:
    label: Identifier column
    doc: |-
      Table column holding the identifiers to write (default gene_id, NCBI Gene; e.g. symbol, or ensembl / uniprot added by pfocr-remap; chebi (default) or mesh for a chemical table, mesh (default) or doid for a disease table).
    type: string?
    inputBinding:
      prefix: --id-column
  manifest_timestamp:
    label: Time in the manifest
    doc: |-
      Add the time of writing to the manifest (default none, so the same input gives the same manifest).
    type: boolean?
    inputBinding:
      prefix: --manifest-timestamp
  max_size:
    label: Maximum set size
    doc: Leave out sets with more distinct genes (default no maximum).
    type: int?
    inputBinding:
      prefix: --max-size
  max_title:
    label: Longest title
    doc: |-
      Truncate titles to this many characters, ending in ... (default no limit). Titles are always made safe for GMT readers (no tab, line break or %).
    type: int?
    inputBinding:
      prefix: --max-title
  min_size:
    label: Minimum set size
    doc: Leave out sets with fewer distinct genes (default 3).
    type: int?
    inputBinding:
      prefix: --min-size
  output_name:
    label: Library file name
    doc: Name of the library written (use a .tsv or .json name with those 
      formats).
    type: string
    default: pfocr.gmt
    inputBinding:
      prefix: --output
  per_species_dir:
    label: Per-species libraries folder name
    doc: If set, also write one library per species into this folder.
    type: string?
    inputBinding:
      prefix: --split-by-organism
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet
  remap_reports:
    label: pfocr-remap reports
    doc: |-
      The --report files of pfocr-remap for this table; the manifest records their gene index checksum or MyGene.info build.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --remap-report
      items: File
    inputBinding:
      position: 5
  set_name:
    label: Set name
    doc: |-
      figid (default, as the 2021 release) or alias (PMC<id>__F<n>, the current release style).
    type:
    - 'null'
    - name: set_name
      type: enum
      symbols:
      - figid
      - alias
    inputBinding:
      prefix: --set-name

outputs:
  library:
    label: Gene-set library
    doc: GMT (tab-separated, no header), TSV, JSON or NDJSON, as chosen by 
      format.
    type: File
    format: edam:format_2330
    secondaryFiles:
    - pattern: .manifest.json
      required: false
    outputBinding:
      glob: $(inputs.output_name)
  manifest:
    label: Library manifest
    doc: |-
      JSON beside the library (<output_name>.manifest.json) - tool version, command line and options, inputs and outputs with SHA-256, gene data, rule and counts.
    type: File?
    format: edam:format_3464
    outputBinding:
      glob: $(inputs.output_name).manifest.json
  per_species:
    label: Per-species libraries
    doc: |-
      One library per species (when per_species_dir is set), and their manifest <prefix>-<format>.manifest.json.
    type: Directory?
    outputBinding:
      glob: $(inputs.per_species_dir)

baseCommand: pfocr-export

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
- edam:operation_0335
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-export
