"""BM25 with the bm25s package: sparse, precomputed per-term scores, searched in numpy.

Tokenization (lower-casing, a word regex, stopwords) is the per-document cost and runs where the
corpus shard is (a Ray Data task at cluster scale); the index itself is built from the token
lists in one process, as bm25s builds it (its scores matrix holds one float per distinct
term of each document).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np

from augft.eval.retrieval.spec import IndexSpec


def tokenize(texts: Sequence[str], spec: IndexSpec) -> List[List[str]]:
    """bm25s's tokenizer as token strings (mergeable across shards, unlike per-call ids)."""
    import bm25s

    out = bm25s.tokenize(list(texts), stopwords=spec.stopwords or None, return_ids=False,
                         show_progress=False)
    return [list(t) for t in out]


def build(tokens: List[List[str]], spec: IndexSpec, folder: Path) -> None:
    """Index the documents' token lists (in corpus order) into `folder`."""
    import bm25s

    retriever = bm25s.BM25(k1=spec.k1, b=spec.b)
    # An empty document (all stopwords) still needs a row: bm25s indexes it as one empty token.
    retriever.index([t or [""] for t in tokens], show_progress=False)
    retriever.save(str(folder), show_progress=False)


class Bm25Index:
    def __init__(self, folder: Path, spec: IndexSpec, n_docs: int):
        import bm25s

        self.spec, self.n_docs = spec, n_docs
        self.retriever = bm25s.BM25.load(str(folder), show_progress=False)
        self.vocab = set(json.loads((Path(folder) / "vocab.index.json").read_text()))

    def search(self, queries: Sequence[str], k: int) -> Tuple[np.ndarray, np.ndarray]:
        """(doc positions, scores), each (n_queries, k'), best first; k' = min(k, n_docs). A
        query with no indexed term scores 0 everywhere and gets the first documents."""
        k = min(k, self.n_docs)
        toks = [[t for t in q if t in self.vocab] for q in tokenize(queries, self.spec)]
        docs = np.zeros((len(toks), k), dtype=np.int64)
        scores = np.zeros((len(toks), k), dtype=np.float32)
        asked = [i for i, t in enumerate(toks) if t]  # bm25s rejects a query with no known term
        if asked:
            d, s = self.retriever.retrieve([toks[i] for i in asked], k=k, show_progress=False, n_threads=0)
            docs[asked], scores[asked] = d, s
        return docs, scores


def scan(tokens: List[List[str]], queries: Sequence[str], spec: IndexSpec, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The brute-force baseline: BM25 (bm25s's Lucene variant) of every document for every query,
    from term counts, no index; returns (top-k positions, every score) per query. Same scores as
    the index (the benchmark checks)."""
    from collections import Counter

    n = len(tokens)
    lengths = np.array([len(t) for t in tokens], dtype=np.float64)
    avgdl = lengths.mean() if n else 1.0
    df = Counter(term for doc in tokens for term in set(doc))
    counts = [Counter(doc) for doc in tokens]
    out, all_scores = [], []
    for q in tokenize(queries, spec):
        scores = np.zeros(n)
        for term in set(q):
            if term not in df:
                continue
            idf = np.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            tf = np.array([c.get(term, 0) for c in counts], dtype=np.float64)
            scores += idf * tf / (tf + spec.k1 * (1 - spec.b + spec.b * lengths / avgdl))
        out.append(np.argsort(-scores, kind="stable")[:k])
        all_scores.append(scores)
    return np.asarray(out), np.asarray(all_scores)
