"""What decides an eval folder's scores: eval's contract (core/identity.py).

The study keys its eval stage by `identity` (plus its inputs' keys: the data, the model, the
index). How scoring is placed (on Ray or here, how many actors, the vLLM engine's memory) is left
out, and eval.rag.* counts only for conditions that retrieve.
"""
from __future__ import annotations

from typing import Dict

from augft.core.conditions import retrieves
from augft.core.config.settings import EvalSettings
from augft.core.identity import Contract, vllm_neutral

_REQUEST = "EvalRequest.{}"

CONTRACT = Contract(
    "eval", ("eval", "model", "cluster", "report", "seed"),
    output=(
        "eval.scoring", "eval.calibrate", "eval.calibration_prompt", "eval.chat_template", "eval.target_delimiter",
        "eval.engine", "eval.vllm.max_model_len", "eval.batch_size", "eval.max_batch_tokens", "eval.icl_max_tokens",
        "eval.icl_separator", "eval.interval", "eval.bootstrap", "eval.limit", "eval.retention",
        "eval.general_text_tokens", "eval.rag.retriever", "eval.rag.k", "eval.rag.max_tokens",
        "eval.rag.embedding_model", "eval.rag.bm25_k1", "eval.rag.bm25_b", "eval.rag.stopwords",
        "model.name", "model.dtype", "model.trust_remote_code", "model.max_context", "seed"),
    neutral={
        "eval.icl_reuse_cache": "speed: the same context's KV cache, computed once or per question",
        **vllm_neutral("eval.vllm"),
        "eval.use_ray": "placement: the same questions scored on Ray or here",
        "eval.num_actors": "speed",
        "eval.actor_cpus": "placement",
        "eval.actor_gpus": "placement",
        "eval.ray_batch_size": "how predictions are split into files, not what they are",
        "eval.rag.embedding_batch_size": "speed: texts embedded per forward (the index's own identity "
                                         "leaves it out too)",
        "eval.rag.index_dir": "where indexes are cached",
        "eval.rag.use_ray": "placement of the index build",
        "model.cache_dir": "where converted weights are cached, not which weights",
        "model.device": "placement",
        "cluster": "where Ray runs",
        "report": "the recommendation, a view of the scores that the study report recomputes",
    },
    request={"eval.conditions": _REQUEST.format("conditions"), "eval.models": _REQUEST.format("models"),
             "eval.splits": _REQUEST.format("splits"),
             "eval.costs.train_summaries": _REQUEST.format("train_summaries"),
             "eval.costs.augment_manifests": _REQUEST.format("augment_manifests"),
             "eval.costs.teacher_targets": _REQUEST.format("one_off")})


def identity(request, settings: EvalSettings) -> Dict:
    """What decides the scores of `request`'s conditions, besides the files they read (data,
    models, indexes, the cost inputs)."""
    conditions = [str(c) for c in request.conditions]
    picked = CONTRACT.pick({"eval": settings.eval, "model": settings.model, "seed": settings.seed},
                           leave_out=() if any(map(retrieves, conditions)) else ("eval.rag",))
    return {**picked, "conditions": conditions,
            "splits": list(request.splits) if request.splits is not None else None,
            "one_off": {k: dict(v) for k, v in dict(request.one_off).items()}}
