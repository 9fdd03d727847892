"""The workers' plan: everything a training worker needs, resolved by the driver.

`augft train` writes it to OUT/plan.json; every launcher (Ray Train, torchrun, one process)
hands the path to `loop.run_worker`, which reads it back with `WorkerPlan.from_json`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from augft.core.artifacts import DataStats, read_typed, write_artifact


@dataclass
class LoraSpec:
    r: int
    lora_alpha: int
    lora_dropout: float
    target_modules: List[str]

    def kwargs(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class WorkerPlan:
    out: str
    """The run's output folder (checkpoints, metrics.jsonl, model/)."""
    model_path: str
    train_data: str
    """Token shard folder of the training blocks (train/shards.py)."""
    eval_data: str
    """Token shard folder of the held-out blocks; empty when train.eval_fraction=0."""
    run_id: str
    """Names this run in its checkpoints, so a restarted worker group resumes only from them."""
    use_gpu: bool
    precision: str
    seed: int
    lr: float
    weight_decay: float
    schedule: str
    warmup_steps: int
    min_lr_ratio: float
    total_steps: int
    batch_size: int
    micro_batch: int
    grad_accum: int
    packing: bool
    pad_id: int
    eval_every: int
    checkpoint_every: int
    keep_checkpoints: int
    log_every: int
    peak_flops: float
    export: bool
    ds_config: dict
    """DeepSpeed's own config (its format, passed to deepspeed.initialize as is)."""
    mix: Dict[str, float] = field(default_factory=dict)
    mix_counts: bool = False
    resume_dir: str = ""
    lora: Optional[LoraSpec] = None
    data_stats: DataStats = field(default_factory=DataStats)
    distill: Dict[str, float] = field(default_factory=dict)
    """Context distillation ({alpha, top_k}); empty trains on cross-entropy alone."""
    gradient_checkpointing: bool = False
    attn_implementation: str = "sdpa"
    mlflow_uri: str = ""
    mlflow_run_id: str = ""
    """The MLflow run rank 0 logs metric rows to while training ('' for none)."""
    request_key: str = ""
    """What this training is (train.api.request_key): a rerun with the same key resumes its checkpoints."""

    @property
    def zero_stage(self) -> int:
        return int(self.ds_config["zero_optimization"]["stage"])

    def identity(self) -> dict:
        """What a checkpoint must share with a run that resumes from it (besides world size
        and ZeRO stage): the same seed, batch and mix give the same batches after resuming."""
        return {"seed": self.seed, "batch_size": self.batch_size, "mix": dict(self.mix),
                "mix_counts": self.mix_counts, "request_key": self.request_key}

    def to_json(self, path: Path) -> Path:
        return write_artifact(path, self, indent=1)

    @classmethod
    def from_json(cls, path: Path) -> "WorkerPlan":
        # unknown keys (a plan of another augft version) fail naming the file and key
        return read_typed(path, cls, "training plan")
