"""`augft run`: the whole study, cached per stage and tracked in MLflow.

benchmark (or the user's --data) -> augment (each strategy the conditions need)
-> train (one model per trained condition) -> eval (every condition) -> report.
Stages are cached by content hash (cluster.stage_cache); the study is one MLflow parent
run with a nested run per stage and per evaluated condition. The study is a list of stage
specs run in order inside the parent run: each spec says how to run (or reuse) its stage
and what to log about it.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

from tqdm import tqdm

from augft.cluster import augment_health as health
from augft.cluster import study_report as report
from augft.cluster.budget import StudyBudget, metrics as budget_metrics
from augft.cluster.stage_cache import done_wall
from augft.cluster.stages import (StageFns, StageResult, augment_stage, eval_stage, index_stage, prepare_data,
                                  targets_stage, train_stage)
from augft.core.artifacts import AugmentationCounts, AugmentOutput, StageRecord, StudyResults, TrainOutput
from augft.core import chains
from augft.core.conditions import Condition, augment_strategies, parse_all, retrievers, trained_models
from augft.core.config.load import to_flat_dict, to_yaml
from augft.core.errors import AugftError
from augft.core.io import atomic_write_text
from augft.eval.questions.report import test_set_summary
from augft.tracking.runs import RunHandle, Tracker
from augft.tracking.stage_log import log_augmentations, log_data_dir, log_stage_dir
from omegaconf import DictConfig


@dataclass
class StageSpec:
    """One stage of the study: how to get its result and what its MLflow run records."""
    kind: str
    """benchmark, data, augment, train or eval."""
    label: str
    run: Callable[[], StageResult]
    params: Callable[[StageResult], dict] = lambda res: {}
    after: Callable[[RunHandle, StageResult], None] = lambda run, res: None
    """Extra logging once the stage is done (datasets, model references)."""
    condition: Optional[str] = None
    """The evaluated condition (eval stages: a `condition` run `augft compare` reads)."""

    @property
    def name(self) -> str:
        return f"{self.kind}[{self.label}]"


def _prefixed(cfg, section: str) -> dict:
    return {f"{section}.{k}": v for k, v in to_flat_dict(cfg[section]).items()}


@dataclass
class Study:
    cfg: DictConfig
    data: Optional[Path]
    out: Path
    fns: StageFns
    conditions: List[Condition]
    results: Dict[str, StageResult] = field(default_factory=dict)
    flags: Dict[str, str] = field(default_factory=dict)
    """Degenerate augmentations: strategy -> the line the console and report.md show."""
    budget: Optional[StudyBudget] = None
    """pipeline.budget and the stages' estimates (set once the data is ready)."""

    @property
    def use_cache(self) -> bool:
        return bool(self.cfg.pipeline.cache)

    def _get(self, kind: str, label: str) -> StageResult:
        return self.results[f"{kind}[{label}]"]

    def _augs(self) -> Dict[str, StageResult]:
        return {k[len("augment["):-1]: v for k, v in self.results.items() if k.startswith("augment[")}

    def specs(self) -> Iterator[StageSpec]:
        cfg, data = self.cfg, self.data
        yield StageSpec("benchmark" if data is None else "data", cfg.benchmark.name if data is None else "user",
                        lambda: prepare_data(cfg, data, self.out, self.fns, self.use_cache),
                        lambda res: _prefixed(cfg, "benchmark") if data is None else {})
        for s in augment_strategies(self.conditions):  # an upstream before the chains that read it
            yield self._augment_spec(s)
        for r in retrievers(self.conditions, str(cfg.eval.rag.retriever)):
            yield self._index_spec(r)
        for source in self._target_sources():
            yield self._targets_spec(source)
        for model in trained_models(self.conditions):
            yield self._train_spec(model)
        for cond in self.conditions:
            yield self._eval_spec(cond)

    # One method per stage kind: each spec's closures capture its own argument, not a loop variable.
    def _augment_spec(self, s: str) -> StageSpec:
        cfg = self.cfg
        return StageSpec("augment", s, lambda: augment_stage(cfg, s, self.data_result, self.out, self.fns,
                                                             self.use_cache, self._token_cap(f"augment[{s}]"),
                                                             upstream=self._upstream(s)),
                         lambda res: {**_prefixed(cfg, "augment"), "strategy": s})

    def _index_spec(self, r: str) -> StageSpec:
        cfg = self.cfg
        return StageSpec("index", r, lambda: index_stage(cfg, r, self.data_result, self.out, self.use_cache),
                         lambda res: {**{f"eval.rag.{k}": v for k, v in to_flat_dict(cfg.eval.rag).items()},
                                      "retriever": r})

    def _targets_spec(self, source: str) -> StageSpec:
        cfg = self.cfg
        return StageSpec("targets", source, lambda: targets_stage(cfg, source, self.data_result, self._augs(),
                                                                  self.out, self.fns, self.use_cache),
                         lambda res: {**{f"train.distill.{k}": v for k, v in
                                         to_flat_dict(cfg.train.distill).items()}, "source": source})

    def _token_cap(self, name: str) -> int:
        return self.budget.token_cap(name) if self.budget is not None else 0

    def _upstream(self, strategy: str) -> Optional[StageResult]:
        up = chains.upstream(strategy)
        return self._get("augment", up) if up else None

    def _target_sources(self) -> List[str]:
        """The sources distilled models train on: the corpus and their strategies."""
        out: List[str] = []
        for c in self.conditions:
            if c.distill:
                out += [s for s in ("corpus", *c.strategies) if s not in out]
        return out

    def _targets(self, model: Condition) -> Optional[Dict[str, StageResult]]:
        if not model.distill:
            return None
        return {s: self._get("targets", s) for s in ("corpus", *model.strategies)}

    def teacher_flops(self, model: Condition) -> Optional[float]:
        """The teacher's one-off FLOPs behind a distilled model (every source's targets)."""
        from augft.core.targets import TargetsOutput

        if not model.distill:
            return None
        try:
            return sum(TargetsOutput(r.dir).teacher_flops() for r in (self._targets(model) or {}).values())
        except AugftError:  # a fake stage without a manifest
            return None

    @property
    def data_result(self) -> StageResult:
        return next(iter(self.results.values()))

    def _train_spec(self, model: Condition) -> StageSpec:
        trained = model.trained_label

        def run() -> StageResult:
            return train_stage(self.cfg, trained, model.strategies, self._augs(), self.data_result,
                               self.out, self.fns, self.cfg.pipeline.aug_weight, use_cache=self.use_cache,
                               targets=self._targets(model))

        def after(run_: RunHandle, res: StageResult) -> None:
            # The training inputs: the corpus and each mixed-in augmentation, with digests.
            log_data_dir(run_, self.data_result.dir, stems=("corpus",))
            for s in model.strategies:
                log_augmentations(run_, self._augs()[s].dir, n_samples=0, context="training")

        return StageSpec("train", trained, run,
                         lambda res: {**_prefixed(self.cfg, "train"), "mix": str(res.hashed.get("mix"))}, after)

    def _eval_spec(self, cond: Condition) -> StageSpec:
        def model() -> Optional[StageResult]:
            return self._get("train", cond.trained) if cond.trained else None

        def run() -> StageResult:
            r = cond.retriever(str(self.cfg.eval.rag.retriever))
            teacher = self.teacher_flops(cond)
            return eval_stage(self.cfg, cond, self.data_result, self.out, self.fns, model(), self._augs(),
                              use_cache=self.use_cache, index=self._get("index", r) if r else None,
                              one_off={"teacher_flops": teacher} if teacher else None)

        def params(res: StageResult) -> dict:
            p = _prefixed(self.cfg, "eval")
            trained = model()
            if trained is not None:
                p["model_key"] = trained.key
            return p

        def after(run_: RunHandle, res: StageResult) -> None:
            stems = ("questions",) + (("corpus",) if cond.context != "none" else ())
            log_data_dir(run_, self.data_result.dir, stems=stems)
            trained = model()
            if trained is not None:
                run_.set_tags({"augft.model_path": str(TrainOutput(trained.dir).model_dir.resolve())})

        return StageSpec("eval", cond.label, run, params, after, condition=cond.label)

    def stage_walls(self) -> Dict[str, Dict[str, Optional[float]]]:
        """Per condition: wall time of the stages it needed (its FLOPs come from eval's costs)."""
        augs = self._augs()
        out = {}
        for cond in self.conditions:
            model = self._get("train", cond.trained) if cond.trained else None
            out[cond.label] = {
                "train_wall_s": done_wall(model.dir) if model else None,
                "augment_wall_s": sum(done_wall(augs[s].dir) or 0.0
                                      for s in chains.with_upstreams(cond.strategies)) or None,
                "eval_wall_s": done_wall(self._get("eval", cond.label).dir)}
        return out


def _call(spec: StageSpec, run: RunHandle) -> StageResult:
    if spec.kind == "train":  # the training loop logs its metric rows to this run as it goes
        with run.as_env():
            return spec.run()
    return spec.run()


def _run_stage(tracker: Tracker, parent: RunHandle, spec: StageSpec,
               budget: Optional[StudyBudget] = None) -> StageResult:
    tags = {"augft.stage": spec.kind, "augft.label": spec.label}
    if spec.condition:
        tags["augft.condition"] = spec.condition
    with tracker.start_run(spec.name, parent=parent, tags=tags,
                           kind="condition" if spec.condition else "stage") as run:
        if budget is None:
            res = _call(spec, run)
        else:
            res = budget.attempt(spec.name, spec.kind, lambda: _call(spec, run))
            row = next((r for r in budget.rows() if r.stage == spec.name), None)
            if row is not None:  # its estimate beside what it spent
                run.log_metrics(budget_metrics(row))
        spec.after(run, res)
        run.set_tags({"augft.cached": str(res.cached).lower(), "augft.key": res.key,
                      "augft.dir": str(res.dir.resolve())})
        run.log_params(spec.params(res))
        run.log_metrics({"stage_wall_s": res.wall_s})
        log_stage_dir(run, res.dir, spec.kind, spec.condition)
    return res


def run_study(cfg, data: Optional[Path], out: Path, fns: Optional[StageFns] = None,
              tracker: Optional[Tracker] = None) -> StudyResults:
    """Run (or reuse) every stage and write `<out>/report/`. Returns the study's results, the
    stage folders among them."""
    out = Path(out)
    conditions = parse_all(cfg.pipeline.conditions, [str(s) for s in cfg.augment.strategies],
                           key="pipeline.conditions", names=())
    check_data_fits(conditions, data)
    from augft.cluster.placement import check_study

    check_study(cfg, conditions)  # a stage that can never be placed would wait forever: fail now
    out.mkdir(parents=True, exist_ok=True)
    study = Study(cfg, data, out, fns or StageFns(), conditions)
    # Fail before any work: the tracking store must answer (or tracking be off/offline).
    tracker = tracker or Tracker.from_config(cfg.tracking)
    name = cfg.tracking.run_name or f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    with tracker.start_run(name, kind="study", tags={"augft.command": "run", "augft.conditions":
                                                      ",".join(c.label for c in conditions)}) as parent:
        if parent.active:
            print(f"MLflow: run {parent.run_id} in experiment '{tracker.experiment}' at {tracker.uri}")
        parent.log_params(to_flat_dict(cfg))
        parent.log_text(to_yaml(cfg), "resolved_config.yaml")
        atomic_write_text(out / "resolved_config.yaml", to_yaml(cfg))
        specs = list(study.specs())
        with tqdm(total=len(specs) + 1, desc="study", unit="stage") as bar:
            _run_specs(study, tracker, parent, specs, bar)
            bar.set_description("report")
            merged = _write_report(study, parent, name)
            bar.update()
    return merged


def _run_specs(study: Study, tracker: Tracker, parent: RunHandle, specs: List[StageSpec], bar) -> None:
    """Every stage in order. The augment stages run inside one `keep_engines` block, so the
    teacher's engines start once for all of the study's strategies and close before training."""
    with contextlib.ExitStack() as augmenting:
        keeping = False
        for spec in specs:
            if (spec.kind == "augment") != keeping:  # the first augment stage, or the first after them
                if keeping:
                    augmenting.close()
                else:
                    augmenting.enter_context(study.fns.keep_engines())
                keeping = not keeping
            bar.set_description(spec.name)
            study.results[spec.name] = _run_stage(tracker, parent, spec, study.budget)
            if study.budget is None:  # the data is ready: plan the study on it (pipeline.budget)
                study.budget = StudyBudget.start(study.cfg, study.data_result.dir)
            if spec.kind == "augment":
                _check_augmentation(study, spec.label, parent)
            bar.update()


def augmentation_counts(study: Study) -> Dict[str, AugmentationCounts]:
    out = {}
    for s, res in study._augs().items():
        try:
            c = health.counts(AugmentOutput(res.dir).manifest()).get(s)
        except AugftError:  # a stage folder without a manifest (a test's fake stage)
            c = None
        if c is not None:
            out[s] = c
    return out


def _check_augmentation(study: Study, strategy: str, parent: RunHandle) -> None:
    """Flag an augmentation that kept nothing (or too little) now, before training on it."""
    c = augmentation_counts(study).get(strategy)
    if c is None:
        return
    if c.share is not None:
        parent.log_metrics({f"augment_kept_share.{strategy}": c.share})
    why = health.flag(c, float(study.cfg.pipeline.min_kept_share))
    if why is None:
        return
    users = [x.label for x in study.conditions if strategy in chains.with_upstreams(x.strategies)]
    study.flags[strategy] = health.describe(strategy, c, why, users)
    tqdm.write(f"WARNING: {study.flags[strategy]}")
    parent.set_tags({"augft.degenerate": ",".join(sorted(study.flags))})


def check_data_fits(conditions: List[Condition], data: Optional[Path]) -> None:
    """Fail before any work when the user's --data cannot serve the conditions: a test set is
    needed, and `aug_ft[oracle]` needs a benchmark's ground truth (oracle.jsonl)."""
    if data is None:  # a generated benchmark has both
        return
    if not (Path(data) / "questions.jsonl").is_file():
        raise AugftError(f"--data {data}: no questions.jsonl, which the study's eval needs; "
                         f"build a held-out test set first: augft questions --data {data}")
    from augft.core.records import read_questions

    read_questions(data)  # every record's fields, choices and split, before hours of training
    from augft.augment.registry import spec

    def missing(c) -> list:
        files = [spec(s).data_file for s in chains.members(c.strategies)]
        return [f for f in files if f and not (Path(data) / f).is_file()]

    lacking = [c for c in conditions if missing(c)]
    if lacking:
        keep = ",".join(f'"{c.label}"' if "[" in c.label else c.label  # [ must be quoted for OmegaConf
                        for c in conditions if c not in lacking)
        raise AugftError(
            f"config key 'pipeline.conditions': {', '.join(c.label for c in lacking)} trains on a "
            f"benchmark's ground truth ({', '.join(sorted({f for c in lacking for f in missing(c)}))}), "
            f"which --data {data} does not have (your own documents have no oracle); leave it out: "
            f"'pipeline.conditions=[{keep}]'")


def _write_report(study: Study, parent: RunHandle, name: str) -> StudyResults:
    augs = study._augs()
    evals = {c.label: study._get("eval", c.label).dir for c in study.conditions}
    merged = report.merge_results(evals, {s: r.dir for s, r in augs.items()})
    if study.data is not None:
        merged.test_set = test_set_summary(study.data)
    merged.augmentations = {s: AugmentationCounts(c.kept, dict(c.filtered), c.failed, study.flags.get(s))
                            for s, c in augmentation_counts(study).items()}
    merged.stages = {k: StageRecord(str(v.dir), v.key, v.cached, v.wall_s) for k, v in study.results.items()}
    merged.run_id = parent.run_id
    merged.plan_vs_actual = study.budget.rows() if study.budget is not None else []
    folder = study.out / "report"
    report.write_report(folder, merged, study.stage_walls(), title=f"augft study: {name}",
                        model=str(study.cfg.model.name), report_cfg=study.cfg.report)
    for f in ("report.md", "results.json", "plot.png", "which_to_use.png"):
        if (folder / f).is_file():
            parent.log_artifact(folder / f)
    parent.log_metrics({"stages_cached": sum(r.cached for r in study.results.values()),
                        "stages_run": sum(not r.cached for r in study.results.values())})
    return merged


def run_study_command(cfg, data: Optional[Path] = None, out: Path = Path("out/run")) -> int:
    """CLI entry (`augft run`)."""
    merged = run_study(cfg, data, out)
    if cfg.pipeline.print_report:
        print()
        print(report.console_table(merged))
        if merged.plan_vs_actual:
            from augft.core.tables import PLAN_ACTUAL_HEADER, plan_actual_rows, render_text

            print()
            print(render_text(PLAN_ACTUAL_HEADER, plan_actual_rows(merged.plan_vs_actual),
                              title="plan against actual (seconds, GPU-seconds, tokens, FLOPs)"))
        for line in report.degenerate_lines(merged):
            print(f"WARNING: {line}")
        print(f"\nreport: {Path(out) / 'report' / 'report.md'}")
    return 0
