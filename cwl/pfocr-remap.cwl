#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-remap: map figure genes to current IDs, other ID types or orthologs'
doc: |
  Map the genes of a figure gene table to current NCBI Gene IDs, Ensembl, UniProt, symbols, or
  orthologs in another species, through the offline gene index shipped in the package
  (`backend: local`, the default) or MyGene.info (`backend: mygene`). Ranking: exact official
  symbol, then previous symbol, then alias; a term naming several genes at its best rank is
  "ambiguous" and left as it was (every candidate is listed in the report).

  Network: only `backend: mygene` uses the network, but CWL cannot make a requirement depend on
  an input, so this tool declares `NetworkAccess` explicitly. With the local backend nothing
  leaves the machine. The MyGene.info answer cache (`cache_dir`) defaults to the user cache
  directory, which CWL runners point inside the job's own folder: give `cache_dir` a path on
  shared storage to keep answers between runs (and resume an interrupted run).
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

requirements:
  NetworkAccess:
    networkAccess: true

inputs:
  backend:
    label: Backend
    doc: local = the offline gene index (default); mygene = MyGene.info 
      (network).
    type:
    - 'null'
    - name: backend
      type: enum
      symbols:
      - local
      - mygene
    inputBinding:
      prefix: --backend
  backoff:
    label: Backoff
    doc: |-
      First retry delay in seconds, doubled each time; a Retry-After header wins (default 1).
    type: float?
    inputBinding:
      prefix: --backoff
  cache_dir:
    label: MyGene.info cache folder
    doc: A path (on storage shared by the jobs) for the persistent answer cache.
    type: string?
    inputBinding:
      prefix: --cache-dir
  email:
    label: E-mail
    doc: Your e-mail address, sent to MyGene.info (polite use).
    type: string?
    inputBinding:
      prefix: --email
  gene_table:
    label: Figure gene table
    doc: From pfocr-extract or pfocr-filter.
    type: File
    format: edam:format_3475
    inputBinding:
      position: 10
    streamable: true
  index:
    label: Gene index
    doc: |-
      Gene index file for the local backend (default the one shipped in the package; .sqlite or .sqlite.gz, made by pfocr-index build).
    type: File?
    inputBinding:
      prefix: --index
  lookup_from:
    label: Column to look up
    doc: |-
      gene_id (default; NCBI Gene, retired IDs replaced), symbol (official, previous, alias) or word (the OCR text; FamPlex families and complexes expanded).
    type:
    - 'null'
    - name: lookup_from
      type: enum
      symbols:
      - gene_id
      - symbol
      - word
    inputBinding:
      prefix: --from
  mygene_url:
    label: MyGene.info URL
    doc: API base URL (default https://mygene.info/v3).
    type: string?
    inputBinding:
      prefix: --mygene-url
  no_cache:
    label: No cache
    doc: Do not read or write the MyGene.info answer cache.
    type: boolean?
    inputBinding:
      prefix: --no-cache
  ortholog_to:
    label: Ortholog species
    doc: |-
      Rows become that species' orthologous genes (taxid, organism, gene_id, symbol updated), e.g. mouse or rat for human figures.
    type: string?
    inputBinding:
      prefix: --ortholog-to
  output_name:
    label: Remapped table file name
    doc: Name of the remapped figure gene table.
    type: string
    default: remapped-genes.tsv
    inputBinding:
      prefix: --output
  quiet:
    label: Quiet
    doc: Print only warnings and errors on stderr.
    type: boolean?
    inputBinding:
      prefix: --quiet
  report_name:
    label: Report file name
    doc: |-
      Name of the report, one row per distinct query term (status, candidates, backend and its data version).
    type: string
    default: remap-report.tsv
    inputBinding:
      prefix: --report
  retries:
    label: Retries
    doc: Retries on 429 / 5xx / connection errors (default 5).
    type: int?
    inputBinding:
      prefix: --retries
  species:
    label: Species to look terms up in
    doc: MyGene.info names or taxids, comma-separated (default each row's 
      taxid).
    type: string?
    inputBinding:
      prefix: --species
  timeout:
    label: Timeout
    doc: Seconds to wait for a MyGene.info answer (default 60).
    type: float?
    inputBinding:
      prefix: --timeout
  to:
    label: Identifier types
    doc: |-
      Any of entrez (replace gene_id, keep the old one in source_gene_id), symbol, ensembl, uniprot (new columns). Default entrez.
    type: string[]?
    inputBinding:
      prefix: --to
      itemSeparator: ','
  unmapped:
    label: Unmapped rows
    doc: Rows that map to no single gene are kept as they are (default) or 
      dropped.
    type:
    - 'null'
    - name: unmapped
      type: enum
      symbols:
      - keep
      - drop
    inputBinding:
      prefix: --unmapped

outputs:
  remapped_table:
    label: Remapped figure gene table
    doc: |-
      The input columns (gene_id/symbol replaced as asked, the originals kept in source_gene_id/source_symbol) plus the new ID columns and remap_status, remap_match.
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.output_name)
  report:
    label: Remap report
    doc: One row per distinct query term.
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.report_name)

baseCommand: pfocr-remap

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
- edam:operation_3282
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-remap
