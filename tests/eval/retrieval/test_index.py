"""Retrieval indexes: BM25 (bm25s) and dense (the packaged MiniLM), built once per corpus and
cached by key, equal to a brute-force scan, and the same when built on Ray Data over shards."""
import json
import os

import numpy as np
import pytest

from augft.core.records import Document, write_jsonl
from augft.eval.retrieval import bm25, dense
from augft.eval.retrieval.build import build_index, load_index, read_info
from augft.eval.retrieval.spec import IndexSpec, default_embedding_model

TEXTS = ["Alice Smith was the first to cross the Zorvian strait.", "Bob Jones wrote the anthem of Glimmer.",
         "Femp are more dangerous than glon.", "The cat sat on the mat.",
         "Carol Reed discovered the lost city of Umbra.", "Dax are larger than yomp."]


def _corpus(folder, shards=1):
    folder.mkdir(parents=True, exist_ok=True)
    docs = [Document(f"d{i}", t) for i, t in enumerate(TEXTS)]
    if shards == 1:
        write_jsonl(folder / "corpus.jsonl", docs)
    else:
        for s in range(shards):
            write_jsonl(folder / f"corpus-{s:03d}.jsonl", docs[s::shards])
    return folder


def _spec(retriever):
    return IndexSpec("dense", embedding_model=default_embedding_model()) if retriever == "dense" else IndexSpec("bm25")


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_index_finds_the_document_and_is_cached_by_key(tmp_path, retriever):
    data = _corpus(tmp_path / "data")
    folder = tmp_path / "idx"
    info = build_index(str(data), _spec(retriever), folder)
    assert info["n_docs"] == len(TEXTS) and (folder / "index.json").is_file()
    ids, scores = load_index(folder).search(["Who crossed the Zorvian strait first?",
                                             "Which city did Carol Reed discover?"], 2)
    assert ids[0][0] == "d0" and ids[1][0] == "d4"
    assert all(np.all(np.diff(s) <= 0) for s in scores)  # best first
    # The same corpus and spec: found, not rebuilt; a changed corpus: rebuilt under a new key.
    os.utime(folder / "index.json", (1, 1))
    assert build_index(str(data), _spec(retriever), folder)["key"] == info["key"]
    assert os.stat(folder / "index.json").st_mtime == 1
    write_jsonl(data / "corpus.jsonl", [Document("x", "Something else entirely.")])
    assert build_index(str(data), _spec(retriever), folder)["key"] != info["key"]


def test_dense_index_costs_its_embedding_flops_and_bm25_none(tmp_path):
    data = _corpus(tmp_path / "data")
    d = build_index(str(data), _spec("dense"), tmp_path / "dense")
    b = build_index(str(data), _spec("bm25"), tmp_path / "bm25")
    assert d["flops"] == 2.0 * d["embedding_params"] * d["tokens"] > 0 and b["flops"] == 0.0


def test_bm25_drops_documents_sharing_no_term(tmp_path):
    folder = tmp_path / "idx"
    build_index(str(_corpus(tmp_path / "data")), _spec("bm25"), folder)
    ids, _ = load_index(folder).search(["Zorvian"], 4)
    assert ids == [["d0"]]
    ids, _ = load_index(folder).search(["unrelated words only"], 4)
    assert ids == [[]]


def test_index_ranking_equals_a_brute_force_scan():
    spec = _spec("bm25")
    toks = bm25.tokenize(TEXTS, spec)
    queries = ["Zorvian strait crossing", "dangerous femp", "anthem of Glimmer by Bob", "larger yomp dax"]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        bm25.build(toks, spec, Path(d))
        got, _ = bm25.Bm25Index(Path(d), spec, len(TEXTS)).search(queries, 2)
    top, scores = bm25.scan(toks, queries, spec, 2)
    assert got[:, 0].tolist() == top[:, 0].tolist()
    emb = dense.Embedder.shared(default_embedding_model())
    docs, q = emb.embed(TEXTS), emb.embed(queries)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    best = np.argsort(-(q @ docs.T), axis=1)[:, :3]
    assert best.tolist() == dense.scan(docs, q, 3)[0].tolist()


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_ray_data_build_over_shards_equals_the_local_build(tmp_path, retriever):
    import ray

    data = _corpus(tmp_path / "data", shards=3)
    local = build_index(str(data), _spec(retriever), tmp_path / "local")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = build_index(str(data), _spec(retriever), tmp_path / "ray", use_ray=True)
    finally:
        ray.shutdown()
    assert on_ray["ray"] and on_ray["n_shards"] == 3 and on_ray["key"] == local["key"]
    queries = ["Zorvian strait", "Carol Reed city", "cat on the mat"]
    a, b = load_index(tmp_path / "local").search(queries, 3), load_index(tmp_path / "ray").search(queries, 3)
    assert a[0] == b[0] and np.allclose(np.asarray(a[1]), np.asarray(b[1]), atol=1e-5)
    assert json.loads((tmp_path / "ray" / "index.json").read_text())["n_docs"] == len(TEXTS)


def test_an_index_of_another_format_is_not_read(tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "index.json").write_text(json.dumps({"format": 0}))
    assert read_info(folder) is None
    with pytest.raises(Exception, match="no finished retrieval index"):
        load_index(folder)
