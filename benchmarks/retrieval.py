"""Retrieval for rag conditions: recall@k of the questions' source documents, and the time to
build each index and to retrieve, per 1k questions, against a per-pair Python scan in the same run.

Data: the `people` benchmark at a larger size (fictional people, several statements each; a
question's source is its person, covered by any of that person's statements). Baselines, same
documents and queries: BM25 scored document by document from term counts (bm25.scan: the same
Lucene BM25, no index) and a dense scan of one dot product per (query, document) pair, both Python
loops. The dense index is itself an exact search (one matrix product per shard), so its ratio is
numpy against a Python loop, not an index against exact search; a fair baseline is a numpy exact
search. Checks that the index and the scan return the same top document.

    .venv/bin/python benchmarks/retrieval.py [--people 300] [--k 4]

Writes benchmarks/results/retrieval.json and prints the table.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from augft.core.config import load_config
from augft.core.records import read_corpus, read_questions
from augft.eval.datasets.api import generate
from augft.eval.rag import Retrieved, recall
from augft.eval.retrieval import bm25, dense
from augft.eval.retrieval.build import build_index, load_index
from augft.eval.retrieval.spec import IndexSpec, default_embedding_model

RESULTS = Path(__file__).resolve().parent / "results"


def _data(root: Path, people: int) -> Path:
    cfg = load_config(None, ["benchmark.name=people", f"benchmark.people.n_people={people}",
                             "benchmark.people.n_train_templates=8", "benchmark.people.n_test_templates=2",
                             "benchmark.people.n_reversal_templates=2"])
    generate("people", cfg, root)
    return root


def _per_1k(seconds: float, n: int) -> float:
    return round(seconds * 1000 / n, 3)


def measure(retriever: str, data: Path, root: Path, k: int) -> dict:
    spec = IndexSpec("dense", embedding_model=default_embedding_model()) if retriever == "dense" else IndexSpec("bm25")
    docs, qs = read_corpus(data), read_questions(data)
    by_id = {d.id: d for d in docs}
    t = time.perf_counter()
    info = build_index(str(data), spec, root / retriever)
    build_s = time.perf_counter() - t
    index = load_index(root / retriever)
    index.search([qs[0].prompt], k)  # warm-up: loads the embedder / numba paths
    queries = [q.prompt for q in qs]
    t = time.perf_counter()
    ids, _ = index.search(queries, k)
    total_s = time.perf_counter() - t
    embed_s, search_s, (scan_s, agree) = _split_times(retriever, index, spec, docs, queries, ids, k, total_s)
    rec = recall(qs, [Retrieved([], r, []) for r in ids], by_id)
    return {"retriever": retriever, "documents": info["n_docs"], "questions": len(qs), "k": k,
            "recall_at_k": rec, "build_s": round(build_s, 3), "build_flops": info["flops"],
            "retrieve_s_per_1k": _per_1k(total_s, len(qs)), "query_embedding_s_per_1k": _per_1k(embed_s, len(qs)),
            "search_s_per_1k": _per_1k(search_s, len(qs)), "scan_s_per_1k": _per_1k(scan_s, len(qs)),
            "speedup_vs_scan": round(scan_s / search_s, 1) if search_s > 0 else None,
            "top1_best_by_scan": agree}


def _split_times(retriever, index, spec, docs, queries, ids, k, total_s) -> tuple:
    """(query embedding s, search s, (scan s, agreement)): the index and the scan compared on the
    same work: BM25 from the query text, dense from the queries' embeddings (computed once)."""
    if retriever == "bm25":
        return 0.0, total_s, _scan_bm25(spec, docs, queries, ids, k)
    emb = dense.Embedder.shared(spec.embedding_model)
    t = time.perf_counter()
    q = emb.embed(queries)
    embed_s = time.perf_counter() - t
    t = time.perf_counter()
    index.searcher.top_k(q, k)
    search_s = time.perf_counter() - t
    doc_emb = emb.embed([d.text for d in docs])
    t = time.perf_counter()
    _, scores = dense.scan(doc_emb, q, k)
    return embed_s, search_s, (time.perf_counter() - t, _agree(docs, ids, scores))


def _scan_bm25(spec, docs, queries, ids, k) -> tuple:
    toks = bm25.tokenize([d.text for d in docs], spec)
    t = time.perf_counter()
    _, scores = bm25.scan(toks, queries, spec, k)
    return time.perf_counter() - t, _agree(docs, ids, scores)


def _agree(docs, ids, scores) -> float:
    """Share of queries whose index top-1 has the scan's best score (ties count as agreement)."""
    pos = {d.id: i for i, d in enumerate(docs)}
    ok = [s[pos[r[0]]] >= s.max() - 1e-4 for r, s in zip(ids, scores) if r]
    return round(float(np.mean(ok)), 3) if ok else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--k", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = _data(Path(tmp) / "data", args.people)
        rows = [measure(r, data, Path(tmp), args.k) for r in ("bm25", "dense")]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "retrieval.json").write_text(json.dumps({"people": args.people, "rows": rows}, indent=2) + "\n")
    print("| retriever | docs | questions | recall@k (per split) | build s | retrieve s / 1k q (query embedding) | "
          "search s / 1k q | scan s / 1k q | speed-up | top-1 is the scan's best |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rec = ", ".join(f"{s} {v:.2f}" for s, v in r["recall_at_k"].items() if v is not None)
        print(f"| {r['retriever']} | {r['documents']} | {r['questions']} | {rec} | {r['build_s']} | "
              f"{r['retrieve_s_per_1k']} ({r['query_embedding_s_per_1k']}) | {r['search_s_per_1k']} | "
              f"{r['scan_s_per_1k']} | {r['speedup_vs_scan']}x | {r['top1_best_by_scan']} |")


if __name__ == "__main__":
    main()
