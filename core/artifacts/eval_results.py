"""Eval results (`results.json`): accuracy per split with intervals, retention and costs of
each condition, and the comparison across conditions (break-even).

Written by eval (one or several conditions) and by the study's report (every condition of a
study, compared by the same code); read by sweeps, tracking and `augft compare`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
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
class RagInfo:
    """What a rag condition retrieved: the retriever, k, the budget, its index, recall@k of the
    questions' sources per split (None where a split has no source ids), and what a query read."""
    retriever: str
    k: int
    budget_tokens: int
    index_key: Optional[str] = None
    index_docs: Optional[int] = None
    recall_at_k: Dict[str, Optional[float]] = field(default_factory=dict)
    docs_per_query: float = 0.0
    context_tokens_per_query: float = 0.0
    empty_contexts: int = 0


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
    rag: Optional[RagInfo] = None
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
    retrieval_flops_per_query: float = 0.0
    """A retriever's own compute per query (a dense retriever's query embedding)."""
    retrieval_seconds_per_query: float = 0.0
    context: str = "none"
    """What the model reads before a question: none, icl or rag."""


@dataclass
class OneOffCost:
    train_flops: Optional[float] = None
    augment_flops: Optional[float] = None
    index_flops: Optional[float] = None
    """Building a retrieval index (rag conditions)."""
    teacher_flops: Optional[float] = None
    """Writing a distilled model's teacher targets."""

    def parts(self) -> tuple:
        return (self.train_flops, self.augment_flops, self.index_flops, self.teacher_flops)

    @property
    def total(self) -> float:
        return sum(v for v in self.parts() if v is not None)

    @property
    def known(self) -> bool:
        return any(self.parts())


@dataclass
class ConditionCost(QueryCost):
    """A condition's per-query cost and its one-off cost, in FLOPs (2 x params x tokens)."""
    flops_per_query: float = 0.0
    train_flops: Optional[float] = None
    augment_flops: Optional[float] = None
    index_flops: Optional[float] = None
    teacher_flops: Optional[float] = None
    one_off_flops: float = 0.0

    @property
    def query(self) -> QueryCost:
        return QueryCost(**{f.name: getattr(self, f.name) for f in fields(QueryCost)})

    @property
    def one_off(self) -> OneOffCost:
        return OneOffCost(self.train_flops, self.augment_flops, self.index_flops, self.teacher_flops)


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
    decision: Optional["Decision"] = None
    """Which to use, with several conditions (core/decision.py)."""
    schema: int = 1

    def condition(self, label: str) -> ConditionSummary:
        return self.conditions[label]


from augft.core.artifacts.decision import Decision  # noqa: E402  (it refers to SplitStats above)
