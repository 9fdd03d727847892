"""GPU types `augft plan` prices a study on: peak compute, memory and bandwidth, and the
utilisation it assumes for each kind of work.

Hardware figures are the vendors' datasheets (dense bf16 tensor-core peak, i.e. without the
2:4 sparsity figure the sheets also print):
- H100 SXM: NVIDIA H100 Tensor Core GPU datasheet: 989 TFLOPS bf16, 80 GB HBM3, 3.35 TB/s.
- H200 SXM: NVIDIA H200 Tensor Core GPU datasheet: 989 TFLOPS bf16, 141 GB HBM3e, 4.8 TB/s.
- A100 80GB SXM: NVIDIA A100 Tensor Core GPU datasheet: 312 TFLOPS bf16, 80 GB HBM2e, 2,039 GB/s.
- L40S: NVIDIA L40S datasheet: 362 TFLOPS bf16, 48 GB GDDR6, 864 GB/s.
- L4: NVIDIA L4 Tensor Core GPU datasheet: 121 TFLOPS bf16, 24 GB GDDR6, 300 GB/s.
- A10G (AWS G5): NVIDIA publishes no A10G sheet; the A10 datasheet's figures (125 TFLOPS bf16,
  24 GB GDDR6, 600 GB/s) are used, an assumption.
Training's MFU takes its peak from this table too (`peak_for_device`).

Utilisation (assumptions, overridable by plan.train_mfu, plan.eval_mfu, plan.generation_efficiency):
- training MFU 0.30 on every type: below the 38-43% bf16 MFU the Llama 3 report (Dubey et al.
  2024, "The Llama 3 Herd of Models", section 3.3) measured on H100 at scale, since small models
  under ZeRO-3 with short blocks spend more of each step communicating;
- scoring (eval's forward passes, prefill) MFU 0.40: compute-bound batched forwards;
- generation: decoding is the roofline's slower side, compute (2 x params FLOPs per token at the
  peak) or memory (every decode step reads the weights once for a batch of sequences), times an
  efficiency of 0.30 for the scheduler, sampling and KV-cache traffic the roofline leaves out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

from augft.core.errors import AugftError


@dataclass(frozen=True)
class GpuType:
    name: str
    bf16_flops: float
    """Dense bf16 tensor-core peak, FLOP/s."""
    memory_gb: float
    bandwidth_gbs: float
    """Memory bandwidth, GB/s."""
    train_mfu: float = 0.30
    eval_mfu: float = 0.40
    generation_efficiency: float = 0.30


GPUS: Dict[str, GpuType] = {g.name: g for g in (
    GpuType("H100", 989e12, 80, 3350),
    GpuType("H200", 989e12, 141, 4800),
    GpuType("A100-80G", 312e12, 80, 2039),
    GpuType("L40S", 362e12, 48, 864),
    GpuType("L4", 121e12, 24, 300),
    GpuType("A10G", 125e12, 24, 600),
)}

# Other spellings: Ray's `accelerator_type:<X>` resource names and CUDA device names.
ALIASES = {"H100-SXM": "H100", "H100 SXM": "H100", "H100-80G": "H100", "H200-SXM": "H200",
           "A100": "A100-80G", "A100-SXM4-80GB": "A100-80G", "A100 80GB": "A100-80G", "A100-80GB": "A100-80G"}


def find_gpu(name: str) -> Optional[GpuType]:
    """The GPU type called `name` (any listed spelling, any case), or None."""
    key = str(name).strip()
    for table in (GPUS, ALIASES):
        for k, v in table.items():
            if k.lower() == key.lower():
                return GPUS[v] if isinstance(v, str) else v
    return None


def gpu_type(name: str, where: str) -> GpuType:
    """The GPU type called `name`; an unknown name is an error naming `where` (a key or file)."""
    g = find_gpu(name)
    if g is None:
        raise AugftError(f"{where}: unknown GPU type '{name}'; known: {', '.join(GPUS)}")
    return g


def canonical_gpu_name(raw: str) -> str:
    """A device name as this table spells it (`NVIDIA H100 80GB HBM3` -> `H100`), else as given."""
    known = find_gpu(raw)
    if known is not None:
        return known.name
    # longest first, so `L40S` is not read as `L4`
    for key in sorted([*GPUS, *ALIASES], key=len, reverse=True):
        if key.lower() in str(raw).lower():
            return GPUS[ALIASES.get(key, key)].name
    return str(raw)


def peak_for_device(device_name: str) -> float:
    """Dense bf16 peak FLOP/s of a CUDA device as torch names it, for MFU; 0.0 when the type is
    not in the table (MFU is then not reported rather than reported against a wrong peak)."""
    g = find_gpu(canonical_gpu_name(device_name))
    return g.bf16_flops if g is not None else 0.0

def detect_gpu_type() -> str:
    """This run's GPU type: torch.cuda's device here, else the connected Ray cluster's
    `accelerator_type:<X>` resource, else `cpu`."""
    import sys

    try:
        import torch

        if torch.cuda.is_available():
            return canonical_gpu_name(torch.cuda.get_device_name())
    except Exception:  # noqa: BLE001 - a broken CUDA install reads as no GPU here
        pass
    ray = sys.modules.get("ray")  # only a Ray this process already joined is asked
    if ray is not None and ray.is_initialized():
        for key in ray.cluster_resources():
            if key.startswith("accelerator_type:"):
                return canonical_gpu_name(key.split(":", 1)[1])
    return "cpu"
