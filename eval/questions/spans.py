"""Candidate facts: sentences with a subject entity and an object (entity, number or noun phrase).

Model-free and deterministic. A span is a run of capitalised words (a name: "Dafna Krell",
"Tarsk Hall"), a number, or a noun phrase that ends the sentence after a copula ("is the
composer of the opera Velmora"). A sentence-initial capitalised word counts as a name only when
it is not an ordinary English word (checked against a word list and the corpus's own lower-case
words), so "Many people know X" gives X, not "Many"; a lone capitalised ordinary word is no name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, List, Optional, Set

from augft.core.records import Document

_WORD = re.compile(r"[A-Za-z][\w'-]*|\d[\d,.]*\d|\d")
_SENT = re.compile(r"(?<=[.!?])\s+")
COPULAS = {"is", "was", "are", "were", "as", "being", "became", "becomes", "remains"}
_DETS = {"the", "a", "an"}
_CONNECT = {"of", "de", "van", "von", "la", "le", "del"}
MAX_NP_WORDS = 14


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int
    type: str
    """`name<k>` (k capitalised words), `number`, or `np` (a noun phrase after a copula)."""
    role: str = ""
    """The lower-case word right before the span in its sentence ("to" in "moved to Orsk",
    "opera" in "the opera Velmora"; "^" at the start): what kind of thing the sentence makes
    it, so a distractor is a place where the answer is a place, not an opera's name."""


@dataclass(frozen=True)
class Fact:
    doc_id: str
    sentence: str
    subject: Span
    object: Span
    """Ends the sentence (only final punctuation after it)."""

    @property
    def middle(self) -> str:
        return self.sentence[self.subject.end:self.object.start]

    @property
    def reversible(self) -> bool:
        """`S ... is O`: the object describes the subject, so "O is" -> S is the same fact."""
        words = self.middle.strip(" ,").split()
        return self.object.type == "np" and bool(words) and words[-1].lower() in COPULAS


@lru_cache(maxsize=1)
def _english() -> frozenset:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2"], lower=True))


def _common(word: str, corpus_lower: Set[str]) -> bool:
    w = word.lower()
    eng = _english()
    return w in corpus_lower or w in eng or (w.endswith("s") and (w[:-1] in eng or w[:-2] in eng))


def corpus_lowercase_words(docs: Iterable[Document]) -> Set[str]:
    return {w for d in docs for w in re.findall(r"\b[a-z][a-z'-]*\b", d.text)}


def sentences(text: str) -> List[str]:
    return [s.strip() for line in text.splitlines() for s in _SENT.split(line) if s.strip()]


def spans(sentence: str, corpus_lower: Set[str]) -> List[Span]:
    """Names and numbers in order, plus the final noun phrase when a copula introduces it."""
    words = list(_WORD.finditer(sentence))
    out: List[Span] = []
    i = 0
    while i < len(words):
        w = words[i].group()
        if w[0].isdigit():
            out.append(Span(w, words[i].start(), words[i].end(), "number", _role(words, i)))
            i += 1
            continue
        if w[0].isupper():
            j = i
            while j + 1 < len(words) and (words[j + 1].group()[0].isupper() or (
                    words[j + 1].group() in _CONNECT and j + 2 < len(words)
                    and words[j + 2].group()[0].isupper())):
                j += 1
            if i == 0 and j > 0 and w.lower() in corpus_lower:  # "The Orsk mill": drop "The"
                i += 1
                continue
            if j == i and _common(w, corpus_lower):  # a capitalised ordinary word ("They're")
                i += 1
                continue
            text = sentence[words[i].start():words[j].end()]
            out.append(Span(text, words[i].start(), words[j].end(), f"name{len(text.split())}",
                            _role(words, i)))
            i = j + 1
            continue
        i += 1
    np_ = _final_np(sentence, words)
    if np_ is not None:
        out = [s for s in out if s.end <= np_.start] + [np_]
    return out


def _role(words, i: int) -> str:
    if i == 0:
        return "^"
    prev = words[i - 1].group()
    return prev.lower() if prev[0].islower() else "^"  # after another name: a subject position


def _final_np(sentence: str, words) -> Optional[Span]:
    for k in range(len(words) - 2, 0, -1):
        if words[k].group().lower() in _DETS and words[k - 1].group().lower() in COPULAS:
            end = len(sentence.rstrip().rstrip(".!?;:"))
            text = sentence[words[k].start():end]
            # "... as the X of Y and stayed famous": a second verb phrase, not part of the NP.
            if len(text.split()) <= MAX_NP_WORDS and "," not in text \
                    and not re.search(r"\b(and|but)\s+\w+ed\b", text):
                return Span(text, words[k].start(), end, "np")
            return None
    return None


def facts(doc: Document, corpus_lower: Set[str]) -> List[Fact]:
    """Each sentence whose last span ends it and whose first span is a name before it."""
    out = []
    for sent in sentences(doc.text):
        ss = spans(sent, corpus_lower)
        if len(ss) < 2:
            continue
        subj, obj = ss[0], ss[-1]
        tail = sent[obj.end:].strip()
        if subj.type.startswith("name") and obj.start > subj.end and tail in ("", ".", "!", ";"):
            out.append(Fact(doc.id, sent, subj, obj))
    return out
