"""`pipeline.budget` and plan against actual for `augft run`.

When the study's data is ready it plans itself once with `augft plan`'s own estimators
(`cluster.plan.plan_study`, on the cluster it runs on), so a stage's estimate here is the number
`augft plan` prints. Before a stage runs (not when it is cached), `StudyBudget.before` compares its
estimate with what is left of each cap and refuses to start it, naming the key, before anything
is written into its folder. After every attempt (finished, failed or stopped at the cap) the stage
folder's `spend.json` (core.artifacts.StageSpend) records what it has spent in all, so what was
spent survives reruns: a cached stage counts what it spent when it ran.

Tokens are the tokens augmentation generates. An augment stage's estimate of them is the plan's
measured figure when it has one; the plan's upper bound (every candidate at max_new_tokens) is no
estimate of spend, so without a measurement the stage starts while any tokens are left and stops
itself at the cap (AugmentRequest.max_generated_tokens), resumably.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from augft.cluster.plan import StageEstimate
from augft.cluster.stage_cache import done_wall
from augft.core.artifacts import (AugmentOutput, EvalOutput, PlanActual, Spend, StageSpend, TrainOutput,
                                  read_stage_spend, write_stage_spend)
from augft.core.errors import AugftError, CapReached

log = logging.getLogger(__name__)
UNITS = {"gpu_hours": "GPU-hours", "money": "", "tokens": "generated tokens"}


def study_cluster(cfg):
    """The cluster the study runs on, for its estimates: the Ray cluster this process has joined,
    else this machine (torch's GPUs); the GPU type detected, else plan.gpu. A cluster.address not
    joined yet is not joined for this: its GPU type is plan.gpu (the stages' own specs say how many
    GPUs each holds)."""
    import sys

    from augft.cluster.plan_cluster import ClusterSpec, read_ray_cluster
    from augft.core.gpus import detect_gpu_type, find_gpu, gpu_type

    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return read_ray_cluster("", str(cfg.plan.gpu))
    fallback = gpu_type(str(cfg.plan.gpu), "plan.gpu")
    if str(cfg.cluster.address):
        return ClusterSpec([{"CPU": 1.0, "GPU": 1.0, "memory": 0.0}], fallback, "cluster.address (plan.gpu)")
    import torch

    gpus = float(torch.cuda.device_count()) if torch.cuda.is_available() else 0.0
    node = {"CPU": float(os.cpu_count() or 1), "GPU": gpus, "memory": 0.0}
    return ClusterSpec([node], find_gpu(detect_gpu_type()) or fallback, "this machine")


def caps(budget) -> Dict[str, float]:
    """pipeline.budget's keys that cap something ({key: cap}; 0 and null are no cap)."""
    return {k: float(budget[k]) for k in UNITS if budget[k]}


def estimate_spend(e: Optional[StageEstimate]) -> Spend:
    """A plan row as what the stage will spend (its tokens: generated, trained or scored)."""
    if e is None:
        return Spend()
    tokens = {"augment": e.out_measured if e.out_measured is not None else e.out_bound,
              "train": e.train_tokens, "eval": e.tokens_in}.get(e.kind)
    gpu_s = e.wall_s * e.gpus if e.wall_s is not None and e.placement is not None else None
    return Spend(e.wall_s, gpu_s, None if tokens is None else float(tokens), e.flops)


@dataclass
class StudyBudget:
    """A study's caps, its stages' estimates and what its stages have spent."""
    caps: Dict[str, float]
    price: float
    currency: str = "USD"
    estimates: Dict[str, StageEstimate] = field(default_factory=dict)
    spent: Dict[str, StageSpend] = field(default_factory=dict)
    """Stage name -> what it has spent (the stages the study has reached, in order)."""
    cached: Dict[str, bool] = field(default_factory=dict)

    @classmethod
    def start(cls, cfg, data: Path) -> "StudyBudget":
        """The caps and the study's plan on its data; a plan that fails is an error only when a
        cap depends on it (without one, the report just has no estimates)."""
        from augft.cluster.plan import plan_study

        b = cfg.pipeline.budget
        out = cls(caps(b), float(cfg.plan.price_per_gpu_hour), str(cfg.plan.currency))
        try:
            plan = plan_study(cfg, Path(data), study_cluster(cfg))
        except Exception as exc:  # noqa: BLE001 - the estimate is only informative without a cap
            if out.caps:
                raise AugftError(f"pipeline.budget: the study's estimate (augft plan) failed, so no stage "
                                 f"can be checked against the budget: {exc}") from None
            log.warning("plan against actual: the study's estimate failed (%s); the report shows actuals only", exc)
            return out
        out.estimates = {s.name: s for s in plan.stages}
        return out

    # ---- amounts ------------------------------------------------------------------------

    def amount(self, key: str, kind: str, s: Spend) -> float:
        """What `s` counts against the cap `key`."""
        if key == "tokens":
            return float(s.tokens or 0.0) if kind == "augment" else 0.0
        hours = float(s.gpu_s or 0.0) / 3600.0
        return hours * self.price if key == "money" else hours

    def used(self, key: str, skip: str = "") -> float:
        return sum(self.amount(key, r.kind, r.spent) for n, r in self.spent.items() if n != skip)

    def fmt(self, key: str, x: float) -> str:
        if key == "money":
            return f"{x:,.2f} {self.currency}"
        return f"{x:,.0f} {UNITS[key]}" if key == "tokens" else f"{x:.4g} {UNITS[key]}"

    # ---- before a stage -----------------------------------------------------------------

    def before(self, name: str, kind: str, folder: Path) -> None:
        """Refuse to start `name` when its estimate exceeds what is left of a cap (its own earlier
        attempts' spend counts as spent and comes off its estimate)."""
        partial = read_stage_spend(folder) or StageSpend(kind)
        est = estimate_spend(self.estimates.get(name))
        for key, cap in self.caps.items():
            if key == "tokens" and kind != "augment":
                continue  # only augmentation generates
            done = self.amount(key, kind, partial.spent)
            left = cap - self.used(key, skip=name) - done
            if key == "tokens" and kind == "augment" and (self.estimates.get(name) is None or
                                                          self.estimates[name].out_measured is None):
                need = 0.0  # no measured estimate: augmentation stops itself at the cap
                over = left <= 0
            else:
                need = max(0.0, self.amount(key, kind, est) - done)
                over = need > left + 1e-9
            if over:
                raise AugftError(
                    f"config key 'pipeline.budget.{key}': not starting {name}: its estimate is "
                    f"{self.fmt(key, need)} but only {self.fmt(key, max(0.0, left))} of {self.fmt(key, cap)} is left "
                    f"({self.fmt(key, self.used(key) + done)} spent by this study's stages so far); raise "
                    f"pipeline.budget.{key} to go on (augft plan prices the whole study)")

    def token_cap(self, name: str) -> int:
        """What augment stage `name` may generate in all, its earlier attempts included (0: no cap)."""
        if "tokens" not in self.caps:
            return 0
        return max(1, int(self.caps["tokens"] - self.used("tokens", skip=name)))

    # ---- after a stage ------------------------------------------------------------------

    def attempt(self, name: str, kind: str, run: Callable):
        """`run()` (a stage spec's run) with the budget check before it starts, and its spend
        recorded afterwards whatever the outcome."""
        from augft.cluster.stages import before_run

        started: Dict[str, object] = {}

        def hook(folder: Path) -> None:
            self.before(name, kind, folder)
            started.update(folder=folder, t0=time.time())

        try:
            with before_run(hook):
                res = run()
        except CapReached as exc:
            self._record(name, kind, started, tokens=float(exc.spent))
            raise AugftError(f"config key 'pipeline.budget.tokens': {name} stopped at what was left of "
                             f"the budget ({exc}); it is not marked done: rerun with a larger "
                             "pipeline.budget.tokens to continue it") from None
        except BaseException:
            self._record(name, kind, started)
            raise
        self.cached[name] = bool(res.cached)
        if res.cached:
            self.spent[name] = read_stage_spend(res.dir) or actual_spend(  # a folder from before spend.json
                kind, res.dir, StageSpend(kind), done_wall(res.dir) or 0.0, self._gpus(name))
        else:
            self.spent[name] = self._record(name, kind, {"folder": res.dir, "t0": time.time() - res.wall_s}, res=res)
        return res

    def _gpus(self, name: str) -> float:
        e = self.estimates.get(name)
        return float(e.gpus) if e is not None else 0.0

    def _record(self, name: str, kind: str, started: Dict, tokens: Optional[float] = None, res=None):
        """Add this attempt to the folder's spend.json (nothing when the stage never started)."""
        if "folder" not in started:
            return None
        folder = Path(started["folder"])
        wall = time.time() - float(started["t0"])
        prev = read_stage_spend(folder) or StageSpend(kind)
        if res is not None:
            s = actual_spend(kind, folder, prev, wall, self._gpus(name))
        else:
            gpus = self._gpus(name)
            s = StageSpend(kind, prev.attempts + 1, Spend((prev.spent.wall_s or 0.0) + wall,
                                                          (prev.spent.gpu_s or 0.0) + wall * gpus,
                                                          tokens if tokens is not None else prev.spent.tokens,
                                                          prev.spent.flops), gpus, prev.gpu_type)
        if folder.is_dir():
            write_stage_spend(folder, s)
        self.spent[name] = s
        return s

    def rows(self) -> List[PlanActual]:
        """Every stage reached, its estimate beside what it spent."""
        return [PlanActual(n, s.kind, estimate_spend(self.estimates.get(n)), s.spent, self.cached.get(n, False))
                for n, s in self.spent.items()]


def actual_spend(kind: str, folder: Path, prev: StageSpend, wall: float, gpus: float) -> StageSpend:
    """A finished stage's spend: this attempt's wall added to the earlier ones', GPU-seconds at the
    GPUs its artifact records (else its placement's), tokens and FLOPs from its artifact."""
    from augft.core.flops import forward_flops

    tokens = flops = None
    gpu_type = ""
    if kind == "augment" and AugmentOutput(folder).finished():
        m = AugmentOutput(folder).manifest()
        tokens = float(sum(e.completion_tokens + (e.extract.completion_tokens if e.extract else 0)
                           for e in m.strategies.values()))
        flops = forward_flops(m.model_params, m.tokens) if m.model_params else None
        if m.resources is not None:
            gpus, gpu_type = float(m.resources.gpus), m.resources.gpu_type
    elif kind == "train" and TrainOutput(folder).summary_path.is_file():
        t = TrainOutput(folder).summary()
        tokens, flops = float(t.tokens), float(t.train_flops)
        if t.gpu_type:
            gpus, gpu_type = float(t.gpus), t.gpu_type
    elif kind == "eval" and EvalOutput(folder).results_path.is_file():
        tokens, flops = _eval_counts(EvalOutput(folder))
    return StageSpend(kind, prev.attempts + 1, Spend((prev.spent.wall_s or 0.0) + wall,
                                                     (prev.spent.gpu_s or 0.0) + wall * gpus, tokens, flops),
                      gpus, gpu_type, done=True)


def _eval_counts(out: EvalOutput):
    """Tokens and FLOPs eval scored: each condition's per-query cost x its questions."""
    r = out.results()
    tokens = flops = 0.0
    for label, c in r.conditions.items():
        n = sum(s.n or 0 for s in c.splits.values())
        cost = r.costs.conditions.get(label)
        if cost is not None:
            tokens += n * cost.tokens_per_query
            flops += n * cost.flops_per_query
    return tokens, flops


def metrics(row: PlanActual) -> Dict[str, float]:
    """A stage's estimate and actual as MLflow metrics (estimate_wall_s, actual_gpu_s, ...)."""
    out = {}
    for side in ("estimate", "actual"):
        s = getattr(row, side)
        for k in ("wall_s", "gpu_s", "tokens", "flops"):
            v = getattr(s, k)
            if v is not None:
                out[f"{side}_{k}"] = float(v)
    return out
