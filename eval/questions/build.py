"""Mechanical (model-free) question candidates from facts, with same-type distractors.

- forward / `cloze`: the fact's sentence up to its object; the object completes it;
  forward / `template`: for a reversible fact, "S is known as" (new words) -> O.
- reversal / `reversal`: for a reversible fact (`S ... is O`), "O is" (and two other
  object-first phrasings) completes with S.
- inference / `bridge`: two documents share a subject S with different objects, the first
  reversible ("S is O1", "S lives in O2"): "O1 lives in" completes with O2, which no single
  document states.
- inference / `pair`: where no bridge exists, two reversible facts of different subjects from
  two documents: "O1 and O2 are, respectively," completes with "S1 and S2".

Distractors have the answer's span type and role (the word before it in its sentence: a place
after "to" or "in", a work after "opera") and come from other documents; a span that ever
appears in a document together with the question's key span is never a distractor (it might
be true as well), nor is one that contains the key span or the answer ("the brother of Petra
Lund" for a question about Petra Lund) or that the key span contains ("Jon Lund" for "the sister
of Jon Lund is").
"""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import AbstractSet, Dict, List, Optional, Sequence, Set

from augft.core.records import Document
from augft.eval.questions.spans import Fact, corpus_lowercase_words, facts, spans, sentences

SPLITS = ("forward", "reversal", "inference")
# The object first, the subject completes it (the fact asked from the other side).
REVERSAL_TEMPLATES = ("{O} is", "{O} is known by the name", "The name of {o} is")
# Subject first in new words, the object completes it (forward, not a copy of the sentence).
FORWARD_TEMPLATES = ("{S} is known as", "People describe {S} as")


@dataclass
class Candidate:
    split: str
    kind: str
    prompt: str
    answer: str
    distractors: List[str]
    source_ids: List[str]
    mention: List[str]
    """Texts the prompt must contain (what the question is about); a rewrite must keep them."""
    statements: List[str] = field(default_factory=list)
    """The source statements the question tests (held out from verbatim copying)."""
    meta: Dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        h = hashlib.sha256(f"{self.split}|{self.kind}|{self.prompt}|{self.answer}".encode()).hexdigest()
        return f"{self.split}-{self.kind}-{h[:10]}"


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


class SpanIndex:
    """Every span of the corpus by type, and which spans ever share a document."""

    def __init__(self, docs: Sequence[Document], lower: Set[str]):
        self.by_type: Dict[str, Dict[str, str]] = defaultdict(dict)  # type -> norm -> text
        self.roles: Dict[str, Set[str]] = defaultdict(set)  # norm -> roles it was seen in
        self.docs_of: Dict[str, Set[str]] = defaultdict(set)
        for d in docs:
            for sent in sentences(d.text):
                for s in spans(sent, lower):
                    self.by_type[s.type].setdefault(_norm(s.text), s.text)
                    self.roles[_norm(s.text)].add(s.role)
                    self.docs_of[_norm(s.text)].add(d.id)

    def distractors(self, answer: str, type_: str, key: str, k: int, rng: random.Random,
                    prefer: AbstractSet[str] = frozenset()) -> List[str]:
        """k spans of the answer's type and role that never share a document with `key`, and
        neither equal nor contain the answer or `key`; from `prefer` (normalised spans in the
        answer's role, e.g. fact subjects) when it has k."""
        key_docs = self.docs_of.get(_norm(key), set())
        roles = self.roles.get(_norm(answer), set())
        pool = sorted(t for n, t in self.by_type.get(type_, {}).items()
                      if n != _norm(answer) and not (self.docs_of[n] & key_docs)
                      and not _contains(n, _norm(answer)) and not _contains(n, _norm(key))
                      and not _contains(_norm(key), n)  # a name the question itself mentions
                      and (not roles or "" in roles or roles & self.roles[n]))
        preferred = [t for t in pool if _norm(t) in prefer]
        pool = preferred if len(preferred) >= k else pool
        return rng.sample(pool, k) if len(pool) >= k else []


def _contains(text: str, part: str) -> bool:
    """Whole-word containment of normalised strings."""
    return bool(part) and f" {part} " in f" {text} "


def mechanical(docs: Sequence[Document], n_choices: int, seed: int) -> Dict[str, List[Candidate]]:
    """All mechanical candidates per split (those without enough distractors are left out)."""
    rng = random.Random(seed)
    lower = corpus_lowercase_words(docs)
    index = SpanIndex(docs, lower)
    all_facts: List[Fact] = [f for d in docs for f in facts(d, lower)]
    out: Dict[str, List[Candidate]] = {s: [] for s in SPLITS}
    k = n_choices - 1
    subjects = {_norm(f.subject.text) for f in all_facts}
    for f in all_facts:
        prompt = f.sentence[:f.object.start].rstrip()
        d = index.distractors(f.object.text, f.object.type, f.subject.text, k, rng)
        if d:
            out["forward"].append(Candidate("forward", "cloze", prompt, f.object.text, d, [f.doc_id],
                                            [f.subject.text], [f.sentence]))
        if f.reversible and d:
            for t, template in enumerate(FORWARD_TEMPLATES):
                out["forward"].append(Candidate(
                    "forward", "template", template.format(S=f.subject.text), f.object.text,
                    index.distractors(f.object.text, f.object.type, f.subject.text, k, rng),
                    [f.doc_id], [f.subject.text], [f.sentence], {"template": t}))
        if f.reversible:
            for t, template in enumerate(REVERSAL_TEMPLATES):
                d = index.distractors(f.subject.text, f.subject.type, f.object.text, k, rng, subjects)
                if d:
                    out["reversal"].append(Candidate(
                        "reversal", "reversal", template.format(O=cap(f.object.text), o=f.object.text),
                        f.subject.text, d, [f.doc_id], [f.object.text], [f.sentence], {"template": t}))
    out["inference"] = (_bridges(all_facts, index, k, rng)
                        or _pairs(all_facts, index, k, rng, subjects))
    return {s: _dedupe(c) for s, c in out.items()}


def _bridges(all_facts: List[Fact], index: SpanIndex, k: int, rng: random.Random) -> List[Candidate]:
    by_subject: Dict[str, List[Fact]] = defaultdict(list)
    for f in all_facts:
        by_subject[_norm(f.subject.text)].append(f)
    out = []
    for group in by_subject.values():
        for f1 in (f for f in group if f.reversible):
            for f2 in group:
                # The second object must be news: not said in the first sentence at all.
                if f2.doc_id == f1.doc_id or _norm(f2.object.text) in _norm(f1.sentence) \
                        or _norm(f1.object.text) in _norm(f2.sentence):
                    continue
                prompt = (cap(f1.object.text) + f2.middle.rstrip()).strip()
                d = index.distractors(f2.object.text, f2.object.type, f2.subject.text, k, rng)
                if d:
                    out.append(Candidate("inference", "bridge", prompt, f2.object.text, d,
                                         [f1.doc_id, f2.doc_id], [f1.object.text],
                                         [f1.sentence, f2.sentence]))
    return out


def _pairs(all_facts: List[Fact], index: SpanIndex, k: int, rng: random.Random,
           subjects: Set[str]) -> List[Candidate]:
    rev = [f for f in all_facts if f.reversible]
    out = []
    for f1 in rev:
        others = [f for f in rev if _norm(f.subject.text) != _norm(f1.subject.text)
                  and f.doc_id != f1.doc_id and f.subject.type == f1.subject.type]
        if not others:
            continue
        f2 = rng.choice(others)
        s1, s2 = f1.subject.text, f2.subject.text
        thirds = index.distractors(s1, f1.subject.type, f1.object.text, k + 2, rng, subjects)
        thirds = [t for t in thirds if _norm(t) != _norm(s2)]
        wrong = [f"{s2} and {s1}"] + [f"{s1} and {t}" if i % 2 else f"{t} and {s2}"
                                      for i, t in enumerate(thirds)]
        if len(wrong) < k:
            continue
        out.append(Candidate("inference", "pair", f"{cap(f1.object.text)} and {f2.object.text} are, respectively,",
                             f"{s1} and {s2}", wrong[:k], [f1.doc_id, f2.doc_id],
                             [f1.object.text, f2.object.text], [f1.sentence, f2.sentence]))
    return out


def _dedupe(cands: List[Candidate]) -> List[Candidate]:
    seen, out = set(), []
    for c in cands:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out
