"""`augft plan`: what a study will cost before it runs, stage by stage, on a named cluster.

The stages are the study's own (`cluster.study.Study.specs` order: augment per strategy, index
per retriever, targets per distilled source, train per model, eval per condition); the counts
come from the stages' own planners (`augment.estimate`: the scan pass and the units the run
would render; `train.estimate`: the build's mix, packing and step count), FLOPs from the formulas
the report's cost table uses (`core.flops`, `eval.costs.condition_cost`), and the resources from
the specs the stages reserve (`stage_placements`). Times are FLOPs at a stated utilisation of
the GPU type's peak (`core/gpus.py`), or the decoding roofline for generation. No model is
loaded; a benchmark study's data is generated into a temporary folder (seconds, no model).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

import numpy as np

from augft.cluster import plan_inputs as inputs
from augft.cluster.plan_cluster import ClusterSpec
from augft.cluster.plan_placement import StagePlacement, stage_placements
from augft.core import chains
from augft.core.conditions import Condition, needed_strategies, parse_all, trained_models
from augft.core.flops import forward_flops, training_flops
from augft.core.gpus import GpuType

if TYPE_CHECKING:  # eval loads only when a plan prices its conditions
    from augft.eval.costs import CostTable


@dataclass
class StageEstimate:
    name: str
    kind: str
    prompts: Optional[int] = None
    tokens_in: Optional[float] = None
    out_bound: Optional[int] = None
    """Output tokens if every candidate runs to max_new_tokens."""
    out_measured: Optional[float] = None
    """Output tokens at a measured mean per candidate (None: no measurement applies)."""
    train_tokens: Optional[int] = None
    flops: Optional[float] = None
    placement: Optional[StagePlacement] = None
    wall_s: Optional[float] = None
    note: str = ""

    @property
    def gpus(self) -> int:
        return self.placement.gpus if self.placement else 0

    @property
    def gpu_hours(self) -> Optional[float]:
        return None if self.wall_s is None else self.wall_s * self.gpus / 3600.0


@dataclass
class StudyPlan:
    model: str
    n_params: int
    generator: str
    generator_params: int
    documents: int
    corpus_tokens: int
    cluster: ClusterSpec
    gpu: GpuType
    rates: Dict[str, float]
    """The utilisations used: train_mfu, eval_mfu, generation_efficiency (and tokens/s if given)."""
    stages: List[StageEstimate] = field(default_factory=list)
    costs: Optional[CostTable] = None
    """eval.costs.cost_table of the planned counts (the report's cost table, before the run)."""
    notes: List[str] = field(default_factory=list)
    price: float = 0.0
    currency: str = "USD"


def _rates(cfg, gpu: GpuType) -> Dict[str, float]:
    p = cfg.plan
    return {"train_mfu": float(p.train_mfu or gpu.train_mfu), "eval_mfu": float(p.eval_mfu or gpu.eval_mfu),
            "generation_efficiency": float(p.generation_efficiency or gpu.generation_efficiency),
            "generation_tokens_per_s": float(p.generation_tokens_per_s), "startup_s": float(p.stage_startup_s)}


def generation_seconds(params: float, tokens_in: float, tokens_out: float, pl: StagePlacement,
                       gpu: GpuType, rates: Dict[str, float], concurrent: int) -> float:
    """Prefill at eval_mfu of the peak, then decoding: a measured rate per GPU when given, else the
    roofline's slower side (compute: 2 x params per token; memory: the bf16 weights read once per
    step for `concurrent` sequences) times generation_efficiency, per replica."""
    gpus = max(1, pl.gpus)
    prefill = forward_flops(params, tokens_in) / (gpus * gpu.bf16_flops * rates["eval_mfu"])
    if rates["generation_tokens_per_s"]:
        return prefill + tokens_out / (gpus * rates["generation_tokens_per_s"])
    tp = max(1, pl.gpus // max(1, pl.copies))
    compute = tp * gpu.bf16_flops / forward_flops(params, 1)
    memory = concurrent * tp * gpu.bandwidth_gbs * 1e9 / (2.0 * params)
    per_replica = min(compute, memory) * rates["generation_efficiency"]
    return prefill + tokens_out / (max(1, pl.copies) * per_replica)


def compute_seconds(flops: float, pl: StagePlacement, gpu: GpuType, mfu: float) -> Optional[float]:
    """FLOPs at `mfu` of the stage's GPUs' peak (None for a stage without GPUs)."""
    return flops / (pl.gpus * gpu.bf16_flops * mfu) if pl.gpus else None


def with_startup(seconds: Optional[float], rates: Dict[str, float]) -> Optional[float]:
    return None if seconds is None else seconds + rates["startup_s"]


def plan_study(cfg, data: Optional[Path], cluster: ClusterSpec) -> StudyPlan:
    """Every stage's counts, FLOPs, resources, wall time and GPU-hours (see the module docstring)."""
    conditions = parse_all(cfg.pipeline.conditions, [str(s) for s in cfg.augment.strategies],
                           key="pipeline.conditions")
    from augft.cluster.study import check_data_fits

    check_data_fits(conditions, data)
    if data is not None:
        return _plan_on(cfg, Path(data), cluster, conditions)
    from augft.eval.datasets.api import generate

    with tempfile.TemporaryDirectory(prefix="augft-plan-") as tmp:
        generate(str(cfg.benchmark.name), cfg, Path(tmp))
        return _plan_on(cfg, Path(tmp), cluster, conditions)


def _plan_on(cfg, data: Path, cluster: ClusterSpec, conditions: List[Condition]) -> StudyPlan:
    from augft.augment.api import generator_name, generator_params
    from augft.augment.estimate import estimate
    from augft.augment.request import AugmentRequest
    from augft.augment.tokens import TokenCounter
    from augft.core.config.settings import AugmentSettings
    from augft.core.models import count_parameters

    settings = AugmentSettings.of(cfg)
    strategies = chains.members(needed_strategies(conditions))  # a chain's strategies, each over the corpus
    aug = estimate(AugmentRequest(str(data), "", tuple(strategies or ["local"])), settings)
    m = cfg.model
    n_params = count_parameters(str(m.name), str(m.cache_dir), bool(m.trust_remote_code))
    gen_params = generator_params(settings) if any(aug.strategies[s].prompts for s in strategies) else n_params
    plan = StudyPlan(str(m.name), n_params, generator_name(settings), gen_params or n_params, aug.documents,
                     aug.corpus_tokens, cluster, cluster.gpu, _rates(cfg, cluster.gpu),
                     price=float(cfg.plan.price_per_gpu_hour), currency=str(cfg.plan.currency))
    if cfg.augment.model and str(cfg.augment.model) != str(m.name):
        plan.notes.append("corpus tokens are counted with the teacher's tokenizer (the scan's); the student's may differ")
    if gen_params is None:
        plan.notes.append(f"the teacher {plan.generator} is remote (its size is unknown): priced at the student's")
    counter = TokenCounter(str(m.name), str(m.cache_dir), bool(m.trust_remote_code))
    placements = stage_placements(cfg, cluster.gpus > 0)
    from augft.cluster.plan_stages import add_stages

    add_stages(plan, cfg, data, conditions, aug, inputs.measured(cfg, counter), counter, placements)
    return plan
