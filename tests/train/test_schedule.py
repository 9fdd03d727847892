"""The transformers-based schedule gives exactly the values of augft's earlier hand-written one."""
import math

import pytest

from augft.train.schedule import lr_factor, lr_scheduler


def _previous(total, warmup, schedule, min_ratio):
    """The lambda train/loop.py used before (kept here as the reference)."""
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if schedule == "linear":
            return min_ratio + (1 - min_ratio) * (1 - progress)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return f


@pytest.mark.parametrize("schedule", ["cosine", "linear", "constant"])
@pytest.mark.parametrize("total,warmup", [(1, 0), (2, 1), (7, 3), (30, 2), (101, 6)])
@pytest.mark.parametrize("min_ratio", [0.0, 0.1])
def test_same_values_as_before(schedule, total, warmup, min_ratio):
    new, old = lr_factor(total, warmup, schedule, min_ratio), _previous(total, warmup, schedule, min_ratio)
    assert [new(s) for s in range(total + 1)] == pytest.approx([old(s) for s in range(total + 1)], abs=1e-12)


def test_scheduler_drives_the_optimizer():
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2.0)
    sched = lr_scheduler(opt, 10, 2, "cosine", 0.1)
    lrs = []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs[:3] == pytest.approx([1.0, 2.0, 2.0]) and lrs[-1] == pytest.approx(2.0 * _previous(10, 2, "cosine", 0.1)(9))
