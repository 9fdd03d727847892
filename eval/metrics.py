"""Accuracy, chance level and 95% confidence intervals.

Wilson score intervals by default: unlike the percentile bootstrap they do not collapse to
zero width at 0% or 100% (30 of 30 correct reads [0.89, 1.00], not [1.00, 1.00]). The seeded
percentile bootstrap stays available (eval.interval=bootstrap).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Sequence

import numpy as np

from augft.core.artifacts import SplitStats
from augft.core.intervals import WILSON_Z, wilson_counts

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


def bootstrap_counts(correct: int, n: int, resamples: int, seed: int = 0) -> tuple:
    """Seeded percentile bootstrap of an accuracy from its counts: a resample of n answers with
    replacement has Binomial(n, correct/n) correct ones, so the counts are all it needs (and a
    scorer spread over many workers reports only counts)."""
    if n == 0:
        return float("nan"), float("nan")
    p = correct / n
    if resamples <= 0:
        return p, p
    means = np.random.default_rng(seed).binomial(n, p, size=resamples) / n
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def bootstrap_ci(correct: Sequence[bool], resamples: int, seed: int = 0) -> tuple:
    return bootstrap_counts(int(sum(bool(c) for c in correct)), len(correct), resamples, seed)


def wilson_ci(correct: Sequence[bool], z: float = WILSON_Z) -> tuple:
    """The Wilson score interval of a proportion (95% by default)."""
    return wilson_counts(int(sum(bool(c) for c in correct)), len(correct), z)


def interval(correct: Sequence[bool], method: str, resamples: int, seed: int) -> tuple:
    return interval_counts(int(sum(bool(c) for c in correct)), len(correct), method, resamples, seed)


def interval_counts(correct: int, n: int, method: str, resamples: int, seed: int) -> tuple:
    if str(method) == "bootstrap":
        return bootstrap_counts(correct, n, resamples, seed)
    return wilson_counts(correct, n)


@dataclass
class Tally:
    """A group's answers as counts: correct, total and the summed chance level (1 / choices)."""
    correct: int = 0
    n: int = 0
    chance_sum: float = 0.0

    def add(self, correct: bool, n_choices: int) -> None:
        self.correct += int(bool(correct))
        self.n += 1
        self.chance_sum += 1.0 / n_choices

    def merge(self, other: "Tally") -> None:
        self.correct, self.n, self.chance_sum = (self.correct + other.correct, self.n + other.n,
                                                 self.chance_sum + other.chance_sum)

    def stats(self, method: str, resamples: int, seed: int) -> SplitStats:
        lo, hi = interval_counts(self.correct, self.n, method, resamples, seed)
        return SplitStats(accuracy=self.correct / self.n, n=self.n, ci_low=lo, ci_high=hi,
                          chance=self.chance_sum / self.n)


def tally(rows: Sequence[dict], key: str) -> Dict[str, Tally]:
    """Prediction rows counted per rows[key] (split, or split/kind)."""
    out: Dict[str, Tally] = defaultdict(Tally)
    for r in rows:
        out[r[key]].add(r["correct"], len(r["choices"]))
    return dict(out)


def summarize(rows: Sequence[dict], key: str, method: str = "wilson", resamples: int = 0,
              seed: int = 0) -> Dict[str, SplitStats]:
    """Group prediction rows by rows[key]; accuracy, CI, n and chance per group."""
    return {name: t.stats(method, resamples, seed) for name, t in sorted(tally(rows, key).items())}
