"""What one eval run is asked to do (which conditions, which trained models, which splits, which
files price them), apart from how it scores (the config's `eval.*` settings).

The CLI builds it from the config (`from_config`: eval.conditions, eval.models, eval.splits,
eval.costs); the study builds one per condition, instead of editing a copy of the config.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple

from augft.core.errors import AugftError


@dataclass(frozen=True)
class EvalRequest:
    data: str
    """The data folder: questions.jsonl (and corpus.jsonl for ICL conditions)."""
    out: str
    conditions: Tuple[str, ...]
    """Condition labels (base, icl, ft, aug_ft[...], <trained>+icl)."""
    models: Mapping[str, str] = field(default_factory=dict)
    """Trained label -> model folder."""
    splits: Optional[Tuple[str, ...]] = None
    """Only these question splits (None: every split, plus the retention questions)."""
    train_summaries: Mapping[str, str] = field(default_factory=dict)
    """Condition label -> train summary.json (its training FLOPs)."""
    augment_manifests: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    """Condition label -> every augment manifest.json its training read (their generation FLOPs)."""
    indexes: Mapping[str, str] = field(default_factory=dict)
    """Retriever -> a built index folder (the study's index stage); a rag condition whose
    retriever has none gets its index built (or found) under eval.rag.index_dir or the output."""
    one_off: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Condition label -> other one-off FLOPs by name (e.g. teacher_flops of a distilled model)."""

    def __post_init__(self):
        if not self.conditions:
            raise AugftError("eval.conditions: at least one condition is needed")

    @classmethod
    def from_config(cls, cfg, data, out, models: Optional[Mapping[str, str]] = None) -> "EvalRequest":
        e = cfg.eval
        return cls(str(data), str(out), tuple(str(c) for c in e.conditions),
                   {**{str(k): str(v) for k, v in dict(e.models).items()}, **dict(models or {})},
                   tuple(str(s) for s in e.splits) if e.splits else None,
                   {str(k): str(v) for k, v in dict(e.costs.train_summaries).items()},
                   {str(k): tuple(str(m) for m in v) for k, v in dict(e.costs.augment_manifests).items()},
                   {}, {str(k): {"teacher_flops": teacher_flops(v, f"eval.costs.teacher_targets.{k}")}
                        for k, v in dict(e.costs.teacher_targets).items()})


def teacher_flops(manifests, key: str) -> float:
    """The teacher's one-off FLOPs over the teacher-target outputs whose manifests are named."""
    from pathlib import Path

    from augft.core.artifacts import ArtifactError
    from augft.core.targets import TargetsOutput

    try:
        return sum(TargetsOutput(Path(str(m)).parent).teacher_flops() for m in manifests)
    except ArtifactError as exc:
        raise AugftError(f"{exc} (named by {key})") from None
