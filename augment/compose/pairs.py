"""Which pairs one entity gets in a round: bounded, spread over its facts, deterministic.

For one entity (a key) and the sentences that name it:
1. one sentence per fact (fact id: sorted keys), so phrasings of one fact make one candidate: the
   oldest (a corpus sentence before a statement that restates it), ties by a seeded hash;
2. a fact is new when its sentence was kept in the previous round (round 1: every corpus fact);
   every pair has a new fact, so a round never redoes the pairs of the rounds before it;
3. at most `max_candidates` facts: the new ones first, then the others, each in seeded order
   (this bounds the work for an entity named in very many sentences);
4. a pair is valid when each sentence has a term the other lacks, neither derivation holds the
   other's, and this entity is the smallest key the two share (a pair sharing two keys is made
   once, by one of them);
5. ranks, best first: facts no document states together before facts that one document
   states together (a document's own sentences were in one prompt of local augmentation
   already; what composition adds is what no single document says); within each, chains (the
   entity is the subject of one sentence and not of the other: "A bror is a drarn." + "Drarns
   are trilb."), then other pairs whose sentences each have a key of their own ("Gagur is a
   parent of Ketra." + "Gagur is a parent of Dosim."), then pairs that differ only in English words;
6. within a rank, seeded order taken in passes that allow one more pair per fact each time:
   every fact gets a pair before any gets two; at most `max_pairs` in all.
With focus=individuals (individuals.py), facts naming an individual are considered before the
others in step 3, and step 5 ranks first by what the pair says about an individual (its fact
with a general statement about its kind, then relations, then general with general); each pair
names the individual it is about (`owner`), and the plan keeps at most `per_individual` a round.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from augft.augment.compose.individuals import FOCUS, Group
from augft.augment.compose.keys import Sentence, sentence_terms


def seeded(seed: int, *parts: str) -> str:
    """A deterministic order key (sha256 of the seed and the parts)."""
    return hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    max_pairs: int
    max_candidates: int
    seed: int
    focus: str = "entities"
    """augment.compose.focus: entities or individuals."""
    per_individual: int = 0
    """augment.compose.per_individual (focus=individuals)."""

    @property
    def individuals(self) -> bool:
        return self.focus == "individuals"


@dataclass(frozen=True)
class Pair:
    entity: str
    first: Sentence
    second: Sentence
    round: int
    kind: str
    """chain, joint (each has a key of its own) or terms (they differ in English words only)."""
    focus: str = ""
    """With focus=individuals: its individuals.FOCUS class (kind, relation, general)."""
    owner: str = ""
    """With focus=individuals: the individual it is about ('' for a general pair)."""

    def to_json(self) -> str:
        d = {"entity": self.entity, "first": self.first.to_json(), "second": self.second.to_json(),
             "round": self.round, "kind": self.kind, "focus": self.focus, "owner": self.owner}
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Pair":
        d = json.loads(text)
        return cls(d["entity"], Sentence.from_json(d["first"]), Sentence.from_json(d["second"]), int(d["round"]),
                   d["kind"], d["focus"], d["owner"])

    def order(self, seed: int) -> str:
        """Its seeded place among pairs of one class (deterministic, whatever the input order)."""
        return seeded(seed, self.entity, self.first.sid, self.second.sid)

    @property
    def key(self) -> str:
        """The pair's id, the source key of its statements (bounded length in every round)."""
        return f"c{self.round}-{hashlib.sha256((self.first.sid + chr(31) + self.second.sid).encode()).hexdigest()[:16]}"


def _facts(sentences: Sequence[Sentence], new_round: int, limits: Limits,
           group: Optional[Group] = None) -> List[Tuple[Sentence, bool, frozenset]]:
    """One (sentence, is new, documents stating the fact) per fact, bounded: steps 1-3 of the
    module docstring."""
    best: Dict[str, Sentence] = {}
    docs: Dict[str, set] = {}
    for s in sentences:
        fid = "|".join(sorted(s.keys))
        docs.setdefault(fid, set()).update(s.docs)
        cur = best.get(fid)
        if cur is None or (s.round, seeded(limits.seed, s.sid)) < (cur.round, seeded(limits.seed, cur.sid)):
            best[fid] = s
    ranked = sorted(best.values(), key=lambda s: (s.round != new_round - 1, bool(group and not group.individuals(s)),
                                                  seeded(limits.seed, s.sid)))
    return [(s, s.round == new_round - 1, frozenset(docs["|".join(sorted(s.keys))]))
            for s in ranked[:limits.max_candidates]]


def _kind(entity: str, a: Sentence, b: Sentence) -> str:
    """The pair's class, or '' when it is not a valid pair (step 4)."""
    ka, kb = set(a.keys), set(b.keys)
    if entity not in ka & kb or min(ka & kb) != entity or set(a.facts) <= set(b.facts) or set(b.facts) <= set(a.facts):
        return ""
    if ka - kb and kb - ka:
        return "chain" if (a.keys[0] == entity) != (b.keys[0] == entity) else "joint"
    ta, tb = sentence_terms(a.text), sentence_terms(b.text)
    return "terms" if ta - tb and tb - ta else ""


def _oriented(entity: str, a: Sentence, b: Sentence, kind: str) -> Tuple[Sentence, Sentence]:
    """A chain reads in order: the sentence the entity ends first, the one it starts second."""
    if kind == "chain":
        return (b, a) if a.keys[0] == entity else (a, b)
    return (a, b) if a.sid <= b.sid else (b, a)


_KINDS = ("chain", "joint", "terms")


def select_pairs(entity: str, sentences: Sequence[Sentence], new_round: int, limits: Limits) -> List[Pair]:
    """The pairs of round `new_round` for `entity`, in the order they were chosen."""
    group = Group(entity, sentences) if limits.individuals else None
    facts = _facts(sentences, new_round, limits, group)
    ranks: Dict[Tuple[int, bool, int], List[Tuple[str, Sentence, Sentence, str]]] = {}
    for i, (a, a_new, a_docs) in enumerate(facts):
        for b, b_new, b_docs in facts[i + 1:]:
            kind = (a_new or b_new) and _kind(entity, a, b)
            if kind:
                first, second = _oriented(entity, a, b, kind)
                order = seeded(limits.seed, entity, first.sid, second.sid)
                focus = FOCUS.index(group.classify(first, second)[0]) if group else 0
                ranks.setdefault((focus, bool(a_docs & b_docs), _KINDS.index(kind)), []).append(
                    (order, first, second, kind))
    chosen: List[Pair] = []
    degree: Dict[str, int] = {}
    for rank in sorted(ranks):
        _take_balanced(sorted(ranks[rank], key=lambda c: c[0]), chosen, degree, new_round, entity, limits.max_pairs)
    if group is None:
        return chosen
    return [Pair(p.entity, p.first, p.second, p.round, p.kind, *group.classify(p.first, p.second)) for p in chosen]


def _take_balanced(cands: List[Tuple[str, Sentence, Sentence, str]], chosen: List[Pair], degree: Dict[str, int],
                   new_round: int, entity: str, max_pairs: int) -> None:
    """Step 6: passes that allow one more pair per fact each time, until `max_pairs`."""
    taken = [False] * len(cands)
    allowed = 1
    while len(chosen) < max_pairs and not all(taken):
        for i, (_, a, b, kind) in enumerate(cands):
            if not taken[i] and degree.get(a.sid, 0) < allowed and degree.get(b.sid, 0) < allowed:
                taken[i] = True
                degree[a.sid] = degree.get(a.sid, 0) + 1
                degree[b.sid] = degree.get(b.sid, 0) + 1
                chosen.append(Pair(entity, a, b, new_round, kind))
                if len(chosen) >= max_pairs:
                    return
        allowed += 1
