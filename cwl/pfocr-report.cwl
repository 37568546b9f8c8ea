#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-report: offline HTML summary of a figure gene-set library'
doc: |
  Summarise a figure gene table (from pfocr-extract, pfocr-filter or pfocr-remap) as one
  self-contained HTML report: headline numbers, figures per organism, gene-set sizes with the
  size cut-offs marked, figures per publication year, the most frequent genes, the largest and
  smallest sets (linked to their PFOCR pages), and optionally the exported GMT library and the
  remap status breakdown. No JavaScript and no external files: it opens offline.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  chemicals:
    label: Figure chemical table
    doc: Adds counts, the top chemicals and the ChEBI set sizes to the report.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --chemicals
  diseases:
    label: Figure disease table
    doc: Adds counts, the top diseases and the MeSH set sizes to the report.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --diseases
  flavor:
    label: Gene rows that make the sets
    doc: strict (default, as pfocr-export), synonyms or all.
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
    label: Figure gene table
    doc: From pfocr-extract, pfocr-filter or pfocr-remap.
    type: File
    format: edam:format_3475
    inputBinding:
      position: 10
  gmt:
    label: Exported GMT library
    doc: |-
      The GMT written by pfocr-export from this table; summarised and compared with it (its manifest, <gmt>.manifest.json, shown when it comes along).
    type: File?
    format: edam:format_2330
    secondaryFiles:
    - pattern: .manifest.json
      required: false
    inputBinding:
      prefix: --gmt
  images:
    label: Plot images
    doc: |-
      embed (default; plots inside the HTML, one file) or link (img tags pointing at the PNGs next to the report; set png_dir_name to "." with it).
    type:
    - 'null'
    - name: images
      type: enum
      symbols:
      - embed
      - link
    inputBinding:
      prefix: --images
  max_size:
    label: Maximum set size
    doc: Largest gene set in the library (default no limit).
    type: int?
    inputBinding:
      prefix: --max-size
  min_size:
    label: Minimum set size
    doc: Smallest gene set in the library (default 3, as pfocr-export).
    type: int?
    inputBinding:
      prefix: --min-size
  output_name:
    label: Report file name
    doc: Name of the HTML report.
    type: string
    default: report.html
    inputBinding:
      prefix: --output
  png_dir_name:
    label: PNG folder name
    doc: If set, also write every plot as a PNG into this folder.
    type: string?
    inputBinding:
      prefix: --png-dir
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet
  remap_report:
    label: pfocr-remap report
    doc: The remap report (TSV with a status column), for the status breakdown.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --remap-report
  title:
    label: Report title
    doc: Heading of the report.
    type: string?
    inputBinding:
      prefix: --title

outputs:
  plots:
    label: Plot PNGs
    doc: Every plot as a PNG (when png_dir_name is set).
    type: Directory?
    outputBinding:
      glob: $(inputs.png_dir_name)
  report:
    label: HTML report
    doc: One self-contained HTML file.
    type: File
    format: edam:format_2331
    outputBinding:
      glob: $(inputs.output_name)

baseCommand: pfocr-report

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
- edam:operation_0337
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-report
