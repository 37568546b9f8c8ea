#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: Concatenate TSV tables that share one header line
doc: |
  Join the figure gene tables of several shards into one: the header line once (from the first
  table), then every data line of every table in the order given, bytes unchanged. Tables with
  a different header line fail the step. Used by pfocr-gene-sets.cwl to merge shards before export; a single table comes out
  byte-identical.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

requirements:
  EnvVarRequirement:
    envDef:
      LC_ALL: C

inputs:
  output_name:
    label: Merged table file name
    doc: Name of the merged table.
    type: string
    default: merged.tsv
  tables:
    label: Tables
    doc: TSV tables with the same header line, in the order to concatenate them.
    type: File[]
    format: edam:format_3475
    inputBinding:
      position: 1

outputs:
  merged:
    label: Merged table
    doc: The header line once, then the data lines of every table.
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.output_name)
stdout: $(inputs.output_name)

baseCommand: awk
arguments:
- position: 0
  valueFrom: |-
    FNR == 1 {
      if (NR == 1) { header = $0; print; next }
      if ($0 != header) { print "merge: " FILENAME ": header differs from the first table" > "/dev/stderr"; exit 1 }
      next
    }
    { print }

hints:
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
s:license: https://spdx.org/licenses/MIT
