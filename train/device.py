"""Which torch device a training rank uses, and binding it before NCCL and DeepSpeed start.

Under Ray Train the device is the one Ray assigned (its GPU ids need not follow local ranks);
under torchrun or the deepspeed launcher `cuda:LOCAL_RANK`; the CPU without `train.use_gpu`.
"""
from __future__ import annotations

import os
from typing import Mapping, Optional


def worker_device(use_gpu: bool, assigned=None, env: Optional[Mapping[str, str]] = None):
    """The torch device this rank trains on: the one Ray Train assigned (`assigned`, from
    `ray.train.torch.get_device()`: Ray's GPU ids need not follow local ranks), else
    `cuda:LOCAL_RANK` (torchrun, the deepspeed launcher), or the CPU without `train.use_gpu`."""
    import torch

    from augft.core.errors import AugftError

    if not use_gpu:
        return torch.device("cpu")
    if assigned is not None:
        device = torch.device(assigned)
        if device.type != "cuda":
            raise AugftError(f"train.use_gpu=true but this worker was given device {device}, not a GPU "
                             "(check cluster.train_gpus_per_worker and the cluster's GPUs)")
        return device if device.index is not None else torch.device("cuda", 0)
    env = os.environ if env is None else env
    return torch.device("cuda", int(env.get("LOCAL_RANK", "0")))


def bind_device(device) -> None:
    """Make `device` current before the process group, DeepSpeed and ZeRO-3's partitioned load
    use it: NCCL and ZeRO take the current CUDA device, not the one a tensor names."""
    import torch

    if device.type == "cuda":
        torch.cuda.set_device(device)


def split_cores(world: int) -> None:
    import torch

    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
