"""After a round's units: drop the statements that contradict what is known, or repeat it, and
write the round's kept shards.

What is known: the corpus's sentences and the statements kept in earlier rounds (claims.py reads
each). A statement of the round, in record-id order, is dropped as
- `duplicate`: its normalised text is a corpus sentence, an earlier kept statement, or a statement
  of this round met before it (the unit filters only see one pair's statements);
- `contradiction`: its polarity contradicts a known sentence, or it makes a category a kind of a
  parent that the known kinds make incompatible (a cycle; with augment.compose.single_parent, a
  second parent that neither is a kind of the first one nor has it as a kind), or it contradicts
  another statement of the same round the same way (both are dropped: nothing says which is right).

This is one pass over the corpus and the round's statements, in one process (the driver, or one
Ray task when augment.use_ray): its memory grows with the corpus's claims (a few hundred bytes a
sentence); a keyed shuffle by entity would spread it over workers at a larger scale.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from augft.augment.compose.claims import Claim, claim, conflicts
from augft.augment.filters import normalize


@dataclass
class RoundKinds:
    """The kinds a round's statements state (child -> parents), beside the store's own, with how
    many statements state each edge: a statement is judged against the others without its own
    edge (unless another statement repeats it), in constant time per statement."""
    counts: Counter = field(default_factory=Counter)
    parents: Dict[str, Set[str]] = field(default_factory=dict)
    mentions: Counter = field(default_factory=Counter)
    """category -> how many distinct edges name it."""

    @classmethod
    def of(cls, edges: Iterable[Tuple[str, str]]) -> "RoundKinds":
        out = cls(counts=Counter(edges))
        for edge in out.counts:
            out._link(edge, +1)
        return out

    def _link(self, edge: Tuple[str, str], sign: int) -> None:
        child, parent = edge
        ps = self.parents.setdefault(child, set())
        ps.add(parent) if sign > 0 else ps.discard(parent)
        self.mentions.update({child: sign, parent: sign})

    def get(self, x: str) -> Set[str]:
        return self.parents.get(x, set())

    def knows(self, x: str) -> bool:
        return self.mentions[x] > 0

    @contextmanager
    def without(self, edge: Tuple[str, str]):
        alone = self.counts[edge] == 1
        if alone:
            self._link(edge, -1)
        try:
            yield self
        finally:
            if alone:
                self._link(edge, +1)


@dataclass
class FactStore:
    """Claims of the known sentences, indexed by entity key set, and the known kinds."""
    single_parent: bool = True
    by_keys: Dict[FrozenSet[str], List[Claim]] = field(default_factory=dict)
    parents: Dict[str, Set[str]] = field(default_factory=dict)
    seen: Set[bytes] = field(default_factory=set)

    @staticmethod
    def digest(text: str) -> bytes:
        return hashlib.sha1(normalize(text).encode()).digest()[:12]

    def add(self, text: str) -> None:
        self.seen.add(self.digest(text))
        c = claim(text)
        if c is None:
            return
        self.by_keys.setdefault(frozenset(c.signature[0]), []).append(c)
        if c.isa:
            self.parents.setdefault(c.isa[0], set()).add(c.isa[1])
            self.parents.setdefault(c.isa[1], set())

    def ancestors(self, x: str, extra: Optional[RoundKinds] = None) -> Set[str]:
        out: Set[str] = set()
        todo = [x]
        while todo:
            y = todo.pop()
            for p in self.parents.get(y, set()) | (extra.get(y) if extra else set()):
                if p not in out:
                    out.add(p)
                    todo.append(p)
        return out

    def known_category(self, x: str, extra: Optional[RoundKinds] = None) -> bool:
        return x in self.parents or bool(extra and extra.knows(x))

    def incompatible(self, child: str, parent: str, extra: Optional[RoundKinds] = None) -> bool:
        """Whether "child is a kind of parent" breaks the known kinds (see the module docstring);
        `extra`: more child -> parents edges (the other statements of a round)."""
        if child == parent:
            return True
        if not self.known_category(parent, extra):
            return False  # nothing known about it: no grounds to judge
        above = self.ancestors(parent, extra)
        if child in above:
            return True  # a cycle
        if not self.single_parent:
            return False
        return any(a != parent and a not in above and parent not in self.ancestors(a, extra)
                   for a in self.ancestors(child, extra))

    def contradicts(self, c: Claim) -> bool:
        if any(conflicts(c, k) for k in self.by_keys.get(frozenset(c.signature[0]), ())):
            return True
        return bool(c.isa and self.incompatible(*c.isa))


def settle(store: FactStore, texts: Sequence[str]) -> List[Optional[str]]:
    """Per statement (in the order given), the reason it is dropped or None; the kept ones are
    added to `store`."""
    reasons: List[Optional[str]] = [None] * len(texts)
    round_seen: Set[bytes] = set()
    alive: List[Tuple[int, Claim]] = []
    for i, t in enumerate(texts):
        h = store.digest(t)
        if h in store.seen or h in round_seen:
            reasons[i] = "duplicate"
            continue
        round_seen.add(h)
        c = claim(t)
        if c is not None and store.contradicts(c):
            reasons[i] = "contradiction"
        elif c is not None:
            alive.append((i, c))
    for i in _within_round(store, alive):
        reasons[i] = "contradiction"
    for i, t in enumerate(texts):
        if reasons[i] is None:
            store.add(t)
    return reasons


def _within_round(store: FactStore, alive: List[Tuple[int, Claim]]) -> Set[int]:
    """Statements of one round that contradict another statement of the round (each such one)."""
    bad: Set[int] = set()
    by_keys: Dict[FrozenSet[str], List[Tuple[int, Claim]]] = {}
    for i, c in alive:
        by_keys.setdefault(frozenset(c.signature[0]), []).append((i, c))
    for group in by_keys.values():
        for j, (i, c) in enumerate(group):
            for i2, c2 in group[j + 1:]:
                if conflicts(c, c2):
                    bad |= {i, i2}
    kinds = RoundKinds.of(c.isa for _, c in alive if c.isa)
    for i, c in alive:
        if c.isa:
            with kinds.without(c.isa) as others:
                if store.incompatible(*c.isa, extra=others):
                    bad.add(i)
    return bad


def decoded(row: Dict) -> Dict:
    """A shard row as a record dict (its meta and sampling are JSON text in Parquet)."""
    out = dict(row)
    for k in ("meta", "sampling"):
        if isinstance(out.get(k), str):
            out[k] = json.loads(out[k] or "{}")
    return out


def known_texts(corpus_texts: Iterable[str], kept_rows: Iterable[Dict]) -> Iterable[str]:
    """Everything a round's statements are judged against, in a fixed order."""
    from augft.core.text import split_sentences

    for text in corpus_texts:
        yield from split_sentences(text)
    for row in kept_rows:
        yield row["text"]
