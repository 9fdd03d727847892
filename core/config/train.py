"""Train section (owned by train/)."""
from dataclasses import dataclass, field
from typing import Dict, List


@dataclass
class TrainConfig:
    augmentations: List[str] = field(default_factory=list)
    """Augmentation output folders (each with manifest.json and <strategy>/part-*.parquet) to draw
    the mix's strategies from."""
    mix: Dict[str, float] = field(default_factory=lambda: {"corpus": 1.0})
    """Sources of the training set: `corpus` or a strategy name -> weight. A weight w takes
    round(w x n) of that source's examples (w<1 subsamples, w>1 repeats), deterministic by seed;
    with `mix_counts` the values are absolute example counts instead."""
    mix_counts: bool = False
    """Read `mix` values as absolute example counts rather than multiples of each source's size."""
    split: str = "independent"
    """Sentence splitting of multi-sentence texts: independent (one example per sentence),
    cumulative (each sentence with the preceding ones as unscored context) or none."""
    packing: bool = True
    """Pack short examples into `block_size` blocks with attention kept inside each example
    (position ids restart per example); off pads each micro-batch to its longest example."""
    epochs: float = 3.0
    """Passes over the training set (ignored when max_steps > 0)."""
    max_steps: int = 0
    """Optimizer steps to run; 0 derives them from `epochs`."""
    lr: float = 5e-5
    """Peak learning rate (AdamW)."""
    schedule: str = "cosine"
    """Learning-rate decay after warmup: cosine, linear or constant."""
    warmup_ratio: float = 0.05
    """Fraction of the optimizer steps spent warming the learning rate up linearly from 0."""
    min_lr_ratio: float = 0.1
    """Final learning rate as a fraction of `lr` (cosine and linear schedules)."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient clipping threshold on the global norm (0 = no clipping)."""
    batch_size: int = 16
    """Global batch size in examples (in blocks when packing) per optimizer step."""
    micro_batch_size: int = 0
    """Examples per worker per forward pass; 0 = batch_size / num_workers (no accumulation).
    Gradient accumulation steps = batch_size / (micro_batch_size x num_workers)."""
    block_size: int = 128
    """Tokens per training block (the longest example; longer ones are truncated)."""
    zero_stage: int = 3
    """DeepSpeed ZeRO stage, 0-3."""
    offload_optimizer: bool = False
    """Keep optimizer states in CPU memory (ZeRO stage >= 1)."""
    offload_params: bool = False
    """Keep parameters in CPU memory (ZeRO stage 3)."""
    precision: str = "auto"
    """Training precision: auto (bf16 on GPU, fp32 on CPU), fp32, bf16 or fp16."""
    num_workers: int = 2
    """Training workers (processes); one per GPU on a GPU cluster."""
    use_gpu: bool = False
    """Train on GPUs (one per worker, NCCL); off trains on CPU over gloo."""
    launcher: str = "ray"
    """How workers start: ray (Ray Train TorchTrainer) or torchrun (local processes, no Ray)."""
    eval_fraction: float = 0.02
    """Fraction of the examples held out for the evaluation loss (0 = no evaluation)."""
    eval_every: int = 0
    """Evaluate every N optimizer steps (0 = only at the end)."""
    checkpoint_every: int = 0
    """Save a checkpoint every N optimizer steps (0 = only at the end)."""
    keep_checkpoints: int = 2
    """Checkpoints kept on disk (older ones are deleted); 0 keeps all."""
    resume: str = ""
    """Resume from a checkpoint: a checkpoint folder, `auto` (the latest complete one under
    OUT/checkpoints), or empty to start fresh."""
    log_every: int = 1
    """Write a metrics row every N optimizer steps."""
    lora: bool = False
    """Train LoRA adapters (peft) instead of all weights; the export merges them."""
    lora_r: int = 16
    """LoRA rank."""
    lora_alpha: int = 32
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = 0.05
    """Dropout on the LoRA branch."""
    lora_targets: List[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    """Module names that get LoRA adapters."""
    peak_flops: float = 0.0
    """Peak FLOP/s per GPU for MFU; 0 looks the GPU up in a table (H100/H200/A100/L4...)."""
    export: bool = True
    """Write the consolidated Hugging Face model to OUT/model at the end."""
