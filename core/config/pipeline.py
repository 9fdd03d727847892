"""Pipeline section (owned by cluster/): the end-to-end study (`augft run`) and sweeps."""
from dataclasses import dataclass, field
from typing import List, Optional

from augft.core.config.augment import Strategy
from augft.core.config.checks import Choice, require
from augft.core.config.train import Split


class Search(Choice):
    optuna = "optuna"
    random = "random"


class Objective(Choice):
    accuracy = "accuracy"
    accuracy_per_cost = "accuracy_per_cost"


class SweepMethod(Choice):
    aug_ft = "aug_ft"
    distill = "distill"


@dataclass
class SweepConfig:
    num_samples: int = 8
    """Trials the search algorithm proposes."""
    search: Search = Search.optuna
    """Search algorithm: optuna (TPE, Bayesian) or random."""
    max_epochs: int = 3
    """Epochs per trial; the trial reports validation accuracy after each (ASHA's time axis)."""
    grace_period: int = 1
    """ASHA: epochs every trial runs before it can be stopped early."""
    reduction_factor: int = 2
    """ASHA: keep the top 1/reduction_factor of trials at each rung."""
    max_failures: int = 1
    """Retries of a failed trial before it is recorded as failed (it is never dropped)."""
    weight_choices: List[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0])
    """Candidate mix weights for each searched strategy (0 leaves it out)."""
    strategies: List[Strategy] = field(default_factory=lambda: [Strategy.local, Strategy["global"], Strategy.entity])
    """Strategies whose mix weights are searched."""
    candidates_choices: List[int] = field(default_factory=lambda: [1, 2, 4])
    """Candidate values for augment.num_candidates (augmentations sampled per prompt)."""
    temperature_choices: List[float] = field(default_factory=lambda: [0.3, 0.6, 0.9, 1.2])
    """Sampling temperatures searched (augment.temperature), a discrete set: the temperature is
    part of the augmentation's key, so trials that draw the same value share one augmentation
    (a continuous range would re-augment the corpus with the teacher in every trial)."""
    split_choices: List[Split] = field(default_factory=lambda: [Split.independent, Split.cumulative])
    """Candidate sentence-splitting modes (train.split)."""
    validation_split: str = ""
    """Split the objective is measured on; empty picks `rephrase`, else `forward` (people)."""
    test_eval: bool = True
    """Evaluate the best configuration once on the test splits after the search."""
    method: SweepMethod = SweepMethod.aug_ft
    """How each trial's model learns the mix: aug_ft (cross-entropy on corpus + augmentations) or
    distill (context distillation on the teacher's targets of the same texts)."""
    rag: bool = False
    """Evaluate each trial's model with retrieval in front of it (`<model>+rag`, eval.rag.*)."""
    objective: Objective = Objective.accuracy
    """What the search maximizes: accuracy (validation accuracy) or accuracy_per_cost (validation
    accuracy per exaFLOP of the trial's total cost at report.queries_per_day over
    report.horizon_days: augmentation + training once, plus every query)."""

    def __post_init__(self):
        require(self.num_samples >= 1, "pipeline.sweep.num_samples", "must be >= 1")
        require(self.max_epochs >= 1, "pipeline.sweep.max_epochs", "must be >= 1")
        require(1 <= self.grace_period <= self.max_epochs, "pipeline.sweep.grace_period",
                "must be between 1 and pipeline.sweep.max_epochs")
        require(self.reduction_factor >= 2, "pipeline.sweep.reduction_factor", "must be >= 2")
        require(bool(self.weight_choices) and all(w >= 0 for w in self.weight_choices),
                "pipeline.sweep.weight_choices", "needs at least one weight, all >= 0")
        require(bool(self.candidates_choices) and all(c >= 1 for c in self.candidates_choices),
                "pipeline.sweep.candidates_choices", "needs at least one value, all >= 1")
        require(bool(self.split_choices), "pipeline.sweep.split_choices", "needs at least one mode")
        require(bool(self.temperature_choices) and all(t >= 0 for t in self.temperature_choices),
                "pipeline.sweep.temperature_choices", "needs at least one temperature, all >= 0")


@dataclass
class BudgetConfig:
    """What a study (`augft run`) may spend, in all, over every rerun into the same --out; 0 or
    null: no cap. Before each stage the study compares the stage's estimate (`augft plan`'s own
    estimators) with what is left and refuses to start it when it would exceed it; augmentation
    also stops itself at the token cap mid-stage, resumably (docs/plan.md, "Budgets")."""
    gpu_hours: Optional[float] = None
    """GPU-hours: each stage's wall time x the GPUs it holds (cached stages count what they spent)."""
    money: Optional[float] = None
    """Money, in plan.currency: GPU-hours x plan.price_per_gpu_hour (which must then be set)."""
    tokens: Optional[int] = None
    """Tokens the augmentation models generate (every candidate, every strategy); augmentation
    stops issuing units once its stage reaches what is left, and a rerun with a larger cap continues."""

    def __post_init__(self):
        for key in ("gpu_hours", "money", "tokens"):
            v = getattr(self, key)
            require(v is None or v >= 0, f"pipeline.budget.{key}", f"must be >= 0 (0 or null: no cap), got {v}")


@dataclass
class PipelineConfig:
    cache: bool = True
    """Skip stages whose config and inputs are unchanged since a finished run."""
    conditions: List[str] = field(default_factory=lambda: [
        "base", "icl", "ft", "aug_ft[local]", "aug_ft[global]", "aug_ft[entity]",
        "aug_ft[local+global]", "aug_ft[oracle]", "ft+icl"])
    """Conditions of the study: base, icl, rag[<retriever>], ft, aug_ft[<strategy>+<strategy>...]
    (one model trained on the corpus plus those strategies' augmentations; `a<b` is strategy a run over
    the records strategy b kept, e.g. aug_ft[local+reverse<compose], docs/augment.md), distill[<strategy>+...],
    and <trained>+icl / <trained>+rag. Names are lower case; any other name is an error (a study
    trains only these). On the command line quote bracketed labels: 'pipeline.conditions=[ft,"aug_ft[local]"]'."""
    aug_weight: float = 1.0
    """Mix weight of each strategy's augmentations in an aug_ft condition (corpus weight 1)."""
    min_kept_share: float = 0.05
    """A strategy whose augmentation kept less than this share of the statements the model wrote
    (or nothing) is flagged as degenerate on the console, in report.md and in MLflow (tag
    augft.degenerate): its aug_ft condition trains on little more than ft's data."""
    print_report: bool = True
    """Print the comparison table at the end of `augft run`."""
    sweep: SweepConfig = field(default_factory=SweepConfig)
    """`augft sweep`: the search over the augmentation mix."""
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    """What `augft run` may spend: GPU-hours, money, generated tokens (0 or null: no cap)."""

    def __post_init__(self):
        from augft.core.conditions import parse_all

        parse_all(self.conditions, key="pipeline.conditions", names=())
        require(self.aug_weight >= 0, "pipeline.aug_weight", f"must be >= 0, got {self.aug_weight}")
        require(0 <= self.min_kept_share <= 1, "pipeline.min_kept_share",
                f"must be in [0, 1], got {self.min_kept_share}")
