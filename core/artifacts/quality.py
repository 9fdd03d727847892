"""Checker verdicts on augmentations (`quality.json`, beside an augment manifest): how many
statements a built-in benchmark's exact checker finds true, false or uncheckable, and how many
of its test-relevant inferences they state. User data has no checker and no such file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional


@dataclass
class StepCoverage:
    targets: int = 0
    covered: int = 0


@dataclass
class Coverage:
    """Targets stated, in all and by the steps of inference they need (`checker.target_steps()`;
    a checker without it has single-step targets only)."""
    targets: int = 0
    covered: int = 0
    multi_step: StepCoverage = field(default_factory=StepCoverage)
    """Targets that need two or more steps."""
    by_steps: Dict[str, StepCoverage] = field(default_factory=dict)
    """Per number of steps ("1", "2", ...)."""
    by_direction: Dict[str, StepCoverage] = field(default_factory=dict)
    """Per direction, on a checker that knows it (family): `stated` (the target's own order,
    "X is a grandparent of Y"), `other` ("A grandparent of Y is X"), `both`."""


@dataclass
class Ledger:
    """What a strategy (or a round) derived about named individuals, on a checker that knows them."""
    individuals: int = 0
    """Distinct individuals its statements name."""
    about_individuals: int = 0
    """Statements that name at least one individual."""
    depth: int = 0
    """The most inference steps of a target it states (0: none)."""

    @property
    def per_individual(self) -> float:
        return self.about_individuals / self.individuals if self.individuals else 0.0


@dataclass
class RoundQuality:
    """One round's statements (a strategy that runs in rounds: compose)."""
    round: int
    n: int = 0
    true: int = 0
    false: int = 0
    uncheckable: int = 0
    targets: int = 0
    covered: int = 0
    multi_step: StepCoverage = field(default_factory=StepCoverage)
    by_steps: Dict[str, StepCoverage] = field(default_factory=dict)
    by_direction: Dict[str, StepCoverage] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    cumulative: Optional[Coverage] = None
    """The targets stated by this round and the rounds before it."""


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
    multi_step: StepCoverage = field(default_factory=StepCoverage)
    """Targets that need two or more steps of inference, and how many are stated."""
    by_steps: Dict[str, StepCoverage] = field(default_factory=dict)
    """Targets and stated ones per number of steps ("1", "2", ...)."""
    rounds: List[RoundQuality] = field(default_factory=list)
    """Per round, for a strategy that runs in rounds (compose)."""
    by_direction: Dict[str, StepCoverage] = field(default_factory=dict)
    """Targets stated per direction (Coverage.by_direction); empty where the checker cannot tell."""
    ledger: Ledger = field(default_factory=Ledger)
    """Statements per named individual and the depth reached."""

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
