"""The README's and docs' command blocks run as written, against a tiny corpus.

What runs: every ```bash block of README.md and docs/*.md, and the `$ ` lines of a transcript
block (a plain ``` block whose commands start with `$ `, as in own-documents.md's measured
walk-through). The rule that makes them fast and model-free, applied to every command:

- `configs/quickstart.yaml` becomes `configs/tiny.yaml`, and an `augft <stage>` without
  `--config` gets `--config configs/tiny.yaml` (the tiny random model: seconds per stage, no
  embedded model);
- `augft questions` gets `questions.filter=false` (a random model cannot judge what a question
  tests; the keep rule has its own tests);
- each ```bash block runs in a fresh folder holding `configs/` (the repository's), `my-docs/`
  and `mixed/` (a few text files from the tiny `people` benchmark), with augft's `python` and
  `augft` first on PATH; a transcript block continues in the folder of the ```bash block above it;
- a block that needs what a test machine lacks is skipped, by a reason listed in SKIP: `make`
  (the project's own entry points: CI runs them), `kubectl`/`docker` (a Kubernetes cluster),
  `ray start` (a Ray cluster; `augft submit` has its own tests on a real local cluster).
"""
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import List

import pytest

from helpers import REPO

SKIP = {"make ": "the project's entry points (CI runs them)", "kubectl ": "needs a Kubernetes cluster",
        "docker ": "needs Docker and a registry", "pip ": "installs into the environment (make setup does it)", "ray start": "needs a Ray cluster (tests/cluster)"}
STAGES = ("benchmark", "ingest", "questions", "augment", "train", "eval", "run", "sweep")
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.S | re.M)


@dataclass
class Block:
    where: str
    """file:line of the block's fence."""
    commands: List[str]
    transcript: bool


HEREDOC = re.compile(r"<<-?'?(\w+)'?")


def _joined(lines: List[str]) -> List[str]:
    """Lines with their backslash continuations joined; a heredoc stays one command."""
    out: List[str] = []
    until = None  # the open heredoc's delimiter
    for line in lines:
        if out and (until or out[-1].endswith("\\")):
            out[-1] = out[-1] + "\n" + line
            until = None if line.strip() == until else until
            continue
        out.append(line)
        m = HEREDOC.search(line)
        until = m.group(1) if m else None
    return [c for c in out if c.strip() and not c.lstrip().startswith("#")]


def _transcript(body: str) -> List[str]:
    lines, keep = [], False
    for line in body.splitlines():
        if line.startswith("$ "):
            lines.append(line[2:])
            keep = line.endswith("\\")
        elif keep:
            lines.append(line)
            keep = line.endswith("\\")
    return _joined(lines)


def blocks(path: Path) -> List[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        where = f"{path.relative_to(REPO)}:{text[:m.start()].count(chr(10)) + 1}"
        body = textwrap.dedent(m.group(2))  # blocks inside list items are indented
        if m.group(1) == "bash":
            out.append(Block(where, _joined(body.splitlines()), False))
        elif m.group(1) == "" and re.search(r"^\$ augft ", body, re.M):
            out.append(Block(where, _transcript(body), True))
    return out


def tiny(command: str) -> str:
    """The documented rule: the tiny config and model instead of the embedded ones."""
    command = command.replace("configs/quickstart.yaml", "configs/tiny.yaml")
    m = re.match(r"(augft (%s))\b" % "|".join(STAGES), command)
    if m and "--config" not in command:
        command = f"{m.group(1)} --config configs/tiny.yaml{command[m.end():]}"
    if command.startswith("augft questions"):
        command = command.replace("augft questions", "augft questions questions.filter=false", 1)
    return command


def _skip_reason(block: Block):
    return next((why for key, why in SKIP.items() for c in block.commands if key in c), None)


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ALL = [b for d in DOCS for b in blocks(d)]


def _seed(folder: Path, people: Path) -> None:
    (folder / "configs").symlink_to(REPO / "configs")
    import json

    for name in ("my-docs", "mixed"):
        (folder / name).mkdir()
        for i, line in enumerate((people / "corpus.jsonl").read_text().splitlines()[:24]):
            (folder / name / f"doc{i:02d}.txt").write_text(json.loads(line)["text"] + "\n")


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    d = tmp_path_factory.mktemp("people")
    r = subprocess.run([str(Path(sys.executable).parent / "augft"), "benchmark", "--config",
                        str(REPO / "configs/tiny.yaml"), "--out", str(d)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d


def test_blocks_are_found_and_rewritten_by_the_rule():
    wheres = [b.where for b in ALL]
    assert any(w.startswith("README.md") for w in wheres) and any("own-documents.md" in w for w in wheres)
    walk = [b for b in ALL if b.transcript and any("augft run" in c for c in b.commands)]
    assert walk and "pipeline.conditions" in walk[0].commands[-1]
    assert tiny("augft run --config configs/quickstart.yaml --out x") == "augft run --config configs/tiny.yaml --out x"
    assert tiny("augft questions --data d") == ("augft questions questions.filter=false --config "
                                                 "configs/tiny.yaml --data d")
    assert tiny("augft compare") == "augft compare" and tiny("mkdir x") == "mkdir x"


@pytest.mark.slow
def test_every_command_block_runs(tmp_path, people):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    folder, ran, skipped = None, [], []
    for i, block in enumerate(ALL):
        if _skip_reason(block):
            skipped.append(block.where)
            continue
        if not block.transcript or folder is None:
            folder = tmp_path / f"block{i}"
            folder.mkdir()
            _seed(folder, people)
        for command in block.commands:
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", tiny(command)], cwd=folder, env=env,
                               capture_output=True, text=True, timeout=600)
            assert r.returncode == 0, f"{block.where}: {tiny(command)}\n{r.stdout[-1500:]}\n{r.stderr[-3000:]}"
            ran.append(block.where)
    assert {w.split(":")[0] for w in ran} >= {"README.md", "docs/own-documents.md", "docs/formats.md"}, skipped
