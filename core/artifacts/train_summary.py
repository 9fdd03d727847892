"""The train summary (`summary.json`): what one training run did and what it cost.

Rank 0's workers write a `WorkerSummary` (the loop's own numbers); train adds how the run was
launched and what data it read into a `TrainSummary`. Read by eval's cost model (training
FLOPs), the study and tracking.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional


@dataclass
class DataStats:
    """The training set as built: examples, blocks, tokens, padding."""
    n_examples: int = 0
    n_eval_examples: int = 0
    truncated: int = 0
    n_blocks: int = 0
    n_eval_blocks: int = 0
    sources: Dict[str, int] = field(default_factory=dict)
    """Training examples per mix source (`corpus`, a strategy, `replay`)."""
    scored_tokens: int = 0
    input_tokens: int = 0
    padding_waste: float = 0.0
    padding_waste_unpacked: float = 0.0
    padding_waste_packed: float = 0.0
    has_eval: bool = False
    top_k: int = 0
    """Context distillation: the teacher's next-token candidates stored per token (0: none)."""
    distill: bool = False


@dataclass
class WorkerSummary:
    """Rank 0's account of the training loop."""
    SCHEMA: ClassVar[int] = 1
    steps: int
    resumed_from: int
    tokens: int
    """Tokens of every step, those before a resume included (tokens_per_s: this session's only)."""
    wall_s: float
    train_flops: float
    """6 x parameters x tokens trained (the usual forward+backward estimate), over every step:
    a resumed run counts the steps before its resume from the checkpoint's token count."""
    n_params: int
    world_size: int
    final_loss: Optional[float] = None
    final_eval_loss: Optional[float] = None
    tokens_per_s: float = 0.0
    model: Optional[str] = None
    """The exported model folder (None when export was off)."""
    metrics_run: str = ""
    """The MLflow run rank 0 logged every metric row to while training ('' when none): the
    stage's end then does not log them again."""
    gpus: float = 0.0
    """GPUs the workers trained on (world_size on CUDA; 0 on CPUs), so GPU-hours follow from wall_s."""
    gpu_type: str = ""
    """Their type as core.gpus spells it (H100, ...; a name not in its table as torch gives it),
    `cpu` on CPUs, empty in summaries written before it was recorded."""
    schema: int = 1


@dataclass
class TrainSummary(WorkerSummary):
    """A finished training run: the loop's numbers plus its launch and data."""
    launch_wall_s: float = 0.0
    n_examples: int = 0
    padding_waste: float = 0.0
    data: DataStats = field(default_factory=DataStats)
    launcher: str = ""
    zero_stage: int = 0
    precision: str = ""
    num_workers: int = 1
    batch_size: int = 0
    micro_batch: int = 0
    grad_accum: int = 1
    block_size: int = 0
    packing: bool = False
    lora: bool = False
    base_model: str = ""
    mix: Dict[str, float] = field(default_factory=dict)
    augmentations: List[str] = field(default_factory=list)
    distill: Dict[str, float] = field(default_factory=dict)
    """Context distillation's settings ({alpha, top_k}); empty for cross-entropy training."""
    targets: List[str] = field(default_factory=list)
    """Teacher-target folders a distilled model trained on."""

    @classmethod
    def of(cls, worker: WorkerSummary, **launch) -> "TrainSummary":
        base = {f.name: getattr(worker, f.name) for f in dataclasses.fields(WorkerSummary)}
        return cls(**base, **launch)
