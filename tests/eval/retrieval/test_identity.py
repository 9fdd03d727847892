"""eval/retrieval/spec.py: the index stage's contract, checked over the schema."""
from identity_checks import check

from augft.eval.retrieval.spec import CONTRACT, IndexSpec


def _identity(cfg):
    rag = cfg.eval.rag
    return {"default": IndexSpec.from_config(rag, str(rag.retriever)).identity(),
            "dense": IndexSpec.from_config(rag, "dense").identity()}


def test_every_index_key_is_classified_and_each_class_holds():
    check(CONTRACT, _identity, "eval.rag.embedding_model=/models/minilm")
