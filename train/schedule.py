"""The learning-rate schedule: linear warmup, then cosine, linear or constant, from transformers.

The decay is transformers' warmup-stable-decay schedule (`get_wsd_schedule`: cosine or
linear decay to `min_lr_ratio`, or all-stable for constant). Its own warmup starts at
`min_lr_ratio` and its step 0 is at lr 0 in the other warmup schedules, so warmup is taken from
`get_constant_schedule_with_warmup` one step ahead: step s of w warms to (s + 1) / w and
the last warmup step already trains at the full rate (augft's schedule since the start).
"""
from __future__ import annotations

from typing import Callable


def _lambda(make) -> Callable[[int], float]:
    import torch

    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    return make(dummy).lr_lambdas[0]


def lr_factor(total: int, warmup: int, schedule: str, min_ratio: float) -> Callable[[int], float]:
    """Multiplier of the peak learning rate at optimizer step s (0-based)."""
    from transformers import get_constant_schedule_with_warmup, get_wsd_schedule

    warm = _lambda(lambda opt: get_constant_schedule_with_warmup(opt, num_warmup_steps=warmup))
    if str(schedule) == "constant":
        return lambda step: warm(step + 1)  # 1.0 from the last warmup step on
    decay = _lambda(lambda opt: get_wsd_schedule(
        opt, num_warmup_steps=0, num_stable_steps=0, num_decay_steps=max(1, total - warmup),
        decay_type=str(schedule), min_lr_ratio=min_ratio))
    return lambda step: warm(step + 1) if step < warmup else decay(step - warmup)


def lr_scheduler(optimizer, total: int, warmup: int, schedule: str, min_ratio: float):
    import torch

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(total, warmup, schedule, min_ratio))
