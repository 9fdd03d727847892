"""Eval results (`results.json`): accuracy per split with intervals, retention and costs of
each condition, and the comparison across conditions (break-even).

Written by eval (one or several conditions) and by the study's report (every condition of a
study, compared by the same code); read by sweeps, tracking and `augft compare`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional


@dataclass
class SplitStats:
    """Accuracy on one split (or split/kind) with its 95% interval, size and chance level."""
    accuracy: float
    n: int
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    chance: Optional[float] = None


@dataclass
class IclSample:
    """The documents an ICL condition had in context (a seeded subsample when they did not fit)."""
    docs_used: int
    docs_total: int
    context_tokens: int
    budget_tokens: int
    subsampled: bool
    seed: int
    doc_ids_sha256: str = ""
    doc_ids: List[str] = field(default_factory=list)


@dataclass
class Retained:
    """Accuracy on the retention questions the base model answers correctly."""
    accuracy: float
    n: int


@dataclass
class Retention:
    general_ppl: Optional[float] = None
    """Perplexity on general text shipped with Python (a rise is what fine-tuning forgot)."""
    retained: Optional[Retained] = None


@dataclass
class ConditionSummary:
    """One condition's measurements."""
    model: str
    model_label: str
    splits: Dict[str, SplitStats]
    kinds: Dict[str, SplitStats] = field(default_factory=dict)
    by_scoring: Dict[str, Dict[str, float]] = field(default_factory=dict)
    """Accuracy per split under each scoring variant (sum, mean, calibrated)."""
    seconds: float = 0.0
    icl: Optional[IclSample] = None
    retention: Optional[Retention] = None


@dataclass
class QueryCost:
    """What one query of a condition reads, measured while scoring it."""
    n_params: int
    icl: bool
    finetuned: bool
    prompt_tokens_per_query: float
    tokens_per_query: float
    """Context + prompt + every choice (all choices are scored)."""
    seconds_per_query: float = 0.0


@dataclass
class OneOffCost:
    train_flops: Optional[float] = None
    augment_flops: Optional[float] = None

    @property
    def total(self) -> float:
        return sum(v for v in (self.train_flops, self.augment_flops) if v is not None)

    @property
    def known(self) -> bool:
        return bool(self.train_flops or self.augment_flops)


@dataclass
class ConditionCost(QueryCost):
    """A condition's per-query cost and its one-off cost, in FLOPs (2 x params x tokens)."""
    flops_per_query: float = 0.0
    train_flops: Optional[float] = None
    augment_flops: Optional[float] = None
    one_off_flops: float = 0.0

    @property
    def query(self) -> QueryCost:
        return QueryCost(self.n_params, self.icl, self.finetuned, self.prompt_tokens_per_query,
                         self.tokens_per_query, self.seconds_per_query)

    @property
    def one_off(self) -> OneOffCost:
        return OneOffCost(self.train_flops, self.augment_flops)


@dataclass
class BreakEven:
    """After how many queries a fine-tuned condition costs less than an ICL one."""
    queries: Optional[float]
    """None: never (it is not cheaper per query)."""
    one_off_flops: float
    saving_per_query_flops: float
    one_off_known: bool


@dataclass
class CostTable:
    conditions: Dict[str, ConditionCost] = field(default_factory=dict)
    break_even: Dict[str, BreakEven] = field(default_factory=dict)
    """`<fine-tuned> vs <icl condition>` -> its break-even."""


@dataclass
class EvalResults:
    """Every evaluated condition, compared. `complete` is true only when all finished."""
    SCHEMA: ClassVar[int] = 1
    conditions: Dict[str, ConditionSummary]
    costs: CostTable
    scoring: str = "sum"
    interval: str = "wilson"
    n_questions: int = 0
    complete: bool = True
    plots: Dict[str, str] = field(default_factory=dict)
    schema: int = 1

    def condition(self, label: str) -> ConditionSummary:
        return self.conditions[label]
