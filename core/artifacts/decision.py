"""The "Which to use" section of eval and study results: every condition priced the same way
and the recommendation at a query volume (computed by core/decision.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from augft.core.artifacts.eval_results import SplitStats


@dataclass
class Priced:
    """What the decision needs of one condition: its accuracy per split and its costs."""
    condition: str
    splits: Dict[str, SplitStats]
    per_query_flops: float
    one_off: Dict[str, float] = field(default_factory=dict)
    """augment_flops, teacher_flops, train_flops, index_flops (0 when not paid)."""
    one_off_flops: float = 0.0
    retained: Optional[float] = None


@dataclass
class DecisionRow:
    condition: str
    accuracy: float
    """Pooled over the chosen splits (all their questions)."""
    ci_low: float
    ci_high: float
    n: int
    splits: Dict[str, SplitStats]
    retained: Optional[float]
    one_off: Dict[str, float]
    one_off_flops: float
    per_query_flops: float
    total_flops: float
    """one_off + Q x per_query."""
    break_even_vs_icl: Optional[float] = None
    break_even_vs_rag: Optional[float] = None
    reference_icl: Optional[str] = None
    """The condition the column is measured against (None: the study has none)."""
    reference_rag: Optional[str] = None
    control: bool = False
    """A control (core.conditions.is_control: trained on data no user has, such as the oracle's):
    in the table, never the pick."""


@dataclass
class Pick:
    best: Optional[str] = None
    """The most accurate."""
    candidates: List[str] = field(default_factory=list)
    """Every condition not below the best one's interval."""
    pick: Optional[str] = None
    """The cheapest candidate at the query volume."""
    overlap: bool = False
    """Several candidates: these data do not rank them by accuracy."""


@dataclass
class Decision(Pick):
    queries_per_day: float = 0.0
    horizon_days: float = 0.0
    queries: float = 0.0
    splits: List[str] = field(default_factory=list)
    rows: List[DecisionRow] = field(default_factory=list)
    per_split: Dict[str, Pick] = field(default_factory=dict)
    text: str = ""
    plot: str = ""
    """The accuracy-against-cost plot's file, beside the report (empty: none)."""
