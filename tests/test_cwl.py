"""The CWL wrappers (cwl/*.cwl): offline validation, parity with the CLI parsers, cwltests.

* every ``.cwl`` passes ``cwltool --validate`` with no warnings;
* every ``inputBinding.prefix`` (and ``arguments`` prefix) of a tool is a long option of the
  matching CLI parser, enum symbols are choices of that option, booleans are flags, and every
  CLI option is wrapped (or listed in ``UNWRAPPED`` with the reason);
* the ``SoftwareRequirement`` hint names this package and its version;
* every test of every ``cwl/*.cwltest.yml`` runs under cwltool (``--no-container``) through
  cwltest's own runner and output comparison (checksums are those of the plain CLI).

A wrapper whose CLI module is not there yet is skipped, not failed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pfocr_tools
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CWL = ROOT / "cwl"
CWL_FILES = sorted(CWL.glob("*.cwl"))
CWLTEST_FILES = sorted(CWL.glob("*.cwltest.yml"))
TIMEOUT = 600

# CLI options deliberately not exposed as inputs, per console script, with the reason.
UNWRAPPED: dict[str, dict[str, str]] = {
    "*": {"--help": "argparse help", "--version": "argparse version"},
    "pfocr-export": {"--manifest": "the manifest is always written beside the library (an "
                                   "output)",
                     "--no-manifest": "the manifest is an output of the wrapper"},
}


def runner(name: str) -> str:
    """A console script of this environment (the venv's own, else PATH)."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def console_scripts() -> dict[str, str]:
    """console script name -> module, from this package's entry points."""
    eps = importlib.metadata.entry_points(group="console_scripts")
    return {ep.name: ep.value.split(":")[0] for ep in eps if ep.value.startswith("pfocr_tools.")}


def base_command(doc: dict[str, Any]) -> str | None:
    base = doc.get("baseCommand")
    if isinstance(base, list):
        base = base[0] if base else None
    return base


def cli_module(path: Path) -> str | None:
    """The pfocr_tools module behind a CommandLineTool (None for helpers and workflows)."""
    doc = load(path)
    if doc.get("class") != "CommandLineTool":
        return None
    return console_scripts().get(base_command(doc) or "")


def module_available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def tools_used(path: Path, seen: set[Path] | None = None) -> set[Path]:
    """This CWL document and every document its workflow steps run (recursively)."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen:
        return seen
    seen.add(path)
    doc = load(path)
    if doc.get("class") == "Workflow":
        steps = doc.get("steps") or {}
        items = steps.values() if isinstance(steps, dict) else steps
        for step in items:
            run = step.get("run")
            if isinstance(run, str):
                tools_used(path.parent / run, seen)
    return seen


def missing_modules(path: Path) -> list[str]:
    """CLI modules a CWL document (or a workflow's steps) needs that are not there yet."""
    out = []
    for tool in sorted(tools_used(path)):
        module = cli_module(tool)
        if module and not module_available(module):
            out.append(module)
    return out


def skip_if_missing(path: Path) -> None:
    missing = missing_modules(path)
    if missing:
        pytest.skip(f"{path.name}: CLI not there yet ({', '.join(missing)})")


# --------------------------------------------------------------------- static checks


def test_there_are_wrappers() -> None:
    assert (CWL / "pfocr-extract.cwl") in CWL_FILES
    assert (CWL / "pfocr-extract.cwltest.yml") in CWLTEST_FILES


# cwltool --validate of every document, in one Python process (cwltool imported once).
VALIDATE = """
import io, json, logging, sys
from cwltool.main import main
out = {}
for path in sys.argv[1:]:
    log, stdout = io.StringIO(), io.StringIO()
    rc = main(["--validate", path], stdout=stdout, stderr=log,
              logger_handler=logging.StreamHandler(log))
    out[path] = [rc, stdout.getvalue() + log.getvalue()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def validation() -> dict[Path, tuple[int, str]]:
    """``cwltool --validate`` of every document: (exit code, everything it printed)."""
    done = subprocess.run([sys.executable, "-c", VALIDATE, *map(str, CWL_FILES)],
                          capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(done.stdout.splitlines()[-1])
    return {Path(path): (rc, text) for path, (rc, text) in found.items()}


@pytest.mark.parametrize("path", CWL_FILES, ids=lambda p: p.name)
def test_validates_offline_without_warnings(path: Path, validation) -> None:
    returncode, text = validation[path]
    assert returncode == 0, text
    assert "is valid CWL" in text
    warnings = [line for line in text.splitlines() if "warn" in line.lower()]
    assert not warnings, text


@pytest.mark.parametrize("path", CWL_FILES, ids=lambda p: p.name)
def test_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "#!/usr/bin/env cwl-runner"
    assert "cwlVersion: v1.2" in lines[1:4]
    assert path.stat().st_mode & stat.S_IXUSR, f"{path.name} is not executable"
    assert "$schemas" not in text, "remote $schemas make offline validation warn"
    doc = load(path)
    assert doc.get("label") and doc.get("doc"), "top-level label and doc"
    for section in ("inputs", "outputs"):
        params = doc.get(section) or {}
        assert isinstance(params, dict), f"{section}: use the map form"
        for name, param in params.items():
            assert isinstance(param, dict), f"{section}.{name}: a full parameter"
            assert param.get("label"), f"{section}.{name}: no label"
            assert param.get("doc"), f"{section}.{name}: no doc"


def software_version(doc: dict[str, Any]) -> tuple[str, list[str]] | None:
    for block in ("hints", "requirements"):
        reqs = doc.get(block) or {}
        if isinstance(reqs, list):
            reqs = {r.get("class"): r for r in reqs}
        sw = reqs.get("SoftwareRequirement")
        if sw:
            packages = sw["packages"]
            if isinstance(packages, list):
                packages = {p["package"]: p for p in packages}
            for name, spec in packages.items():
                return name, list(spec.get("version", []))
    return None


def tool_files() -> list[Path]:
    return [p for p in CWL_FILES if cli_module(p)]


@pytest.mark.parametrize("path", tool_files(), ids=lambda p: p.name)
def test_software_requirement_is_this_package(path: Path) -> None:
    found = software_version(load(path))
    assert found is not None, "no SoftwareRequirement hint"
    assert found == ("pfocr-tools", [pfocr_tools.__version__])


def bindings(doc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, prefix, type) of every input binding and argument with a prefix."""
    out = []
    for name, param in (doc.get("inputs") or {}).items():
        binding = param.get("inputBinding") or {}
        if "prefix" in binding:
            out.append((name, binding["prefix"], param.get("type")))
        types = param.get("type")
        for t in types if isinstance(types, list) else [types]:
            # an array whose items each get the prefix: --organism A --organism B
            if isinstance(t, dict) and "prefix" in (t.get("inputBinding") or {}):
                out.append((name, t["inputBinding"]["prefix"], t.get("items")))
    for arg in doc.get("arguments") or []:
        if isinstance(arg, dict) and "prefix" in arg:
            out.append(("arguments", arg["prefix"], None))
    return out


def enum_symbols(cwl_type: Any) -> list[str] | None:
    types = cwl_type if isinstance(cwl_type, list) else [cwl_type]
    for t in types:
        if isinstance(t, dict) and t.get("type") == "enum":
            return list(t["symbols"])
    return None


def is_boolean(cwl_type: Any) -> bool:
    types = cwl_type if isinstance(cwl_type, list) else [cwl_type]
    return any(t in ("boolean", "boolean?") for t in types)


def subcommands(doc: dict[str, Any]) -> list[str]:
    """The words after the console script in baseCommand (e.g. ``build`` of pfocr-index)."""
    base = doc.get("baseCommand")
    return list(base[1:]) if isinstance(base, list) else []


def parser_options(module: str, words: list[str] | None = None) -> dict[str, argparse.Action]:
    parser = importlib.import_module(module).build_parser()
    for word in words or []:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return {opt: action for action in parser._actions for opt in action.option_strings}


@pytest.mark.parametrize("path", tool_files(), ids=lambda p: p.name)
def test_every_prefix_is_a_cli_option(path: Path) -> None:
    module = cli_module(path)
    assert module
    if not module_available(module):
        pytest.skip(f"{module} is not there yet")
    doc = load(path)
    options = parser_options(module, subcommands(doc))
    for name, prefix, cwl_type in bindings(doc):
        assert prefix.startswith("--"), f"{name}: use the long option, not {prefix}"
        assert prefix in options, f"{name}: {prefix} is not an option of {base_command(doc)}"
        action = options[prefix]
        symbols = enum_symbols(cwl_type)
        if symbols is not None:
            assert action.choices is not None, f"{name}: {prefix} takes no fixed choices"
            assert set(symbols) <= set(action.choices), f"{name}: {symbols} vs {action.choices}"
        if cwl_type is not None and is_boolean(cwl_type):
            assert action.nargs == 0, f"{name}: {prefix} is not a flag"


@pytest.mark.parametrize("path", tool_files(), ids=lambda p: p.name)
def test_every_cli_option_is_wrapped(path: Path) -> None:
    module = cli_module(path)
    assert module
    if not module_available(module):
        pytest.skip(f"{module} is not there yet")
    doc = load(path)
    wrapped = {prefix for _, prefix, _ in bindings(doc)}
    allowed = {**UNWRAPPED["*"], **UNWRAPPED.get(base_command(doc) or "", {})}
    missing = []
    for opt, action in parser_options(module, subcommands(doc)).items():
        longs = [o for o in action.option_strings if o.startswith("--")]
        if opt in longs[:1] and not (set(action.option_strings) & (wrapped | set(allowed))):
            missing.append(opt)
    assert not missing, f"CLI options not in {path.name}: {missing}"


# --------------------------------------------------------------------- cwltests


def cwltest_cases() -> list[Any]:
    cases = []
    for path in CWLTEST_FILES:
        for entry in load(path) or []:
            if load(path.parent / entry["tool"]).get("class") == "Workflow":
                continue  # tests/test_cwl_workflow.py runs these (cwltool and Toil)
            ident = entry.get("id") or entry.get("label")
            cases.append(pytest.param(path, entry, id=f"{path.name.split('.')[0]}:{ident}"))
    return cases


def run_cwltest(path: Path, entry: dict[str, Any], tool: str, args: list[str],
                workdir: Path | None) -> Any:
    """Run one cwltest entry with cwltest's own runner and comparison (its --outdir is made
    with mkdtemp() in ``workdir``, or in the current ``tempfile.tempdir`` when None)."""
    from cwltest.utils import CWLTestConfig, run_test_plain

    test = dict(entry)
    test["tool"] = str((path.parent / entry["tool"]).resolve())
    if entry.get("job"):
        test["job"] = str((path.parent / entry["job"]).resolve())
    config = CWLTestConfig(entry=str(path), entry_line="0", basedir=str(path.parent),
                           tool=tool, args=args, timeout=TIMEOUT)
    if workdir is None:
        return run_test_plain(config, test)
    old = tempfile.tempdir
    tempfile.tempdir = str(workdir)
    try:
        return run_test_plain(config, test)
    finally:
        tempfile.tempdir = old


@pytest.fixture(scope="module")
def cwltool_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    """Every tool cwltest run by cwltool up front, two at a time (the tests then check)."""
    base = tmp_path_factory.mktemp("cwltest")
    cwltool = runner("cwltool")
    todo = [(p.values[0], p.values[1]) for p in cwltest_cases()]
    todo = [(path, entry) for path, entry in todo
            if not missing_modules(path.parent / entry["tool"])]

    def one(item: tuple[Path, dict[str, Any]]) -> Any:
        path, entry = item
        tmp = Path(tempfile.mkdtemp(prefix="run", dir=base))
        args = ["--no-container", "--tmpdir-prefix", f"{tmp}/", "--tmp-outdir-prefix",
                f"{tmp}/"]
        return run_cwltest(path, entry, cwltool, args, None)

    old = tempfile.tempdir
    tempfile.tempdir = str(base)  # where cwltest makes each --outdir
    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(one, todo))
    finally:
        tempfile.tempdir = old
    return {(path.name, entry["id"]): result
            for (path, entry), result in zip(todo, results, strict=True)}


# ------------------------------------------------- the same job through the plain CLI


def _types(cwl_type: Any) -> list[Any]:
    return cwl_type if isinstance(cwl_type, list) else [cwl_type]


def _text(value: Any, base: Path) -> str:
    if isinstance(value, dict) and value.get("class") in ("File", "Directory"):
        where = value.get("path") or value["location"]
        where = where.removeprefix("file://")
        return str((base / where).resolve())
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve_value(value: str, job: dict[str, Any]) -> str:
    """The few parameter references our tools use: $(inputs.x), $(runtime.cores)."""
    if value == "$(runtime.cores)":
        return "1"
    if value.startswith("$(inputs.") and value.endswith(")"):
        return job.get(value[len("$(inputs."):-1])
    if value.startswith("$(inputs.") and ")" in value:  # $(inputs.x).suffix
        ref, rest = value[len("$(inputs."):].split(")", 1)
        found = job.get(ref)
        return None if found is None else f"{found}{rest}"
    assert "$(" not in value, f"unsupported expression {value!r}"
    return value


def with_defaults(tool: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    values = {name: param.get("default") for name, param in (tool.get("inputs") or {}).items()}
    values.update({k: v for k, v in job.items() if v is not None})
    return values


def cli_command(tool: dict[str, Any], job: dict[str, Any], base: Path) -> list[str]:
    """The command line a CWL runner builds for ``job`` (the CWL binding rules our tools use:
    position then name order, prefix, flags, itemSeparator, per-item prefixes), with the
    inputs at their own paths and ``--jobs 1``."""
    keyed: list[tuple[int, str, list[str]]] = []
    for i, arg in enumerate(tool.get("arguments") or []):
        if isinstance(arg, str):
            keyed.append((0, f"~arg{i}", [_resolve_value(arg, job)]))
            continue
        value = _resolve_value(arg["valueFrom"], job)
        words = ([arg["prefix"]] if "prefix" in arg else []) + [value]
        keyed.append((int(arg.get("position", 0)), f"~arg{i}", words))
    for name, param in (tool.get("inputs") or {}).items():
        value = job.get(name, param.get("default"))
        if value is None:
            continue
        binding = param.get("inputBinding")
        item_binding = next((t["inputBinding"] for t in _types(param.get("type"))
                             if isinstance(t, dict) and "inputBinding" in t), None)
        words: list[str] = []
        if item_binding is not None:
            for item in value:
                words += [item_binding["prefix"], _text(item, base)]
        if binding is None:
            if words:
                keyed.append((0, name, words))
            continue
        prefix = binding.get("prefix")
        if isinstance(value, bool):
            words = [prefix] if value and prefix else []
        elif isinstance(value, list) and item_binding is None:
            items = [_text(v, base) for v in value]
            if "itemSeparator" in binding:
                items = [binding["itemSeparator"].join(items)]
            words = ([prefix] if prefix else []) + items
        elif item_binding is None:
            words = ([prefix] if prefix else []) + [_text(value, base)]
        keyed.append((int(binding.get("position", 0)), name, words))
    base_command = tool["baseCommand"]
    command = list(base_command) if isinstance(base_command, list) else [base_command]
    for _, _, words in sorted(keyed, key=lambda k: (k[0], k[1])):
        command += words
    return command


def cli_outputs(tool: dict[str, Any], job: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """output id -> the file or folder the CLI wrote (None when the glob names nothing)."""
    found: dict[str, Any] = {}
    for name, param in (tool.get("outputs") or {}).items():
        glob = (param.get("outputBinding") or {}).get("glob")
        target = _resolve_value(glob, job) if glob else None
        if tool.get("stdout") and param.get("type") == "stdout":
            target = _resolve_value(tool["stdout"], job)
        found[name] = (workdir / target) if target and (workdir / target).exists() else None
    return found


def tree(path: Path) -> dict[str, bytes]:
    """relative name -> bytes of every file under a folder (or of one file)."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


def cwl_tree(value: dict[str, Any]) -> dict[str, bytes]:
    return tree(Path(value["path"]))


# Outputs that name the input files, which a CWL runner stages elsewhere: compared with the
# first column reduced to the file's base name.
PATH_COLUMN = {("pfocr-extract", "rejects")}


def _basenames(value: Any) -> Any:
    """Every path in a manifest reduced to its base name (a CWL runner stages files
    elsewhere than the plain CLI run)."""
    if isinstance(value, dict):
        return {k: _basenames(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_basenames(v) for v in value]
    if isinstance(value, str) and "/" in value:
        return os.path.basename(value)
    return value


def manifest_basenames(files: dict[str, bytes]) -> dict[str, bytes]:
    """pfocr-export manifests (``*.manifest.json``) compared with paths as base names."""
    return {name: json.dumps(_basenames(json.loads(data)), sort_keys=True).encode()
            if name.endswith(".manifest.json") else data for name, data in files.items()}


def basename_first_column(files: dict[str, bytes]) -> dict[str, bytes]:
    out = {}
    for name, data in files.items():
        lines = data.decode("utf-8").splitlines(keepends=True)
        cut = [lines[0]] + [os.path.basename(line.split("\t", 1)[0]) + "\t" +
                            line.split("\t", 1)[1] for line in lines[1:]]
        out[name] = "".join(cut).encode("utf-8")
    return out


@pytest.mark.parametrize(("path", "entry"), cwltest_cases())
def test_cwltest_cwltool(path: Path, entry: dict[str, Any], tmp_path: Path,
                         cwltool_runs: dict[tuple[str, str], Any]) -> None:
    """The cwltest passes under cwltool, and every output equals the plain CLI's."""
    tool_path = path.parent / entry["tool"]
    skip_if_missing(tool_path)
    result = cwltool_runs[(path.name, entry["id"])]
    assert result.return_code == 0, (
        f"{entry.get('doc', '')}\n{result.message}\n--- stderr\n{result.error_output[-4000:]}"
    )
    tool = load(tool_path)
    if tool.get("class") != "CommandLineTool":
        return
    job_path = path.parent / entry["job"]
    job = with_defaults(tool, load(job_path))
    workdir = tmp_path / "cli"
    workdir.mkdir()
    command = cli_command(tool, job, job_path.parent)
    command[0] = shutil.which(command[0], path=str(Path(sys.executable).parent)) or command[0]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True,
                          timeout=TIMEOUT)
    if entry.get("should_fail"):
        assert done.returncode != 0, "the CLI succeeds where the CWL step failed"
        return
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    cwl_out = json.loads(result.standard_output)
    for name, cli_path in cli_outputs(tool, job, workdir).items():
        if cli_path is None:
            assert cwl_out.get(name) is None, f"{name}: the CLI wrote nothing"
            continue
        assert cwl_out.get(name), f"{name}: missing from the CWL outputs"
        got, want = cwl_tree(cwl_out[name]), tree(cli_path)
        got, want = manifest_basenames(got), manifest_basenames(want)
        if (base_command(tool), name) in PATH_COLUMN:
            got, want = basename_first_column(got), basename_first_column(want)
        assert got == want, (
            f"{name}: CWL output differs from the CLI's ({' '.join(command)})")


# --------------------------------------------------------------------- MyGene.info backend


def test_remap_mygene_backend_through_cwl(tmp_path: Path) -> None:
    """backend mygene (the NetworkAccess path) gives the CLI's bytes, against the test server."""
    skip_if_missing(CWL / "pfocr-remap.cwl")
    from tests.mygene_server import MyGeneServer

    data = ROOT / "test-data" / "remap"
    server = MyGeneServer.from_file(data / "mygene-genes.json").start()
    try:
        job = {
            "gene_table": {"class": "File", "path": str(data / "PMC7048131-fig1.tsv"),
                           "format": "http://edamontology.org/format_3475"},
            "backend": "mygene", "mygene_url": server.url, "no_cache": True,
            "lookup_from": "symbol", "to": ["entrez", "ensembl"], "timeout": 5.0,
            "backoff": 0.05, "quiet": True,
        }
        job_file = tmp_path / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        out = tmp_path / "cwl"
        done = subprocess.run([runner("cwltool"), "--quiet", "--no-container", "--outdir",
                               str(out), str(CWL / "pfocr-remap.cwl"), str(job_file)],
                              capture_output=True, text=True, timeout=TIMEOUT)
        assert done.returncode == 0, done.stderr[-4000:]
        cwl_requests = server.requests()
        assert cwl_requests >= 1
        cli = tmp_path / "cli"
        cli.mkdir()
        command = cli_command(load(CWL / "pfocr-remap.cwl"), job, tmp_path)
        command[0] = runner(command[0])
        done = subprocess.run(command, cwd=cli, capture_output=True, text=True,
                              timeout=TIMEOUT)
        assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    for name in ("remapped-genes.tsv", "remap-report.tsv"):
        assert (out / name).read_bytes() == (cli / name).read_bytes(), name
    assert b"\tmygene\t" in (out / "remap-report.tsv").read_bytes()
