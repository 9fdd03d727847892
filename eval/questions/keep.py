"""The keep/drop rules, the per-split subsample, and the final Question records.

Two rules (`questions.keep_rule`):

- `fair` (default): a question is valid when its own text and its source documents say so
  (`invalid`: the answer and what the question is about are stated in the sources, no
  distractor is, the choices are distinct, the prompt does not give the answer away), and it is
  not prior knowledge when the base model without context gives the answer less than
  `questions.prior_confidence` of its probability over the choices. No condition that reads the
  source documents (`icl`, `rag`) is asked, so the set is not selected by how they answer it:
  a valid question ICL gets wrong stays in.
- `icl_checked` (the rule before): kept when ICL with its source documents picks the answer and
  the base model without context does not. That is `rag` with perfect retrieval, so the set
  holds only questions reading the source answers and `icl`/`rag` score high by construction;
  kept to measure that (benchmarks/questions_rules.py).

Kept questions are subsampled per split (seeded) and their answer positions balanced.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from augft.core.records import Document, Question
from augft.eval.questions.build import Candidate


RULES = {
    "fair": "kept when valid by its text and sources (answer and subject stated in the source "
            "documents, no distractor stated there, distinct choices, answer not in the prompt) and "
            "the base model without context gives the answer less than {p} of its probability; "
            "no condition that reads the sources was asked",
    "icl_checked": "kept when ICL with the source documents answers and the base model without "
                   "context does not (selects what icl and rag answer)",
}


@dataclass
class Verdict:
    """What the model did with one candidate: `icl_correct` is None where ICL was not scored
    (the fair rule never scores it)."""
    icl_correct: Optional[bool]
    base_correct: bool
    base_p: float = 0.0
    """The base model's probability of the answer among the choices (softmax of the scores)."""

    @property
    def keep(self) -> bool:
        return bool(self.icl_correct) and not self.base_correct

    @property
    def reason(self) -> str:
        """The `icl_checked` rule's outcome."""
        if self.keep:
            return "kept"
        return "icl_wrong" if not self.icl_correct else "base_correct"


def _words(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def _stated(text: str, part: str) -> bool:
    """Whole-word containment of word-normalised strings (case and punctuation ignored)."""
    return bool(part) and f" {part} " in f" {text} "


def answer_parts(c: Candidate) -> List[str]:
    """The spans the answer is made of: a `pair` question's "S1 and S2" is two subjects (names,
    which never contain a lower-case "and"), any other answer is one span."""
    return c.answer.split(" and ") if c.kind.startswith("pair") else [c.answer]


def invalid(c: Candidate, sources: Sequence[str]) -> Optional[str]:
    """Why the question is not valid, from its text and its source documents' text alone (None:
    valid). Needs no model, so it selects nothing by how any condition answers."""
    choices = [_words(x) for x in [c.answer, *c.distractors]]
    if len(choices) < 2 or "" in choices or len(set(choices)) != len(choices):
        return "duplicate_choices"
    text = " ".join(_words(s) for s in sources)
    if not all(_stated(text, _words(p)) for p in answer_parts(c)):
        return "answer_not_in_source"
    if not all(_stated(text, _words(m)) for m in c.mention):
        return "subject_not_in_source"
    if _stated(_words(c.prompt), choices[0]):
        return "gives_answer"
    if any(_stated(text, d) for d in choices[1:]):
        return "distractor_in_source"  # it might be true as well
    return None


def decide(rule: str, c: Candidate, v: Optional[Verdict], sources: Sequence[str],
           prior_confidence: float) -> str:
    """"kept" or the reason `rule` drops the question. `v` may be None under `fair` for an
    invalid question (the model is not asked about it)."""
    if why := (None if str(rule) == "icl_checked" else invalid(c, sources)):
        return why
    if v is None:
        raise ValueError(f"question {c.prompt!r}: a valid question needs the model's verdict")
    if str(rule) == "icl_checked":
        return v.reason
    return "prior_knowledge" if v.base_p >= prior_confidence else "kept"


def choice_order(c: Candidate, position: int) -> List[str]:
    """The choices with the answer at `position`, each starting with a space."""
    others = list(c.distractors)
    return [" " + t for t in others[:position] + [c.answer] + others[position:]]


def select(cands: Sequence[Candidate], per_split: int, seed: int) -> List[Candidate]:
    """At most `per_split` of one split's kept candidates, seeded, in a stable order."""
    chosen = list(cands)
    random.Random(seed).shuffle(chosen)
    return sorted(chosen[:per_split], key=lambda c: c.id)


def to_questions(cands: Sequence[Candidate], seed: int) -> List[Question]:
    """Questions with balanced answer positions (each position equally often, seeded)."""
    rng = random.Random(seed)
    out = []
    by_k: Dict[int, List[int]] = {}
    for c in cands:
        k = len(c.distractors) + 1
        if not by_k.get(k):
            by_k[k] = list(range(k))
            rng.shuffle(by_k[k])
        pos = by_k[k].pop()
        out.append(Question(c.id, c.split, c.kind, c.prompt, choice_order(c, pos), pos, list(c.source_ids),
                            {**c.meta, "about": list(c.mention), "generated": True}))
    return out


def heldout(questions: Sequence[Question], cands: Dict[str, Candidate]) -> List[Document]:
    """What augmentation must not copy: each question's statement (prompt + answer) and its
    source statements, as Document records (meta names the question)."""
    out = []
    for q in questions:
        statement = q.prompt + q.choices[q.answer]
        texts = [statement] + [s for s in cands[q.id].statements if s != statement]
        for j, text in enumerate(texts):
            out.append(Document(f"{q.id}/{j}", text, {"question_id": q.id, "split": q.split,
                                                      "role": "question" if j == 0 else "source"}))
    return out


def counts(items, key) -> Dict[str, int]:
    return dict(sorted(Counter(key(x) for x in items).items()))
