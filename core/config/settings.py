"""What each stage reads of the config: its settings, as one typed value per stage.

A stage is asked for work with a request (what: which strategies, which mix, which conditions)
and runs it with its settings (how: sampling, training, scoring). The settings hold only the
config sections the stage reads, so a stage cannot come to depend on another stage's section
(or the study's) without it showing here. The CLI and the study build them from the loaded,
checked config with `of(cfg)`. A section is the loaded config's DictConfig of the annotated
schema dataclass (same keys, types and choices; Ray actors rebuild it from YAML); a change made
with `with_*` reruns the section's checks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from augft.core.config.augment import AugmentConfig
from augft.core.config.cluster import ClusterConfig
from augft.core.config.eval import EvalConfig
from augft.core.config.model import ModelConfig
from augft.core.config.report import ReportConfig
from augft.core.config.train import DistillConfig, TrainConfig


@dataclass(frozen=True)
class AugmentSettings:
    augment: AugmentConfig
    model: ModelConfig
    """The student (and, unless augment.model names another, the teacher)."""
    cluster: ClusterConfig
    seed: int
    max_document_tokens: int

    @classmethod
    def of(cls, cfg) -> "AugmentSettings":
        return cls(cfg.augment, cfg.model, cfg.cluster, int(cfg.seed), int(cfg.max_document_tokens))

    def with_augment(self, **changes: object) -> "AugmentSettings":
        """The same settings with `augment.<key>` values replaced, the section's checks rerun."""
        from dataclasses import replace

        from augft.core.config.load import merge_checked

        merged = merge_checked(self.augment, changes, "AugmentSettings.with_augment")
        # A DictConfig of the AugmentConfig schema, as every settings section (module docstring).
        return replace(self, augment=cast(AugmentConfig, merged))


@dataclass(frozen=True)
class TargetsSettings:
    """What teacher targets (context distillation) read: how to distill (train.distill), the
    teacher model, its vLLM settings (augment.vllm) and where Ray runs."""
    distill: DistillConfig
    augment: AugmentConfig
    model: ModelConfig
    cluster: ClusterConfig
    seed: int

    @classmethod
    def of(cls, cfg) -> "TargetsSettings":
        return cls(cfg.train.distill, cfg.augment, cfg.model, cfg.cluster, int(cfg.seed))


@dataclass(frozen=True)
class TrainSettings:
    train: TrainConfig
    model: ModelConfig
    cluster: ClusterConfig
    seed: int

    @classmethod
    def of(cls, cfg) -> "TrainSettings":
        return cls(cfg.train, cfg.model, cfg.cluster, int(cfg.seed))


@dataclass(frozen=True)
class EvalSettings:
    eval: EvalConfig
    model: ModelConfig
    cluster: ClusterConfig
    """Where scoring runs with eval.use_ray (and retrieval indexes are built with eval.rag.use_ray)."""
    report: ReportConfig
    """The query volume the "Which to use" recommendation prices conditions at."""
    seed: int

    @classmethod
    def of(cls, cfg) -> "EvalSettings":
        return cls(cfg.eval, cfg.model, cfg.cluster, cfg.report, int(cfg.seed))
