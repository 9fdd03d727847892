"""How true augmentations are, by a benchmark's exact checker (user data has none).

Per strategy: how many statements the checker finds true, false or uncheckable, and how
many of the benchmark's test-relevant inferences (`checker.targets()`) they state.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from augft.core.artifacts import AugmentOutput
from augft.eval.benchmarks.api import load_checker


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Dict[str, Dict]:
    """Verdict counts and target coverage per strategy; {} without a checker."""
    if checker is None:
        return {}
    targets = checker.targets()
    out = {}
    for strat, texts in texts_by_strategy.items():
        verdicts = {"true": 0, "false": 0, "uncheckable": 0}
        for t in texts:
            v = checker.check(t)
            verdicts[v if v in verdicts else "uncheckable"] += 1
        n = len(texts)
        covered = checker.covered(texts) & set(targets)
        out[strat] = {
            "n": n, **verdicts,
            **{f"{k}_share": (verdicts[k] / n if n else 0.0) for k in verdicts},
            "targets": len(targets), "covered": len(covered),
            "coverage": len(covered) / len(targets) if targets else 0.0,
        }
    return out


def augmentation_quality(data_dir: Path, aug_dir: Path) -> Dict[str, Dict]:
    """Quality of every strategy in an augment output folder against `data_dir`'s benchmark."""
    checker = load_checker(Path(data_dir))
    if checker is None:
        return {}
    out = AugmentOutput(Path(aug_dir))
    texts = {s: [r.text for r in out.iter_records([s])] for s in out.strategies()}
    return quality(checker, texts)
