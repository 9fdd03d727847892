"""Retrieved contexts: per question, the top-k documents a retriever finds for its prompt (never
its choices), in the ICL context's format, within a token budget; and retrieval recall@k.

Format: the retrieved texts, best first, joined by eval.icl_separator, then a blank line, then
the question, as the ICL context is (eval/context.py). When the k documents do not fit the
budget, the lowest-ranked ones are dropped until they do.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from augft.core.artifacts import RagInfo
from augft.core.records import Document, Question
from augft.eval.context import render


@dataclass
class Retrieved:
    doc_ids: List[str]
    """Documents in the context, best first."""
    ranked: List[str]
    """The top-k the retriever returned (recall is measured on these, before the budget cut)."""
    ids: List[int]
    """Token ids of the rendered context (empty: nothing was retrieved)."""


def fit(docs: List[Document], encoder, budget: int, separator: str) -> tuple:
    """(documents kept, context ids): the best-ranked prefix of `docs` whose context fits."""
    while docs:
        ids = encoder.context_ids(render(docs, separator))
        if len(ids) <= budget:
            return docs, ids
        docs = docs[:-1]
    return [], []


def retrieve_contexts(index, questions: Sequence[Question], corpus: Dict[str, Document], encoder,
                      k: int, budget: int, separator: str) -> List[Retrieved]:
    """One context per question, from the index's search over the questions' prompts."""
    ranked, _ = index.search([q.prompt for q in questions], k)
    out = []
    for ids in ranked:
        kept, ctx = fit([corpus[i] for i in ids if i in corpus], encoder, budget, separator)
        out.append(Retrieved([d.id for d in kept], list(ids), ctx))
    return out


def covers(doc: Optional[Document]) -> set:
    """What a retrieved document stands for: its id and the facts it states (`meta.fact_ids`, as
    the benchmarks record them: a question's source ids may name facts rather than documents)."""
    if doc is None:
        return set()
    facts = doc.meta.get("fact_ids") if isinstance(doc.meta, dict) else None
    return {doc.id, *(str(f) for f in facts or [])}


def recall(questions: Sequence[Question], retrieved: Sequence[Retrieved],
           corpus: Optional[Dict[str, Document]] = None) -> Dict[str, Optional[float]]:
    """Per split, the mean share of a question's `source_ids` that its top-k documents cover (by
    id or stated fact; questions without source ids are left out; None where a split has none), so
    a retrieval miss can be told apart from a reading failure."""
    per: Dict[str, List[float]] = defaultdict(list)
    for q, r in zip(questions, retrieved):
        if q.source_ids:
            got = set().union(*[covers((corpus or {}).get(i)) or {i} for i in r.ranked]) if r.ranked else set()
            per[q.split].append(sum(s in got for s in q.source_ids) / len(q.source_ids))
    splits = sorted({q.split for q in questions})
    return {s: (sum(per[s]) / len(per[s]) if per[s] else None) for s in splits}


def summary(retriever: str, k: int, budget: int, info: dict, questions, retrieved, corpus=None) -> RagInfo:
    """What results.json records about a condition's retrieval (`conditions.<c>.rag`)."""
    n = max(1, len(retrieved))
    return RagInfo(retriever=str(retriever), k=int(k), budget_tokens=int(budget), index_key=info.get("key"),
                   index_docs=info.get("n_docs"), recall_at_k=recall(questions, retrieved, corpus),
                   docs_per_query=sum(len(r.doc_ids) for r in retrieved) / n,
                   context_tokens_per_query=sum(len(r.ids) for r in retrieved) / n,
                   empty_contexts=sum(not r.ids for r in retrieved))
