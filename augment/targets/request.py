"""What one teacher-target run is asked to do: which training texts (the corpus's sentences and
some strategies' augmentations) and where to write, apart from how (`train.distill.*`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from augft.core.errors import AugftError


@dataclass(frozen=True)
class TargetsRequest:
    data: str
    """The data folder (corpus.jsonl): the teacher's documents and the corpus's sentences."""
    out: str
    sources: Tuple[str, ...] = ("corpus",)
    """`corpus` and/or strategy names: whose texts get targets."""
    augmentations: Tuple[str, ...] = ()
    """Augment output folders the strategies' texts are read from."""

    def __post_init__(self):
        if not self.sources:
            raise AugftError("teacher targets: name at least one source (corpus or a strategy)")
