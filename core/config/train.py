"""Train section (owned by train/)."""
from dataclasses import dataclass


@dataclass
class TrainConfig:
    epochs: float = 3.0
    """Passes over the training set."""
    lr: float = 5e-5
    """Peak learning rate (AdamW)."""
    batch_size: int = 16
    """Global batch size in examples."""
    block_size: int = 128
    """Tokens per training block."""
    zero_stage: int = 3
    """DeepSpeed ZeRO stage, 0-3."""
    num_workers: int = 2
    """Training workers (processes); one per GPU on a GPU cluster."""
    use_gpu: bool = False
    """Train on GPUs (one per worker)."""
