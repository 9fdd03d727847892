"""The ICL context: the corpus concatenated, deterministically subsampled to fit the window.

Format: the document texts joined by eval.icl_separator, then a blank line before the question.
When the whole corpus does not fit in the budget (the window minus room for the longest question),
documents are taken in a seeded random order until the budget is full and then put back in corpus
order (the paper subsamples randomly for large sets); the ids used are returned so the sampling is
logged with the results.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import List, Sequence

from augft.core.artifacts import IclSample
from augft.core.errors import AugftError
from augft.core.records import Document

SUFFIX = "\n\n"


@dataclass
class IclContext:
    text: str
    ids: List[int]
    doc_ids: List[str]
    n_docs_total: int
    budget: int
    seed: int
    subsampled: bool
    notes: List[str] = field(default_factory=list)

    def log(self) -> IclSample:
        """What results.json records about the sampling."""
        return IclSample(docs_used=len(self.doc_ids), docs_total=self.n_docs_total, context_tokens=len(self.ids),
                         budget_tokens=self.budget, subsampled=self.subsampled, seed=int(self.seed),
                         doc_ids_sha256=hashlib.sha256("\n".join(self.doc_ids).encode()).hexdigest(),
                         doc_ids=list(self.doc_ids))


def render(docs: Sequence[Document], separator: str) -> str:
    return separator.join(d.text.strip() for d in docs) + SUFFIX


def build_context(docs: Sequence[Document], encoder, budget: int, separator: str = "\n",
                  seed: int = 0) -> IclContext:
    """The largest deterministic subsample of `docs` whose rendered context fits `budget` tokens."""
    if not docs:
        raise AugftError("the ICL context needs a corpus, and the corpus is empty")
    if budget <= 0:
        raise AugftError(
            f"no room for an ICL context: the token budget is {budget} (the window is too small "
            "for the longest question; raise model.max_context or eval.icl_max_tokens)")
    full = encoder.context_ids(render(docs, separator))
    if len(full) <= budget:
        return IclContext(render(docs, separator), full, [d.id for d in docs], len(docs), budget,
                          seed, subsampled=False)
    sizes = [len(encoder.encode(d.text.strip() + separator, special=False)) for d in docs]
    overhead = len(encoder.context_ids(SUFFIX))
    smallest = min(range(len(docs)), key=lambda i: sizes[i])
    if sizes[smallest] + overhead > budget:
        raise AugftError(
            f"the ICL context cannot fit even one document: the shortest ('{docs[smallest].id}') "
            f"takes {sizes[smallest]} tokens and the budget is {budget} (model window minus room "
            "for the longest question; see eval.icl_max_tokens and model.max_context)")
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    chosen, used = [], overhead
    for i in order:
        if used + sizes[i] <= budget:
            chosen.append(i)
            used += sizes[i]
    # Per-document counts are estimates (tokens can merge across joins): drop until it really fits.
    while True:
        picked = [docs[i] for i in sorted(chosen)]
        text = render(picked, separator)
        ids = encoder.context_ids(text)
        if len(ids) <= budget or len(chosen) == 1:
            break
        chosen.pop()
    if len(ids) > budget:
        raise AugftError(f"the ICL context cannot fit even one document within {budget} tokens")
    return IclContext(text, ids, [d.id for d in picked], len(docs), budget, seed, subsampled=True)
