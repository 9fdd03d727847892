"""What decides a generated benchmark's files: the benchmark stage's contract (core/identity.py).

The study keys its benchmark stage by `identity`: the benchmark's name, its seed and its own
sizes (another benchmark's sizes change nothing it writes).
"""
from __future__ import annotations

from typing import Dict

from augft.core.identity import Contract

SIZES = ("reversal", "syllogism", "semantic", "people", "family")

CONTRACT = Contract(
    "benchmark", ("benchmark", "seed"),
    output=("benchmark.name", "benchmark.seed", *(f"benchmark.{n}" for n in SIZES)),
    neutral={"seed": "the generators are seeded by benchmark.seed"})


def identity(benchmark) -> Dict:
    """What decides the files `augft benchmark` writes for the `benchmark` config section."""
    name = str(benchmark.name)
    return CONTRACT.pick({"benchmark": benchmark},
                         leave_out=[f"benchmark.{n}" for n in SIZES if name not in (n, "all")])
