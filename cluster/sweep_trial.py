"""One Ray Tune trial of `augft sweep`: augment (cached, shared between trials) -> train
one epoch at a time -> report validation accuracy after each epoch (ASHA's rungs).

Every trial attempt is an MLflow run under the sweep's parent run; a failed attempt
is marked FAILED there before Ray Tune retries it, so nothing is lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional

from augft.cluster.stages import (StageFns, StageResult, augment_stages, eval_stage, index_stage, targets_stage,
                                  train_stage)
from augft.core.artifacts import EvalOutput
from augft.core.conditions import Condition
from augft.core.config.train import Split
from omegaconf import DictConfig


@dataclass
class SweepContext:
    """Everything a trial needs, shipped to the Ray worker (picklable)."""
    cfg: DictConfig
    data: StageResult
    cache: Path
    """Stage cache shared by all trials (absolute: Tune changes a trial's working dir)."""
    val_split: str
    tracking_uri: Optional[str] = None
    experiment: str = "augft"
    tags: Dict[str, str] = field(default_factory=dict)
    parent_run_id: Optional[str] = None
    fns: Optional[StageFns] = None


def trial_cfg(cfg, params: dict):
    """The study config with a trial's sampled values applied (merged and checked as the
    command line's overrides are)."""
    from augft.core.config import load_config

    # one epoch per rung; the next rung continues from this model
    return load_config(None, [f"augment.num_candidates={int(params['num_candidates'])}",
                              f"augment.temperature={float(params['temperature'])}",
                              f"train.split={Split(str(params['split']))}", "train.epochs=1.0", "train.max_steps=0"],
                       base=cfg)


def weights(params: dict) -> Dict[str, float]:
    return {k[2:]: float(v) for k, v in params.items() if k.startswith("w_") and float(v) > 0}


def condition_for(w: Dict[str, float], method: str = "aug_ft", rag: bool = False) -> Condition:
    """The trial's condition: aug_ft[...] (ft without strategies) or distill[...], with +rag."""
    c = Condition.fine_tuned(tuple(w))
    if str(method) == "distill":
        c = Condition("distill[" + "+".join(w) + "]" if w else "distill", False, tuple(w))
    return Condition(c.trained, False, c.strategies, "" if rag else None)


def trial_condition(cfg, w: Dict[str, float]) -> Condition:
    s = cfg.pipeline.sweep
    return condition_for(w, str(s.method), bool(s.rag))


@dataclass
class TrialStages:
    """What every rung of a trial shares: augmentations, teacher targets (distill), the index (rag)."""
    augs: Dict[str, StageResult]
    targets: Optional[Dict[str, StageResult]] = None
    index: Optional[StageResult] = None


def trial_stages(cfg, cond: Condition, data: StageResult, cache: Path, fns: StageFns) -> TrialStages:
    with fns.keep_engines():  # the trial's strategies share one teacher start
        augs = augment_stages(cfg, cond.strategies, data, cache, fns)
    targets = {s: targets_stage(cfg, s, data, augs, cache, fns) for s in ("corpus", *cond.strategies)} \
        if cond.distill else None
    r = cond.retriever(str(cfg.eval.rag.retriever))
    return TrialStages(augs, targets, index_stage(cfg, r, data, cache) if r else None)


def _train_flops(folder: Path) -> float:
    from augft.core.artifacts import TrainOutput

    try:
        return TrainOutput(folder).summary().train_flops
    except Exception:  # a rung without a summary (a fake stage in tests): no cost known
        return 0.0


def objective(cfg, acc: float, results, label: str, trained: float) -> tuple:
    """(value the search maximizes, the trial's total FLOPs at report.queries_per_day over
    report.horizon_days). accuracy_per_cost: accuracy per exaFLOP of the one-off work (augmentation,
    teacher targets, index, every rung's training) + the queries; accuracy: the accuracy itself.
    `results` is the trial's EvalResults."""
    c = results.costs.conditions.get(label)
    once = sum(float(x or 0.0) for x in (c.augment_flops, c.teacher_flops, c.index_flops)) if c else 0.0
    queries = float(cfg.report.queries_per_day) * float(cfg.report.horizon_days)
    total = once + trained + queries * (float(c.flops_per_query) if c else 0.0)
    if str(cfg.pipeline.sweep.objective) != "accuracy_per_cost":
        return acc, total
    return (acc / (total / 1e18) if total > 0 else acc), total


def run_trial(params: dict, ctx: SweepContext) -> None:
    from ray import tune

    from augft.tracking.runs import Tracker

    fns = ctx.fns or StageFns()
    tracker = Tracker(ctx.tracking_uri, ctx.experiment, ctx.tags)
    tune_ctx = tune.get_context()
    trial_name = tune_ctx.get_trial_name() if tune_ctx else "trial"
    run = tracker.start_run(trial_name, parent=ctx.parent_run_id, kind="trial",
                            tags={"augft.trial_id": tune_ctx.get_trial_id() if tune_ctx else ""})
    try:
        run.log_params({k: v for k, v in params.items()})
        cfg = trial_cfg(ctx.cfg, params)
        w = weights(params)
        cond = trial_condition(cfg, w)
        run.set_tags({"augft.condition": cond.label})
        st = trial_stages(cfg, cond, ctx.data, ctx.cache, fns)
        prev: Optional[StageResult] = None
        trained = 0.0  # training FLOPs of every rung so far: a rung continues the previous model
        for epoch in range(1, int(cfg.pipeline.sweep.max_epochs) + 1):
            model = train_stage(cfg, cond.trained_label, cond.strategies, st.augs, ctx.data, ctx.cache, fns,
                                weight=w, base_model=prev, targets=st.targets)
            ev = eval_stage(cfg, cond, ctx.data, ctx.cache, fns, model=model, augs=st.augs,
                            splits=[ctx.val_split], index=st.index)
            acc = EvalOutput(ev.dir).split_accuracy(cond.label, ctx.val_split)
            trained += _train_flops(model.dir)
            value, total = objective(cfg, acc, EvalOutput(ev.dir).results(), cond.label, trained)
            run.log_metrics({"val_accuracy": acc, "objective": value, "total_flops": total}, step=epoch)
            prev = model
            tune.report({"val_accuracy": acc, "objective": value, "total_flops": total, "epoch": epoch,
                         "condition": cond.label, "train_dir": str(model.dir), "train_key": model.key})
    except SystemExit as exc:
        # Ray Tune ends a trial that its scheduler stopped (ASHA) with sys.exit(0) inside report().
        if exc.code in (0, None):
            run.set_tags({"augft.stopped": "early stop by the scheduler"})
            run.end("KILLED")
        else:
            run.end("FAILED")
        raise
    except BaseException as exc:
        run.set_tags({"augft.error": f"{type(exc).__name__}: {exc}"[:4000]})
        run.end("FAILED")
        raise
    # ASHA may stop a trial between reports; what it reached is in the run either way.
    run.end()
