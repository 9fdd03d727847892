"""Helpers shared by the benchmark generators: the generated bundle, question and
oracle record builders, balanced answer positions, lead-ins and text normalisation."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

from augft.core.records import Augmentation, Document, Question

ORACLE_PROMPT_HASH = "oracle-v1"

# Lead-ins for training items ("Did you know that femp are ..."). Each ends where
# the fact starts; the fact's first word stays lower-case after them.
LEAD_INS = [
    "Did you know that", "It is known that", "It is a fact that", "Remember that",
    "Researchers have found that", "Everyone agrees that", "It turns out that",
    "Records show that", "It has been observed that", "Experts say that",
    "It is widely reported that", "Studies confirm that", "Observers note that",
    "It is true that", "According to field notes,", "As it happens,",
]


@dataclass
class Generated:
    """Everything one benchmark generator produces (written by api.generate)."""
    name: str
    seed: int
    sizes: Dict[str, Any]
    documents: List[Document]
    questions: List[Question]
    oracle: List[Augmentation]
    truth: Dict[str, Any]
    """Ground truth needed to rebuild the checker (stored in benchmark.json)."""
    extra: Dict[str, Any] = field(default_factory=dict)
    oracle2: List[Augmentation] = field(default_factory=list)
    """The oracle's facts stated in both directions (`oracle2.jsonl`, the `oracle2` strategy), where
    the benchmark can state them the other way round (family); empty elsewhere."""


def make_rng(name: str, seed: int, part: str = "") -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, so it is stable across runs
    # and Python versions (unlike hash()).
    return random.Random(f"augft:{name}:{seed}:{part}")


def balanced_positions(n: int, k: int, rng: random.Random) -> List[int]:
    """n answer positions in 0..k-1, each used equally often (±1), in random order."""
    pos = [i % k for i in range(n)]
    rng.shuffle(pos)
    return pos


def make_question(qid: str, split: str, kind: str, prompt: str, answer: str,
                  distractors: Sequence[str], position: int, source_ids: Sequence[str],
                  meta: Dict[str, Any] | None = None) -> Question:
    """A question whose correct choice sits at `position` among the distractors."""
    if answer in distractors or len(set(distractors)) != len(distractors):
        raise ValueError(f"{qid}: choices are not distinct")
    choices = list(distractors)
    choices.insert(position, answer)
    return Question(id=qid, split=split, kind=kind, prompt=prompt, choices=choices,
                    answer=position, source_ids=list(source_ids), meta=dict(meta or {}))


def oracle_aug(aid: str, text: str, source_ids: Sequence[str],
               meta: Dict[str, Any] | None = None, strategy: str = "oracle") -> Augmentation:
    return Augmentation(id=aid, text=text, strategy=strategy, source_ids=list(source_ids),
                        prompt_hash=ORACLE_PROMPT_HASH, model="oracle", sampling={},
                        meta=dict(meta or {}))


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def with_lead_in(lead: str, sentence: str) -> str:
    """`Did you know that` + `femp are ...` -> `Did you know that femp are ...?`."""
    body = sentence.rstrip(".")
    end = "?" if lead.lower().startswith("did you") else "."
    return f"{lead} {body}{end}"


_NON_WORD = re.compile(r"[^a-z0-9']+")


def normalize(text: str) -> str:
    """Lower-case, punctuation to spaces, single spaces: `Glon  are LESS...` -> `glon are less ...`."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"'s\b", " 's", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


# Only explicit negations: "never" is too often idiomatic ("never looked back").
NEGATIONS = (" not ", " no longer ", "n't ")


def negated(norm: str) -> bool:
    padded = f" {norm} "
    return any(n in padded for n in NEGATIONS)


def docs_by_fact(documents: Sequence[Document]) -> Dict[str, List[str]]:
    """fact id -> ids of the documents that state it (from Document.meta['fact_ids'])."""
    out: Dict[str, List[str]] = {}
    for d in documents:
        for f in d.meta.get("fact_ids", []):
            out.setdefault(f, []).append(d.id)
    return out
