#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "pfocr-report: offline HTML summary of a figure gene-set library"
doc: |
  Summarise a figure gene table (from pfocr-extract, pfocr-filter or pfocr-remap) as one
  self-contained HTML report: headline numbers, figures per organism, gene-set sizes with the
  size cut-offs marked, figures per publication year, the most frequent genes, the largest and
  smallest sets (linked to their PFOCR pages), and optionally the exported GMT library and the
  remap status breakdown. No JavaScript and no external files: it opens offline.

intent: [edam:operation_0337]

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
    ramMin: 2048  # merged table: peak 767 MiB (46,000 records), ~1.4 GiB (corpus)

baseCommand: pfocr-report

inputs:
  gene_table:
    label: Figure gene table
    doc: From pfocr-extract, pfocr-filter or pfocr-remap.
    type: File
    format: edam:format_3475
    inputBinding:
      position: 10
  output_name:
    label: Report file name
    doc: Name of the HTML report.
    type: string
    default: report.html
    inputBinding:
      prefix: --output
  flavor:
    label: Gene rows that make the sets
    doc: strict (default, as pfocr-export), synonyms or all.
    type:
      - "null"
      - type: enum
        name: flavor
        symbols: [all, synonyms, strict]
    inputBinding:
      prefix: --flavor
  min_size:
    label: Minimum set size
    doc: Smallest gene set in the library (default 3, as pfocr-export).
    type: int?
    inputBinding:
      prefix: --min-size
  max_size:
    label: Maximum set size
    doc: Largest gene set in the library (default no limit).
    type: int?
    inputBinding:
      prefix: --max-size
  gmt:
    label: Exported GMT library
    doc: The GMT written by pfocr-export from this table; summarised and compared with it.
    type: File?
    format: edam:format_2330
    inputBinding:
      prefix: --gmt
  remap_report:
    label: pfocr-remap report
    doc: The remap report (TSV with a status column), for the status breakdown.
    type: File?
    format: edam:format_3475
    inputBinding:
      prefix: --remap-report
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
  png_dir_name:
    label: PNG folder name
    doc: If set, also write every plot as a PNG into this folder.
    type: string?
    inputBinding:
      prefix: --png-dir
  images:
    label: Plot images
    doc: embed (default; plots inside the HTML, one file) or link (img tags pointing at the PNGs
      next to the report; set png_dir_name to "." with it).
    type:
      - "null"
      - type: enum
        name: images
        symbols: [embed, link]
    inputBinding:
      prefix: --images
  title:
    label: Report title
    doc: Heading of the report.
    type: string?
    inputBinding:
      prefix: --title
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet

outputs:
  report:
    label: HTML report
    doc: One self-contained HTML file.
    type: File
    format: edam:format_2331
    outputBinding:
      glob: $(inputs.output_name)
  plots:
    label: Plot PNGs
    doc: Every plot as a PNG (when png_dir_name is set).
    type: Directory?
    outputBinding:
      glob: $(inputs.png_dir_name)

s:license: https://spdx.org/licenses/MIT
s:name: pfocr-report
