"""The Galaxy wrappers (galaxy/*.xml) agree with the command-line parsers (no Galaxy needed).

Every ``argument=`` names an option of the tool's parser, with the same choices and default;
every option the command line hard-codes exists; every parser option is wrapped or listed
below as deliberately left out; ``@TOOL_VERSION@`` is the package version.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pfocr_tools
import pytest
import yaml
from pfocr_tools import organisms

ROOT = Path(__file__).resolve().parent.parent
GALAXY = ROOT / "galaxy"
TOOL_XMLS = sorted(p for p in GALAXY.glob("pfocr_*.xml"))
TOOLS = ["extract", "filter", "remap", "export", "report", "organisms"]
#: tools whose module is not named after the tool (pfocr_tools.organisms is the data module)
MODULES = {"organisms": "organism_evidence"}

# parser options a wrapper deliberately does not offer (set by the wrapper, or no use in Galaxy)
NOT_EXPOSED = {
    "common": {"-h", "--version", "-q", "-o"},
    # --jobs is set from GALAXY_SLOTS; the size limits protect the server, so users of a
    # Galaxy server get the defaults (an admin who wants others edits the command line)
    "extract": {"--jobs", "--max-record-bytes", "--max-field-chars", "--max-archive-bytes"},
    "filter": set(),
    # the shipped index, unpacked into a job-local cache
    "remap": {"--index", "--cache-dir", "--no-cache", "--backoff"},
    # a select in the wrapper (one library / one per organism); the manifest is an output
    # (Galaxy records its own job times)
    "export": {"--split-by-organism", "--manifest", "--no-manifest", "--manifest-timestamp"},
    "report": set(),
    # an API key is a secret, not a job parameter; the E-utilities client is set up by the
    # wrapper (no persistent cache in a job; NCBI's URL; default timeouts and retries)
    "organisms": {"--api-key", "--tool", "--eutils-url", "--cache-dir", "--timeout",
                  "--retries", "--backoff"},
}
# options whose CLI default is None and whose wrapper default is the value the CLI then uses
DOCUMENTED_DEFAULTS = {("remap", "--mygene-url"): "https://mygene.info/v3",
                       ("filter", "--confidence"): "medium"}
# selects on options without argparse choices: values the CLI accepts, checked another way
TO_VALUES = {"entrez", "symbol", "ensembl", "uniprot"}


# ----------------------------------------------------------------------------- macro expansion


def _macros() -> tuple[dict[str, str], dict[str, ET.Element]]:
    root = ET.parse(GALAXY / "macros.xml").getroot()
    tokens = {t.get("name"): (t.text or "") for t in root.findall("token")}
    xmls = {x.get("name"): x for x in root.findall("xml")}
    return tokens, xmls


def _substitute(elem: ET.Element, tokens: dict[str, str]) -> None:
    def sub(text: str | None) -> str | None:
        if text is None:
            return None
        for _ in range(5):  # tokens may hold tokens
            new = text
            for name, value in tokens.items():
                new = new.replace(name, value)
            if new == text:
                break
            text = new
        return text

    for node in elem.iter():
        node.text = sub(node.text)
        node.tail = sub(node.tail)
        for key, value in list(node.attrib.items()):
            node.set(key, sub(value) or "")


def _expand(elem: ET.Element, tokens: dict[str, str], xmls: dict[str, ET.Element]) -> None:
    for i, child in enumerate(list(elem)):
        if child.tag == "expand":
            macro = xmls[child.get("macro")]
            local = dict(tokens)
            for key, value in macro.attrib.items():
                if key.startswith("token_"):
                    local[f"@{key[6:].upper()}@"] = value
            for name in filter(None, (macro.get("tokens") or "").split(",")):
                local.setdefault(f"@{name.strip().upper()}@", "")
            for key, value in child.attrib.items():
                if key != "macro":
                    local[f"@{key.upper()}@"] = value
            body = [copy.deepcopy(c) for c in macro]
            elem.remove(child)
            for offset, node in enumerate(body):
                for parent in node.iter():
                    for y in [c for c in parent if c.tag == "yield"]:
                        parent.remove(y)
                _substitute(node, local)
                _expand(node, tokens, xmls)
                elem.insert(i + offset, node)
            return _expand(elem, tokens, xmls)  # positions changed: start again
        _expand(child, tokens, xmls)
    return None


def load_tool(path: Path) -> ET.Element:
    tokens, xmls = _macros()
    root = ET.parse(path).getroot()
    root.remove(root.find("macros"))
    _expand(root, tokens, xmls)
    _substitute(root, tokens)
    return root


def parser_of(tool: ET.Element) -> tuple[str, argparse.ArgumentParser]:
    name = tool.get("id").removeprefix("pfocr_")
    module = importlib.import_module(f"pfocr_tools.{MODULES.get(name, name)}")
    return name, module.build_parser()


def options_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def galaxy_default(param: ET.Element) -> str | None:
    kind = param.get("type")
    if kind == "select":
        options = param.findall("option")
        chosen = [o.get("value") for o in options if o.get("selected") == "true"]
        if chosen:
            return ",".join(chosen)
        if param.get("optional") == "true" or param.get("multiple") == "true":
            return None
        return options[0].get("value") if options else None
    if kind == "boolean":
        return param.get("checked", "false")
    return param.get("value")


def _in_required_group(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    """True for an option of a required mutually exclusive group (one of them must be given:
    pfocr-filter --organism / --figures-from), which has no default to compare."""
    return any(g.required and action in g._group_actions
               for g in parser._mutually_exclusive_groups)


# ----------------------------------------------------------------------------- tests


def test_every_tool_is_wrapped() -> None:
    assert [p.stem for p in TOOL_XMLS] == sorted(f"pfocr_{t}" for t in TOOLS)


def test_tool_version_is_the_package_version() -> None:
    tokens, _ = _macros()
    assert tokens["@TOOL_VERSION@"] == pfocr_tools.__version__
    assert tokens["@VERSION_SUFFIX@"].isdigit()
    suffix = tokens["@VERSION_SUFFIX@"]
    for path in TOOL_XMLS:
        tool = load_tool(path)
        assert tool.get("version") == f"{pfocr_tools.__version__}+galaxy{suffix}"
        assert tool.get("id") == path.stem


def test_workflow_uses_the_current_tool_versions() -> None:
    tokens, _ = _macros()
    version = f"{tokens['@TOOL_VERSION@']}+galaxy{tokens['@VERSION_SUFFIX@']}"
    for wf in sorted((GALAXY / "workflows").glob("*.gxwf.yml")):
        steps = yaml.safe_load(wf.read_text())["steps"]
        for label, step in steps.items():
            assert (GALAXY / f"{step['tool_id']}.xml").is_file(), label
            assert step["tool_version"] == version, label


@pytest.mark.parametrize("path", TOOL_XMLS, ids=lambda p: p.stem)
def test_arguments_match_the_parser(path: Path) -> None:
    tool = load_tool(path)
    name, parser = parser_of(tool)
    options = options_of(parser)
    problems = []
    for param in tool.find("inputs").iter("param"):
        arg = param.get("argument")
        if arg is None:
            continue
        action = options.get(arg)
        if action is None:
            problems.append(f"{arg}: not an option of pfocr-{name}")
            continue
        kind = param.get("type")
        default = galaxy_default(param)
        takes_value = action.nargs != 0
        if kind == "boolean":
            if takes_value:  # an output switch: the option names an output file
                if param.get("checked") not in ("true", "false"):
                    problems.append(f"{arg}: boolean without checked=")
            else:
                if param.get("truevalue") not in (arg, "yes") or param.get("falsevalue") != "":
                    problems.append(f"{arg}: truevalue/falsevalue")
                if (default == "true") != bool(action.default):
                    problems.append(f"{arg}: default {default} != {action.default}")
            continue
        if kind == "select":
            values = [o.get("value") for o in param.findall("option")]
            if action.choices is not None:
                if sorted(values) != sorted(action.choices):
                    problems.append(f"{arg}: choices {values} != {list(action.choices)}")
            elif arg in ("--organism", "--ortholog-to"):
                for value in values:
                    organisms.resolve(value)  # raises on an unknown organism
            elif arg == "--to":
                if not set(values) <= TO_VALUES:
                    problems.append(f"{arg}: values {values}")
        cli_default = action.default
        if (name, arg) in DOCUMENTED_DEFAULTS:
            expected = DOCUMENTED_DEFAULTS[(name, arg)]
            if default != expected or expected not in (action.help or ""):
                problems.append(f"{arg}: default {default!r} is not the documented {expected!r}")
            continue
        if action.required or _in_required_group(parser, action):
            continue
        if cli_default is None or cli_default == "" or cli_default == []:
            if default not in (None, ""):
                problems.append(f"{arg}: Galaxy default {default!r}, CLI default {cli_default!r}")
            continue
        if isinstance(cli_default, bool):
            continue
        if kind in ("integer", "float"):
            if default in (None, "") or float(default) != float(cli_default):
                problems.append(f"{arg}: default {default!r} != {cli_default!r}")
        elif str(cli_default) != default:
            problems.append(f"{arg}: default {default!r} != {cli_default!r}")
    assert not problems, problems


@pytest.mark.parametrize("path", TOOL_XMLS, ids=lambda p: p.stem)
def test_every_option_is_wrapped_or_left_out_on_purpose(path: Path) -> None:
    tool = load_tool(path)
    name, parser = parser_of(tool)
    command = tool.find("command").text or ""
    wrapped = {p.get("argument") for p in tool.iter("param") if p.get("argument")}
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", command))
    missing = []
    for action in parser._actions:
        if not action.option_strings:
            continue
        strings = set(action.option_strings)
        if strings & (wrapped | used | NOT_EXPOSED["common"] | NOT_EXPOSED[name]):
            continue
        missing.append("/".join(action.option_strings))
    assert not missing, f"pfocr-{name} options not in the wrapper: {missing}"
    unknown = sorted(u for u in used if u not in options_of(parser))
    assert not unknown, f"the command uses options pfocr-{name} does not have: {unknown}"


@pytest.mark.parametrize("path", TOOL_XMLS, ids=lambda p: p.stem)
def test_params_have_labels_and_help(path: Path) -> None:
    tool = load_tool(path)
    for param in tool.find("inputs").iter("param"):
        assert param.get("label"), ET.tostring(param)[:80]
    for test in tool.find("tests"):
        if test.get("expect_failure") != "true":
            assert test.get("expect_num_outputs"), "every passing test counts its outputs"


def test_test_data_exist() -> None:
    test_data = GALAXY / "test-data"
    missing = []
    for path in TOOL_XMLS:
        for node in load_tool(path).find("tests").iter():
            value = node.get("file") or (node.get("value") if node.tag == "param" else None)
            if node.tag in ("output", "element") and node.get("file"):
                value = node.get("file")
            elif node.tag == "element" and node.get("value"):
                value = node.get("value")
            elif node.tag == "param" and node.get("ftype"):
                value = node.get("value")
            else:
                continue
            for part in value.split(","):
                if not (test_data / part).is_file():
                    missing.append(f"{path.name}: {part}")
    assert not missing, missing
