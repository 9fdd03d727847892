"""The per-worker training loop: DeepSpeed ZeRO 0-3, checkpoints, eval loss, metrics, export.

No Ray import here: the same function runs under Ray Train's TorchTrainer
(train/ray_launch.py), under torchrun / the deepspeed launcher (train/launch.py), or
as a single process. It reads everything it needs from a plan (a JSON-able dict
written by train/api.py) and the tensor files the driver built.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from augft.train.checkpoints import checkpoint_dir, is_complete, prune_checkpoints
from augft.train.data import IGNORE, Block, batch_indices, collate, load_blocks

Reporter = Callable[[Dict[str, object]], None]

# Dense bf16 peak FLOP/s per GPU, for MFU (matched against the device name).
PEAK_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "L4": 121e12,
              "A10G": 125e12, "A10": 125e12, "V100": 125e12, "T4": 65e12}


def lr_lambda(total: int, warmup: int, schedule: str, min_ratio: float) -> Callable[[int], float]:
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if schedule == "linear":
            return min_ratio + (1 - min_ratio) * (1 - progress)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return f


def peak_flops(plan: dict) -> float:
    import torch

    if plan.get("peak_flops"):
        return float(plan["peak_flops"])
    if not torch.cuda.is_available():
        return 0.0
    name = torch.cuda.get_device_name()
    for key, val in PEAK_FLOPS.items():
        if key in name:
            return val
    return 0.0


def _init_distributed(use_gpu: bool) -> None:
    import deepspeed
    import torch.distributed as dist

    # A lone `python -m augft.train.launch` gets a 1-process group of its own.
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"])
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    if "MASTER_PORT" not in os.environ:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            os.environ["MASTER_PORT"] = str(s.getsockname()[1])
    if not dist.is_initialized():
        deepspeed.init_distributed(dist_backend="nccl" if use_gpu else "gloo")
    else:  # Ray Train already made the group; DeepSpeed wraps it.
        deepspeed.init_distributed(dist_backend=dist.get_backend())


def _load_model(plan: dict, ds_config: dict):
    import torch
    from transformers import AutoModelForCausalLM

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[plan["precision"]]
    keep = None
    if ds_config["zero_optimization"]["stage"] == 3:
        # Must exist before from_pretrained so the weights load already partitioned.
        from transformers.integrations import HfDeepSpeedConfig

        keep = HfDeepSpeedConfig(ds_config)
    model = AutoModelForCausalLM.from_pretrained(plan["model_path"], dtype=dtype,
                                                 use_safetensors=True, attn_implementation="sdpa")
    model.config.use_cache = False
    if plan["lora"]:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(**plan["lora"], task_type="CAUSAL_LM"))
    return model, keep


def _n_params(model) -> int:
    return sum(getattr(p, "ds_numel", p.numel()) for p in model.parameters())


class _Writer:
    """Rank 0's metrics.jsonl (rows past the resume step are dropped on resume)."""

    def __init__(self, path: Path, rank: int, resume_step: int):
        self.rank, self.path = rank, path
        if rank != 0:
            return
        rows = []
        if resume_step and path.is_file():
            rows = [r for r in path.read_text().splitlines()
                    if r.strip() and json.loads(r).get("step", 0) <= resume_step]
        path.write_text("".join(r + "\n" for r in rows))

    def write(self, row: dict) -> None:
        if self.rank == 0:
            with open(self.path, "a") as fh:
                fh.write(json.dumps(row) + "\n")


def _micro_batches(blocks: List[Block], idx: List[int], rank: int, world: int, micro: int, accum: int):
    """This rank's micro-batches of one global batch: rank-major within each accumulation step."""
    for a in range(accum):
        start = (a * world + rank) * micro
        yield [blocks[i] for i in idx[start:start + micro]]


def _forward(engine, batch: dict, packed: bool, device):
    # Packed blocks go without attention_mask: transformers then reads example boundaries
    # from the restarting position_ids and masks attention across them.
    keys = ("input_ids", "labels", "position_ids") if packed else ("input_ids", "labels", "attention_mask", "position_ids")
    return engine(**{k: batch[k].to(device) for k in keys}, use_cache=False)


def _evaluate(engine, blocks: List[Block], plan: dict, rank: int, world: int, device) -> float:
    import torch
    import torch.distributed as dist

    engine.eval()
    micro = plan["micro_batch"]
    mine = blocks[rank::world]
    # Every rank runs the same number of forwards: ZeRO-3 gathers weights collectively.
    n_batches = math.ceil(math.ceil(len(blocks) / world) / micro)
    tot = torch.zeros(2, dtype=torch.float64)
    with torch.no_grad():
        for b in range(n_batches):
            chunk = mine[b * micro:(b + 1) * micro]
            weight = 1.0 if chunk else 0.0
            chunk = chunk or blocks[:1]
            batch, _ = collate(chunk, plan["pad_id"])
            n = float((batch["labels"][:, 1:] != IGNORE).sum())
            loss = _forward(engine, batch, plan["packing"], device).loss.float().item()
            tot += torch.tensor([loss * n * weight, n * weight], dtype=torch.float64)
    dist.all_reduce(tot)
    engine.train()
    return float(tot[0] / tot[1]) if tot[1] > 0 else float("nan")


def save_checkpoint(engine, plan: dict, step: int, rank: int, world: int, extra: dict) -> Path:
    """Every rank writes its ZeRO shard; rank 0 then marks the folder complete."""
    import torch.distributed as dist

    d = checkpoint_dir(Path(plan["out"]), step)
    engine.save_checkpoint(str(d), tag="ds", client_state={"step": step})
    dist.barrier()
    if rank == 0:
        state = {"step": step, "world_size": world, "zero_stage": plan["ds_config"]["zero_optimization"]["stage"],
                 "total_steps": plan["total_steps"], "lora": bool(plan["lora"]), **extra}
        tmp = d / "trainer_state.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        os.replace(tmp, d / "trainer_state.json")
        prune_checkpoints(Path(plan["out"]), plan["keep_checkpoints"])
    dist.barrier()
    return d


def export_model(engine, plan: dict, rank: int) -> Optional[Path]:
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
    config = AutoConfig.from_pretrained(plan["model_path"])
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    if plan["lora"]:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(**plan["lora"], task_type="CAUSAL_LM"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "lm_head" not in k]  # tied to the embeddings
    if missing or unexpected:
        raise RuntimeError(f"export: state dict mismatch, missing={missing[:5]} unexpected={unexpected[:5]}")
    if plan["lora"]:
        model = model.merge_and_unload()
    model.tie_weights()
    dst = Path(plan["out"]) / "model"
    tmp = dst.with_name(".model.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    AutoTokenizer.from_pretrained(plan["model_path"]).save_pretrained(tmp)
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    return dst


def run_worker(plan: dict, report: Optional[Reporter] = None) -> Optional[dict]:
    """Train per the plan on this process's rank. Returns the summary on rank 0."""
    import deepspeed
    import torch
    import torch.distributed as dist

    use_gpu = plan["use_gpu"]
    _init_distributed(use_gpu)
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_gpu:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    torch.manual_seed(plan["seed"])

    ds_config = plan["ds_config"]
    model, _keep = _load_model(plan, ds_config)
    params = [p for p in model.parameters() if p.requires_grad]
    # torch's AdamW: DeepSpeed's fused/CPU Adam would compile C++/CUDA ops at start. torch's
    # own fused kernel (CPU and CUDA) steps 135M params ~6x faster than the per-tensor loop.
    optimizer = torch.optim.AdamW(params, lr=plan["lr"], weight_decay=plan["weight_decay"],
                                  betas=(0.9, 0.95), fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(plan["total_steps"], plan["warmup_steps"], plan["schedule"], plan["min_lr_ratio"]))
    engine, optimizer, _, scheduler = deepspeed.initialize(
        model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)
    if world == 1 and ds_config["zero_optimization"]["stage"] == 0:
        # One worker has nothing to reduce; DeepSpeed would still flatten, all-reduce and copy
        # back every gradient (~4% of a CPU step on the embedded model).
        engine.enable_backward_allreduce = False
    n_params = _n_params(engine.module)

    start_step = 0
    if plan.get("resume_dir"):
        rd = Path(plan["resume_dir"])
        if not is_complete(rd):
            raise RuntimeError(f"{rd}: not a complete checkpoint")
        engine.load_checkpoint(str(rd), tag="ds")
        start_step = json.loads((rd / "trainer_state.json").read_text())["step"]

    train_blocks = load_blocks(Path(plan["train_blocks"]))
    eval_blocks = load_blocks(Path(plan["eval_blocks"])) if plan.get("eval_blocks") else []
    writer = _Writer(Path(plan["out"]) / "metrics.jsonl", rank, start_step)
    total, micro, accum = plan["total_steps"], plan["micro_batch"], plan["grad_accum"]
    global_batch = micro * accum * world
    peak = peak_flops(plan) if use_gpu else 0.0
    packed = plan["packing"]

    progress = None
    if rank == 0:
        from tqdm import tqdm

        progress = tqdm(total=total, initial=start_step, desc="train", unit="step", dynamic_ncols=True)
    t_start = time.time()
    tokens_done = 0
    last_loss = last_eval = float("nan")
    engine.train()
    for step in range(start_step, total):
        t0, c0 = time.time(), time.process_time()
        # Seeded per step so dropout (LoRA) replays identically after a resume.
        torch.manual_seed(plan["seed"] * 1000003 + step * 101 + rank)
        idx = batch_indices(len(train_blocks), global_batch, step, plan["seed"])
        lr = scheduler.get_last_lr()[0]
        acc = torch.zeros(3, dtype=torch.float64)  # loss sum, micro count, real tokens
        for chunk in _micro_batches(train_blocks, idx, rank, world, micro, accum):
            batch, real = collate(chunk, plan["pad_id"])
            loss = _forward(engine, batch, packed, device).loss
            engine.backward(loss)
            engine.step()
            acc += torch.tensor([loss.detach().float().item(), 1.0, real], dtype=torch.float64)
        dist.all_reduce(acc)
        dt, cpu = time.time() - t0, time.process_time() - c0
        grad_norm = engine.get_global_grad_norm()
        grad_norm = float(grad_norm) if grad_norm is not None else float("nan")
        last_loss = float(acc[0] / acc[1])
        tokens = int(acc[2])
        tokens_done += tokens
        done = step + 1
        row = {"step": done, "loss": last_loss, "lr": lr, "grad_norm": grad_norm, "tokens": tokens,
               "tokens_per_s": tokens / dt if dt > 0 else 0.0, "step_s": dt,
               "cpu_s": cpu,  # rank 0's CPU time: comparable across runs on a shared machine
               "epoch": done * global_batch / len(train_blocks)}
        if peak:
            row["mfu"] = 6 * n_params * tokens / dt / (peak * world)
        if done % plan["log_every"] == 0 or done == total:
            writer.write(row)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{last_loss:.4f}", tok_s=f"{row['tokens_per_s']:.0f}")
        if eval_blocks and ((plan["eval_every"] and done % plan["eval_every"] == 0) or done == total):
            last_eval = _evaluate(engine, eval_blocks, plan, rank, world, device)
            writer.write({"step": done, "eval_loss": last_eval})
        if (plan["checkpoint_every"] and done % plan["checkpoint_every"] == 0) or done == total:
            d = save_checkpoint(engine, plan, done, rank, world, {"loss": last_loss})
            if report is not None:
                report({"step": done, "loss": last_loss, "checkpoint": str(d), "rank": rank,
                        "shard": f"zero_pp_rank_{rank}"})
    if progress is not None:
        progress.close()
    wall = time.time() - t_start
    exported = export_model(engine, plan, rank) if plan["export"] else None
    dist.barrier()
    if rank != 0:
        return None
    summary = {"steps": total, "resumed_from": start_step, "tokens": tokens_done, "wall_s": wall,
            "train_flops": 6 * n_params * tokens_done, "n_params": n_params, "world_size": world,
            "final_loss": last_loss, "final_eval_loss": last_eval,
            "tokens_per_s": tokens_done / wall if wall > 0 else 0.0,
            "model": str(exported) if exported else None}
    tmp = Path(plan["out"]) / ".worker_summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=1))
    os.replace(tmp, Path(plan["out"]) / ".worker_summary.json")
    return summary
