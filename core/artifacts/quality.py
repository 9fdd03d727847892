"""Checker verdicts on augmentations (`quality.json`, beside an augment manifest): how many
statements a built-in benchmark's exact checker finds true, false or uncheckable, and how many
of its test-relevant inferences they state. User data has no checker and no such file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict


@dataclass
class StrategyQuality:
    n: int
    true: int
    false: int
    uncheckable: int
    targets: int
    """Inferences the benchmark's questions test (`checker.targets()`)."""
    covered: int
    """How many of them some statement states."""

    @property
    def coverage(self) -> float:
        return self.covered / self.targets if self.targets else 0.0

    def share(self, verdict: str) -> float:
        return getattr(self, verdict) / self.n if self.n else 0.0


@dataclass
class Quality:
    SCHEMA: ClassVar[int] = 1
    strategies: Dict[str, StrategyQuality] = field(default_factory=dict)
    schema: int = 1
