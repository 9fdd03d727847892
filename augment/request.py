"""What one augment run is asked to do (which strategies, over which data, into which folder),
apart from how it runs (the config's `augment.*` settings).

The CLI builds it from the config (`from_config`); the study builds one per strategy stage,
instead of editing a copy of the config.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from augft.augment.registry import spec
from augft.core.errors import AugftError


@dataclass(frozen=True)
class AugmentRequest:
    data: str
    """The corpus: a folder or URI of `corpus*.jsonl|parquet` shards."""
    out: str
    """The output folder or URI (resumable: a rerun into it continues)."""
    strategies: Tuple[str, ...]
    """The strategies to run, each declared in augment/registry.py."""
    max_generated_tokens: int = 0
    """Stop issuing units once the run's units have generated this many tokens, counting those an
    earlier run into the same folder finished (0: no cap). Units already running finish; the run
    then raises CapReached without a manifest, and a rerun with a larger cap continues."""

    def __post_init__(self):
        if not self.strategies:
            raise AugftError("augment.strategies: at least one strategy is needed")
        object.__setattr__(self, "strategies", tuple(spec(s).name for s in self.strategies))

    @classmethod
    def from_config(cls, cfg, data, out) -> "AugmentRequest":
        return cls(str(data), str(out), tuple(str(s) for s in cfg.augment.strategies))
