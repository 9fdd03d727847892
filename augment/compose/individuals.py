"""Chaining from named individuals (augment.compose.focus=individuals): which keys of a sentence
are named individuals, what a pair says about one, and the budget per individual and round.

Questions are mostly about individuals (a person, a product, a team), so a round pairs, for each
shared entity, first an individual's fact with a general statement about the shared kind ("Sukir
is a drarn." + "Drarns can swim."), then relations between individuals ("Sukir is a parent of
Muti." + "Muti is a parent of Kolan."), and general statements with each other last. A statement
kept in round k ("Sukir can swim.", "Sukir is a trilb.") is a fact about the individual in round
k+1, so depth grows where the individuals are.

An individual is read from real text by augment.entities: a name or code identifier
(capitalised, mixed case, code shape); not an invented lower-case word ("drarn"), not a
capitalised plural subject at a sentence's start ("Drarns are trilb."), and not a key that any
sentence of the entity's group writes in lower case (the group of "drarn" sees "A bror is a
drarn.", so "Drarns can swim." is general there). A pair is planned in the group of the entity
its sentences share, which sees only the sentences naming that entity, so its individual is read
from its own sentence; the budget step then meets every individual's own group verdict (its
partition is the individual's), and a pair whose "individual" its own group writes as a kind is
general after all. The prompt is compose's own, whose
demonstrations are fixed, hand-written, with invented words that no benchmark draws
(augment/prompts.py, DEMO_WORDS): none is taken from a scored instance.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, FrozenSet, List, Mapping, Sequence, Tuple

from augft.augment.compose.keys import Sentence, fold
from augft.augment.entities import Mention, mentions

FOCUS = ("kind", "relation", "loose", "general")
"""A pair's class with focus=individuals, best first: an individual's fact with a general
statement about the shared kind (the kind is its subject: "Every drarn can swim."); facts about
individuals on both sides; an individual's fact with a general statement that names the kind
otherwise ("A bror is a drarn.": seldom anything follows); no individual."""
_PLURAL_VERBS = frozenset({"are", "were", "have", "do", "aren't", "weren't", "don't"})
_QUANTIFIERS = frozenset({"all", "every", "each", "no", "some", "most", "many", "few"})


def _individual(text: str, m: Mention) -> bool:
    if m.kind == "invented":
        return False
    before = text[:m.start].split()
    if before and before[-1].lower() in _QUANTIFIERS:
        return False
    after = text[m.end:].split()
    plural_subject = not before and m.text.endswith("s") and after and after[0].lower() in _PLURAL_VERBS
    return not plural_subject


@lru_cache(maxsize=65536)
def readings(text: str) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(individuals, kinds): the folded keys of `text` read as named individuals, and the others."""
    ind: set = set()
    kinds: set = set()
    for m in mentions(text, strict=True):
        (ind if _individual(text, m) else kinds).update(fold(p) for p in m.parts)
    return frozenset(ind - kinds), frozenset(kinds)


class Group:
    """The individuals of each sentence of one entity's group (the entity itself out when any
    sentence of the group reads it as a kind)."""

    def __init__(self, entity: str, sentences: Sequence[Sentence]):
        self.entity = entity
        self.kind = any(entity in readings(s.text)[1] for s in sentences)

    def individuals(self, s: Sentence) -> Tuple[str, ...]:
        """The individuals `s` names, in the order it names them."""
        ind = readings(s.text)[0]
        return tuple(k for k in s.keys if k in ind and not (self.kind and k == self.entity))

    def classify(self, first: Sentence, second: Sentence) -> Tuple[str, str]:
        """(class, owner): the pair's FOCUS class and the individual it is about ('' for general)."""
        ia, ib = self.individuals(first), self.individuals(second)
        if not ia and not ib:
            return "general", ""
        if not ia or not ib:
            general = second if ia else first
            return ("kind" if general.keys[0] == self.entity else "loose"), (ia or ib)[0]
        others = [k for k in ia + ib if k != self.entity]
        return "relation", others[0] if others else self.entity


def kinds_of(groups: Mapping[str, Sequence[Sentence]]) -> FrozenSet[str]:
    """The entities whose own group reads them as kinds somewhere."""
    return frozenset(e for e, ss in groups.items() if Group(e, ss).kind)


def budget(pairs: List, per_individual: int, order, kinds: FrozenSet[str] = frozenset()) -> List:
    """At most `per_individual` pairs per owner (best class first, then `order`); pairs without an
    owner (general ones) are kept, bounded per entity by augment.compose.max_pairs already. An
    owner in `kinds` was read as an individual from one sentence ("Blurps skug pulbs.") while its
    own group writes it as a kind ("The blurp ..."): its pairs are general."""
    by_owner: Dict[str, List] = {}
    for p in pairs:
        if p.owner in kinds:
            p = type(p)(p.entity, p.first, p.second, p.round, p.kind, "general", "")
        by_owner.setdefault(p.owner, []).append(p)
    out = list(by_owner.pop("", []))
    for owner in sorted(by_owner):
        ranked = sorted(by_owner[owner], key=lambda p: (FOCUS.index(p.focus), order(p)))
        out += _spread(owner, ranked, per_individual)
    return sorted(out, key=lambda p: (p.owner, FOCUS.index(p.focus), order(p)))


def _spread(owner: str, ranked: List, n: int) -> List:
    """Up to `n` of one owner's pairs, class by class; within a class, passes that allow one more
    pair per fact of the owner each time, so its budget reaches every fact before any gets two."""
    chosen: List = []
    degree: Dict[str, int] = {}
    for focus in FOCUS:
        cands = [p for p in ranked if p.focus == focus]
        allowed = 1
        while cands and len(chosen) < n:
            for p in list(cands):
                fact = (p.first if owner in p.first.keys else p.second).sid
                if degree.get(fact, 0) < allowed and len(chosen) < n:
                    degree[fact] = degree.get(fact, 0) + 1
                    chosen.append(p)
                    cands.remove(p)
            allowed += 1
    return chosen
