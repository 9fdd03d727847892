"""What decides a trained model: train's contract (core/identity.py).

The study keys its train stage by `identity` (plus its inputs' keys), and a rerun into the same
folder resumes its checkpoints only under the same `request_key` (train/api.py), which starts
from the same identity: the two cannot disagree. Logging, checkpointing and placement keys are
left out, so changing train.log_every or train.peak_flops retrains nothing.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict

from augft.core.config.settings import TrainSettings
from augft.core.identity import Contract
from augft.train.request import TrainRequest

_TARGETS_STAGE = "read by the teacher-target stage; a distilled model is keyed by its targets folders"

CONTRACT = Contract(
    "train", ("train", "model", "cluster", "seed"),
    output=(
        "train.mix_counts", "train.split", "train.packing", "train.epochs", "train.max_steps", "train.lr",
        "train.schedule", "train.warmup_ratio", "train.min_lr_ratio", "train.weight_decay", "train.max_grad_norm",
        "train.batch_size", "train.micro_batch_size", "train.block_size", "train.zero_stage", "train.precision",
        "train.num_workers", "train.use_gpu", "train.eval_fraction", "train.lora", "train.lora_r",
        "train.lora_alpha", "train.lora_dropout", "train.lora_targets", "train.export",
        "train.attn_implementation", "train.deepspeed", "train.distill.alpha",
        "model.name", "model.dtype", "model.trust_remote_code", "model.max_context", "seed"),
    neutral={
        "train.offload_optimizer": "memory placement of the same optimizer states",
        "train.offload_params": "memory placement of the same parameters",
        "train.launcher": "how the same workers start (Ray Train or torchrun)",
        "train.max_failures": "how often a lost worker group restarts from its checkpoint",
        "train.data_workers": "speed: shards are the same whatever built them (train/build.py)",
        "train.data_chunk_examples": "speed: blocks are packed over all chunks' lengths (train/build.py)",
        "train.eval_every": "how often the held-out loss is logged; never changes a step",
        "train.checkpoint_every": "how often a checkpoint is saved",
        "train.keep_checkpoints": "how many checkpoints stay on disk",
        "train.log_every": "how often a metrics row is written",
        "train.peak_flops": "the MFU report only",
        "train.gradient_checkpointing": "memory: activations recomputed with the same values",
        "train.distill.top_k": _TARGETS_STAGE,
        "train.distill.context": _TARGETS_STAGE,
        "train.distill.context_tokens": _TARGETS_STAGE,
        "train.distill.engine": _TARGETS_STAGE,
        "train.distill.batch_size": _TARGETS_STAGE,
        "train.distill.unit_size": _TARGETS_STAGE,
        "train.distill.use_ray": _TARGETS_STAGE,
        "train.distill.num_actors": _TARGETS_STAGE,
        "train.distill.actor_cpus": _TARGETS_STAGE,
        "train.distill.actor_gpus": _TARGETS_STAGE,
        "model.cache_dir": "where converted weights are cached, not which weights",
        "model.device": "placement (training runs on its workers' devices)",
        "cluster": "where Ray runs and what the workers reserve",
    },
    request={"train.mix": "TrainRequest.mix", "train.augmentations": "TrainRequest.augmentations",
             "train.targets": "TrainRequest.targets", "train.resume": "TrainRequest.resume"})


def identity(request: TrainRequest, settings: TrainSettings) -> Dict:
    """What decides the model `request` trains, besides the files it reads (its data, augment and
    target folders, a base model): those are the stage's inputs, or the resume key's locations.
    train.distill.alpha counts only for a distilled model, so the others keep their keys."""
    picked = CONTRACT.pick({"train": settings.train, "model": settings.model, "seed": settings.seed},
                           leave_out=() if request.targets else ("train.distill",))
    return {**picked, "mix": dict(request.mix), "distilled": bool(request.targets),
            "continued": bool(request.base_model)}


def request_key(request: TrainRequest, settings: TrainSettings) -> str:
    """The resume guard: the identity plus where the inputs are. Saved in every checkpoint, so a
    rerun into the same folder knows whether it continues the same training."""
    ident = {**identity(request, settings), "base": str(request.model(settings)),
             "data": str(Path(request.data).resolve()), "augmentations": list(request.augmentations),
             "targets": list(request.targets)}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:20]
