"""A study's report (`<out>/report/results.json`): every condition compared (eval's results
format) plus what only the study knows: how each augmentation went, the checker's verdicts, the
test set's origin, each stage's wall time and folder."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional

from augft.core.artifacts.eval_results import EvalResults
from augft.core.artifacts.quality import StrategyQuality


@dataclass
class AugmentationCounts:
    """What a strategy's model wrote: kept, filtered by reason, failed; `degenerate` says why
    training on it would be (almost) plain fine-tuning."""
    kept: int
    filtered: Dict[str, int] = field(default_factory=dict)
    failed: int = 0
    degenerate: Optional[str] = None

    @property
    def written(self) -> int:
        """Statements the model wrote: kept, filtered and failed."""
        return self.kept + sum(self.filtered.values()) + self.failed

    @property
    def share(self) -> Optional[float]:
        return self.kept / self.written if self.written else None


@dataclass
class TestSetSummary:
    """A test set `augft questions` generated: who wrote and judged it, what each split kept."""
    generated: bool
    writer: str
    judge: str
    rule: str
    kept: Dict[str, int] = field(default_factory=dict)
    keep_rule: str = ""
    """questions.keep_rule that built it (`fair`, `icl_checked`); "" for a set built without the
    rule (questions.filter=false) or before the key existed."""
    dropped: Dict[str, int] = field(default_factory=dict)
    """Candidates the rule dropped per reason, all splits together."""


@dataclass
class CostRow:
    """One condition's line of the study's cost table (FLOPs and measured wall times)."""
    condition: str
    augment_flops: Optional[float] = None
    train_flops: Optional[float] = None
    per_query_flops: Optional[float] = None
    break_even_queries: Optional[float] = None
    augment_wall_s: Optional[float] = None
    train_wall_s: Optional[float] = None
    eval_wall_s: Optional[float] = None


@dataclass
class StageRecord:
    dir: str
    key: str
    cached: bool
    wall_s: float


@dataclass
class Spend:
    """What a stage costs: wall time, GPU-seconds (wall x the GPUs it held), tokens (augment: the
    tokens its models generated; train: the tokens trained; eval: the tokens scored) and FLOPs.
    None: not known (a stage without GPUs has no GPU-seconds estimate)."""
    wall_s: Optional[float] = None
    gpu_s: Optional[float] = None
    tokens: Optional[float] = None
    flops: Optional[float] = None


@dataclass
class StageSpend:
    """`<stage folder>/spend.json`, written by the study after every attempt at a stage (finished,
    failed or stopped by the budget): what it has spent in all, so a budget counts it across
    reruns. Wall and GPU-seconds add up over attempts; tokens and FLOPs are the stage's own
    cumulative counts (a resumed augmentation's units, a resumed training's steps)."""
    SCHEMA: ClassVar[int] = 1
    kind: str
    attempts: int = 0
    spent: Spend = field(default_factory=Spend)
    gpus: float = 0.0
    """GPUs the stage held (its artifact's record, else the placement it reserves)."""
    gpu_type: str = ""
    done: bool = False
    schema: int = 1


@dataclass
class PlanActual:
    """One stage's estimate (`augft plan`'s, made when the study started it) beside what it spent."""
    stage: str
    kind: str
    estimate: Spend = field(default_factory=Spend)
    actual: Spend = field(default_factory=Spend)
    cached: bool = False


@dataclass
class StudyResults(EvalResults):
    quality: Dict[str, StrategyQuality] = field(default_factory=dict)
    augmentations: Dict[str, AugmentationCounts] = field(default_factory=dict)
    test_set: Optional[TestSetSummary] = None
    cost_table: List[CostRow] = field(default_factory=list)
    stages: Dict[str, StageRecord] = field(default_factory=dict)
    run_id: Optional[str] = None
    plan_vs_actual: List[PlanActual] = field(default_factory=list)
    """Each stage's estimate beside what it spent, in the study's order."""
