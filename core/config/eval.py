"""Eval section (owned by eval/)."""
from dataclasses import dataclass, field
from typing import List


@dataclass
class EvalConfig:
    conditions: List[str] = field(default_factory=lambda: ["base", "icl"])
    """Conditions to evaluate: base, icl, ft, aug_ft, ft+icl."""
    scoring: str = "sum"
    """Multiple-choice score: sum (total log-likelihood), mean (per token) or calibrated."""
    batch_size: int = 16
    """Questions scored per forward batch."""
    bootstrap: int = 1000
    """Bootstrap resamples for the 95% confidence intervals."""
