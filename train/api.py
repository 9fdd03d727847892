"""`augft train`: validate, build the training set, then start the workers.

Every input check happens here, before any worker starts: a mix naming a missing
shard, an empty training set, a block size above the model's context, a ZeRO stage
outside 0-3, a resume path with no checkpoint.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import time
from pathlib import Path
from typing import Optional

from augft.core.artifacts import TrainOutput
from augft.core.errors import AugftError
from augft.train.checkpoints import is_complete, latest_checkpoint, list_checkpoints, read_state

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
LAUNCHERS = ("ray", "torchrun")
SCHEDULES = ("cosine", "linear", "constant")


class TrainConfigError(AugftError):
    """A train.* setting that cannot work; the message names the key."""


def _check_config(t, cluster_address: str = "") -> None:
    if t.zero_stage not in (0, 1, 2, 3):
        raise TrainConfigError(f"train.zero_stage must be 0, 1, 2 or 3, got {t.zero_stage}")
    if t.precision not in PRECISIONS:
        raise TrainConfigError(f"train.precision must be one of {', '.join(PRECISIONS)}, got '{t.precision}'")
    if t.launcher not in LAUNCHERS:
        raise TrainConfigError(f"train.launcher must be ray or torchrun, got '{t.launcher}'")
    if t.schedule not in SCHEDULES:
        raise TrainConfigError(f"train.schedule must be one of {', '.join(SCHEDULES)}, got '{t.schedule}'")
    if t.num_workers < 1:
        raise TrainConfigError(f"train.num_workers must be >= 1, got {t.num_workers}")
    if t.batch_size < 1 or t.micro_batch_size < 0:
        raise TrainConfigError("train.batch_size must be >= 1 and train.micro_batch_size >= 0")
    if t.block_size < 2:
        raise TrainConfigError(f"train.block_size must be >= 2, got {t.block_size}")
    if t.offload_params and t.zero_stage != 3:
        raise TrainConfigError("train.offload_params needs train.zero_stage=3")
    if t.offload_optimizer and t.zero_stage == 0:
        raise TrainConfigError("train.offload_optimizer needs train.zero_stage >= 1")
    if not 0 <= t.eval_fraction < 1:
        raise TrainConfigError(f"train.eval_fraction must be in [0, 1), got {t.eval_fraction}")
    if t.max_steps < 0 or t.epochs <= 0 and t.max_steps == 0:
        raise TrainConfigError("train.epochs must be > 0 (or set train.max_steps > 0)")
    if t.use_gpu:
        import os

        import torch

        remote = t.launcher == "ray" and (cluster_address or os.environ.get("RAY_ADDRESS"))
        if not torch.cuda.is_available() and not remote:
            # A local Ray would wait forever for GPUs that do not exist.
            raise TrainConfigError("train.use_gpu=true but this machine has no CUDA GPU "
                                   "(and no Ray cluster is named in cluster.address)")
    if t.precision == "fp16" and not t.use_gpu:
        raise TrainConfigError("train.precision=fp16 needs train.use_gpu=true")


def batch_shape(t) -> tuple:
    """(micro batch per worker, accumulation steps); errors name the keys."""
    micro = t.micro_batch_size or max(1, t.batch_size // t.num_workers)
    if t.batch_size % (micro * t.num_workers):
        raise TrainConfigError(
            f"train.batch_size={t.batch_size} is not a multiple of train.micro_batch_size "
            f"({micro}) x train.num_workers ({t.num_workers})")
    return micro, t.batch_size // (micro * t.num_workers)


def model_context(model_path: Path, model_cfg) -> int:
    if model_cfg.max_context:
        return int(model_cfg.max_context)
    cfg = json.loads((model_path / "config.json").read_text())
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        if key in cfg:
            return int(cfg[key])
    return 2048


def ds_config(t, micro: int, accum: int, precision: str) -> dict:
    zero: dict = {"stage": t.zero_stage}
    if t.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": bool(t.use_gpu)}
    if t.offload_params:
        zero["offload_param"] = {"device": "cpu", "pin_memory": bool(t.use_gpu)}
    if t.zero_stage == 3:
        # Export gathers the weights itself, one tensor at a time.
        zero["stage3_gather_16bit_weights_on_model_save"] = False
    cfg = {
        "train_batch_size": t.batch_size,
        "train_micro_batch_size_per_gpu": micro,
        "gradient_accumulation_steps": accum,
        "zero_optimization": zero,
        "bf16": {"enabled": precision == "bf16"},
        "fp16": {"enabled": precision == "fp16"},
        # torch.optim.AdamW is passed in: no op compilation, and it is fine under ZeRO.
        "zero_allow_untested_optimizer": True,
        "zero_force_ds_cpu_optimizer": False,
        "steps_per_print": 10 ** 9,
        "wall_clock_breakdown": False,
    }
    if t.max_grad_norm > 0:
        cfg["gradient_clipping"] = t.max_grad_norm
    return cfg


def _resolve_resume(t, out: Path) -> Optional[Path]:
    if not t.resume:
        return None
    if t.resume == "auto":
        ck = latest_checkpoint(out)
        if ck is None:
            found = [p.name for p in list_checkpoints(out)]
            raise TrainConfigError(
                f"train.resume=auto but {out / 'checkpoints'} holds no complete checkpoint"
                + (f" (incomplete: {found})" if found else ""))
        return ck
    p = Path(t.resume)
    if p.is_dir() and not (p / "trainer_state.json").exists() and latest_checkpoint(p) is not None:
        p = latest_checkpoint(p)  # a previous run's OUT folder
    if not p.is_dir() or not is_complete(p):
        raise TrainConfigError(f"train.resume={t.resume}: no complete checkpoint there "
                               "(expected a folder with trainer_state.json and ds/ shards)")
    return p


def prepare(cfg, data_dir: Path, out: Path) -> dict:
    """Validate, build and save the training set, and return the workers' plan."""
    from augft.core.models import load_tokenizer, resolve_model_path
    from augft.train.data import build_trainset, save_blocks

    t = cfg.train
    _check_config(t, cfg.cluster.address)
    micro, accum = batch_shape(t)
    model_path = resolve_model_path(cfg.model.name, cfg.model.cache_dir)
    ctx = model_context(model_path, cfg.model)
    if t.block_size > ctx:
        raise TrainConfigError(f"train.block_size={t.block_size} is above the model's context of {ctx} tokens")
    resume = _resolve_resume(t, out)
    if resume is not None:
        state = read_state(resume) or {}
        if state.get("world_size") != t.num_workers:
            raise TrainConfigError(
                f"train.resume: {resume} was saved by {state.get('world_size')} workers but "
                f"train.num_workers={t.num_workers}; ZeRO shards need the same number")
        if state.get("zero_stage") != t.zero_stage:
            raise TrainConfigError(f"train.resume: {resume} was saved with ZeRO stage "
                                   f"{state.get('zero_stage')}, train.zero_stage={t.zero_stage}")
    tok = load_tokenizer(cfg.model.name, cfg.model.cache_dir, cfg.model.trust_remote_code)
    ts = build_trainset(Path(data_dir), t, tok, cfg.seed, micro)
    if not ts.train:
        raise AugftError("the training set is empty after tokenization")
    out.mkdir(parents=True, exist_ok=True)
    if resume is None:  # a fresh run must not mix with an older run's state
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
        (out / "metrics.jsonl").unlink(missing_ok=True)
    (out / "data").mkdir(exist_ok=True)
    save_blocks(out / "data" / "train.pt", ts.train)
    if ts.eval:
        save_blocks(out / "data" / "eval.pt", ts.eval)
    total = t.max_steps or max(1, math.ceil(t.epochs * len(ts.train) / t.batch_size))
    precision = t.precision if t.precision != "auto" else ("bf16" if t.use_gpu else "fp32")
    lora = None
    if t.lora:
        lora = {"r": t.lora_r, "lora_alpha": t.lora_alpha, "lora_dropout": t.lora_dropout,
                "target_modules": list(t.lora_targets)}
    plan = {
        "out": str(out.resolve()), "model_path": str(Path(model_path).resolve()),
        "train_blocks": str((out / "data" / "train.pt").resolve()),
        "eval_blocks": str((out / "data" / "eval.pt").resolve()) if ts.eval else "",
        "use_gpu": bool(t.use_gpu), "precision": precision, "seed": int(cfg.seed),
        "lr": t.lr, "weight_decay": t.weight_decay, "schedule": t.schedule,
        "warmup_steps": int(math.ceil(t.warmup_ratio * total)), "min_lr_ratio": t.min_lr_ratio,
        "total_steps": total, "micro_batch": micro, "grad_accum": accum,
        "packing": bool(t.packing), "pad_id": tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        "eval_every": t.eval_every, "checkpoint_every": t.checkpoint_every,
        "keep_checkpoints": t.keep_checkpoints, "log_every": max(1, t.log_every),
        "resume_dir": str(resume.resolve()) if resume else "", "lora": lora,
        "peak_flops": t.peak_flops, "export": bool(t.export),
        "ds_config": ds_config(t, micro, accum, precision), "data_stats": ts.stats,
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    return plan


def train(cfg, data_dir: Path, out_dir: Path) -> dict:
    """Fine-tune per `cfg.train`; returns (and writes) OUT/summary.json."""
    out = Path(out_dir)
    plan = prepare(cfg, Path(data_dir), out)
    t = cfg.train
    log.info("training %s: %d steps, %d blocks, %d workers, ZeRO-%d, %s, launcher=%s",
             cfg.model.name, plan["total_steps"], plan["data_stats"]["n_blocks"], t.num_workers,
             t.zero_stage, plan["precision"], t.launcher)
    (out / ".worker_summary.json").unlink(missing_ok=True)
    t0 = time.time()
    if t.launcher == "ray":
        from augft.train.ray_launch import launch_ray

        launch_ray(out / "plan.json", t.num_workers, t.use_gpu, cfg.cluster)
    else:
        from augft.train.launch import launch_torchrun

        launch_torchrun(out / "plan.json", t.num_workers)
    ws = out / ".worker_summary.json"
    if not ws.is_file():
        raise AugftError(f"training finished without a summary from rank 0 (see the logs; {out})")
    summary = json.loads(ws.read_text())
    ws.unlink()
    stats = plan["data_stats"]
    summary.update({
        "launch_wall_s": time.time() - t0, "n_examples": stats["n_examples"],
        "padding_waste": stats["padding_waste"], "data": stats, "launcher": t.launcher,
        "zero_stage": t.zero_stage, "precision": plan["precision"], "num_workers": t.num_workers,
        "batch_size": t.batch_size, "micro_batch": plan["micro_batch"], "grad_accum": plan["grad_accum"],
        "block_size": t.block_size, "packing": t.packing, "lora": bool(t.lora),
        "base_model": cfg.model.name, "mix": dict(t.mix), "augmentations": list(t.augmentations),
    })
    TrainOutput(out).write_summary(summary)
    return summary


def run_train(cfg, data: Optional[Path] = None, out: Path = Path("out/train")) -> int:
    if data is None:
        raise AugftError("augft train needs --data DIR (a folder with corpus.jsonl)")
    s = train(cfg, data, out)
    print(f"trained {s['steps']} steps on {s['n_examples']} examples ({s['tokens']} tokens, "
          f"{s['tokens_per_s']:.0f} tok/s); final loss {s['final_loss']:.4f}; model: {s['model']}")
    return 0
