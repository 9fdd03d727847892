"""What decides an augment folder's records: augment's contract (core/identity.py).

The study keys its augment stage by `identity` and augment's resume fingerprint
(augment/api.py:_fingerprint) starts from it, so one folder has one identity. Keys of
strategies not in the run (augment/registry.py's `own_keys`) and shared keys every strategy of
the run ignores are left out, so tuning global does not redo local.
"""
from __future__ import annotations

from typing import Dict

from augft.augment.registry import not_in_identity
from augft.core.config.settings import AugmentSettings
from augft.core.identity import Contract, vllm_neutral

_MODEL_NEUTRAL = {
    "model.cache_dir": "where converted weights are cached, not which weights",
    "model.device": "placement: the same model generates on any device",
}

CONTRACT = Contract(
    "augment", ("augment", "model", "cluster", "seed", "max_document_tokens"),
    output=(
        "augment.model", "augment.engine", "augment.auto_vllm_min_prompts", "augment.num_candidates",
        "augment.temperature", "augment.top_p", "augment.max_new_tokens", "augment.batch_size", "augment.limit",
        "augment.prompt_set", "augment.templates", "augment.local_unit", "augment.window_tokens",
        "augment.global_context", "augment.long_documents", "augment.entity_max_pairs", "augment.entity_triples",
        "augment.compose", "augment.min_words", "augment.max_chars", "augment.require_source_overlap",
        "augment.global_consistency", "augment.verify", "augment.verify_method", "augment.verify_min_pmi",
        "augment.verify_threshold", "augment.near_duplicate_threshold", "augment.unit_size",
        "augment.openai.token_ids", "augment.vllm.max_model_len",
        "model.name", "model.dtype", "model.trust_remote_code", "model.max_context", "seed"),
    neutral={
        "augment.max_failed_share": "decides only whether a run with failed prompts stops; which prompts "
                                    "fail is not a function of the config",
        "augment.use_ray": "placement: Ray Data or a plain loop run the same units with the same seeds",
        "augment.num_actors": "speed: units are seeded per prompt, whichever actor runs them",
        "augment.actor_cpus": "placement",
        "augment.actor_gpus": "placement (as augment.vllm.device)",
        "augment.openai.url": "where the server is; the model it serves is keyed by its name (generator)",
        "augment.openai.model": "keyed as the generator's name (identity's `generator`)",
        "augment.openai.api_key_env": "credentials",
        "augment.openai.concurrency": "speed: requests are seeded per prompt",
        "augment.openai.max_retries": "retry policy",
        "augment.openai.backoff_s": "retry policy",
        "augment.openai.timeout_s": "retry policy",
        **vllm_neutral("augment.vllm"),
        **_MODEL_NEUTRAL,
        "cluster": "where Ray runs",
        "max_document_tokens": "refuses a longer document; never changes what is written",
    },
    request={"augment.strategies": "AugmentRequest.strategies"})

# Bumped when the same settings plan other units (v2: per-document units planned per shard), so
# a folder of units planned the old way is never resumed into.
PLAN_VERSION = 2


def generator_name(settings) -> str:
    """The model that writes the augmentations: augment.openai.model with the openai engine when
    set, else the teacher (augment.model, else model.name)."""
    a = settings.augment
    teacher = str(a.model or settings.model.name)
    return str(a.openai.model or teacher) if str(a.engine) == "openai" else teacher


def identity(request, settings: AugmentSettings) -> Dict:
    """What decides the records of `request`'s strategies, besides the data they read."""
    from augft.augment.filters import VERSION as FILTERS_VERSION

    from augft.core import chains

    strategies = sorted(str(s) for s in request.strategies)
    # A chain (`reverse<compose`) is keyed by the strategy that writes it; what it reads is an
    # input of its own (the study's stage key holds the upstream's key).
    writers = [chains.base(s) for s in strategies]
    picked = CONTRACT.pick({"augment": settings.augment, "model": settings.model, "seed": settings.seed},
                           leave_out=[f"augment.{k}" for k in not_in_identity(writers)])
    # The model that generates (the openai engine may name its own) decides the output as much
    # as the augment section does.
    return {**picked, "strategies": strategies, "generator": generator_name(settings),
            "filters": FILTERS_VERSION, "plan": PLAN_VERSION}
