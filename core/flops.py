"""The FLOP formulas every cost in augft uses: the report's cost table (`eval/costs.py`), the
training summary (`train/loop.py`), teacher targets (`core/targets.py`) and `augft plan`. One
place, so a plan's estimate and a run's account of the same counts are the same number.

- a forward pass reads `tokens` through a dense model of `n_params`: 2 x params x tokens
  (generation, prefill, scoring, teacher targets);
- a training step is forward + backward: 6 x params x tokens (Kaplan et al. 2020, "Scaling Laws
  for Neural Language Models", section 2.1).
"""
from __future__ import annotations

import math
from typing import Optional


def forward_flops(n_params: float, tokens: float) -> float:
    """FLOPs of reading or writing `tokens` with a dense model of `n_params` parameters."""
    return 2.0 * float(n_params) * float(tokens)


def training_flops(n_params: float, tokens: float) -> float:
    """FLOPs of training on `tokens` (forward and backward) with `n_params` parameters."""
    return 6.0 * float(n_params) * float(tokens)


def break_even_queries(one_off: float, per_query: float, ref_one_off: float, ref_per_query: float) -> Optional[float]:
    """Queries after which a condition (one-off and per-query FLOPs) costs less in all than a
    reference (0: from the start; None: never). The one break-even of augft: eval's cost table
    and the "Which to use" recommendation both ask it."""
    saving = float(ref_per_query) - float(per_query)
    extra = float(one_off) - float(ref_one_off)
    if extra <= 0 and saving >= 0:
        return 0.0
    if saving <= 0:
        return None
    return float(math.ceil(extra / saving))

