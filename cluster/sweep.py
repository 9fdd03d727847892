"""`augft sweep`: Ray Tune search over the augmentation mix.

Searched: the mix weight of each strategy (0 leaves it out), augmentations per
prompt (augment.num_candidates), sampling temperature and sentence splitting
(train.split). Every augmentation parameter is drawn from a discrete set, so trials
that draw equal augmentation keys share one augmentation folder. Each trial trains
one epoch at a time and reports validation accuracy (split `rephrase`, or `forward`
for people) after each, so ASHA stops
weak trials early; the search algorithm (Optuna TPE, or random) proposes configs
with at most cluster.max_concurrent_trials running at once. Only the validation
split steers the search; the best configuration is then evaluated once on the
test splits. Every trial attempt is an MLflow run under the sweep's parent run.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Dict, List, Optional

from augft.cluster.stages import StageFns, StageResult, eval_stage, prepare_data
from augft.cluster.sweep_trial import SweepContext, run_trial, trial_cfg, trial_condition, trial_stages, weights
from augft.core.config.load import to_flat_dict, to_yaml
from augft.core.artifacts import EvalOutput, TrainOutput, encode
from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.core.ray_init import ray_session
from augft.core.records import read_questions
from augft.tracking.runs import RunHandle, Tracker
from augft.tracking.stage_log import log_stage_dir

log = logging.getLogger(__name__)
METRIC = "val_accuracy"
OBJECTIVE = "objective"
"""What Tune maximizes: val_accuracy, or it per exaFLOP (pipeline.sweep.objective)."""


def validation_split(cfg, data_dir: Path) -> str:
    splits = {q.split for q in read_questions(data_dir)}
    want = cfg.pipeline.sweep.validation_split
    if want:
        if want not in splits:
            raise AugftError(f"pipeline.sweep.validation_split is '{want}' but the questions have "
                             f"splits {sorted(splits)}")
        return want
    for name in ("rephrase", "forward"):
        if name in splits:
            return name
    raise AugftError(f"{data_dir}: no validation split (rephrase or forward) among {sorted(splits)}; "
                     "set pipeline.sweep.validation_split")


def search_space(cfg) -> dict:
    from ray import tune

    s = cfg.pipeline.sweep
    space = {f"w_{x}": tune.choice(list(s.weight_choices)) for x in s.strategies}
    space["num_candidates"] = tune.choice(list(s.candidates_choices))
    # Discrete: equal augmentation keys across trials share one augmentation (the stage cache).
    space["temperature"] = tune.choice([float(t) for t in s.temperature_choices])
    space["split"] = tune.choice([str(x) for x in s.split_choices])
    return space


def _search_alg(cfg):
    s = cfg.pipeline.sweep
    conc = int(cfg.cluster.max_concurrent_trials)
    if s.search == "optuna":
        from ray.tune.search import ConcurrencyLimiter
        from ray.tune.search.optuna import OptunaSearch
        import optuna

        sampler = optuna.samplers.TPESampler(seed=int(cfg.seed))
        return ConcurrencyLimiter(OptunaSearch(sampler=sampler), max_concurrent=conc)
    from ray.tune.search import BasicVariantGenerator  # search=random

    return BasicVariantGenerator(max_concurrent=conc, random_state=int(cfg.seed))


def _best_row(grid):
    """The best (trial, epoch) over every report of every trial (not only last reports)."""
    best = None
    for r in grid:
        df = r.metrics_dataframe
        if df is None or METRIC not in df:
            continue
        key = OBJECTIVE if OBJECTIVE in df else METRIC
        for _, row in df.iterrows():
            if best is None or row[key] > best[1][key]:
                best = (r, row)
    return best


def _trial_records(grid) -> List[dict]:
    out = []
    for r in grid:
        m = r.metrics or {}
        out.append({"trial_id": m.get("trial_id"), "config": r.config,
                    "status": "ERROR" if r.error else "TERMINATED",
                    "error": str(r.error)[:2000] if r.error else None,
                    "epochs": m.get("epoch"), METRIC: m.get(METRIC)})
    return out


def _tuner(cfg, ctx: SweepContext, out: Path):
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from augft.cluster.jobs.resources import check_fits, cluster_nodes, tune_settings

    s = cfg.pipeline.sweep
    settings = tune_settings(cfg, with_train_workers=cfg.train.launcher == "ray")
    # A trial that can never be placed would wait forever: fail now, naming the keys.
    check_fits(settings["spec"], cluster_nodes())
    scheduler = ASHAScheduler(time_attr="training_iteration", max_t=int(s.max_epochs),
                              grace_period=int(s.grace_period), reduction_factor=int(s.reduction_factor))
    return tune.Tuner(
        tune.with_resources(tune.with_parameters(run_trial, ctx=ctx), settings["resources"]),
        param_space=search_space(cfg),
        tune_config=tune.TuneConfig(metric=OBJECTIVE, mode="max", search_alg=_search_alg(cfg),
                                    scheduler=scheduler, num_samples=int(s.num_samples),
                                    max_concurrent_trials=settings["max_concurrent_trials"]),
        run_config=tune.RunConfig(name="tune", storage_path=str(out / "ray"), verbose=1,
                                  failure_config=tune.FailureConfig(max_failures=int(s.max_failures))))


def _best(grid, out: Path, tracker: Tracker, parent: RunHandle, val: str) -> tuple:
    """Record every trial; return (summary, best report row, best params)."""
    trials = _trial_records(grid)
    _close_stopped_trials(tracker, parent.run_id)
    atomic_write_json(out / "trials.json", trials)
    parent.log_artifact(out / "trials.json")
    n_err = sum(t["status"] == "ERROR" for t in trials)
    parent.log_metrics({"trials": len(trials), "trials_failed": n_err})
    best = _best_row(grid)
    if best is None:
        raise AugftError(f"every sweep trial failed ({n_err} of {len(trials)}); see {out / 'trials.json'}")
    result, row = best
    params = dict(result.config)
    summary = {"validation_split": val, "best_config": params, "best_val_accuracy": float(row[METRIC]),
               "best_objective": float(row.get(OBJECTIVE, row[METRIC])),
               "best_epoch": int(row["epoch"]), "condition": row["condition"],
               "trials": len(trials), "trials_failed": n_err, "test": None}
    parent.log_params({f"best.{k}": v for k, v in params.items()})
    parent.log_metrics({"best_val_accuracy": summary["best_val_accuracy"], "best_epoch": summary["best_epoch"]})
    return summary, row, params


def sweep(cfg, data: Optional[Path], out: Path, fns: Optional[StageFns] = None,
          tracker: Optional[Tracker] = None) -> dict:
    """Run the search and the best config's test evaluation; returns the summary (best.json)."""
    fns = fns or StageFns()
    out = Path(out).resolve()
    cache_dir = out / "cache"
    tracker = tracker or Tracker.from_config(cfg.tracking)  # fails early when unreachable
    search_space(cfg)  # a bad search space fails before any run starts
    name = cfg.tracking.run_name or f"sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    with tracker.start_run(name, kind="sweep", tags={"augft.command": "sweep"}) as parent:
        if parent.active:
            print(f"MLflow: sweep run {parent.run_id} in experiment '{tracker.experiment}' at {tracker.uri}")
        parent.log_params(to_flat_dict(cfg))
        parent.log_text(to_yaml(cfg), "resolved_config.yaml")
        dres = prepare_data(cfg, data.resolve() if data else None, cache_dir, fns, bool(cfg.pipeline.cache))
        val = validation_split(cfg, dres.dir)
        parent.set_tags({"augft.validation_split": val})
        with ray_session(cfg.cluster):
            ctx = SweepContext(cfg=cfg, data=dres, cache=cache_dir, val_split=val,
                               tracking_uri=tracker.uri, experiment=tracker.experiment,
                               tags=dict(tracker.tags), parent_run_id=parent.run_id, fns=fns)
            summary, row, params = _best(_tuner(cfg, ctx, out).fit(), out, tracker, parent, val)
            if cfg.pipeline.sweep.test_eval:
                summary["test"] = _test_eval(cfg, params, row, dres, val, cache_dir, fns, tracker, parent)
        atomic_write_json(out / "best.json", summary)
        parent.log_artifact(out / "best.json")
    summary["run_id"] = parent.run_id
    return summary


def _test_eval(cfg, params, row, dres: StageResult, val: str, cache_dir: Path, fns: StageFns,
               tracker: Tracker, parent) -> Dict[str, dict]:
    """Evaluate the best trial's model once on every split except the validation split."""
    splits = sorted({q.split for q in read_questions(dres.dir)} - {val})
    if not splits:
        return {}
    tcfg = trial_cfg(cfg, params)
    cond = trial_condition(tcfg, weights(params))
    model = StageResult("train", cond.trained_label, str(row["train_key"]), Path(row["train_dir"]), True, 0.0)
    index = trial_stages(tcfg, cond, dres, cache_dir, fns).index if cond.rag is not None else None
    run = tracker.start_run(f"best[{cond.label}]", parent=parent, kind="condition",
                            tags={"augft.condition": f"best:{cond.label}"})
    try:
        res = eval_stage(tcfg, cond, dres, cache_dir, fns, model=model, splits=splits, index=index)
        run.set_tags({"augft.model_path": str(TrainOutput(model.dir).model_dir)})
        log_stage_dir(run, res.dir, "eval", cond.label)
    except BaseException:
        run.end("FAILED")
        raise
    run.end()
    # best.json (the sweep's own summary) keeps the test splits as plain JSON values
    return {s: encode(m) for s, m in EvalOutput(res.dir).condition(cond.label).splits.items()}


def _close_stopped_trials(tracker: Tracker, parent_id: Optional[str]) -> None:
    """Trials ASHA stopped (or whose worker died) leave RUNNING runs; close them as KILLED."""
    if not tracker.enabled or not parent_id:
        return
    c = tracker.client
    for r in c.search_runs([tracker.experiment_id],
                           f"tags.`mlflow.parentRunId` = '{parent_id}' and attributes.status = 'RUNNING'"):
        c.set_tag(r.info.run_id, "augft.stopped", "early stop or lost worker")
        c.set_terminated(r.info.run_id, "KILLED")


def run_sweep(cfg, data: Optional[Path] = None, out: Path = Path("out/sweep")) -> int:
    """CLI entry (`augft sweep`)."""
    summary = sweep(cfg, data, out)
    print(f"\nbest configuration (validation split '{summary['validation_split']}', "
          f"accuracy {summary['best_val_accuracy']:.3f} at epoch {summary['best_epoch']}):")
    for k, v in summary["best_config"].items():
        print(f"  {k} = {v}")
    if summary["test"]:
        print("test splits (evaluated once):")
        for split, m in summary["test"].items():
            print(f"  {split}: {m['accuracy']:.3f} [{m.get('ci_low', float('nan')):.2f}, "
                  f"{m.get('ci_high', float('nan')):.2f}]")
    print(f"{summary['trials']} trials, {summary['trials_failed']} failed; see {Path(out) / 'trials.json'}")
    return 0
