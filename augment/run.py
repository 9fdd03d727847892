"""One augment run's fixed inputs (`Run`), shared by the run's passes over the corpus."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

from augft.augment.engines.base import Sampling
from augft.augment.executor import Job
from augft.augment.hosts import RunEngines
from augft.augment.prompts import STOP
from augft.augment.planner import Planner, PlanStats
from augft.augment.tokens import TokenCounter
from augft.core.artifacts import StrategyEntry
from augft.core.config.settings import AugmentSettings
from augft.core.corpus import Corpus


def sampling(cfg, greedy: bool = False) -> Sampling:
    a = cfg.augment
    return Sampling(temperature=0.0 if greedy else float(a.temperature), top_p=float(a.top_p),
                    max_new_tokens=int(a.max_new_tokens), n=1 if greedy else int(a.num_candidates),
                    stop=list(STOP))


@dataclass
class Run:
    """One `augment` call's fixed inputs."""
    cfg: AugmentSettings
    data: str
    out: str
    strategies: Tuple[str, ...]
    corpus: Corpus
    templates: Dict[str, str]
    counter: TokenCounter
    max_context: int
    job: Job
    engine_factory: Optional[Callable] = None
    plans: Dict[str, PlanStats] = field(default_factory=dict)
    """Planning counts known on the driver (global windows); per-document strategies carry
    theirs in their units' stats."""
    entries: Dict[str, StrategyEntry] = field(default_factory=dict)
    """Manifest entries a strategy's pass builds itself (compose: its rounds, settled); the
    others' come from their summed unit stats."""
    engines: Optional[RunEngines] = None
    max_generated_tokens: int = 0
    """AugmentRequest.max_generated_tokens (0: no cap)."""
    generated: int = 0
    """Completion tokens of every unit seen so far, resumed ones included (checked against the cap)."""
    chain: str = ""
    """The chained strategy this run writes (`reverse<compose`); '' over the corpus."""
    upstream_digest: str = ""
    """A chained run's upstream shards, hashed (its resume fingerprint)."""
    upstream_kept: int = -1
    """Records a chained run's upstream kept (0: nothing to read, an empty output); -1: no chain."""

    @property
    def use_ray(self) -> bool:
        return bool(self.cfg.augment.use_ray)

    @property
    def limit(self) -> int:
        return int(self.cfg.augment.limit)

    def planner(self) -> Planner:
        a = self.cfg.augment
        return Planner(templates=self.templates, seed=int(self.cfg.seed), max_context=self.max_context,
                       max_new_tokens=int(a.max_new_tokens), count_tokens=self.counter,
                       unit_size=int(a.unit_size), long_documents=str(a.long_documents))
