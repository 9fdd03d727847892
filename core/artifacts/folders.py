"""The folders stages hand each other, each with one reader/writer of its typed files.

- augment output: `manifest.json` (Manifest), `quality.json` (Quality) and
  `<strategy>/part-*.parquet` shards of Augmentation records;
- train output: `summary.json` (TrainSummary), `metrics.jsonl` and the exported `model/`;
- eval output: `results.json` (EvalResults), `predictions.jsonl`, `report.md`.

A stage never opens another stage's files by name: it goes through these classes, so a
layout change happens here and nowhere else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

from augft.core.artifacts.codec import ArtifactError, encode, read_typed
from augft.core.artifacts.eval_results import ConditionSummary, EvalResults
from augft.core.artifacts.manifest import Manifest
from augft.core.artifacts.quality import Quality
from augft.core.artifacts.study import StageSpend
from augft.core.artifacts.train_summary import TrainSummary
from augft.core.io import atomic_write_json
from augft.core.records import Augmentation, iter_parquet

MANIFEST = "manifest.json"
SUMMARY = "summary.json"
RESULTS = "results.json"
SPEND = "spend.json"


def write_artifact(path: Path, obj, indent: Optional[int] = 2) -> Path:
    """The one writer of the stages' JSON artifacts (typed values, schema included)."""
    return atomic_write_json(path, encode(obj), indent=indent)


def artifact_json(obj) -> str:
    """A typed artifact as the JSON text `write_artifact` writes (for object stores)."""
    return json.dumps(encode(obj), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class AugmentOutput:
    """An `augft augment` output folder."""
    dir: Path

    @property
    def manifest_path(self) -> Path:
        return Path(self.dir) / MANIFEST

    @property
    def quality_path(self) -> Path:
        return Path(self.dir) / "quality.json"

    def finished(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> Manifest:
        return read_typed(self.manifest_path, Manifest, "augmentation manifest")

    def write_manifest(self, manifest: Manifest) -> Path:
        return write_artifact(self.manifest_path, manifest)

    def quality(self) -> Quality:
        """Checker verdicts per strategy (written beside the manifest by the orchestrator;
        empty for user data, which has no exact checker)."""
        if not self.quality_path.is_file():
            return Quality()
        return read_typed(self.quality_path, Quality, "augmentation quality")

    def write_quality(self, quality: Quality) -> Path:
        return write_artifact(self.quality_path, quality)

    def strategy_dir(self, strategy: str) -> Path:
        """Where a strategy's shards are: its manifest entry's folder (a chain's), else its name."""
        entry = self.manifest().strategies.get(str(strategy)) if self.finished() else None
        return Path(self.dir) / (entry.folder if entry is not None and entry.folder else str(strategy))

    def strategies(self) -> List[str]:
        """Strategies in the manifest, else the folders holding shards."""
        if self.finished():
            return list(self.manifest().strategies)
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
        entries = self.manifest().strategies
        if str(strategy) not in entries:
            raise ArtifactError(f"{self.manifest_path}: no strategy '{strategy}' (has {sorted(entries)})")
        paths = [p if p.is_absolute() else sdir / p for p in map(Path, entries[str(strategy)].shards)]
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

    def summary(self) -> TrainSummary:
        return read_train_summary(self.summary_path)

    def write_summary(self, summary: TrainSummary) -> Path:
        return write_artifact(self.summary_path, summary, indent=1)


def read_stage_spend(folder: Path) -> Optional[StageSpend]:
    """What the study recorded a stage folder has spent (None: nothing recorded yet)."""
    path = Path(folder) / SPEND
    return read_typed(path, StageSpend, "stage spend") if path.is_file() else None


def write_stage_spend(folder: Path, spend: StageSpend) -> Path:
    return write_artifact(Path(folder) / SPEND, spend)


def read_train_summary(path: Path) -> TrainSummary:
    """A train summary.json, wherever it lies (the cost config may name any copy of one)."""
    return read_typed(Path(path), TrainSummary, "train summary")


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

    def results(self) -> EvalResults:
        return read_typed(self.results_path, EvalResults, "eval results")

    def write_results(self, results: EvalResults) -> Path:
        return write_artifact(self.results_path, results)

    @property
    def predictions_dir(self) -> Path:
        """Where scoring on Ray writes its predictions, one Parquet part per batch and condition."""
        return Path(self.dir) / "predictions"

    def predictions(self) -> Iterator[dict]:
        """Prediction rows (one per condition and question): predictions.jsonl, or the Parquet
        parts scoring on Ray wrote."""
        if self.predictions_path.is_file():
            with open(self.predictions_path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
            return
        import pyarrow.parquet as pq

        for part in sorted(self.predictions_dir.glob("part-*.parquet")):
            for row in pq.read_table(part).to_pylist():
                yield {**row, "by_scoring": json.loads(row["by_scoring"])}

    def condition(self, label: str) -> ConditionSummary:
        """One condition's results: by label, else the only one in the file."""
        conds = self.results().conditions
        if label in conds:
            return conds[label]
        if len(conds) == 1:
            return next(iter(conds.values()))
        raise ArtifactError(f"{self.results_path}: no condition '{label}' (has {sorted(conds)})")

    def split_accuracy(self, label: str, split: str) -> float:
        splits = self.condition(label).splits
        if split not in splits:
            raise ArtifactError(f"{self.results_path}: condition '{label}' has no split '{split}'")
        return float(splits[split].accuracy)
