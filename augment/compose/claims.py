"""What a sentence claims, read without knowing the benchmark: its polarity about its entities,
and whether it places one category under another. The contradiction filter (settle.py) compares
these between a round's statements, the corpus and the statements kept before.

Polarity. A sentence's signature is its entity keys in order and its relation words (the words
between its first and last key that are not function words; after the key when it names one), so
"Gagur is a parent of Ketra." and "It is true that Gagur is not a parent of Ketra." share one (a
relation's words may add to another's: "the proud parent of"). Its quantifier and
negation give atoms (order, sign, universal):
    all/generic X..Y   (X, Y, +, U)           generic negated "X is not ... Y"   (X, Y, -, U)
    no X are Y         (X, Y, -, U), (Y, X, -, U)      some X are Y   (X, Y, +, E), (Y, X, +, E)
    some X are not Y   (X, Y, -, E)
Two sentences contradict when they have atoms with the same order and signature, opposite
signs, and not both existential ("All snaf are flaf." against "No snaf are flaf.", "Some X are Y."
against "No Y are X."; "Some X are Y." and "Some X are not Y." are compatible).

Kinds. "X is a kind (type, sort, form) of Y", "X is a Y" and "every X is a Y" place category X
under Y; a second parent that the known facts do not relate to the first one is incompatible
(settle.py, with augment.compose.single_parent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from augft.augment.compose.keys import fold, sentence_keys
from augft.augment.entities import mentions
from augft.augment.filters import negates

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_FUNCTION = frozenset("""a an the is are was were be been being am of that to do does did not never no nor
n't cannot none it its this these those there than which who whom whose also indeed course
by""".split())
_KIND_WORDS = frozenset({"kind", "type", "sort", "form"})
_LEMMA = {"has": "have", "had": "have", "having": "have", "cannot": "can", "can't": "can"}
_UNIVERSAL = {"all": "all", "every": "all", "each": "all", "no": "no", "none": "no", "some": "some"}


@dataclass(frozen=True)
class Claim:
    signature: Tuple[Tuple[str, ...], Tuple[str, ...]]
    """(entity keys in order, sorted relation words)."""
    atoms: Tuple[Tuple[Tuple[str, ...], str, bool], ...]
    """(key order, sign '+' or '-', universal) per reading; see the module docstring."""
    isa: Optional[Tuple[str, str]] = None
    """(category, parent) when the sentence places one category under another."""


def _relation(words: List[str], keys: Tuple[str, ...]) -> Tuple[str, ...]:
    folded = [fold(w) for w in words]
    at = [i for i, w in enumerate(folded) if w in keys]
    # A key that is no word here (a code identifier such as `sys.monitoring`, a version) has no
    # place to measure from: the relation is then every other content word of the sentence.
    span = folded[at[0] + 1:at[-1]] if len(at) > 1 else folded[at[0] + 1:] if at else folded
    rel = {_LEMMA.get(w, w) for w in span if w not in keys and _LEMMA.get(w, w) not in _FUNCTION}
    return tuple(sorted(rel))


def _isa(words: List[str], keys: Tuple[str, ...], rel: Tuple[str, ...], quant: str, neg: bool) -> Optional[Tuple[str, str]]:
    if len(keys) != 2 or neg or quant in ("no", "some"):
        return None
    if rel and set(rel) <= _KIND_WORDS:
        return keys[0], keys[1]
    folded = [fold(w) for w in words]
    j = folded.index(keys[1]) if keys[1] in folded else -1
    if not rel and j >= 2 and folded[j - 1] in ("a", "an") and folded[j - 2] in ("is", "be"):
        return keys[0], keys[1]
    return None


def _words(text: str, keys: Tuple[str, ...]) -> List[str]:
    """The lower-case words of `text`, a multi-word entity key ("acme corp") as one word, so that
    it has a place among them."""
    out: List[str] = []
    low, pos = text.lower(), 0
    for m in mentions(text, strict=True):
        if " " in m.key and fold(m.key) in keys:
            out += _WORD.findall(low[pos:m.start]) + [fold(m.key)]
            pos = m.end
    return out + _WORD.findall(low[pos:])


def claim(text: str) -> Optional[Claim]:
    """The claim of one sentence; None when it names no entity."""
    keys = sentence_keys(text)
    if not keys:
        return None
    words = _words(text, keys)
    quant = _UNIVERSAL.get(words[0], "generic") if words else "generic"
    neg = negates(text) and quant != "no"
    rel = _relation(words, keys)
    sym = len(keys) == 2
    if quant == "no" or (quant == "all" and neg):
        atoms = [(keys, "-", True)] + ([(keys[::-1], "-", True)] if sym else [])
    elif quant == "some":
        atoms = [(keys, "-", False)] if neg else [(keys, "+", False)] + ([(keys[::-1], "+", False)] if sym else [])
    else:
        atoms = [(keys, "-" if neg else "+", True)]
    return Claim((keys, rel), tuple(atoms), _isa(words, keys, rel, quant, neg))


def _same_relation(a: Tuple[str, ...], b: Tuple[str, ...]) -> bool:
    """Both without relation words, or one's within the other's ("is the proud parent of" and
    "is not a parent of" are about one relation; "are" and "are friends of" are not)."""
    if not a or not b:
        return not a and not b
    return set(a) <= set(b) or set(b) <= set(a)


def conflicts(a: Claim, b: Claim) -> bool:
    """Whether two claims contradict by polarity (same signature; see the module docstring)."""
    if set(a.signature[0]) != set(b.signature[0]) or not _same_relation(a.signature[1], b.signature[1]):
        return False
    return any(oa == ob and sa != sb and (ua or ub) for oa, sa, ua in a.atoms for ob, sb, ub in b.atoms)
