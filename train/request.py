"""What one training run is asked to do (the mix, the augment folders it draws from, a checkpoint
to resume, a model to continue), apart from how it trains (the config's `train.*` settings).

The CLI builds it from the config (`from_config`: train.mix, train.augmentations,
train.resume, model.name); the study builds one per mix, instead of editing a copy of the config.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Tuple

from augft.core.errors import AugftError


@dataclass(frozen=True)
class TrainRequest:
    data: str
    """The data folder (corpus.jsonl)."""
    out: str
    mix: Mapping[str, float]
    """Source -> weight (or count, with train.mix_counts): `corpus`, `replay`, strategies."""
    augmentations: Tuple[str, ...] = ()
    """Augment output folders the mix's strategies are read from."""
    resume: str = ""
    """'' (a fresh run), 'auto' (this folder's latest checkpoint), or a checkpoint folder."""
    base_model: str = ""
    """The model to fine-tune; '' is `model.name` (a sweep rung continues an earlier model)."""
    targets: Tuple[str, ...] = ()
    """Teacher-target folders (augment/targets): when given, the model learns by context
    distillation on their rows (the mix's sources are theirs) with train.distill's loss."""

    def __post_init__(self):
        if not self.mix:
            raise AugftError("train.mix is empty: name at least one source, e.g. train.mix={corpus:1.0}")
        object.__setattr__(self, "mix", {str(k): float(v) for k, v in dict(self.mix).items()})
        object.__setattr__(self, "augmentations", tuple(str(a) for a in self.augmentations))
        object.__setattr__(self, "targets", tuple(str(a) for a in self.targets))

    @classmethod
    def from_config(cls, cfg, data, out) -> "TrainRequest":
        t = cfg.train
        return cls(str(data), str(out), dict(t.mix), tuple(t.augmentations), str(t.resume or ""), "",
                   tuple(t.targets))

    def check_inputs(self) -> None:
        """Before any work (and before the out folder is touched): every augmentation folder exists
        and the mix draws from it, so none is silently ignored."""
        if not self.targets:
            from augft.core.corpus import discover
            from augft.train.data import check_augmentation_folders

            if "corpus" in self.mix:
                discover(self.data)  # a corpus is there, in one form (a fresh run clears --out's checkpoints)
            check_augmentation_folders(self.augmentations, dict(self.mix))

    def model(self, cfg) -> str:
        return self.base_model or str(cfg.model.name)
