"""`augft run`: the whole study, cached per stage and tracked in MLflow.

benchmark (or the user's --data) -> augment (each strategy the conditions need)
-> train (one model per trained condition) -> eval (every condition) -> report.
Stages are cached by content hash (cluster.pipeline_cache); the study is one MLflow
parent run with a nested run per stage and per evaluated condition.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Dict, Optional

from tqdm import tqdm

from augft.cluster import pipeline_report as report
from augft.cluster.pipeline_conditions import needed_strategies, parse_conditions, trained_models
from augft.cluster.pipeline_stages import (StageFns, StageResult, augment_stage, eval_stage, prepare_data,
                                     train_stage)
from augft.core.config.load import to_flat_dict, to_yaml
from augft.tracking.runs import RunHandle, Tracker
from augft.tracking.stage_log import log_augmentations, log_data_dir, log_stage_dir

log = logging.getLogger(__name__)


def _stage_run(tracker: Tracker, parent: RunHandle, res_kind: str, label: str, kind: str = "stage",
               extra_tags: Optional[dict] = None) -> RunHandle:
    tags = {"augft.stage": res_kind, "augft.label": label, **(extra_tags or {})}
    return tracker.start_run(f"{res_kind}[{label}]", parent=parent, tags=tags, kind=kind)


def _track(run: RunHandle, res: StageResult, params: Optional[dict] = None,
           condition: Optional[str] = None) -> None:
    """Log a finished stage's folder and cache facts to its run, then close it."""
    run.set_tags({"augft.cached": str(res.cached).lower(), "augft.key": res.key,
                  "augft.dir": str(res.dir.resolve())})
    if params:
        run.log_params(params)
    run.log_metrics({"stage_wall_s": res.wall_s})
    log_stage_dir(run, res.dir, condition)
    run.end()


def _guarded(run: RunHandle, fn):
    try:
        return fn()
    except BaseException:
        run.end("FAILED")
        raise


def run_study(cfg, data: Optional[Path], out: Path, fns: Optional[StageFns] = None,
              tracker: Optional[Tracker] = None) -> dict:
    """Run (or reuse) every stage and write `<out>/report/`. Returns the merged results
    with the stage folders under "stages"."""
    fns = fns or StageFns()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    use_cache = bool(cfg.pipeline.cache)
    conditions = parse_conditions(cfg.pipeline.conditions, cfg.augment.strategies)
    strategies = needed_strategies(conditions)
    models = trained_models(conditions)
    # Fail before any work: the tracking store must answer (or tracking be off/offline).
    tracker = tracker or Tracker.from_config(cfg.tracking)
    name = cfg.tracking.run_name or f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    parent = tracker.start_run(name, kind="study", tags={"augft.command": "run",
                                                         "augft.conditions": ",".join(c.label for c in conditions)})
    if parent.active:
        print(f"MLflow: run {parent.run_id} in experiment '{tracker.experiment}' at {tracker.uri}")
    total = 1 + len(strategies) + len(models) + len(conditions) + 1
    bar = tqdm(total=total, desc="study", unit="stage")
    stages: Dict[str, StageResult] = {}
    try:
        parent.log_params(to_flat_dict(cfg))
        parent.log_text(to_yaml(cfg), "resolved_config.yaml")
        (out / "resolved_config.yaml").write_text(to_yaml(cfg))

        bar.set_description("data")
        run = _stage_run(tracker, parent, "benchmark" if data is None else "data",
                         cfg.benchmark.name if data is None else "user")
        dres = _guarded(run, lambda: prepare_data(cfg, data, out, fns, use_cache))
        _track(run, dres, {f"benchmark.{k}": v for k, v in to_flat_dict(cfg.benchmark).items()}
               if data is None else None)
        stages["data"] = dres
        bar.update()

        augs: Dict[str, StageResult] = {}
        for s in strategies:
            bar.set_description(f"augment[{s}]")
            run = _stage_run(tracker, parent, "augment", s)
            augs[s] = _guarded(run, lambda s=s: augment_stage(cfg, s, dres, out, fns, use_cache))
            _track(run, augs[s], {**{f"augment.{k}": v for k, v in to_flat_dict(cfg.augment).items()},
                                  "strategy": s})
            stages[f"augment[{s}]"] = augs[s]
            bar.update()

        trained: Dict[str, StageResult] = {}
        for label, strats in models:
            bar.set_description(f"train[{label}]")
            run = _stage_run(tracker, parent, "train", label)
            trained[label] = _guarded(run, lambda label=label, strats=strats: train_stage(
                cfg, label, strats, augs, dres, out, fns, cfg.pipeline.aug_weight, use_cache=use_cache))
            # The training inputs: the corpus and each mixed-in augmentation, with digests.
            log_data_dir(run, dres.dir, stems=("corpus",))
            for s in strats:
                log_augmentations(run, augs[s].dir, n_samples=0, context="training")
            _track(run, trained[label], {**{f"train.{k}": v for k, v in to_flat_dict(cfg.train).items()},
                                         "mix": str(trained[label].hashed.get("mix"))})
            stages[f"train[{label}]"] = trained[label]
            bar.update()

        evals: Dict[str, Path] = {}
        stage_costs: Dict[str, Dict[str, float]] = {}
        for cond in conditions:
            bar.set_description(f"eval[{cond.label}]")
            run = _stage_run(tracker, parent, "eval", cond.label, kind="condition",
                             extra_tags={"augft.condition": cond.label})
            model = trained.get(cond.trained) if cond.trained else None
            res = _guarded(run, lambda cond=cond, model=model: eval_stage(
                cfg, cond, dres, out, fns, model, augs, use_cache=use_cache))
            log_data_dir(run, dres.dir, stems=("questions",) + (("corpus",) if cond.icl else ()))
            params = {f"eval.{k}": v for k, v in to_flat_dict(cfg.eval).items()}
            if model is not None:
                params["model_key"] = model.key
                run.set_tags({"augft.model_path": str((model.dir / "model").resolve())})
            _track(run, res, params, cond.label)
            stages[f"eval[{cond.label}]"] = res
            evals[cond.label] = res.dir
            stage_costs[cond.label] = {
                "train_wall_s": _done_wall(model.dir) if model else None,
                "augment_wall_s": sum(_done_wall(augs[s].dir) or 0.0 for s in cond.strategies) or None,
                "eval_wall_s": _done_wall(res.dir),
                "train_flops": _summary_value(model.dir, "train_flops") if model else None}
            bar.update()

        bar.set_description("report")
        manifests = {c.label: [str(augs[s].dir / "manifest.json") for s in c.strategies if s in augs]
                     for c in conditions}
        merged = report.merge_results(evals, manifests)
        folder = out / "report"
        report.write_report(folder, merged, stage_costs, title=f"augft study: {name}")
        parent.log_artifact(folder / "report.md")
        parent.log_artifact(folder / "results.json")
        if (folder / "plot.png").is_file():
            parent.log_artifact(folder / "plot.png")
        parent.log_metrics({"stages_cached": sum(r.cached for r in stages.values()),
                            "stages_run": sum(not r.cached for r in stages.values())})
        bar.update()
    except BaseException:
        parent.end("FAILED")
        raise
    finally:
        bar.close()
    parent.end()
    merged["stages"] = {k: {"dir": str(v.dir), "key": v.key, "cached": v.cached, "wall_s": v.wall_s}
                        for k, v in stages.items()}
    merged["run_id"] = parent.run_id
    return merged


def _done_wall(folder: Path) -> Optional[float]:
    """Wall time the stage took when it actually ran (kept in its done marker)."""
    import json

    try:
        return float(json.loads((folder / "done").read_text())["wall_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _summary_value(folder: Path, key: str) -> Optional[float]:
    import json

    try:
        v = json.loads((folder / "summary.json").read_text()).get(key)
        return float(v) if v is not None else None
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def run_pipeline(cfg, data: Optional[Path] = None, out: Path = Path("out/run")) -> int:
    """CLI entry (`augft run`)."""
    merged = run_study(cfg, data, out)
    if cfg.pipeline.print_report:
        print()
        print(report.console_table(merged))
        print(f"\nreport: {Path(out) / 'report' / 'report.md'}")
    return 0
