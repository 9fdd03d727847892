"""How true augmentations are, by a benchmark's exact checker (user data has none).

Per strategy: how many statements the checker finds true, false or uncheckable, how many of the
benchmark's test-relevant inferences (`checker.targets()`) they state, and of those how many
combine several training facts (`multi_step`: the checker's `target_steps()` of 2 or more, with a
count per number of steps). A strategy whose records carry a round (compose: `meta.compose.round`; a
chain over compose: `meta.round`) also gets `rounds`: the same counts per round, with the targets stated up to that round.
On a checker that knows them (family), coverage is also counted per direction (`by_direction`: a
fact stated "X is a grandparent of Y" is asked "A grandparent of Y is") and a `ledger` says how
many statements name an individual, how many individuals, and the deepest target stated.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from augft.core.artifacts import (AugmentOutput, Coverage, Ledger, Quality, RoundQuality, StepCoverage,
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


def _directions(checker, texts: List[str], targets: Dict[str, str]) -> Dict[str, StepCoverage]:
    """Targets stated per direction (`stated`, `other`, `both`), where the checker can tell."""
    by = checker.covered_by_direction(texts) if hasattr(checker, "covered_by_direction") else {}
    if not by:
        return {}
    known = checker.covered_by_direction(list(targets.values()))["stated"] & set(targets)
    stated, other = by["stated"] & known, by["other"] & known
    return {"stated": StepCoverage(len(known), len(stated)), "other": StepCoverage(len(known), len(other)),
            "both": StepCoverage(len(known), len(stated & other))}


def _coverage(covered: Set[str], targets: Dict[str, str], steps: Dict[str, int],
              directions: Optional[Dict[str, StepCoverage]] = None) -> Coverage:
    multi = {t for t in targets if steps.get(t, 1) >= 2}
    by_steps: Dict[str, StepCoverage] = {}
    for t in targets:
        c = by_steps.setdefault(str(steps.get(t, 1)), StepCoverage())
        c.targets += 1
        c.covered += t in covered
    return Coverage(targets=len(targets), covered=len(covered),
                    multi_step=StepCoverage(len(multi), len(covered & multi)),
                    by_steps=dict(sorted(by_steps.items(), key=lambda kv: int(kv[0]))),
                    by_direction=dict(directions or {}))


def _ledger(checker, texts: List[str], covered: Set[str], steps: Dict[str, int]) -> Ledger:
    """Statements about named individuals, the individuals named, the deepest target stated."""
    named = [checker.individuals(t) if hasattr(checker, "individuals") else set() for t in texts]
    return Ledger(individuals=len(set().union(*named)) if named else 0, about_individuals=sum(1 for n in named if n),
                  depth=max((steps.get(t, 1) for t in covered), default=0))


def _stats(checker, texts: List[str]) -> Tuple[Dict[str, int], Coverage, Ledger]:
    targets = checker.targets()
    steps = _steps(checker)
    covered = checker.covered(texts) & set(targets)
    cov = _coverage(covered, targets, steps, _directions(checker, texts, targets))
    return _verdicts(checker, texts), cov, _ledger(checker, texts, covered, steps)


def strategy_quality(checker, texts: List[str]) -> StrategyQuality:
    """Verdict counts of `texts`, how many of the checker's targets they state (in all, by the
    steps of inference they need and by direction) and the ledger of individuals and depth."""
    verdicts, cov, ledger = _stats(checker, texts)
    return StrategyQuality(n=len(texts), true=verdicts["true"], false=verdicts["false"],
                           uncheckable=verdicts["uncheckable"], targets=cov.targets, covered=cov.covered,
                           multi_step=cov.multi_step, by_steps=cov.by_steps, by_direction=cov.by_direction,
                           ledger=ledger)


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Quality:
    """Verdict counts and target coverage per strategy; empty without a checker."""
    if checker is None:
        return Quality()
    return Quality({s: strategy_quality(checker, texts) for s, texts in texts_by_strategy.items()})


def round_quality(checker, texts_by_round: Dict[int, List[str]]) -> List[RoundQuality]:
    """Per round: its statements' verdicts, the targets they state and its ledger, and
    (`cumulative`) the targets stated by this round and the ones before it."""
    out: List[RoundQuality] = []
    so_far: List[str] = []
    targets, steps = checker.targets(), _steps(checker)
    for k in sorted(texts_by_round):
        so_far += texts_by_round[k]
        verdicts, cov, ledger = _stats(checker, texts_by_round[k])
        out.append(RoundQuality(round=k, n=len(texts_by_round[k]), **verdicts, targets=cov.targets,
                                covered=cov.covered, multi_step=cov.multi_step, by_steps=cov.by_steps,
                                by_direction=cov.by_direction, ledger=ledger,
                                cumulative=_coverage(checker.covered(so_far) & set(targets), targets, steps,
                                                     _directions(checker, so_far, targets))))
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
            # compose's round, or (a chain over compose) the round of the record it restates
            k = (r.meta or {}).get("compose", {}).get("round", (r.meta or {}).get("round"))
            if k is not None:
                rounds.setdefault(s, {}).setdefault(int(k), []).append(r.text)
    q = quality(checker, texts)
    for s, by_round in rounds.items():
        q.strategies[s].rounds = round_quality(checker, by_round)
    return q
