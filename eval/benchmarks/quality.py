"""How true augmentations are, by a benchmark's exact checker (user data has none).

Per strategy: how many statements the checker finds true, false or uncheckable, how many of the
benchmark's test-relevant inferences (`checker.targets()`) they state, and of those how many
combine several training facts (`multi_step`: the checker's `target_steps()` of 2 or more, with a
count per number of steps). A strategy whose records carry a round (compose: `meta.compose.round`)
also gets `rounds`: the same counts per round, with the targets stated up to that round.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set

from augft.core.artifacts import AugmentOutput
from augft.eval.benchmarks.api import load_checker


def _verdicts(checker, texts: List[str]) -> Dict:
    verdicts = {"true": 0, "false": 0, "uncheckable": 0}
    for t in texts:
        v = checker.check(t)
        verdicts[v if v in verdicts else "uncheckable"] += 1
    n = len(texts)
    return {"n": n, **verdicts, **{f"{k}_share": (verdicts[k] / n if n else 0.0) for k in verdicts}}


def _coverage(covered: Set[str], targets: Dict[str, str], steps: Dict[str, int]) -> Dict:
    multi = {t for t in targets if steps.get(t, 1) >= 2}
    by_steps: Dict[str, Dict[str, int]] = {}
    for t in targets:
        k = str(steps.get(t, 1))
        by_steps.setdefault(k, {"targets": 0, "covered": 0})
        by_steps[k]["targets"] += 1
        by_steps[k]["covered"] += t in covered
    return {"targets": len(targets), "covered": len(covered),
            "coverage": len(covered) / len(targets) if targets else 0.0,
            "multi_step": {"targets": len(multi), "covered": len(covered & multi)},
            "by_steps": dict(sorted(by_steps.items(), key=lambda kv: int(kv[0])))}


def _steps(checker) -> Dict[str, int]:
    """Steps per target (a checker without `target_steps` has single-fact targets only)."""
    return checker.target_steps() if hasattr(checker, "target_steps") else {}


def _stats(checker, texts: List[str]) -> Dict:
    targets = checker.targets()
    covered = checker.covered(texts) & set(targets)
    return {**_verdicts(checker, texts), **_coverage(covered, targets, _steps(checker))}


def quality(checker, texts_by_strategy: Dict[str, List[str]]) -> Dict[str, Dict]:
    """Verdict counts and target coverage per strategy; {} without a checker."""
    if checker is None:
        return {}
    return {strat: _stats(checker, texts) for strat, texts in texts_by_strategy.items()}


def round_quality(checker, texts_by_round: Dict[int, List[str]]) -> List[Dict]:
    """Per round: its statements' verdicts and the targets they state, and (`cumulative`) the
    targets stated by this round and the ones before it."""
    out, so_far = [], []
    targets, steps = checker.targets(), _steps(checker)
    for k in sorted(texts_by_round):
        so_far += texts_by_round[k]
        row = {"round": k, **_stats(checker, texts_by_round[k])}
        row["cumulative"] = _coverage(checker.covered(so_far) & set(targets), targets, steps)
        out.append(row)
    return out


def augmentation_quality(data_dir: Path, aug_dir: Path) -> Dict[str, Dict]:
    """Quality of every strategy in an augment output folder against `data_dir`'s benchmark."""
    checker = load_checker(Path(data_dir))
    if checker is None:
        return {}
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
        q[s]["rounds"] = round_quality(checker, by_round)
    return q
