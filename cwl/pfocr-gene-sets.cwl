#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow
label: PFOCR records -> per-species gene-set libraries (GMT)
doc: |
  From PFOCR records to gene-set libraries: pfocr-extract -> pfocr-filter -> pfocr-remap on
  each shard of records (scattered: every tool call handles a whole shard, never a single
  figure), then the shards' tables are merged (header once, rows in shard order) and
  pfocr-export writes the library and one GMT per species; pfocr-report optionally
  summarises it as an offline HTML page. With chemicals_and_diseases, the figure chemical and
  disease tables (extracted and filtered with the genes: the same figures) also give one
  ChEBI GMT per species (`<prefix>-chemical-gmt-<Genus_species>.gmt`) and the BioThings
  PFOCR NDJSON. With one shard the GMT is byte-identical to running
  the CLIs by hand on the same records with the same options.

  Shards: each shard is a list of Directories and/or Files (record pages, genes TSVs, .zip /
  .tar / .tar.gz archives). For the whole corpus, split the pfocr-database `_figures/` +
  `_data/` folders into a few shard folders or archives (no figure in two shards).
$namespaces:
  edam: http://edamontology.org/
  s: https://schema.org/

requirements:
  MultipleInputFeatureRequirement: {}
  NetworkAccess:
    networkAccess: true
  ScatterFeatureRequirement: {}
  SubworkflowFeatureRequirement: {}

inputs:
  prefix:
    label: Per-species file name prefix
    doc: |-
      Per-species libraries are named <prefix>-gmt-<Genus_species>.gmt (default pfocr).
    type: string?
  allow_mentions:
    label: Mentions that never drop a figure
    doc: With exclude_mentions, organisms or groups whose mention is allowed.
    type: string[]?
  backend:
    label: Remap backend
    doc: |-
      local (default; the offline gene index shipped in the package, no network) or mygene (MyGene.info; set email, and cache_dir to keep answers between runs).
    type:
    - 'null'
    - name: backend
      type: enum
      symbols:
      - local
      - mygene
  cache_dir:
    label: MyGene.info cache folder
    doc: A path on storage shared by the jobs, to keep MyGene.info answers 
      between runs.
    type: string?
  chemicals_and_diseases:
    label: Chemical GMTs and the BioThings NDJSON
    doc: |-
      Also write one ChEBI GMT per species from the figure chemical table and the BioThings PFOCR NDJSON of the genes, chemicals and diseases of the kept figures.
    type: boolean
    default: false
  email:
    label: E-mail
    doc: Your e-mail address, sent to MyGene.info (polite use).
    type: string?
  exclude_mentions:
    label: Exclude figures naming other organisms
    doc: |-
      Drop figures whose title, caption or paper title name another organism (yeast, E. coli, plants, viruses, ...).
    type: boolean?
  filter_by:
    label: Select organisms by
    doc: |-
      genes (default; the species lexicon that matched) or record (the record's organisms).
    type:
    - 'null'
    - name: filter_by
      type: enum
      symbols:
      - genes
      - record
  flavor:
    label: Gene rows that make the sets
    doc: strict (default, as the releases), synonyms or all.
    type:
    - 'null'
    - name: flavor
      type: enum
      symbols:
      - all
      - synonyms
      - strict
  gene_index:
    label: Gene index
    doc: Gene index file for the local backend (default the one shipped in the 
      package).
    type: File?
  id_column:
    label: Identifier column written
    doc: |-
      gene_id (default, NCBI Gene) or a column added by remap (ensembl, uniprot, symbol).
    type: string?
  library_name:
    label: Library file name
    doc: Name of the combined GMT library.
    type: string
    default: pfocr.gmt
  make_report:
    label: Write an HTML report
    doc: Also summarise the library with pfocr-report.
    type: boolean
    default: false
  max_size:
    label: Maximum set size
    doc: Leave out sets with more distinct genes (default no maximum).
    type: int?
  min_size:
    label: Minimum set size
    doc: Leave out sets with fewer distinct genes (default 3).
    type: int?
  mygene_url:
    label: MyGene.info URL
    doc: API base URL (default https://mygene.info/v3).
    type: string?
  ndjson_name:
    label: NDJSON file name
    doc: |-
      Name of the BioThings NDJSON (the plugin reads bte_chemicals_diseases_genes_<flavor>.ndjson).
    type: string
    default: bte_chemicals_diseases_genes_strict.ndjson
  organisms:
    label: Organisms
    doc: |-
      Organisms whose figures and gene rows to keep (names or NCBI taxids), e.g. [human].
    type: string[]
  ortholog_to:
    label: Ortholog species
    doc: |-
      Turn the genes into that species' orthologs (e.g. mouse or rat for human figures).
    type: string?
  remap_from:
    label: Column to look up
    doc: gene_id (default; retired NCBI Gene IDs replaced), symbol or word.
    type:
    - 'null'
    - name: remap_from
      type: enum
      symbols:
      - gene_id
      - symbol
      - word
  remap_to:
    label: Identifier types to add
    doc: |-
      Any of entrez (default; current NCBI Gene IDs in gene_id), ensembl, uniprot, symbol. Write one of them with id_column.
    type: string[]?
  set_name:
    label: Set name
    doc: figid (default) or alias (the current release style).
    type:
    - 'null'
    - name: set_name
      type: enum
      symbols:
      - figid
      - alias
  shards:
    label: Shards of PFOCR records
    doc: |
      A list of shards; each shard is a list of Directories and/or record Files (pages, genes
      TSVs, archives). One shard = one extract/filter/remap job.
    type:
      type: array
      items:
        type: array
        items:
        - File
        - Directory
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

outputs:
  chemical_libraries:
    label: Per-species chemical libraries
    doc: One GMT of ChEBI IDs per species (when chemicals_and_diseases is true).
    type: Directory?
    outputSource: export_chemicals/per_species
  gene_table:
    label: Figure gene table
    doc: |-
      The merged table of every shard (filtered and remapped), the input of the export.
    type: File
    format: edam:format_3475
    outputSource: merge/merged
  library:
    label: Gene-set library
    doc: |-
      One GMT with the sets of every chosen organism (an overview; the per-species libraries are the ones for enrichment).
    type: File
    format: edam:format_2330
    outputSource: export/library
  manifest:
    label: Library manifest
    doc: |-
      The manifest of the all-species library (tool version, inputs and outputs with SHA-256, the gene index checksum or MyGene.info build from the remap report, rule, counts); the per-species folder holds its own.
    type: File?
    format: edam:format_3464
    outputSource: export/manifest
  ndjson:
    label: BioThings NDJSON
    doc: |-
      One BioThings PFOCR document per kept figure and line (when chemicals_and_diseases is true).
    type: File?
    outputSource: export_ndjson/library
  per_species:
    label: Per-species libraries
    doc: One GMT per species, named like the PFOCR releases.
    type: Directory?
    outputSource: export/per_species
  remap_report:
    label: Remap report
    doc: |-
      One row per distinct query term of each shard (status, candidates, backend and data version), the shards' reports one after the other.
    type: File
    format: edam:format_3475
    outputSource: merge_reports/merged
  report:
    label: HTML report
    doc: Offline summary of the library (when make_report is true).
    type: File?
    format: edam:format_2331
    outputSource: summarise/report

steps:
  export:
    label: write the libraries
    in:
      prefix: prefix
      flavor: flavor
      gene_table: merge/merged
      id_column: id_column
      max_size: max_size
      min_size: min_size
      output_name: library_name
      per_species_dir:
        default: per-species
      remap_reports:
        source:
        - merge_reports/merged
        linkMerge: merge_nested
      set_name: set_name
    run: pfocr-export.cwl
    out:
    - library
    - manifest
    - per_species
  export_chemicals:
    label: write the chemical libraries (ChEBI, one per species)
    in:
      prefix: prefix
      chemicals_and_diseases: chemicals_and_diseases
      gene_table:
        source:
        - merge_chemicals/merged
        pickValue: the_only_non_null
      max_size: max_size
      min_size: min_size
      output_name:
        default: pfocr-chemical.gmt
      per_species_dir:
        default: chemical-per-species
      set_name: set_name
    run: pfocr-export.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - library
    - per_species
  export_ndjson:
    label: write the BioThings NDJSON
    in:
      format:
        default: ndjson
      chemicals:
        source:
        - merge_chemicals/merged
        pickValue: the_only_non_null
      chemicals_and_diseases: chemicals_and_diseases
      diseases:
        source:
        - merge_diseases/merged
        pickValue: the_only_non_null
      flavor: flavor
      gene_table: merge/merged
      output_name: ndjson_name
    run: pfocr-export.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - library
  merge:
    label: merge the shards' tables
    in:
      output_name:
        default: figure-genes.tsv
      tables: per_shard/gene_table
    run: merge-tables.cwl
    out:
    - merged
  merge_chemicals:
    label: merge the shards' chemical tables
    in:
      chemicals_and_diseases: chemicals_and_diseases
      output_name:
        default: figure-chemicals.tsv
      tables:
        source:
        - per_shard/chemical_table
        linkMerge: merge_flattened
        pickValue: all_non_null
    run: merge-tables.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - merged
  merge_diseases:
    label: merge the shards' disease tables
    in:
      chemicals_and_diseases: chemicals_and_diseases
      output_name:
        default: figure-diseases.tsv
      tables:
        source:
        - per_shard/disease_table
        linkMerge: merge_flattened
        pickValue: all_non_null
    run: merge-tables.cwl
    when: $(inputs.chemicals_and_diseases)
    out:
    - merged
  merge_reports:
    label: merge the shards' remap reports
    in:
      output_name:
        default: remap-report.tsv
      tables: per_shard/remap_report
    run: merge-tables.cwl
    out:
    - merged
  per_shard:
    label: extract -> filter -> remap, on each shard
    in:
      allow_mentions: allow_mentions
      backend: backend
      cache_dir: cache_dir
      chemicals_and_diseases: chemicals_and_diseases
      email: email
      exclude_mentions: exclude_mentions
      filter_by: filter_by
      gene_index: gene_index
      mygene_url: mygene_url
      organisms: organisms
      ortholog_to: ortholog_to
      records: shards
      remap_from: remap_from
      remap_to: remap_to
      unmapped: unmapped
    scatter: records
    run: pfocr-shard.cwl
    out:
    - gene_table
    - remap_report
    - chemical_table
    - disease_table
  summarise:
    label: summarise the library
    in:
      flavor: flavor
      gene_table: merge/merged
      gmt: export/library
      make_report: make_report
      max_size: max_size
      min_size: min_size
      remap_report: merge_reports/merged
    run: pfocr-report.cwl
    when: $(inputs.make_report)
    out:
    - report
s:license: https://spdx.org/licenses/MIT
