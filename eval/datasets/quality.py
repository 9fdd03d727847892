"""How true augmentations are, by a benchmark's exact checker (user data has none).

Per strategy: how many statements the checker finds true, false or uncheckable, how many of the
benchmark's test-relevant inferences (`checker.targets()`) they state, and of those how many
combine several training facts (`multi_step`: the checker's `target_steps()` of 2 or more, with a
count per number of steps). A strategy whose records carry a round (compose: `meta.compose.round`)
also gets `rounds`: the same counts per round, with the targets stated up to that round.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set, Tuple

from augft.core.artifacts import (AugmentOutput, Coverage, Quality, RoundQuality, StepCoverage,
                                  StrategyQuality)
from augft.eval.datasets.api import load_checker


def _verdicts(checker, texts: List[str]) -> Dict[str, int]:
    verdicts = {"true": 0, "false": 0, "uncheckable": 0}
    for t in texts:
        v = checker.check(t)
        verdicts[v if v in verdicts else "uncheckable"] += 1
    return verdicts


def _steps(checker) -> Dict[str, int]:
    """Steps per target (a checker without `target_steps` has single-fact targets only)."""
    return checker.target_steps() if hasattr(checker, "target_steps") else {}


def _coverage(covered: Set[str], targets: Dict[str, str], steps: Dict[str, int]) -> Coverage:
    multi = {t for t in targets if steps.get(t, 1) >= 2}
    by_steps: Dict[str, StepCoverage] = {}
    for t in targets:
        c = by_steps.setdefault(str(steps.get(t, 1)), StepCoverage())
        c.targets += 1
        c.covered += t in covered
    return Coverage(targets=len(targets), covered=len(covered),
                    multi_step=StepCoverage(len(multi), len(covered & multi)),
                    by_steps=dict(sorted(by_steps.items(), key=lambda kv: int(kv[0]))))


def _stats(checker, texts: List[str]) -> Tuple[Dict[str, int], Coverage]:
    targets = checker.targets()
    return _verdicts(checker, texts), _coverage(checker.covered(texts) & set(targets), targets, _steps(checker))


def strategy_quality(checker, texts: List[str]) -> StrategyQuality:
    """Verdict counts of `texts` and how many of the checker's targets they state (in all and
    by the steps of inference they need)."""
    verdicts, cov = _stats(checker, texts)
    return StrategyQuality(n=len(texts), **verdicts, targets=cov.targets, covered=cov.covered,
                           multi_step=cov.multi_step, by_steps=cov.by_steps)


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Quality:
    """Verdict counts and target coverage per strategy; empty without a checker."""
    if checker is None:
        return Quality()
    return Quality({s: strategy_quality(checker, texts) for s, texts in texts_by_strategy.items()})


def round_quality(checker, texts_by_round: Dict[int, List[str]]) -> List[RoundQuality]:
    """Per round: its statements' verdicts and the targets they state, and (`cumulative`) the
    targets stated by this round and the ones before it."""
    out: List[RoundQuality] = []
    so_far: List[str] = []
    targets, steps = checker.targets(), _steps(checker)
    for k in sorted(texts_by_round):
        so_far += texts_by_round[k]
        verdicts, cov = _stats(checker, texts_by_round[k])
        out.append(RoundQuality(round=k, n=len(texts_by_round[k]), **verdicts, targets=cov.targets,
                                covered=cov.covered, multi_step=cov.multi_step, by_steps=cov.by_steps,
                                cumulative=_coverage(checker.covered(so_far) & set(targets), targets, steps)))
    return out


def augmentation_quality(data_dir: Path, aug_dir: Path) -> Quality:
    """Quality of every strategy in an augment output folder against `data_dir`'s benchmark."""
    checker = load_checker(Path(data_dir))
    if checker is None:
        return Quality()
    out = AugmentOutput(Path(aug_dir))
    texts: Dict[str, List[str]] = {}
    rounds: Dict[str, Dict[int, List[str]]] = {}
    for s in out.strategies():
        texts[s] = []
        for r in out.iter_records([s]):
            texts[s].append(r.text)
            k = (r.meta or {}).get("compose", {}).get("round")
            if k is not None:
                rounds.setdefault(s, {}).setdefault(int(k), []).append(r.text)
    q = quality(checker, texts)
    for s, by_round in rounds.items():
        q.strategies[s].rounds = round_quality(checker, by_round)
    return q
