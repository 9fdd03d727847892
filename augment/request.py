"""What one augment run is asked to do (which strategies, over which data, into which folder),
apart from how it runs (the config's `augment.*` settings).

The CLI builds it from the config (`from_config`); the study builds one per strategy stage,
instead of editing a copy of the config.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from augft.augment.registry import spec
from augft.core import chains
from augft.core.errors import AugftError


def _name(s) -> str:
    """A strategy's name, or a chain checked strategy by strategy (errors name augment.strategies)."""
    if not chains.is_chain(str(s)):
        return spec(s).name
    from augft.augment.registry import REGISTRY

    chains.check(str(s), list(REGISTRY), "augment.strategies")
    return str(s)


@dataclass(frozen=True)
class AugmentRequest:
    data: str
    """The corpus: a folder or URI of `corpus*.jsonl|parquet` shards."""
    out: str
    """The output folder or URI (resumable: a rerun into it continues)."""
    strategies: Tuple[str, ...]
    """The strategies to run, each declared in augment/registry.py; or one chained strategy
    (`reverse<compose`, core/chains.py) with `upstream`."""
    max_generated_tokens: int = 0
    """Stop issuing units once the run's units have generated this many tokens, counting those an
    earlier run into the same folder finished (0: no cap). Units already running finish; the run
    then raises CapReached without a manifest, and a rerun with a larger cap continues."""
    upstream: str = ""
    """A chained strategy's input: the augment output folder holding the upstream's kept records."""

    def __post_init__(self):
        if not self.strategies:
            raise AugftError("augment.strategies: at least one strategy is needed")
        object.__setattr__(self, "strategies", tuple(_name(s) for s in self.strategies))
        chained = [s for s in self.strategies if chains.is_chain(s)]
        if chained and (len(self.strategies) > 1 or not self.upstream):
            raise AugftError(f"augment: the chained strategy {chained[0]} runs alone, over the folder of its "
                             f"upstream '{chains.upstream(chained[0])}' (an augment output); got strategies "
                             f"{list(self.strategies)} and upstream '{self.upstream}'")
        if self.upstream and not chained:
            raise AugftError(f"augment: an upstream folder ({self.upstream}) is read only by a chained strategy "
                             f"(e.g. reverse<compose); got {list(self.strategies)}")

    @property
    def chain(self) -> str:
        """The chained strategy of this request ('' when it runs over the corpus)."""
        return self.strategies[0] if self.upstream else ""

    @classmethod
    def from_config(cls, cfg, data, out) -> "AugmentRequest":
        return cls(str(data), str(out), tuple(str(s) for s in cfg.augment.strategies))
