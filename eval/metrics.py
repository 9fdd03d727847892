"""Accuracy, chance level and percentile-bootstrap 95% confidence intervals."""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np

SCORINGS = ("sum", "mean", "calibrated")


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


def summarize(rows: Sequence[dict], key: str, resamples: int, seed: int = 0) -> Dict[str, dict]:
    """Group prediction rows by rows[key]; accuracy, CI, n and chance per group."""
    groups: Dict[str, list] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    out = {}
    for name in sorted(groups):
        g = groups[name]
        correct = [r["correct"] for r in g]
        lo, hi = bootstrap_ci(correct, resamples, seed)
        out[name] = {"accuracy": float(np.mean(correct)), "ci_low": lo, "ci_high": hi,
                     "n": len(g), "chance": float(np.mean([1.0 / len(r["choices"]) for r in g]))}
    return out
