#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-index build: an offline gene index for pfocr-remap'
doc: |
  Build the SQLite gene index that pfocr-remap's local backend reads (pass it to
  pfocr-remap.cwl `index` or to the gene-set workflow's `gene_index`), from upstream file
  formats: HGNC complete-set TSV, NCBI gene_info / gene2ensembl / gene_history /
  gene_orthologs (plain or .gz), NCBI HomoloGene homologene.data, MGI / RGD marker tables,
  and a FamPlex resources folder. The inputs' checksums (and the versions given with
  source_versions) are recorded in the index; `pfocr-index info` shows them.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

inputs:
  famplex:
    label: FamPlex resources
    doc: Folder with relations.csv, entities.csv and grounding_map.csv.
    type: Directory?
    inputBinding:
      prefix: --famplex
  gene2ensembl:
    label: NCBI gene2ensembl
    doc: Ensembl gene -> NCBI Gene tables.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --gene2ensembl
      items: File
  gene_history:
    label: NCBI gene_history
    doc: Retired and replaced NCBI Gene IDs.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --gene-history
      items: File
  gene_info:
    label: NCBI gene_info
    doc: NCBI gene_info files (any species).
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --gene-info
      items: File
  gene_orthologs:
    label: NCBI gene_orthologs
    doc: NCBI ortholog pairs.
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --gene-orthologs
      items: File
  hgnc:
    label: HGNC complete set
    doc: HGNC complete-set TSV (human symbols, previous symbols, aliases).
    type: File?
    inputBinding:
      prefix: --hgnc
  homologene:
    label: HomoloGene
    doc: NCBI HomoloGene homologene.data.
    type: File?
    inputBinding:
      prefix: --homologene
  mgi:
    label: MGI markers
    doc: MGI marker table (ID, symbol, synonyms, Ensembl).
    type: File?
    inputBinding:
      prefix: --mgi
  output_name:
    label: Index file name
    doc: Name of the index (.sqlite; a .gz name writes a gzip-compressed copy).
    type: string
    default: gene-index.sqlite
    inputBinding:
      prefix: --output
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet
  rgd:
    label: RGD genes
    doc: RGD gene table (ID, symbol, synonyms, Ensembl).
    type: File?
    inputBinding:
      prefix: --rgd
  source_versions:
    label: Source versions
    doc: Where an input came from, as NAME=TEXT (NAME as listed by pfocr-index 
      info).
    type:
    - 'null'
    - type: array
      inputBinding:
        prefix: --source-version
      items: string
  species:
    label: Species
    doc: Species to keep, comma-separated names or taxids (default human, mouse,
      rat).
    type: string?
    inputBinding:
      prefix: --species

outputs:
  index:
    label: Gene index
    doc: The SQLite gene index (gzip-compressed when output_name ends in .gz).
    type: File
    outputBinding:
      glob: $(inputs.output_name)

baseCommand:
- pfocr-index
- build

hints:
  ResourceRequirement:
    coresMin: 1
    ramMin: 4096
  SoftwareRequirement:
    packages:
      pfocr-tools:
        specs:
        - https://pypi.org/project/pfocr-tools/
        version:
        - 0.1.0
intent:
- edam:operation_0227
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-index
