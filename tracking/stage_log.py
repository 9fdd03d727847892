"""Log a stage's output folder to its MLflow run, by the files the stage contracts name.

- metrics.jsonl (train): one metric history per key, by step
- summary.json (train), manifest.json (augment): numbers as metrics, the file as an artifact
- results.json (eval): accuracy / ci_low / ci_high / n / chance per split, costs
- report.md, *.png: artifacts
- augmentation shards: a dataset input with digest, plus sample records as an artifact
- model/: referenced (path + digest of its config and weights index), not uploaded
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, Dict, List, Optional

from augft.core.artifacts import AugmentOutput, EvalOutput, EvalResults, SplitStats, TrainOutput, encode
from augft.core.errors import AugftError
from augft.core.mappings import flatten
from augft.tracking.digests import file_digest, tree_digest
from augft.tracking.runs import RunHandle

log = logging.getLogger(__name__)
SAMPLE_AUGMENTATIONS = 20


def _read(path: Path, reader: Callable[[], object]):
    """A stage's typed file, or None (logged) when it cannot be read: tracking never fails a stage."""
    try:
        return reader()
    except (OSError, AugftError) as exc:
        log.warning("tracking: cannot read %s: %s", path, exc)
        return None


def read_metric_rows(path: Path) -> List[dict]:
    rows = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                log.warning("tracking: skipping a malformed line in %s", path)
    return rows


def split_metrics(splits: Dict[str, SplitStats]) -> Dict[str, float]:
    """{split: stats} -> {"accuracy.split": ...} (the keys `augft compare` reads)."""
    out = {}
    for split, m in splits.items():
        for k in ("accuracy", "ci_low", "ci_high", "n", "chance"):
            if getattr(m, k) is not None:
                out[f"{k}.{split}"] = getattr(m, k)
    return out


def log_results(run: RunHandle, results: EvalResults, condition: Optional[str] = None) -> None:
    """results.json: per-split metrics of one condition (or all, prefixed by condition)."""
    conds = results.conditions
    for cond, body in conds.items():
        if condition is not None and cond != condition and len(conds) > 1:
            continue
        prefix = "" if (condition is not None or len(conds) == 1) else f"{cond}/"
        run.log_metrics({prefix + k: v for k, v in split_metrics(body.splits).items()})
    costs = flatten(encode(results.costs))
    run.log_metrics({f"cost.{k}": v for k, v in costs.items()})


def log_model_ref(run: RunHandle, model_dir: Path) -> None:
    """Reference an exported model (path + digest of its small files) without uploading weights."""
    small = [p for p in sorted(model_dir.glob("*")) if p.is_file() and p.stat().st_size < 50_000_000]
    ref = {"path": str(model_dir.resolve()),
           "files": {p.name: file_digest(p)[:16] for p in small},
           "bytes": sum(p.stat().st_size for p in model_dir.glob("*") if p.is_file())}
    run.set_tags({"augft.model_path": ref["path"]})
    run.log_dict(ref, "model_ref.json")


def log_augmentations(run: RunHandle, aug_dir: Path, n_samples: int = SAMPLE_AUGMENTATIONS,
                      context: str = "output") -> None:
    """Each strategy's shards as a dataset (the augment stage's output; a training input of
    the train stage), plus a few records to read in the UI."""
    if not run.active:  # tracking off: skip reading and hashing the files
        return
    from augft.core.records import to_dict

    out = AugmentOutput(aug_dir)
    for strategy in out.strategies():
        shards = out.shards(strategy)
        if not shards:
            continue
        samples, total = [], 0
        for rec in out.iter_records([strategy]):
            total += 1
            if len(samples) < n_samples:
                samples.append(to_dict(rec))
        sdir = out.strategy_dir(strategy)
        run.log_dataset(sdir, f"augmentations[{strategy}]", context,
                        digest=tree_digest(sdir, ["part-*.parquet"]),
                        profile={"num_rows": total, "shards": len(shards)})
        if n_samples <= 0:
            continue
        run.log_text("\n".join(json.dumps(s, ensure_ascii=False) for s in samples) + "\n",
                     f"samples/{strategy}.jsonl")


def round_rows(aug_dir: Path) -> List[dict]:
    """Per-round counts of the strategies that run in rounds (compose), one row per round with
    `step` = the round: the manifest's (prompts, kept, dropped by reason, tokens) under
    `rounds.<strategy>.`, and the checker's (true, false, targets stated, cumulative) under
    `rounds.<strategy>.quality.` when quality.json is there."""
    out = AugmentOutput(aug_dir)
    quality = out.quality().strategies
    rows: Dict[int, dict] = {}
    for strategy, entry in out.manifest().strategies.items():
        for r in entry.rounds:
            row = rows.setdefault(r.round, {"step": r.round})
            row.update({f"rounds.{strategy}.{k}": v for k, v in flatten(encode(r)).items() if k != "round"})
        for r in (quality[strategy].rounds if strategy in quality else []):
            row = rows.setdefault(r.round, {"step": r.round})
            row.update({f"rounds.{strategy}.quality.{k}": v for k, v in flatten(encode(r)).items() if k != "round"})
    return [rows[k] for k in sorted(rows)]


def log_rounds(run: RunHandle, aug_dir: Path) -> None:
    """An augment folder's per-round counts as metric histories (step = round), and quality.json."""
    if not run.active:
        return
    run.log_metric_rows(round_rows(aug_dir))
    q = AugmentOutput(aug_dir).quality_path
    if q.is_file():
        run.log_artifact(q)


def log_data_dir(run: RunHandle, data_dir: Path, stems=("corpus", "questions", "oracle")) -> None:
    """corpus.* as a training dataset, questions.* as an evaluation dataset, with digests."""
    if not run.active:  # tracking off: skip reading and hashing the files
        return
    contexts = {"corpus": "training", "questions": "evaluation", "oracle": "oracle"}
    for stem, context in ((s, contexts[s]) for s in stems):
        for suffix in (".jsonl", ".parquet"):
            p = data_dir / f"{stem}{suffix}"
            if p.is_file():
                rows = sum(1 for _ in p.open("rb")) if suffix == ".jsonl" else None
                run.log_dataset(p, f"{data_dir.name}/{p.name}", context,
                                profile={"num_rows": rows} if rows is not None else {})
                break
    bench = data_dir / "benchmark.json"
    if bench.is_file() and "questions" in stems:
        run.log_artifact(bench, "data")


def _is_targets(out_dir: Path) -> bool:
    """Whether a stage folder's manifest.json is a teacher-target manifest (it names top_k)."""
    p = out_dir / "manifest.json"
    try:
        return p.is_file() and "top_k" in json.loads(p.read_text())
    except (OSError, ValueError):
        return False


def log_stage_dir(run: RunHandle, out_dir: Path, condition: Optional[str] = None) -> None:
    """Log whatever contract files a stage folder holds (missing ones are skipped)."""
    if not run.active or not out_dir.is_dir():
        return
    metrics = out_dir / "metrics.jsonl"
    if metrics.is_file():
        run.log_metric_rows(read_metric_rows(metrics))
        run.log_artifact(metrics)
    from augft.core.targets import TargetsOutput

    # a teacher-target folder's manifest.json is of its own kind (core/targets.py)
    manifest = TargetsOutput(out_dir).manifest if _is_targets(out_dir) else AugmentOutput(out_dir).manifest
    files = ((TrainOutput(out_dir).summary_path, TrainOutput(out_dir).summary),
             (AugmentOutput(out_dir).manifest_path, manifest))
    augment_manifest = None
    for p, reader in files:
        if p.is_file():
            obj = _read(p, reader)
            if obj is not None:
                run.log_metrics({f"{p.stem}.{k}": v for k, v in flatten(encode(obj)).items()})
                augment_manifest = obj if p.name == "manifest.json" and hasattr(obj, "strategies") else augment_manifest
            run.log_artifact(p)
    results = EvalOutput(out_dir)
    if results.results_path.is_file():
        obj = _read(results.results_path, results.results)
        if obj is not None:
            log_results(run, obj, condition)
        run.log_artifact(results.results_path)
    for pattern in ("*.md", "*.png", "predictions.jsonl", "resolved_config.yaml"):
        for p in sorted(out_dir.glob(pattern)):
            run.log_artifact(p)
    if (out_dir / "model" / "config.json").is_file():
        log_model_ref(run, out_dir / "model")
    if augment_manifest is not None and any(out_dir.glob("*/part-*.parquet")):
        log_augmentations(run, out_dir)
    if augment_manifest is not None and any(e.rounds for e in augment_manifest.strategies.values()):
        log_rounds(run, out_dir)
    if (out_dir / "corpus.jsonl").is_file() or (out_dir / "corpus.parquet").is_file():
        log_data_dir(run, out_dir)
