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
        samples: List[dict] = []
        total = 0
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
        for q in (quality[strategy].rounds if strategy in quality else []):
            row = rows.setdefault(q.round, {"step": q.round})
            row.update({f"rounds.{strategy}.quality.{k}": v for k, v in flatten(encode(q)).items() if k != "round"})
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


def _log_typed(run: RunHandle, path: Path, reader: Callable[[], object]):
    """A stage's typed contract file as `<stem>.<key>` metrics plus the file; returns the object."""
    if not path.is_file():
        return None
    obj = _read(path, reader)
    if obj is not None:
        run.log_metrics({f"{path.stem}.{k}": v for k, v in flatten(encode(obj)).items()})
    run.log_artifact(path)
    return obj


def _log_train(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    metrics = out_dir / "metrics.jsonl"
    out = TrainOutput(out_dir)
    summary = _log_typed(run, out.summary_path, out.summary)
    if metrics.is_file():
        # The training loop logged them to this run as it went (train.log_every).
        if summary is None or summary.metrics_run != run.run_id:
            run.log_metric_rows(read_metric_rows(metrics))
        run.log_artifact(metrics)
    if (out_dir / "model" / "config.json").is_file():
        log_model_ref(run, out_dir / "model")


def _log_augment(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    out = AugmentOutput(out_dir)
    manifest = _log_typed(run, out.manifest_path, out.manifest)
    if manifest is None:
        return
    if any(out_dir.glob("*/part-*.parquet")):
        log_augmentations(run, out_dir)
    if any(e.rounds for e in manifest.strategies.values()):
        log_rounds(run, out_dir)


def _log_targets(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    from augft.core.targets import TargetsOutput

    out = TargetsOutput(out_dir)
    _log_typed(run, out.manifest_path, out.manifest)


def _log_eval(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    out = EvalOutput(out_dir)
    if out.results_path.is_file():
        obj = _read(out.results_path, out.results)
        if obj is not None:
            log_results(run, obj, condition)
        run.log_artifact(out.results_path)
    if out.predictions_path.is_file():
        run.log_artifact(out.predictions_path)


def _log_data(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    log_data_dir(run, out_dir)


def _log_nothing_more(run: RunHandle, out_dir: Path, condition: Optional[str]) -> None:
    """A retrieval index: its folder's report and config are the common artifacts."""


# One reader per stage kind (the study's StageSpec.kind): a folder's files are read as the
# contract of the stage that wrote it, never guessed from their contents.
_BY_KIND: Dict[str, Callable[[RunHandle, Path, Optional[str]], None]] = {
    "train": _log_train, "augment": _log_augment, "targets": _log_targets, "eval": _log_eval,
    "data": _log_data, "benchmark": _log_data, "index": _log_nothing_more}
STAGE_KINDS = tuple(_BY_KIND)


def log_stage_dir(run: RunHandle, out_dir: Path, kind: str, condition: Optional[str] = None) -> None:
    """Log the contract files of a stage folder of the given kind (missing ones are skipped),
    plus its reports, plots and resolved config."""
    if kind not in _BY_KIND:
        raise ValueError(f"unknown stage kind {kind!r}; expected one of {', '.join(STAGE_KINDS)}")
    if not run.active or not out_dir.is_dir():
        return
    _BY_KIND[kind](run, out_dir, condition)
    for pattern in ("*.md", "*.png", "resolved_config.yaml"):
        for p in sorted(out_dir.glob(pattern)):
            run.log_artifact(p)
