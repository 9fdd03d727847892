"""Building an index once per corpus (cached by key) and opening it for search.

Layout of an index folder:

    ids-NNNNN.json   document ids of corpus shard N, in corpus order
    tok-NNNNN.json   bm25: the shard's token lists (bm25s's tokenizer)
    emb-NNNNN.npy    dense: the shard's unit-length embeddings (float32)
    bm25/            bm25: the bm25s index over every shard
    index.json       written last: spec, key, corpus digest, documents, build time, FLOPs

The per-shard work (tokenizing, embedding: the part that grows with the corpus) runs where the
shards are: on Ray Data, one task per shard (`eval.rag.use_ray`, or any run on a named cluster),
else in this process. The BM25 index is then built in one process from the token files, as a Ray
task on a worker when Ray is used, so the driver never holds the texts.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

from augft.core.corpus import Corpus, corpus_digest, discover, iter_shard
from augft.core.errors import AugftError
from augft.core.io import atomic_write_json, atomic_write_text
from augft.eval.retrieval.spec import FORMAT, IndexSpec

log = logging.getLogger(__name__)
INDEX = "index.json"


def shard_job(corpus: Corpus, shard: int, spec: IndexSpec, folder: str) -> dict:
    """One shard's share of the index: its ids and its tokens or embeddings; returns counts."""
    docs = [d for _, d in iter_shard(corpus, corpus.shards[shard])]
    texts = [d.text for d in docs]
    atomic_write_text(Path(folder) / f"ids-{shard:05d}.json", json.dumps([d.id for d in docs]))
    if spec.retriever == "dense":
        import numpy as np

        from augft.eval.retrieval.dense import Embedder, shard_file

        emb = Embedder.shared(spec.embedding_model, spec.batch_size)
        before = emb.tokens
        vectors = emb.embed(texts)
        path = shard_file(Path(folder), shard)
        tmp = path.with_name(f".{path.name}.tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
        return {"shard": shard, "docs": len(docs), "tokens": emb.tokens - before, "params": emb.n_params}
    from augft.eval.retrieval.bm25 import tokenize

    toks = tokenize(texts, spec)
    atomic_write_text(Path(folder) / f"tok-{shard:05d}.json", json.dumps(toks))
    return {"shard": shard, "docs": len(docs), "tokens": sum(map(len, toks)), "params": 0}


def bm25_job(folder: str, n_shards: int, spec: IndexSpec) -> int:
    """The BM25 index over every shard's token file (in shard order); returns the documents."""
    from augft.eval.retrieval.bm25 import build

    tokens: List[List[str]] = []
    for s in range(n_shards):
        tokens += json.loads((Path(folder) / f"tok-{s:05d}.json").read_text())
    build(tokens, spec, Path(folder) / "bm25")
    return len(tokens)


def _run_shards(corpus: Corpus, spec: IndexSpec, folder: Path, use_ray: bool) -> List[dict]:
    n = len(corpus.shards)
    if not use_ray:
        return [shard_job(corpus, s, spec, str(folder)) for s in range(n)]
    import ray

    ds = ray.data.from_items([{"shard": s} for s in range(n)], override_num_blocks=n)
    rows = ds.map(lambda r: shard_job(corpus, int(r["shard"]), spec, str(folder))).take_all()
    return sorted(rows, key=lambda r: r["shard"])


def _bm25(folder: Path, n_shards: int, spec: IndexSpec, use_ray: bool) -> None:
    if not use_ray:
        bm25_job(str(folder), n_shards, spec)
        return
    import ray

    ray.get(ray.remote(bm25_job).remote(str(folder), n_shards, spec))


def build_index(data: str, spec: IndexSpec, folder: Path, use_ray: bool = False) -> dict:
    """Build (or find, when `folder` holds this key's finished index) the index of the corpus at
    `data`; returns its index.json. Ray must be initialised by the caller when `use_ray`."""
    corpus = discover(str(data))
    digest = corpus_digest(corpus)
    key = spec.key(digest)
    folder = Path(folder)
    done = read_info(folder)
    if done and done.get("key") == key:
        return done
    folder.mkdir(parents=True, exist_ok=True)
    (folder / INDEX).unlink(missing_ok=True)
    t0 = time.perf_counter()
    shards = _run_shards(corpus, spec, folder, use_ray)
    if spec.retriever == "bm25":
        _bm25(folder, len(shards), spec, use_ray)
    tokens, params = sum(r["tokens"] for r in shards), max((r["params"] for r in shards), default=0)
    info = {"format": FORMAT, "key": key, "spec": spec.to_dict(), "corpus_digest": digest,
            "n_docs": sum(r["docs"] for r in shards), "n_shards": len(shards), "tokens": tokens,
            "build_s": round(time.perf_counter() - t0, 3), "ray": bool(use_ray),
            # The one-off compute: embedding every document (BM25 runs no model).
            "flops": 2.0 * params * tokens, "embedding_params": params}
    atomic_write_json(folder / INDEX, info)
    log.info("index %s: %d documents in %.1fs", spec.retriever, info["n_docs"], info["build_s"])
    return info


def read_info(folder: Path) -> Optional[dict]:
    p = Path(folder) / INDEX
    if not p.is_file():
        return None
    try:
        info = json.loads(p.read_text())
    except json.JSONDecodeError:
        return None
    return info if info.get("format") == FORMAT else None


@dataclass
class OpenIndex:
    info: dict
    doc_ids: List[str]
    searcher: Any

    def search(self, queries, k: int):
        """(doc ids per query, scores per query), best first. BM25 leaves out documents that share
        no term with the query (score 0): they would fill the context with unrelated text."""
        pos, scores = self.searcher.search(queries, k)
        lexical = self.info["spec"]["retriever"] == "bm25"
        ids = [[self.doc_ids[int(i)] for i, s in zip(row, srow) if not lexical or s > 0]
               for row, srow in zip(pos, scores)]
        return ids, [[float(s) for s in srow if not lexical or s > 0] for srow in scores]


def load_index(folder: Path) -> OpenIndex:
    info = read_info(folder)
    if info is None:
        raise AugftError(f"{folder}: no finished retrieval index here ({INDEX} is missing or from "
                         "another augft version)")
    spec = IndexSpec(**info["spec"])
    ids: List[str] = []
    for s in range(info["n_shards"]):
        ids += json.loads((Path(folder) / f"ids-{s:05d}.json").read_text())
    if spec.retriever == "dense":
        from augft.eval.retrieval.dense import DenseIndex

        return OpenIndex(info, ids, DenseIndex(Path(folder), info["n_shards"], spec.embedding_model,
                                               spec.batch_size))
    from augft.eval.retrieval.bm25 import Bm25Index

    return OpenIndex(info, ids, Bm25Index(Path(folder) / "bm25", spec, len(ids)))
