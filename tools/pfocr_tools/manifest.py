"""The manifest written beside every library pfocr-export writes (provenance).

``<output>.manifest.json`` beside a library file, or ``<prefix>-<format>.manifest.json`` in a
``--split-by-organism`` folder. It records the tool and its version, the command line and
every option, each input (name, size, SHA-256), the gene data the identifiers came from (the
``data_version`` of pfocr-remap reports: ``gene-index:<checksum>`` or ``mygene.info build
<version>``), the flavor and size rules, counts of figures, sets and genes, and each output
file with its SHA-256. Deterministic: JSON with sorted keys, no timestamp unless asked.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter, methodcaller
from typing import Any

from . import __version__
from .errors import DataError

SCHEMA = "pfocr-tools/library-manifest/1"
SUFFIX = ".manifest.json"
_CHUNK = 1 << 20
#: GMT libraries up to this size are read back whole for their counts
_WHOLE = 256 << 20
_AFTER_TWO = itemgetter(slice(2, None))


#: SHA-256 of input files hashed while a tool read them: (path, size, mtime_ns) -> hex digest
_KNOWN: dict[tuple[str, int, int], str] = {}


def _stat_key(path: str) -> tuple[str, int, int]:
    st = os.stat(path)
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def remember_sha256(path: str, hexdigest: str) -> None:
    """The SHA-256 of ``path`` as found while reading it whole (one pass over the bytes
    instead of two); sha256_file gives it while the file's size and time are unchanged."""
    _KNOWN[_stat_key(path)] = hexdigest


def sha256_file(path: str) -> str:
    known = _KNOWN.get(_stat_key(path))
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(_CHUNK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: str) -> dict[str, Any]:
    """Name, path (as given), size and SHA-256 of a file; standard input is not hashed."""
    name = "-" if path == "-" else os.path.basename(path)
    if path == "-" or not os.path.isfile(path):
        return {"name": name, "path": path, "size": None, "sha256": None}
    return {"name": name, "path": path, "size": os.path.getsize(path),
            "sha256": sha256_file(path)}


def manifest_path(output: str | None, split_dir: str | None = None, prefix: str = "pfocr",
                  fmt: str = "gmt") -> str | None:
    """Where the manifest of a library goes (None for standard output)."""
    if split_dir is not None:
        return os.path.join(split_dir, f"{prefix}-{fmt}{SUFFIX}")
    if output in (None, "-"):
        return None
    return output + SUFFIX


def read_remap_versions(paths: Iterable[str]) -> list[dict[str, str]]:
    """Distinct ``(backend, data_version)`` of pfocr-remap ``--report`` files, first-seen
    order (a concatenation of several reports, headers repeated, is fine)."""
    found: dict[tuple[str, str], None] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                header: list[str] | None = None
                for lineno, line in enumerate(handle, 1):
                    fields = line.rstrip("\r\n").split("\t")
                    if header is None or fields[0] == "query":
                        header = fields
                        if "data_version" not in header or "backend" not in header:
                            raise DataError("not a pfocr-remap report: no backend / "
                                            "data_version column", path, lineno)
                        continue
                    if len(fields) != len(header):
                        continue
                    row = dict(zip(header, fields, strict=True))
                    found[(row["backend"], row["data_version"])] = None
        except OSError as exc:
            raise DataError(f"cannot read: {exc.strerror}", path) from None
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason})", path) from None
    return [{"backend": b, "data_version": v} for b, v in found]


@dataclass
class LibraryStats:
    """Counts of one library file, read back from the file once written."""

    path: str
    sets: int | None = None
    genes: set[str] = field(default_factory=set)

    @classmethod
    def of_file(cls, path: str, fmt: str) -> LibraryStats:
        """Count the sets and distinct IDs of a written library (gmt, tsv, json, ndjson);
        standard output is not read back (counts None)."""
        stats = cls(path)
        if path == "-" or not os.path.isfile(path):
            return stats
        import gzip

        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:  # type: ignore[operator]
            if fmt == "gmt" and os.path.getsize(path) <= _WHOLE:
                text = handle.read()
                if "\r" not in text:  # read whole and split in C (the common case)
                    lines = text.split("\n")
                    if lines[-1] == "":
                        lines.pop()
                    stats.sets = len(lines)
                    stats.genes.update(chain.from_iterable(
                        map(_AFTER_TWO, map(methodcaller("split", "\t"), lines))))
                    stats.genes.discard("")
                    return stats
                handle.seek(0)
            if fmt == "gmt":
                stats.sets = 0
                for line in handle:
                    fields = line.rstrip("\r\n").split("\t")
                    stats.sets += 1
                    stats.genes.update(f for f in fields[2:] if f)
            elif fmt == "tsv":
                names: set[str] = set()
                next(handle, None)
                for line in handle:
                    fields = line.rstrip("\r\n").split("\t")
                    names.add(fields[0])
                    if len(fields) > 2 and fields[2]:
                        stats.genes.add(fields[2])
                stats.sets = len(names)
            else:  # NDJSON one document at a time (memory stays flat)
                docs = json.load(handle) if fmt == "json" else \
                    (json.loads(line) for line in handle if line.strip())
                stats.sets = 0
                for doc in docs:
                    stats.sets += 1
                    genes = doc.get("associatedWith", {}).get("mentions", {}).get("genes", {})
                    for ids in genes.values():
                        stats.genes.update(map(str, ids))
        return stats

    def entry(self) -> dict[str, Any]:
        out = file_entry(self.path)
        out.update({"sets": self.sets,
                    "distinct_ids": None if self.sets is None else len(self.genes)})
        return out


def _num(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def gene_data(table_columns: Sequence[str], remap_reports: Sequence[str]) -> dict[str, Any]:
    """What the manifest says about the identifiers' origin."""
    remapped = "remap_status" in table_columns
    versions = read_remap_versions(remap_reports) if remap_reports else []
    note = ""
    if remapped and not versions:
        note = ("the table was remapped, but no pfocr-remap --report was given "
                "(export --remap-report records the gene index checksum or MyGene.info build)")
    elif not remapped:
        note = "identifiers as in the PFOCR records (not remapped)"
    return {"remapped": remapped, "data_versions": versions, "note": note}


def build(*, tool: str, argv: Sequence[str], options: dict[str, Any], inputs: Sequence[str],
          gene: dict[str, Any], rule: dict[str, Any], figures: int | None,
          libraries: Sequence[LibraryStats], timestamp: str | None = None) -> dict[str, Any]:
    genes: set[str] = set()
    for lib in libraries:
        genes |= lib.genes
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": tool, "version": __version__, "package": "pfocr-tools"},
        "command_line": [tool, *argv],
        "options": {k: v for k, v in sorted(options.items())},
        "inputs": [file_entry(p) for p in inputs],
        "gene_data": gene,
        "rule": rule,
        "counts": {"figures_in_table": figures,
                   "sets": sum(lib.sets or 0 for lib in libraries),
                   "distinct_ids": len(genes),
                   "files": len(libraries)},
        "outputs": [lib.entry() for lib in libraries],
    }
    if timestamp is not None:
        doc["created"] = timestamp
    return doc


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: str, doc: dict[str, Any]) -> None:
    from .atomic import atomic_open

    with atomic_open(path) as handle:
        handle.write(dumps(doc))


def load(path: str) -> dict[str, Any]:
    """Read a manifest (for pfocr-report); a one-line DataError when it is not one."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"not a manifest (bad JSON: {exc})", path) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise DataError(f"not a pfocr-export manifest (no schema {SCHEMA})", path)
    return doc


def find_for(library: str) -> str | None:
    """The manifest beside a library file or in its folder, if there is one."""
    beside = library + SUFFIX
    if os.path.isfile(beside):
        return beside
    folder = os.path.dirname(os.path.abspath(library))
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(SUFFIX))
    except OSError:
        return None
    base = os.path.basename(library)
    for name in names:
        try:
            doc = load(os.path.join(folder, name))
        except DataError:
            continue
        if any(o.get("name") == base for o in doc.get("outputs", [])):
            return os.path.join(folder, name)
    return None


def summary_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines for a report."""
    rule = doc.get("rule", {})
    counts = doc.get("counts", {})
    gene = doc.get("gene_data", {})
    versions = ", ".join(f"{v['backend']}: {v['data_version'] or '?'}"
                         for v in gene.get("data_versions", [])) or gene.get("note", "")
    size = f"{rule.get('min_size')}..{'' if rule.get('max_size') is None else rule['max_size']}"
    inputs = ", ".join(
        f"{i['name']} ({i['size']} bytes, sha256 {i['sha256'][:12]})"
        if i.get("sha256") else str(i.get("name")) for i in doc.get("inputs", []))
    tool = doc.get("tool", {})
    return [
        ("made by", f"{tool.get('name')} {tool.get('version')}"),
        # paths as base names: where a runner staged the files (a Galaxy job folder, a Toil
        # work folder) says nothing about the library, and the report stays the same
        ("command line", " ".join(os.path.basename(a) if "/" in a else a
                                  for a in doc.get("command_line", []))),
        ("inputs", inputs),
        ("gene data", versions),
        ("rule", f"{rule.get('flavor')} rows, {size} distinct {rule.get('id_column')} values"),
        ("counts", f"{counts.get('sets')} sets of {counts.get('figures_in_table')} figures, "
                   f"{counts.get('distinct_ids')} distinct IDs, {counts.get('files')} file(s)"),
    ]


def add_arguments(parser) -> None:  # noqa: ANN001 - an argparse parser
    """pfocr-export's manifest options."""
    parser.add_argument("--manifest", metavar="PATH",
                        help="where to write the library's manifest (JSON: tool version, "
                             "command line, inputs with SHA-256, gene data, rule, counts, "
                             "outputs with SHA-256). Default: <OUT>.manifest.json, or "
                             "<DIR>/<prefix>-<format>.manifest.json with --split-by-organism; "
                             "none for standard output")
    parser.add_argument("--no-manifest", action="store_true", help="write no manifest")
    parser.add_argument("--remap-report", action="append", default=[], metavar="REPORT.tsv",
                        help="pfocr-remap --report file(s) of the table: the manifest records "
                             "their gene index checksum / MyGene.info build (repeatable)")
    parser.add_argument("--manifest-timestamp", action="store_true",
                        help="add the time of writing to the manifest (default: none, so the "
                             "same input gives the same manifest)")


_NOT_OPTIONS = {"argv", "quiet", "manifest", "no_manifest", "manifest_timestamp"}


def for_export(args, argv: Sequence[str], columns: Sequence[str],  # noqa: ANN001
               figures: int | None, outputs: Sequence[str], where: str | None) -> None:
    """Write pfocr-export's manifest for the library files ``outputs`` (unless --no-manifest
    or nowhere to write it)."""
    path = args.manifest or where
    if args.no_manifest or path is None:
        return
    timestamp = None
    if args.manifest_timestamp:
        import datetime

        timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = {k: v for k, v in vars(args).items() if k not in _NOT_OPTIONS}
    libraries = [LibraryStats.of_file(p, args.format) for p in outputs]
    doc = build(
        tool="pfocr-export", argv=argv, options=options,
        inputs=[p for p in (args.input, getattr(args, "chemicals", None),
                            getattr(args, "diseases", None), *args.remap_report) if p],
        gene=gene_data(columns, args.remap_report),
        rule={"flavor": args.flavor, "min_size": args.min_size, "max_size": args.max_size,
              "id_column": args.id_column, "set_name": args.set_name,
              "description": args.description, "max_title": args.max_title,
              "format": args.format},
        figures=figures, libraries=libraries, timestamp=timestamp)
    write(path, doc)


def check_arguments(args) -> None:  # noqa: ANN001 - an argparse namespace
    from .errors import UsageError

    if args.manifest and args.no_manifest:
        raise UsageError("--manifest and --no-manifest exclude each other")
    if args.manifest and args.manifest in (args.output, args.input, *args.remap_report):
        raise UsageError(f"--manifest {args.manifest} is also an input or the library")
    for report in args.remap_report:
        if not os.path.isfile(report):
            raise DataError("no such file (--remap-report)", report)
