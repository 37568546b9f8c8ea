#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool
label: 'pfocr-organisms: organism evidence and the organism call per figure'
doc: |
  Read PFOCR records (as pfocr-extract does) and write, for every figure and every organism
  some evidence names, the evidence and the organism call: the record's organisms,
  organisms_ner, the gene-lexicon match counts of current-schema records, species named in
  the titles and caption (by name, or as a binomial of a known genus), a plant / fungal /
  bacteriological / virological journal and, with `pubmed`, PubMed's MeSH organism headings
  of the paper. The call's confidence is high, medium, low or conflict (see the tool's help).
  (pfocr-filter's `evidence` input, to come, takes this table.)

  Network: only `pubmed` uses the network (NCBI E-utilities), but CWL cannot make a
  requirement depend on an input, so this tool declares `NetworkAccess`. The E-utilities
  answer cache (`cache_dir`) defaults to the user cache directory, which CWL runners point
  inside the job's own folder: give `cache_dir` a path on shared storage to keep answers.
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

requirements:
  NetworkAccess:
    networkAccess: true

inputs:
  api_key:
    label: NCBI API key
    doc: With pubmed, an NCBI API key (10 requests per second instead of 3).
    type: string?
    inputBinding:
      prefix: --api-key
  backoff:
    label: Backoff
    doc: |-
      First retry delay in seconds, doubled each time; a Retry-After header wins (default 1).
    type: float?
    inputBinding:
      prefix: --backoff
  cache_dir:
    label: E-utilities cache folder
    doc: A path (on storage shared by the jobs) for the persistent answer cache.
    type: string?
    inputBinding:
      prefix: --cache-dir
  email:
    label: E-mail
    doc: With pubmed, your e-mail address, sent to NCBI as it asks.
    type: string?
    inputBinding:
      prefix: --email
  eutils_url:
    label: E-utilities URL
    doc: E-utilities base URL (default 
      https://eutils.ncbi.nlm.nih.gov/entrez/eutils).
    type: string?
    inputBinding:
      prefix: --eutils-url
  no_cache:
    label: No cache
    doc: Do not read or write the E-utilities answer cache.
    type: boolean?
    inputBinding:
      prefix: --no-cache
  on_error:
    label: On a bad record
    doc: fail (exit 1, write nothing; the default) or skip the record with a 
      warning.
    type:
    - 'null'
    - name: on_error
      type: enum
      symbols:
      - fail
      - skip
    inputBinding:
      prefix: --on-error
  output_name:
    label: Evidence table file name
    doc: Name of the evidence table written in the output directory.
    type: string
    default: organism-evidence.tsv
    inputBinding:
      prefix: --output
  pubmed:
    label: MeSH organisms from PubMed
    doc: |-
      Add PubMed's MeSH organism headings of each figure's paper (PMCID -> PMID -> MeSH, through NCBI E-utilities; network).
    type: boolean?
    inputBinding:
      prefix: --pubmed
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
      in the order given. A page whose genes TSV sits in a sibling `_data/` folder must be given
      through its Directory (or an archive) so that both are found.
    type:
      type: array
      items:
      - File
      - Directory
    secondaryFiles:
    - pattern: ^-genes.tsv
      required: false
    inputBinding:
      position: 10
  retries:
    label: Retries
    doc: Retries on 429 / 5xx / network faults / malformed XML (default 5).
    type: int?
    inputBinding:
      prefix: --retries
  timeout:
    label: Timeout
    doc: Seconds to wait for an E-utilities answer (default 60).
    type: float?
    inputBinding:
      prefix: --timeout
  tool:
    label: Tool name
    doc: With pubmed, the tool name sent to NCBI (default pfocr-tools).
    type: string?
    inputBinding:
      prefix: --tool

outputs:
  evidence:
    label: Organism evidence table
    doc: |-
      One row per figure and organism named by some evidence, best call first (UTF-8 TSV with a header line).
    type: File
    format: edam:format_3475
    outputBinding:
      glob: $(inputs.output_name)

baseCommand: pfocr-organisms

hints:
  ResourceRequirement:
    coresMin: 1
    ramMin: 1024
  SoftwareRequirement:
    packages:
      pfocr-tools:
        specs:
        - https://pypi.org/project/pfocr-tools/
        version:
        - 0.1.0
intent:
- edam:operation_0226
s:license: https://spdx.org/licenses/MIT
s:name: pfocr-organisms
