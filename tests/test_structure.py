"""The rules of the tree, checked: who may import whom, function length, what gets installed.

- core imports no stage; no stage (augment, train, eval, tracking, ingest) imports another
  stage or the orchestrator (cluster); cluster may import everything.
- no function outside tests/ is longer than 60 lines.
- every package folder is installed under the augft namespace (pyproject lists it).
- what a stage is asked to do travels in its typed request (AugmentRequest, TrainRequest,
  EvalRequest), never by writing it into a config: no code assigns those config keys.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from helpers import REPO

STAGES = ("augment", "train", "eval", "tracking", "ingest")
PACKAGES = ("core", *STAGES, "cluster")
MAX_LINES = 60


def _sources(*folders: str):
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py")) if (REPO / folder).is_dir() else []


def _augft_imports(path: Path):
    """(line, top-level augft package) of every `augft.X` import in a file, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "augft" else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "augft" and len(parts) > 1:
                yield node.lineno, parts[1]


def _allowed(owner: str) -> set:
    if owner == "core":
        return {"core"}
    if owner == "cluster":
        return set(PACKAGES)
    return {"core", owner}


@pytest.mark.parametrize("owner", PACKAGES)
def test_import_contracts(owner):
    bad = [f"{p.relative_to(REPO)}:{line} imports augft.{target}"
           for p in _sources(owner) for line, target in _augft_imports(p) if target not in _allowed(owner)]
    assert not bad, "import contract broken:\n" + "\n".join(bad)


def test_no_function_over_60_lines():
    long = []
    for p in _sources(*PACKAGES, "benchmarks", "k8s"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES:
                    long.append(f"{p.relative_to(REPO)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, "functions over 60 lines:\n" + "\n".join(long)


def test_every_package_is_installed_under_augft():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    mapping = conf["package-dir"]
    found = set()
    for pkg, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([pkg, *rel.parts]))
    assert found == listed, f"not listed in pyproject: {sorted(found - listed)}; listed but missing: " \
                            f"{sorted(listed - found)}"


# The config keys a request carries (augment/request.py, train/request.py, eval/request.py).
REQUEST_KEYS = {("augment", "strategies"), ("train", "mix"), ("train", "augmentations"), ("train", "resume"),
                ("train", "targets"),
                ("eval", "conditions"), ("eval", "models"), ("eval", "splits"), ("eval", "costs")}


def _assigned_keys(path: Path):
    """(line, (section, key)) of every assignment to `<x>.<section>.<key>` (or deeper) in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            chain = []
            while isinstance(t, ast.Attribute):
                chain.append(t.attr)
                t = t.value
            chain.reverse()
            for a, b in zip(chain, chain[1:]):
                yield node.lineno, (a, b)


def test_requests_not_config_edits_carry_what_a_stage_is_asked():
    bad = [f"{p.relative_to(REPO)}:{line}: sets {a}.{b}" for p in _sources(*PACKAGES)
           for line, (a, b) in _assigned_keys(p) if (a, b) in REQUEST_KEYS]
    assert not bad, "pass a typed request instead:\n" + "\n".join(bad)


# The stages' exchanged JSON files, typed and owned by core/artifacts.
ARTIFACT_FILES = ("manifest.json", "summary.json", "results.json", "quality.json")
JSON_IO = ("json.load", "json.dump", "atomic_write_json", "write_json(", "read_json(")


def _artifact_io(path: Path):
    """(line, text) of lines that read or write an artifact file as raw JSON."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if any(f'"{name}"' in line for name in ARTIFACT_FILES) and any(io in line for io in JSON_IO):
            yield i, line.strip()


def test_artifact_json_goes_through_core_artifacts():
    """Manifests, train summaries, eval and study results are built, written and read as typed
    values by core/artifacts (which names the file and field of a bad one); nothing opens them
    as raw JSON, so their shape is defined once."""
    bad = [f"{p.relative_to(REPO)}:{line}: {text}" for p in _sources(*PACKAGES, "benchmarks", "tests")
           if "core/artifacts" not in p.as_posix() and p.name != "test_structure.py"
           for line, text in _artifact_io(p)]
    assert not bad, "use core.artifacts' typed readers and writers:\n" + "\n".join(bad)


def _deepcopies_of_cfg(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "deepcopy" \
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "cfg":
            yield node.lineno


def test_no_config_copied_to_be_edited_outside_the_cli():
    """A changed setting goes through load_config (merged and checked, the key blamed); a stage's
    work goes in its request. Copying the config to edit it skips both."""
    bad = [f"{p.relative_to(REPO)}:{line}" for p in _sources(*PACKAGES) if p.name != "cli.py"
           for line in _deepcopies_of_cfg(p)]
    assert not bad, "copy.deepcopy(cfg) outside the CLI:\n" + "\n".join(bad)


# A stage's entry point: its request (what) and its settings (how), never the root config.
ENTRY_POINTS = {"augment/api.py": ("augment_request", "AugmentRequest", "AugmentSettings"),
                "train/api.py": ("train_request", "TrainRequest", "TrainSettings"),
                "eval/api.py": ("evaluate_request", "EvalRequest", "EvalSettings")}
ROOT_SECTIONS = {"augment", "train", "eval", "benchmark", "ingest", "questions", "tracking", "pipeline", "cluster",
                 "model", "report"}
READS = {"augment": {"augment", "model", "cluster"}, "train": {"train", "model", "cluster"},
         "eval": {"eval", "model", "cluster", "report"}}


@pytest.mark.parametrize("path", sorted(ENTRY_POINTS))
def test_stage_entry_point_takes_its_request_and_settings(path):
    name, request, settings = ENTRY_POINTS[path]
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)
    hints = [ast.unparse(a.annotation) if a.annotation else "" for a in fn.args.args[:2]]
    assert hints == [request, settings], f"{path}: {name}{tuple(hints)}"


def _sections_read(path: Path):
    """(line, section) of every `cfg.<section>` / `settings.<section>` read of a root section."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in ("cfg", "settings") and node.attr in ROOT_SECTIONS:
            yield node.lineno, node.attr


@pytest.mark.parametrize("stage", sorted(READS))
def test_a_stage_reads_only_the_sections_its_settings_hold(stage):
    """Settings views hold only these sections; code that reached for another one would fail
    only when it runs. (eval/datasets and eval/questions are the benchmark and questions
    commands' code, with their own sections.)"""
    skip = ("eval/datasets/", "eval/questions/")
    bad = [f"{p.relative_to(REPO)}:{line}: .{sec}" for p in _sources(stage)
           if not any(s in p.relative_to(REPO).as_posix() for s in skip)
           for line, sec in _sections_read(p) if sec not in READS[stage]]
    assert not bad, f"{stage} reads config sections its settings do not hold:\n" + "\n".join(bad)
