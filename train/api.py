"""`augft train`: validate, build the training set, then start the workers.

Every input check happens before any worker starts: value ranges and combinations when the
config loads (core/config/train.py); here, what needs the machine or the files: a mix naming
a missing shard, an empty training set, a block size above the model's context, a GPU run
without CUDA, a resume path with no checkpoint or one saved by a different run shape.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import time
import uuid
from pathlib import Path
from typing import Optional

from augft.core.artifacts import DataStats, TrainOutput, TrainSummary, WorkerSummary, read_typed
from augft.core.config.settings import TrainSettings
from augft.core.errors import AugftError
from augft.train.checkpoints import is_complete, latest_checkpoint, list_checkpoints, read_state
from augft.train.identity import request_key
from augft.train.plan import LoraSpec, WorkerPlan
from augft.train.request import TrainRequest

log = logging.getLogger(__name__)


class TrainConfigError(AugftError):
    """A train.* setting that cannot work; the message names the key."""


def _ray_address(t, cluster_address: str = "") -> str:
    """The Ray cluster the run targets ('' for a local one started by the launcher)."""
    import os

    return (cluster_address or os.environ.get("RAY_ADDRESS", "")) if t.launcher == "ray" else ""


def _data_ray_address(t, cluster_address: str = "") -> str:
    """The cluster that builds the shards with Ray Data: the one the run targets, unless this
    process already is a Ray task or actor (a sweep trial): its placement group is for its
    workers, so a process pool builds them."""
    import sys

    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized() and ray.get_runtime_context().worker.mode == ray.WORKER_MODE:
        return ""
    return _ray_address(t, cluster_address)


def _check_machine(t, cluster_address: str = "") -> None:
    """What depends on this machine (value checks ran when the config loaded)."""
    if str(t.attn_implementation) == "flash_attention_2" and t.launcher == "torchrun":
        check_attn_implementation("flash_attention_2")  # the workers run here
    if t.use_gpu:
        import torch

        if not torch.cuda.is_available() and not _ray_address(t, cluster_address):
            # A local Ray would wait forever for GPUs that do not exist.
            raise TrainConfigError("train.use_gpu=true but this machine has no CUDA GPU "
                                   "(and no Ray cluster is named in cluster.address)")


def check_attn_implementation(name: str) -> None:
    """flash_attention_2 needs the flash-attn package (the workers check too, where they run)."""
    import importlib.util

    if name == "flash_attention_2" and importlib.util.find_spec("flash_attn") is None:
        raise TrainConfigError("train.attn_implementation=flash_attention_2 but the flash-attn package is not "
                               "installed (pip install flash-attn on the GPU image), or use sdpa")


def batch_shape(t) -> tuple:
    """(micro batch per worker, accumulation steps); the config checked that they divide."""
    micro = t.micro_batch_size or max(1, t.batch_size // t.num_workers)
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
    return deep_merge(cfg, _plain(t.deepspeed))


def _plain(value):
    """A config mapping as plain Python values (DeepSpeed and the plan's JSON need them)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else dict(value or {})


def deep_merge(base: dict, extra: dict) -> dict:
    """`base` with `extra` merged in, mapping by mapping; extra's values win."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _resolve_resume(resume: str, out: Path) -> Optional[Path]:
    if not resume:
        return None
    if resume == "auto":
        ck = latest_checkpoint(out)
        if ck is None:
            found = [p.name for p in list_checkpoints(out)]
            raise TrainConfigError(
                f"train.resume=auto but {out / 'checkpoints'} holds no complete checkpoint"
                + (f" (incomplete: {found})" if found else ""))
        return ck
    p = Path(resume)
    latest = latest_checkpoint(p) if p.is_dir() and not (p / "trainer_state.json").exists() else None
    if latest is not None:
        p = latest  # a previous run's OUT folder
    if not p.is_dir() or not is_complete(p):
        raise TrainConfigError(f"train.resume={resume}: no complete checkpoint there "
                               "(expected a folder with trainer_state.json and ds/ shards)")
    return p


def check_resume(resume: Path, t, identity: dict) -> None:
    """A checkpoint resumes only a run of the same shape: ZeRO shards need the same world
    size and stage, and the batch order needs the same seed, batch size and mix."""
    state = read_state(resume) or {}
    if state.get("world_size") != t.num_workers:
        raise TrainConfigError(
            f"train.resume: {resume} was saved by {state.get('world_size')} workers but "
            f"train.num_workers={t.num_workers}; ZeRO shards need the same number")
    if state.get("zero_stage") != t.zero_stage:
        raise TrainConfigError(f"train.resume: {resume} was saved with ZeRO stage "
                               f"{state.get('zero_stage')}, train.zero_stage={t.zero_stage}")
    keys = {"seed": "seed", "batch_size": "train.batch_size", "mix": "train.mix", "mix_counts": "train.mix_counts"}
    for name, key in keys.items():
        if name in state and state[name] != identity[name]:  # older checkpoints lack them
            raise TrainConfigError(f"train.resume: {resume} was saved with {key}={state[name]}, this run has "
                                   f"{key}={identity[name]}; resuming would train on other batches")


def _identity(cfg, req: TrainRequest) -> dict:
    t = cfg.train
    return {"seed": int(cfg.seed), "batch_size": int(t.batch_size),
            "mix": dict(req.mix), "mix_counts": bool(t.mix_counts)}


def _retry_resume(out: Path, key: str) -> Optional[Path]:
    """The checkpoint a rerun of the same request continues from (a RayJob retry, a rerun after a
    crash: same folder, no train.resume): the latest complete one, when this training saved it
    and had steps left. Another training's checkpoints (a different key) are not resumed."""
    ck = latest_checkpoint(out)
    state = (read_state(ck) or {}) if ck is not None else {}
    if state.get("request_key") != key or int(state.get("step", 0)) >= int(state.get("total_steps", 0)):
        return None
    log.info("resuming from %s: a rerun of the same training (train.resume was not set)", ck)
    return ck


def _fresh_out(out: Path, resume: Optional[Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if resume is None:  # a fresh run must not mix with an older run's state
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
        (out / "metrics.jsonl").unlink(missing_ok=True)
    shutil.rmtree(out / "data", ignore_errors=True)


def total_steps(t, n_blocks: int) -> int:
    """Optimizer steps of a run over `n_blocks` training blocks (train.max_steps, else epochs)."""
    return int(t.max_steps or max(1, math.ceil(t.epochs * n_blocks / t.batch_size)))


def _plan(cfg, req: TrainRequest, model_path, tok, stats: DataStats, resume: Optional[Path]) -> WorkerPlan:
    t = cfg.train
    micro, accum = batch_shape(t)
    total = total_steps(t, stats.n_blocks)
    precision = str(t.precision) if t.precision != "auto" else ("bf16" if t.use_gpu else "fp32")
    lora = LoraSpec(t.lora_r, t.lora_alpha, t.lora_dropout, list(t.lora_targets)) if t.lora else None
    ident, out = _identity(cfg, req), Path(req.out)
    return WorkerPlan(
        out=str(out.resolve()), model_path=str(Path(model_path).resolve()),
        train_data=str((out / "data" / "train").resolve()),
        eval_data=str((out / "data" / "eval").resolve()) if stats.has_eval else "",
        run_id=uuid.uuid4().hex, use_gpu=bool(t.use_gpu), precision=precision, seed=ident["seed"],
        lr=float(t.lr), weight_decay=float(t.weight_decay), schedule=str(t.schedule),
        warmup_steps=int(math.ceil(t.warmup_ratio * total)), min_lr_ratio=float(t.min_lr_ratio),
        total_steps=int(total), batch_size=ident["batch_size"], micro_batch=micro, grad_accum=accum,
        packing=bool(t.packing), pad_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        eval_every=int(t.eval_every), checkpoint_every=int(t.checkpoint_every),
        keep_checkpoints=int(t.keep_checkpoints), log_every=max(1, int(t.log_every)),
        peak_flops=float(t.peak_flops), export=bool(t.export), ds_config=ds_config(t, micro, accum, precision),
        mix=ident["mix"], mix_counts=ident["mix_counts"],
        resume_dir=str(resume.resolve()) if resume else "", lora=lora, data_stats=stats,
        distill={"alpha": float(t.distill.alpha), "top_k": int(stats.top_k)} if req.targets else {},
        gradient_checkpointing=bool(t.gradient_checkpointing), attn_implementation=str(t.attn_implementation),
        **_mlflow_target())


def _mlflow_target() -> dict:
    """The MLflow run rank 0 logs its metric rows to while training: MLflow's own
    $MLFLOW_RUN_ID and $MLFLOW_TRACKING_URI (the study sets them for its train stage's run;
    a user can for `augft train`). Read here, on the driver, so they reach workers on any node."""
    import os

    run_id, uri = os.environ.get("MLFLOW_RUN_ID", "").strip(), os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    return {"mlflow_run_id": run_id, "mlflow_uri": uri} if run_id and uri else {}


def prepare(cfg, req: TrainRequest) -> WorkerPlan:
    """Validate, build the token shards, and write (and return) the workers' plan."""
    from augft.core.models import load_tokenizer, resolve_model_path
    from augft.train.build import build_shards

    t, out = cfg.train, Path(req.out)
    req.check_inputs()
    _check_machine(t, cfg.cluster.address)
    micro, _ = batch_shape(t)
    model_path = resolve_model_path(req.model(cfg), cfg.model.cache_dir)
    ctx = model_context(model_path, cfg.model)
    if t.block_size > ctx:
        raise TrainConfigError(f"train.block_size={t.block_size} is above the model's context of {ctx} tokens")
    key = request_key(req, cfg)
    resume = _resolve_resume(req.resume, out) or _retry_resume(out, key)
    if resume is not None:
        check_resume(resume, t, _identity(cfg, req))
    tok = load_tokenizer(req.model(cfg), cfg.model.cache_dir, cfg.model.trust_remote_code)
    _fresh_out(out, resume)
    if req.targets:
        from augft.train.distill_data import build_distill_shards

        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        stats = build_distill_shards(req.targets, t, pad, cfg.seed, micro, out / "data", req.mix)
    else:
        stats = build_shards(Path(req.data), t, tok, cfg.seed, micro, out / "data", workers=t.data_workers,
                             ray_address=_data_ray_address(t, cfg.cluster.address),
                             mix=req.mix, augmentations=req.augmentations)
    if not stats.n_blocks:
        raise AugftError("the training set is empty after tokenization")
    plan = _plan(cfg, req, model_path, tok, stats, resume)
    plan.request_key = key
    plan.to_json(out / "plan.json")
    return plan


def train(cfg, data_dir: Path, out_dir: Path) -> TrainSummary:
    """Fine-tune per a loaded config's `train` section (mix, augmentations, resume) on
    `model.name`; returns (and writes) OUT/summary.json."""
    return train_request(TrainRequest.from_config(cfg, data_dir, out_dir), TrainSettings.of(cfg))


def train_request(req: TrainRequest, settings: TrainSettings) -> TrainSummary:
    """Fine-tune as the request asks, with these settings; returns (and writes) OUT/summary.json."""
    out = Path(req.out)
    plan = prepare(settings, req)
    t = settings.train
    log.info("training %s: %d steps, %d blocks, %d workers, ZeRO-%d, %s, launcher=%s",
             req.model(settings), plan.total_steps, plan.data_stats.n_blocks, t.num_workers,
             t.zero_stage, plan.precision, t.launcher)
    (out / ".worker_summary.json").unlink(missing_ok=True)
    t0 = time.time()
    if t.launcher == "ray":
        from augft.train.ray_launch import launch_ray

        launch_ray(out / "plan.json", settings)
    else:
        from augft.train.launch import launch_torchrun

        launch_torchrun(out / "plan.json", t.num_workers)
    ws = out / ".worker_summary.json"
    if not ws.is_file():
        raise AugftError(f"training finished without a summary from rank 0 (see the logs; {out})")
    worker = read_typed(ws, WorkerSummary, "worker summary")
    ws.unlink()
    stats = plan.data_stats
    summary = TrainSummary.of(
        worker, launch_wall_s=time.time() - t0, n_examples=stats.n_examples, padding_waste=stats.padding_waste,
        data=stats, launcher=str(t.launcher), zero_stage=int(t.zero_stage), precision=plan.precision,
        num_workers=int(t.num_workers), batch_size=int(t.batch_size), micro_batch=plan.micro_batch,
        grad_accum=plan.grad_accum, block_size=int(t.block_size), packing=bool(t.packing), lora=bool(t.lora),
        base_model=str(req.model(settings)), mix=dict(req.mix), augmentations=list(req.augmentations),
        distill=dict(plan.distill), targets=list(req.targets))
    TrainOutput(out).write_summary(summary)
    return summary


def run_train(cfg, data: Optional[Path] = None, out: Path = Path("out/train")) -> int:
    if data is None:
        raise AugftError("augft train needs --data DIR (a folder with corpus.jsonl)")
    s = train(cfg, data, out)
    loss = "-" if s.final_loss is None else f"{s.final_loss:.4f}"
    print(f"trained {s.steps} steps on {s.n_examples} examples ({s.tokens} tokens, "
          f"{s.tokens_per_s:.0f} tok/s); final loss {loss}; model: {s.model}")
    return 0
