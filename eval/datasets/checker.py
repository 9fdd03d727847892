"""The exact checker: parses free-text statements of a benchmark's forms and decides
them by reasoning over the benchmark's ground truth.

A benchmark's checker subclasses `Checker` and implements two things:
- `claims(norm)`: the claims a normalised sentence makes, each a `Claim` whose
  `key` is a canonical fact tuple (e.g. ("cmp", "glon", "less", "dangerous", "femp"))
  and whose `order` says which way round the sentence states it (e.g. "reversed");
- `holds(key)`: True / False by exact reasoning, None when the ground truth says
  nothing about it (unknown entity, unknown relation).
Targets (test-relevant inferences) are `Target(text, key, order)`; a statement
covers a target when it makes a true, non-negated claim with the target's key and,
when the target names one, the same order.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Optional, Set, Tuple

from augft.core.text import split_sentences
from augft.eval.datasets.common import negated, normalize

TRUE, FALSE, UNCHECKABLE = "true", "false", "uncheckable"


@dataclass(frozen=True)
class Claim:
    key: Tuple
    """Canonical fact tuple."""
    order: str = ""
    """Surface order of the statement ("forward", "reversed", ...); '' when irrelevant."""
    negated: bool = False
    """The sentence denies the fact ("X is not ...")."""
    first: str = ""
    """The entity the sentence names first (an id; '' when the checker does not say): a fact is
    recalled from the side it was stated from, so coverage is also counted per direction."""


@dataclass(frozen=True)
class Target:
    text: str
    """The inference as a sentence (also what the oracle states)."""
    key: Tuple
    """Canonical fact tuple it states."""
    order: str = ""
    """Required surface order ('' = any)."""


class Checker(ABC):
    """Base class; see the module docstring. Subclasses set `name` and fill `_targets`."""

    name = ""

    def __init__(self, truth: Dict):
        self.truth = truth
        self._targets: Dict[str, Target] = {}

    # -- to implement ------------------------------------------------------
    @abstractmethod
    def claims(self, norm: str) -> List[Claim]:
        """The claims a normalised sentence makes."""

    @abstractmethod
    def holds(self, key: Tuple) -> Optional[bool]:
        """True / False by exact reasoning over the truth; None when it says nothing."""

    # -- public API ----------------------------------------------------------
    def sentence_claims(self, sentence: str) -> List[Claim]:
        norm = normalize(sentence)
        out = self.claims(norm)
        if negated(norm):
            out = [replace(c, negated=not c.negated) for c in out]
        return out

    def verdicts(self, text: str) -> List[Tuple[str, str]]:
        """(sentence, verdict) for every sentence of `text`."""
        out = []
        for sent in split_sentences(text):
            vals = []
            for c in self.sentence_claims(sent):
                h = self.holds(c.key)
                if h is not None:
                    vals.append(h != c.negated)
            if not vals:
                out.append((sent, UNCHECKABLE))
            else:
                out.append((sent, TRUE if all(vals) else FALSE))
        return out

    def check(self, text: str) -> str:
        """"false" if any sentence states something false, else "true" if at least one
        sentence is checkable (and true), else "uncheckable"."""
        vs = [v for _, v in self.verdicts(text)]
        if FALSE in vs:
            return FALSE
        if TRUE in vs:
            return TRUE
        return UNCHECKABLE

    def targets(self) -> Dict[str, str]:
        """target id -> the inference stated as a sentence."""
        return {tid: t.text for tid, t in self._targets.items()}

    def target_steps(self) -> Dict[str, int]:
        """target id -> how many training facts its inference combines (1: a single fact restated
        or reversed; 2 and more: a multi-step inference). Benchmarks with multi-step targets say so."""
        return {tid: 1 for tid in self._targets}

    def individuals(self, text: str) -> Set[str]:
        """The named individuals `text` mentions (ids); a checker without individuals: none."""
        return set()

    def covered_by_direction(self, texts: Iterable[str]) -> Dict[str, Set[str]]:
        """Target ids stated per direction: `stated` (the entity the target's own sentence names
        first is named first) and `other` (the other way round, e.g. "A grandparent of Y is X" for
        "X is a grandparent of Y"); {} for a checker whose claims do not say which comes first."""
        first_of = {}
        for tid, t in self._targets.items():
            firsts = [c.first for c in self.sentence_claims(t.text) if c.key == t.key and c.first]
            if firsts:
                first_of[tid] = firsts[0]
        if not first_of:
            return {}
        firsts_by_key: Dict[Tuple, Set[str]] = {}
        for text in texts:
            for sent in split_sentences(text):
                for c in self.sentence_claims(sent):
                    if c.first and not c.negated and self.holds(c.key) is True:
                        firsts_by_key.setdefault(c.key, set()).add(c.first)
        out: Dict[str, Set[str]] = {"stated": set(), "other": set()}
        for tid, first in first_of.items():
            for f in firsts_by_key.get(self._targets[tid].key, ()):
                out["stated" if f == first else "other"].add(tid)
        return out

    def covered(self, texts: Iterable[str]) -> Set[str]:
        """Ids of the targets that some sentence of `texts` states (true, not negated,
        same canonical fact and, where the target requires it, the same order)."""
        stated: Set[Tuple[Tuple, str]] = set()
        for text in texts:
            for sent in split_sentences(text):
                for c in self.sentence_claims(sent):
                    if not c.negated and self.holds(c.key) is True:
                        stated.add((c.key, c.order))
        keys_any = {k for k, _ in stated}
        return {tid for tid, t in self._targets.items()
                if ((t.key, t.order) in stated if t.order else t.key in keys_any)}
