"""Plan section (owned by cluster/): what `augft plan` assumes when it prices a study.

The GPU table and the default utilisations, with their sources, are in `core/gpus.py`."""
from dataclasses import dataclass

from augft.core.config.checks import require
from augft.core.gpus import GPUS, find_gpu


@dataclass
class PlanConfig:
    gpu: str = "H100"
    """GPU type the plan prices (H100, H200, A100-80G, L40S, L4, A10G) when the cluster does not
    name one (a cluster YAML's `gpu`, or a running Ray cluster's accelerator_type resources)."""
    price_per_gpu_hour: float = 0.0
    """Money per GPU-hour (`augft plan --price-per-gpu-hour`); 0 leaves the money column out."""
    currency: str = "USD"
    """Currency the price is in (printed beside the money column)."""
    train_mfu: float = 0.0
    """Training model-FLOPs utilisation per GPU (0: the GPU type's default, core/gpus.py)."""
    eval_mfu: float = 0.0
    """Scoring (forward passes) utilisation per GPU (0: the GPU type's default)."""
    generation_efficiency: float = 0.0
    """Share of the decoding roofline generation reaches (0: the GPU type's default)."""
    generation_tokens_per_s: float = 0.0
    """Measured output tokens per second per GPU for augmentation; set, it replaces the roofline
    estimate (0: estimate)."""
    stage_startup_s: float = 60.0
    """Seconds each GPU stage holds its GPUs before its first token (model load, vLLM engine or
    DeepSpeed worker start-up), added to its wall time and GPU-hours; an assumption (vLLM loaded
    SmolLM2-135M in ~30 s on this machine's CPU, docs/plan.md)."""
    measured: str = ""
    """A previous study's --out folder (or one augment output folder): its manifests' mean output
    tokens per prompt and kept training tokens replace the upper bounds (empty: the benchmark
    results in benchmarks/results where one matches the model, else the upper bounds)."""

    def __post_init__(self):
        require(find_gpu(self.gpu) is not None, "plan.gpu",
                f"unknown GPU type '{self.gpu}'; known: {', '.join(GPUS)}")
        require(self.price_per_gpu_hour >= 0, "plan.price_per_gpu_hour", "must be >= 0")
        for key in ("train_mfu", "eval_mfu", "generation_efficiency"):
            v = getattr(self, key)
            require(0 <= v <= 1, f"plan.{key}", f"must be between 0 (the default) and 1, got {v}")
        require(self.stage_startup_s >= 0, "plan.stage_startup_s", "must be >= 0")
        require(self.generation_tokens_per_s >= 0, "plan.generation_tokens_per_s", "must be >= 0")
