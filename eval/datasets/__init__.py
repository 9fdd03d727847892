"""Controlled synthetic benchmarks (reversal, syllogism, semantic, people, family).

Public API in `eval.datasets.api`: generate, run_benchmark, load_checker
(and build / checker_for for in-memory use). Checkers: `eval.datasets.checker`.
"""
