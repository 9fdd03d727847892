"""Writing a rank's training state: ZeRO checkpoints (staged, then committed whole), the exported
Hugging Face model, and where a run resumes from. Called by train/loop.py on every rank."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Dict, Optional

from augft.train.checkpoints import (checkpoint_dir, commit_checkpoint, disk_full_reported, latest_checkpoint,
                                     prune_checkpoints, read_state, staging_dir)
from augft.train.plan import WorkerPlan


def save_checkpoint(engine, plan: WorkerPlan, step: int, rank: int, world: int, extra: dict) -> Path:
    """Every rank writes its ZeRO shard; rank 0 then marks the folder complete."""
    import torch.distributed as dist

    d, tmp = checkpoint_dir(Path(plan.out), step), staging_dir(Path(plan.out), step)
    with disk_full_reported(Path(plan.out), f"checkpoint {d.name}", tmp):
        engine.save_checkpoint(str(tmp), tag="ds", client_state={"step": step})
    dist.barrier()
    if rank == 0:
        state = {"step": step, "world_size": world, "zero_stage": plan.zero_stage, "total_steps": plan.total_steps,
                 "lora": bool(plan.lora), "run_id": plan.run_id, **plan.identity(), **extra}
        with disk_full_reported(Path(plan.out), f"checkpoint {d.name}", tmp):
            commit_checkpoint(tmp, d, state)
        prune_checkpoints(Path(plan.out), plan.keep_checkpoints)
    dist.barrier()
    return d


def export_model(engine, plan: WorkerPlan, rank: int) -> Optional[Path]:
    """Gather every (possibly partitioned) weight onto rank 0 and save a plain HF model."""
    import deepspeed
    import torch

    module = engine.module
    state: Dict[str, torch.Tensor] = {}
    for name, p in module.named_parameters():
        # One parameter at a time bounds the gathered memory to the largest tensor.
        with deepspeed.zero.GatheredParameters([p], modifier_rank=None):
            if rank == 0:
                state[name] = p.detach().cpu().clone()
    if rank != 0:
        return None
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    # Otherwise from_config would build a ZeRO-3 partitioned (empty) model here too.
    unset_hf_deepspeed_config()
    dtype = state[next(iter(state))].dtype
    config = AutoConfig.from_pretrained(plan.model_path)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    if plan.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(**plan.lora.kwargs(), task_type="CAUSAL_LM"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "lm_head" not in k]  # tied to the embeddings
    if missing or unexpected:
        raise RuntimeError(f"export: state dict mismatch, missing={missing[:5]} unexpected={unexpected[:5]}")
    if plan.lora:
        model = model.merge_and_unload()
    model.tie_weights()
    dst = Path(plan.out) / "model"
    tmp = dst.with_name(".model.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with disk_full_reported(Path(plan.out), "the exported model", tmp):
        model.save_pretrained(tmp, safe_serialization=True)
        AutoTokenizer.from_pretrained(plan.model_path).save_pretrained(tmp)
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    return dst


def resume_point(plan: WorkerPlan) -> Optional[Path]:
    """Where this worker group starts: the newest complete checkpoint this run wrote (a
    restarted group, after Ray Train replaced a lost worker), else the plan's resume_dir."""
    own = latest_checkpoint(Path(plan.out))
    if own is not None and (read_state(own) or {}).get("run_id") == plan.run_id:
        return own
    return Path(plan.resume_dir) if plan.resume_dir else None
