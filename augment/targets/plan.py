"""Which texts get teacher targets, and what the teacher reads before each.

Texts: every sentence of the corpus (source `corpus`) and of each requested strategy's
augmentations, one example per sentence, as training splits them (train.split=independent).

Context (train.distill.context), rendered in the ICL format (documents joined by newlines, then a
blank line):
- corpus: every document; when they do not fit the budget, the text's own documents first, then
  the others in a seeded random order until it is full;
- linked: the text's own documents (its source ids), then the documents sharing entities with them
  (names, invented words: augment.consistency's entity keys), rarest shared entities first, as
  global augmentation's linked context finds a focal document's partners;
- auto: corpus when the whole corpus fits the budget, else linked.
Texts with the same context are grouped, so its KV cache (hf) or prefix cache (vllm) is computed
once per group.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from augft.core.artifacts import AugmentOutput
from augft.core.records import Document
from augft.core.text import split_sentences

SUFFIX = "\n\n"


@dataclass(frozen=True)
class Text:
    id: str
    source: str
    source_ids: Tuple[str, ...]
    text: str


def training_texts(corpus: Sequence[Document], sources: Sequence[str], augmentations: Sequence[str]) -> List[Text]:
    """The sentences of the corpus and of the strategies' augmentations, in a stable order."""
    out: List[Text] = []
    if "corpus" in sources:
        for d in corpus:
            out += [Text(f"{d.id}:s{i}", "corpus", (d.id,), s) for i, s in enumerate(split_sentences(d.text))]
    wanted = [s for s in sources if s != "corpus"]
    found = set()
    for folder in augmentations:
        out_dir = AugmentOutput(Path(folder))
        for strategy in [s for s in out_dir.strategies() if s in wanted]:
            found.add(strategy)
            for rec in out_dir.iter_records([strategy]):
                out += [Text(f"{rec.id}:s{i}", strategy, tuple(rec.source_ids), s)
                        for i, s in enumerate(split_sentences(rec.text))]
    missing = [s for s in wanted if s not in found]
    if missing:
        from augft.core.errors import AugftError

        raise AugftError(f"teacher targets: no augmentations of {missing} in {list(augmentations)}")
    return out


def render(docs: Sequence[Document], separator: str = "\n") -> str:
    return separator.join(d.text.strip() for d in docs) + SUFFIX


class Contexts:
    """The teacher's context for any text, by its source ids (documents in corpus order)."""

    def __init__(self, corpus: Sequence[Document], count, mode: str, budget: int, seed: int):
        from augft.augment.entities import link_keys

        self.docs, self.pos = list(corpus), {d.id: i for i, d in enumerate(corpus)}
        self.size = [count(d.text.strip() + "\n") for d in self.docs]
        self.budget, self.seed = budget, seed
        total = sum(self.size) + count(SUFFIX)
        self.mode = ("corpus" if total <= budget else "linked") if mode == "auto" else mode
        self.keys = [set(link_keys(d.text)) for d in self.docs]  # names shared across documents
        self.df = Counter(k for ks in self.keys for k in ks)
        self.by_key: Dict[str, List[int]] = {}
        for i, ks in enumerate(self.keys):
            for k in ks:
                self.by_key.setdefault(k, []).append(i)

    def _ranked(self, focal: List[int]) -> List[int]:
        if self.mode == "corpus":
            rest = [i for i in range(len(self.docs)) if i not in set(focal)]
            random.Random(self.seed).shuffle(rest)
            return rest
        score: Dict[int, float] = {}
        for f in focal:
            for k in self.keys[f]:
                for j in self.by_key[k]:
                    score[j] = score.get(j, 0.0) + 1.0 / self.df[k]  # rare shared entities weigh most
        return sorted((j for j in score if j not in set(focal)), key=lambda j: (-score[j], j))

    def for_sources(self, source_ids: Sequence[str]) -> Tuple[int, ...]:
        """Document positions of the context (corpus order), within the budget; the text's own
        documents first (a text whose sources are not in the corpus gets the corpus mode's)."""
        focal = [self.pos[s] for s in source_ids if s in self.pos]
        chosen, used = [], 2
        for i in focal + self._ranked(focal):
            if used + self.size[i] <= self.budget:
                chosen.append(i)
                used += self.size[i]
        return tuple(sorted(chosen))

    def text_of(self, chosen: Sequence[int]) -> str:
        return render([self.docs[i] for i in chosen]) if chosen else ""

    def ids_of(self, chosen: Sequence[int]) -> List[str]:
        return [self.docs[i].id for i in chosen]


def groups(texts: Sequence[Text], contexts: Contexts) -> List[Tuple[Tuple[int, ...], List[Text]]]:
    """Texts grouped by their context, in first-appearance order (one KV cache per group)."""
    by: Dict[Tuple[int, ...], List[Text]] = {}
    for t in texts:
        by.setdefault(contexts.for_sources(t.source_ids), []).append(t)
    return list(by.items())
