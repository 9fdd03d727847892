"""Entity consistency of a global statement with its window.

A global prompt shows the model many documents at once, and a small model attributes one
entity's facts to another ("<person B> is the first to cross the <strait>", a deed of person
A). A window links entities only through documents: two entities are linked when some
document names both, directly or through a chain of documents. A statement that names
entities of the window which no chain of documents links is an invented connection: it is
dropped as `inconsistent`. Statements that combine facts along such chains (the inferences
global augmentation is for) pass.

Entities are the words of a text that are not English dictionary words (names, places,
invented terms), lower-cased; common words link nothing.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]+")


@lru_cache(maxsize=1)
def _english() -> FrozenSet[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2", "gcide"], lower=True, alpha=True))


_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers")


def _is_english(k: str) -> bool:
    """A dictionary word, or an inflection of one (plural, past, -ing, British -ise)."""
    eng = _english()
    if k in eng:
        return True
    stems = [k[: -len(s)] for s in _SUFFIXES if k.endswith(s) and len(k) > len(s) + 2]
    stems += [s + "e" for s in stems]
    stems += [s.replace("is", "iz") for s in stems if "is" in s]
    return any(s in eng for s in stems)


def _is_english_strict(k: str) -> bool:
    """A dictionary word or a regular inflection of one, read narrowly: -d only after an e
    ("lived"), a restored e only before -ed/-ing/-er ("hoped"). The loose reading above counts
    invented words such as "pland" (plan + d) or "tred" (tree - e + d) as English, and an
    invented word that is not a key cannot link two sentences."""
    eng = _english()
    if k in eng:
        return True
    for suf in ("s", "es", "ed", "ing", "er", "ers", "ly"):
        stem = k[: -len(suf)]
        if k.endswith(suf) and len(stem) >= 3 and (stem in eng or (suf in ("ed", "ing", "er", "ers")
                                                                   and stem + "e" in eng)):
            return True
    return k.endswith("d") and k[:-1].endswith("e") and k[:-1] in eng


def entity_keys(text: str) -> Set[str]:
    """Tokens of `text` that are not English words (at least 3 letters)."""
    return set(entity_tokens(text))


def entity_tokens(text: str, strict: bool = False) -> List[str]:
    """The entity keys of `text` in the order they first occur (the subject usually first).
    `strict` reads English inflections narrowly (`_is_english_strict`), so fewer invented words
    pass for English."""
    english = _is_english_strict if strict else _is_english
    out: List[str] = []
    for tok in _TOKEN.findall(text):
        k = tok.lower().strip("'-")
        if "'" in k:  # a possessive names its owner; other contractions (they're, didn't) name nothing
            head, _, tail = k.partition("'")
            if tail != "s":
                continue
            k = head
        if len(k) >= 3 and k not in out and not english(k):
            out.append(k)
    return out


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
