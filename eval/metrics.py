"""Accuracy, chance level and 95% confidence intervals.

Wilson score intervals by default: unlike the percentile bootstrap they do not collapse to
zero width at 0% or 100% (30 of 30 correct reads [0.89, 1.00], not [1.00, 1.00]). The seeded
percentile bootstrap stays available (eval.interval=bootstrap).
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np

from augft.core.artifacts import SplitStats

SCORINGS = ("sum", "mean", "calibrated")  # the order results list them in


def choose(logprobs: Sequence[float], n_tokens: Sequence[int], scoring: str,
           neutral: Sequence[float] | None = None) -> List[float]:
    """Per-choice scores under a scoring variant (higher is better)."""
    if scoring == "sum":
        return list(logprobs)
    if scoring == "mean":
        return [lp / n for lp, n in zip(logprobs, n_tokens)]
    if scoring == "calibrated":
        if neutral is None:
            raise ValueError("calibrated scoring needs the neutral-prompt log-likelihoods")
        return [lp - nlp for lp, nlp in zip(logprobs, neutral)]
    raise ValueError(f"unknown scoring '{scoring}'")


def argmax(scores: Sequence[float]) -> int:
    # Ties go to the first choice, deterministically (as numpy/lm-eval do).
    return int(np.argmax(np.asarray(scores)))


def bootstrap_ci(correct: Sequence[bool], resamples: int, seed: int = 0) -> tuple:
    x = np.asarray(correct, dtype=float)
    if len(x) == 0:
        return float("nan"), float("nan")
    if resamples <= 0:
        return float(x.mean()), float(x.mean())
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


WILSON_Z = 1.959963984540054  # the 97.5% normal quantile


def wilson_ci(correct: Sequence[bool], z: float = WILSON_Z) -> tuple:
    """The Wilson score interval of a proportion (95% by default)."""
    n = len(correct)
    if n == 0:
        return float("nan"), float("nan")
    p = float(np.mean(np.asarray(correct, dtype=float)))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds contain p exactly; rounding must not put 1.0 above the upper bound.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def interval(correct: Sequence[bool], method: str, resamples: int, seed: int) -> tuple:
    if str(method) == "bootstrap":
        return bootstrap_ci(correct, resamples, seed)
    return wilson_ci(correct)


def summarize(rows: Sequence[dict], key: str, method: str = "wilson", resamples: int = 0,
              seed: int = 0) -> Dict[str, SplitStats]:
    """Group prediction rows by rows[key]; accuracy, CI, n and chance per group."""
    groups: Dict[str, list] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    out = {}
    for name in sorted(groups):
        g = groups[name]
        correct = [r["correct"] for r in g]
        lo, hi = interval(correct, method, resamples, seed)
        out[name] = SplitStats(accuracy=float(np.mean(correct)), n=len(g), ci_low=lo, ci_high=hi,
                               chance=float(np.mean([1.0 / len(r["choices"]) for r in g])))
    return out
