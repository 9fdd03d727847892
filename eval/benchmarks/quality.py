"""How true augmentations are, by a benchmark's exact checker (user data has none).

Per strategy: how many statements the checker finds true, false or uncheckable, and how
many of the benchmark's test-relevant inferences (`checker.targets()`) they state.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from augft.core.artifacts import AugmentOutput, Quality, StrategyQuality
from augft.eval.benchmarks.api import load_checker


def strategy_quality(checker, texts: List[str]) -> StrategyQuality:
    """Verdict counts of `texts` and how many of the checker's targets they state."""
    targets = checker.targets()
    verdicts = {"true": 0, "false": 0, "uncheckable": 0}
    for t in texts:
        v = checker.check(t)
        verdicts[v if v in verdicts else "uncheckable"] += 1
    covered = checker.covered(texts) & set(targets)
    return StrategyQuality(n=len(texts), **verdicts, targets=len(targets), covered=len(covered))


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Quality:
    """Verdict counts and target coverage per strategy; empty without a checker."""
    if checker is None:
        return Quality()
    return Quality({s: strategy_quality(checker, texts) for s, texts in texts_by_strategy.items()})


def augmentation_quality(data_dir: Path, aug_dir: Path) -> Quality:
    """Quality of every strategy in an augment output folder against `data_dir`'s benchmark."""
    checker = load_checker(Path(data_dir))
    if checker is None:
        return Quality()
    out = AugmentOutput(Path(aug_dir))
    texts = {s: [r.text for r in out.iter_records([s])] for s in out.strategies()}
    return quality(checker, texts)
