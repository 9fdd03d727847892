"""The folders stages hand each other, each with one reader/writer.

- augment output: `manifest.json` plus `<strategy>/part-*.parquet` shards of Augmentation
  records (written by augment, read by train, tracking, eval's cost model, the study);
- train output: `summary.json`, `metrics.jsonl` and the exported `model/` (written by
  train, read by eval's cost model, tracking and the study);
- eval output: `results.json`, `predictions.jsonl`, `report.md` (written by eval, read by
  tracking, sweeps and the study's report).

A stage never opens another stage's files by name: it goes through these classes, so a
layout change happens here and nowhere else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.core.records import Augmentation, iter_parquet

MANIFEST = "manifest.json"
SUMMARY = "summary.json"
RESULTS = "results.json"
# Token counts in an augment manifest: strategies.<name>[.<phase>].{prompt,completion}_tokens.
TOKEN_KEYS = ("prompt_tokens", "completion_tokens")


class ArtifactError(AugftError):
    """A stage output folder is missing a file or holds a malformed one."""


def read_json(path: Path, what: str) -> dict:
    """A JSON object from `path`; errors name the file (and line) and what it should be."""
    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"{p}: no {what} here (the stage has not finished, or the folder is wrong)")
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg}); expected {what}") from None
    if not isinstance(obj, dict):
        raise ArtifactError(f"{p}: expected a JSON object ({what})")
    return obj


@dataclass(frozen=True)
class AugmentOutput:
    """An `augft augment` output folder."""
    dir: Path

    @property
    def manifest_path(self) -> Path:
        return Path(self.dir) / MANIFEST

    def finished(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict:
        m = read_json(self.manifest_path, "augmentation manifest")
        if not isinstance(m.get("strategies"), dict):
            raise ArtifactError(f"{self.manifest_path}: not an augmentation manifest (no 'strategies')")
        return m

    def write_manifest(self, manifest: dict) -> Path:
        return atomic_write_json(self.manifest_path, manifest)

    @property
    def quality_path(self) -> Path:
        return Path(self.dir) / "quality.json"

    def quality(self) -> dict:
        """Checker verdicts per strategy (written beside the manifest by the orchestrator;
        {} for user data, which has no exact checker)."""
        return read_json(self.quality_path, "augmentation quality") if self.quality_path.is_file() else {}

    def write_quality(self, quality: dict) -> Path:
        return atomic_write_json(self.quality_path, quality)

    def strategy_dir(self, strategy: str) -> Path:
        return Path(self.dir) / str(strategy)

    def strategies(self) -> List[str]:
        """Strategies in the manifest, else the folders holding shards."""
        if self.finished():
            return list(self.manifest()["strategies"])
        root = Path(self.dir)
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("part-*.parquet")))

    def shards(self, strategy: str) -> List[Path]:
        """A strategy's shard files: the manifest's list (names relative to the strategy folder,
        every one must exist), or the folder's `part-*.parquet` without a manifest."""
        sdir = self.strategy_dir(strategy)
        if not self.finished():
            return sorted(sdir.glob("part-*.parquet"))
        entry = self.manifest()["strategies"].get(str(strategy))
        if entry is None:
            raise ArtifactError(f"{self.manifest_path}: no strategy '{strategy}' "
                                f"(has {sorted(self.manifest()['strategies'])})")
        paths = [p if p.is_absolute() else sdir / p for p in map(Path, entry.get("shards", []))]
        for p in paths:
            if not p.is_file():
                raise ArtifactError(f"{self.manifest_path}: strategy '{strategy}' lists shard {p}, which is missing")
        return paths

    def iter_records(self, strategies: Optional[Sequence[str]] = None) -> Iterator[Augmentation]:
        for name in (list(strategies) if strategies else self.strategies()):
            for shard in self.shards(name):
                yield from iter_parquet(shard, Augmentation)

    def records(self, strategies: Optional[Sequence[str]] = None) -> List[Augmentation]:
        return list(self.iter_records(strategies))

    def token_count(self) -> int:
        """Prompt plus completion tokens the augmentation run generated or read (all phases)."""
        total = 0

        def walk(node):
            nonlocal total
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in TOKEN_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool):
                        total += int(v)
                    else:
                        walk(v)
        walk(self.manifest()["strategies"])
        return total

    def generator_params(self) -> Optional[int]:
        """Parameter count of the model that wrote the augmentations, when the manifest has it."""
        v = self.manifest().get("model_params")
        return int(v) if isinstance(v, (int, float)) and v > 0 else None


@dataclass(frozen=True)
class TrainOutput:
    """An `augft train` output folder."""
    dir: Path

    @property
    def summary_path(self) -> Path:
        return Path(self.dir) / SUMMARY

    @property
    def model_dir(self) -> Path:
        return Path(self.dir) / "model"

    @property
    def metrics_path(self) -> Path:
        return Path(self.dir) / "metrics.jsonl"

    def summary(self) -> dict:
        return read_train_summary(self.summary_path)

    def write_summary(self, summary: dict) -> Path:
        return atomic_write_json(self.summary_path, summary, indent=1)

    def train_flops(self) -> float:
        return summary_train_flops(self.summary_path)


def read_train_summary(path: Path) -> dict:
    """A train summary.json, wherever it lies (the cost config may name any copy of one)."""
    return read_json(Path(path), "train summary")


def summary_train_flops(path: Path) -> float:
    v = read_train_summary(path).get("train_flops")
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise ArtifactError(f"{path}: no numeric 'train_flops' in this train summary")
    return float(v)


@dataclass(frozen=True)
class EvalOutput:
    """An `augft eval` output folder."""
    dir: Path

    @property
    def results_path(self) -> Path:
        return Path(self.dir) / RESULTS

    @property
    def predictions_path(self) -> Path:
        return Path(self.dir) / "predictions.jsonl"

    @property
    def report_path(self) -> Path:
        return Path(self.dir) / "report.md"

    def results(self) -> dict:
        return read_json(self.results_path, "eval results")

    def write_results(self, results: dict) -> Path:
        return atomic_write_json(self.results_path, results)

    def predictions(self) -> Iterator[dict]:
        """Rows of predictions.jsonl (one per condition and question)."""
        with open(self.predictions_path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def condition(self, label: str) -> dict:
        """One condition's results: by label, else the only one in the file."""
        conds = self.results().get("conditions", {})
        if label in conds:
            return conds[label]
        if len(conds) == 1:
            return next(iter(conds.values()))
        raise ArtifactError(f"{self.results_path}: no condition '{label}' (has {sorted(conds)})")

    def split_accuracy(self, label: str, split: str) -> float:
        splits = self.condition(label).get("splits", {})
        if split not in splits:
            raise ArtifactError(f"{self.results_path}: condition '{label}' has no split '{split}'")
        return float(splits[split]["accuracy"])

