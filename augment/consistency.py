"""Entity consistency of a global statement with its window.

A global prompt shows the model many documents at once, and a small model attributes one
entity's facts to another ("<person B> is the first to cross the <strait>", a deed of person
A). A window links entities only through documents: two entities are linked when some
document names both, directly or through a chain of documents. A statement that names
entities of the window which no chain of documents links is an invented connection: it is
dropped as `inconsistent`. Statements that combine facts along such chains (the inferences
global augmentation is for) pass.

Entities are what augment.entities reads (names, code identifiers, invented words); documents
link through their mentions' parts ("Krell" links to "Dafna Krell"); common words link nothing.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple, Iterable

from augft.augment.entities import link_keys


def entity_keys(text: str) -> Set[str]:
    """The keys through which `text` links to other documents (augment.entities.link_keys)."""
    return set(link_keys(text))


class WindowEntities:
    """The entity components of a window: entities linked through its documents."""

    def __init__(self, docs: Iterable[str]):
        self._parent: Dict[str, str] = {}
        for text in docs:
            keys = sorted(entity_keys(text))
            for k in keys:
                self._parent.setdefault(k, k)
            for a, b in zip(keys, keys[1:]):
                self._union(a, b)

    def _find(self, k: str) -> str:
        while self._parent[k] != k:
            self._parent[k] = self._parent[self._parent[k]]
            k = self._parent[k]
        return k

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def component(self, text: str) -> Optional[str]:
        """The linked component a document of the window belongs to (None: it names no entity)."""
        keys = [k for k in entity_keys(text) if k in self._parent]
        return self._find(keys[0]) if keys else None

    def consistent(self, statement: str) -> bool:
        """Whether every window entity the statement names lies in one linked component."""
        roots: List[str] = [self._find(k) for k in entity_keys(statement) if k in self._parent]
        return len(set(roots)) <= 1


def linked_groups(texts: Sequence[str]) -> Tuple[List[List[int]], List[int]]:
    """The window's documents grouped by chains of shared entities: (groups, each a list of
    document indices, listed once; per document the index of its group, or -1 when its prompt
    shows the whole window: it names no entity, or its group is the whole window)."""
    ents = WindowEntities(texts)
    members: Dict[str, List[int]] = {}
    for i, t in enumerate(texts):
        c = ents.component(t)
        if c is not None:
            members.setdefault(c, []).append(i)
    groups: List[List[int]] = []
    group_of = [-1] * len(texts)
    for m in members.values():
        if len(m) < len(texts):
            for i in m:
                group_of[i] = len(groups)
            groups.append(m)
    return groups, group_of
