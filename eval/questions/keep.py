"""The keep/drop rule, the per-split subsample, and the final Question records.

A question is kept when ICL with its source documents in context picks the answer and the
base model without context does not: it then tests the documents, not prior knowledge or
the distractors' oddness. Kept questions are subsampled per split (seeded) and their answer
positions balanced over the choices.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence

from augft.core.records import Document, Question
from augft.eval.questions.build import Candidate


@dataclass
class Verdict:
    icl_correct: bool
    base_correct: bool

    @property
    def keep(self) -> bool:
        return self.icl_correct and not self.base_correct

    @property
    def reason(self) -> str:
        if self.keep:
            return "kept"
        return "icl_wrong" if not self.icl_correct else "base_correct"


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
