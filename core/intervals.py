"""The Wilson score interval of a proportion, from its counts: shared by eval's metrics and the
decision, which pools splits (core may not import a stage)."""
from __future__ import annotations

import math

WILSON_Z = 1.959963984540054  # the 97.5% normal quantile


def wilson_counts(correct: int, n: int, z: float = WILSON_Z) -> tuple:
    if n == 0:
        return float("nan"), float("nan")
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds contain p exactly; rounding must not put 1.0 above the upper bound.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))
