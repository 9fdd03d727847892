"""What decides a teacher-target folder: the targets stage's contract (core/identity.py).

The study keys its targets stage by `identity` and each unit's resume fingerprint
(`fingerprint`) starts from it, so the two cannot disagree. train.distill.alpha is the
student's loss (train's contract), not the teacher's targets.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict

from augft.core.config.settings import TargetsSettings
from augft.core.identity import Contract, vllm_neutral

CONTRACT = Contract(
    "targets", ("train.distill", "augment.vllm", "model", "cluster", "seed"),
    output=("train.distill.top_k", "train.distill.context", "train.distill.context_tokens", "train.distill.engine",
            "augment.vllm.max_model_len", "model.name", "model.dtype", "model.trust_remote_code",
            "model.max_context", "seed"),
    neutral={
        "train.distill.alpha": "the student's loss (train's contract), not the teacher's targets",
        "train.distill.batch_size": "speed: each text's targets are computed apart",
        "train.distill.unit_size": "how texts are grouped into resumable units (the resume fingerprint "
                                   "adds it: a unit's name means its texts)",
        "train.distill.use_ray": "placement",
        "train.distill.num_actors": "speed",
        "train.distill.actor_cpus": "placement",
        "train.distill.actor_gpus": "placement",
        **vllm_neutral("augment.vllm"),
        "model.cache_dir": "where converted weights are cached, not which weights",
        "model.device": "placement",
        "cluster": "where Ray runs",
    })


def identity(request, settings: TargetsSettings) -> Dict:
    """What decides the targets of `request`'s sources, besides the texts they read."""
    picked = CONTRACT.pick({"train.distill": settings.distill, "augment.vllm": settings.augment.vllm,
                            "model": settings.model, "seed": settings.seed})
    from augft.core.targets import TargetsManifest

    # The output's schema: a folder written in another layout is never reused.
    return {**picked, "sources": sorted(str(s) for s in request.sources), "schema": TargetsManifest.SCHEMA}


def fingerprint(request, settings: TargetsSettings) -> str:
    """The resume guard of every unit: the identity, how the texts are cut into units, and which
    augment folders the texts come from."""
    blob = {**identity(request, settings), "unit_size": int(settings.distill.unit_size),
            "augmentations": [Path(a).name for a in request.augmentations]}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:16]
