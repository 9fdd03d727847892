"""The per-worker training loop: DeepSpeed ZeRO 0-3, checkpoints, eval loss, metrics, export.

No Ray import here: the same function runs under Ray Train's TorchTrainer
(train/ray_launch.py), under torchrun / the deepspeed launcher (train/launch.py), or
as a single process. It reads everything it needs from the `WorkerPlan` written by
train/api.py and the token shards the driver built. Recipe shape: `setup`, then per step
`train_step`, `maybe_eval`, `maybe_checkpoint`, and `export` at the end.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Sequence, TypedDict

from augft.core.artifacts import WorkerSummary, write_artifact
from augft.core.flops import training_flops
from augft.core.io import free_port
from augft.train.checkpoints import is_complete, read_state
from augft.train.device import bind_device, split_cores, worker_device
from augft.train.data import IGNORE, Block, Blocks, batch_indices, collate
from augft.train.plan import WorkerPlan
from augft.train.saving import export_model, resume_point, save_checkpoint
from augft.train.schedule import lr_scheduler
from augft.train.shards import ShardSet

Reporter = Callable[[Dict[str, object]], None]

def peak_flops(plan: WorkerPlan) -> float:
    """The GPU's dense bf16 peak for MFU (`train.peak_flops` wins; core.gpus' table otherwise)."""
    import torch

    from augft.core.gpus import peak_for_device

    if plan.peak_flops:
        return float(plan.peak_flops)
    return peak_for_device(torch.cuda.get_device_name()) if torch.cuda.is_available() else 0.0


class DeviceRecord(TypedDict):
    gpus: float
    gpu_type: str


def device_record(device, world: int) -> DeviceRecord:
    """What the workers trained on, for GPU-hours: every rank holds one device like rank 0's, so
    `world` GPUs of rank 0's type on CUDA, none on CPU."""
    import torch

    from augft.core.gpus import canonical_gpu_name

    if getattr(device, "type", str(device)) != "cuda":
        return {"gpus": 0.0, "gpu_type": "cpu"}
    return {"gpus": float(world), "gpu_type": canonical_gpu_name(torch.cuda.get_device_name(device))}


def _init_distributed(use_gpu: bool) -> None:
    import deepspeed
    import torch.distributed as dist

    # A lone `python -m augft.train.launch` gets a 1-process group of its own.
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"])
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    if not dist.is_initialized():
        deepspeed.init_distributed(dist_backend="nccl" if use_gpu else "gloo")
    else:  # Ray Train already made the group; DeepSpeed wraps it.
        deepspeed.init_distributed(dist_backend=dist.get_backend())


def _load_model(plan: WorkerPlan, ds_config: dict):
    import torch
    from transformers import AutoModelForCausalLM

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[plan.precision]
    keep = None
    if ds_config["zero_optimization"]["stage"] == 3:
        # Must exist before from_pretrained so the weights load already partitioned.
        from transformers.integrations import HfDeepSpeedConfig

        keep = HfDeepSpeedConfig(ds_config)
    if plan.attn_implementation == "flash_attention_2":
        from augft.train.api import check_attn_implementation

        check_attn_implementation(plan.attn_implementation)
    model = AutoModelForCausalLM.from_pretrained(plan.model_path, dtype=dtype, use_safetensors=True,
                                                 attn_implementation=plan.attn_implementation)
    model.config.use_cache = False
    if plan.gradient_checkpointing:
        # Non-reentrant: works under ZeRO-3 and with frozen inputs (LoRA) without extra hooks.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if plan.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(**plan.lora.kwargs(), task_type="CAUSAL_LM"))
    return model, keep


def _n_params(model) -> int:
    return sum(getattr(p, "ds_numel", p.numel()) for p in model.parameters())


class _Writer:
    """Rank 0's metrics.jsonl (rows past the resume step are dropped on resume), each row also
    sent to the plan's MLflow run while training runs (train/live_metrics.py)."""

    def __init__(self, path: Path, rank: int, resume_step: int, plan: Optional[WorkerPlan] = None):
        self.rank, self.path, self.live = rank, path, None
        if rank != 0:
            return
        rows = []
        if resume_step and path.is_file():
            rows = [r for r in path.read_text().splitlines()
                    if r.strip() and json.loads(r).get("step", 0) <= resume_step]
        path.write_text("".join(r + "\n" for r in rows))
        if plan is not None and plan.mlflow_run_id:
            from augft.train.live_metrics import LiveMetrics

            self.live = LiveMetrics(plan.mlflow_uri, plan.mlflow_run_id)
            self.live.replay([json.loads(r) for r in rows])  # an earlier attempt's rows, if not there yet

    def write(self, row: dict) -> None:
        if self.rank == 0:
            with open(self.path, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            if self.live is not None:
                self.live.log(row)


def _micro_batches(blocks: Blocks, idx: List[int], rank: int, world: int, micro: int, accum: int):
    """This rank's micro-batches of one global batch: rank-major within each accumulation step.
    Only these blocks are read from the shards: each rank maps its own slice of the batch."""
    for a in range(accum):
        start = (a * world + rank) * micro
        yield [blocks[i] for i in idx[start:start + micro]]


def _forward(engine, batch: dict, packed: bool, device):
    # Packed blocks go without attention_mask: transformers then reads example boundaries
    # from the restarting position_ids and masks attention across them.
    keys = ("input_ids", "labels", "position_ids") if packed else ("input_ids", "labels", "attention_mask", "position_ids")
    return engine(**{k: batch[k].to(device) for k in keys}, use_cache=False)


def _loss(engine, batch: dict, plan: WorkerPlan, device):
    """The step's loss: the model's cross-entropy, or the distillation loss (train/distill_loss.py)
    when the plan trains against a teacher's targets."""
    if not plan.distill:
        return _forward(engine, batch, plan.packing, device).loss
    from augft.train.distill_loss import distill_loss

    keys = ("input_ids", "position_ids") if plan.packing else ("input_ids", "attention_mask", "position_ids")
    logits = engine(**{k: batch[k].to(device) for k in keys}, use_cache=False).logits
    return distill_loss(logits, batch, float(plan.distill["alpha"]))


def _evaluate(engine, blocks: Blocks, plan: WorkerPlan, rank: int, world: int, device) -> float:
    import torch

    engine.eval()
    micro = plan.micro_batch
    mine = range(rank, len(blocks), world)
    # Every rank runs the same number of forwards: ZeRO-3 gathers weights collectively.
    n_batches = math.ceil(math.ceil(len(blocks) / world) / micro)
    tot = Sums(2, device)  # loss x tokens, tokens
    with torch.no_grad():
        for b in range(n_batches):
            chunk = [blocks[i] for i in mine[b * micro:(b + 1) * micro]]
            weight = 1.0 if chunk else 0.0
            chunk = chunk or [blocks[0]]
            batch, _ = collate(chunk, plan.pad_id)
            n = float((batch["labels"][:, 1:] != IGNORE).sum()) * weight
            loss = _forward(engine, batch, plan.packing, device).loss.detach().double()
            if n > 0:  # a batch with no scored token has a NaN mean loss
                tot.add(loss * n, n)
    loss_sum, n_tokens = tot.all_reduce()
    engine.train()
    return loss_sum / n_tokens if n_tokens > 0 else float("nan")


@dataclass
class Session:
    """One worker's training state between the recipe's steps."""
    plan: WorkerPlan
    engine: Any  # DeepSpeed's engine and scheduler: the type checker skips those libraries
    scheduler: Any
    rank: int
    world: int
    device: Any
    train_data: ShardSet
    eval_data: Optional[ShardSet]
    writer: _Writer
    n_params: int
    peak: float
    start_step: int
    tokens_done: int = 0
    steps_run: int = 0
    """Steps this session ran (after the resume point)."""
    tokens_before: Optional[int] = 0
    """Tokens of the steps before a resume (the checkpoint's count; None from a checkpoint that
    has none: export then scales this session's mean tokens per step)."""
    last_loss: float = float("nan")
    last_eval: float = float("nan")
    hf_ds_config: Any = None
    """ZeRO-3's HfDeepSpeedConfig: transformers holds it weakly, so the session keeps it alive."""

    @property
    def global_batch(self) -> int:
        return self.plan.micro_batch * self.plan.grad_accum * self.world


class Sums:
    """Per-rank sums that one all_reduce adds up across ranks. Kept on the rank's device: NCCL
    reduces only CUDA tensors, and adding device scalars here avoids a host sync per micro-batch."""

    def __init__(self, n: int, device):
        import torch

        self.values = torch.zeros(n, dtype=torch.float64, device=device)

    def add(self, *terms) -> None:
        for i, term in enumerate(terms):
            self.values[i] += term

    def all_reduce(self) -> List[float]:
        import torch.distributed as dist

        dist.all_reduce(self.values)
        return [float(v) for v in self.values.tolist()]


def _engine(plan: WorkerPlan, world: int, device):
    import deepspeed
    import torch

    model, keep = _load_model(plan, plan.ds_config)
    params = [p for p in model.parameters() if p.requires_grad]
    # torch's AdamW: DeepSpeed's fused/CPU Adam would compile C++/CUDA ops at start. torch's
    # own fused kernel (CPU and CUDA) steps 135M params ~6x faster than the per-tensor loop.
    optimizer = torch.optim.AdamW(params, lr=plan.lr, weight_decay=plan.weight_decay, betas=(0.9, 0.95), fused=True)
    scheduler = lr_scheduler(optimizer, plan.total_steps, plan.warmup_steps, plan.schedule, plan.min_lr_ratio)
    # DeepSpeed would put the engine on cuda:LOCAL_RANK; under Ray the assigned GPU can differ.
    args = SimpleNamespace(device_rank=device.index) if device.type == "cuda" else None
    engine, _, _, scheduler = deepspeed.initialize(args=args, model=model, optimizer=optimizer,
                                                   lr_scheduler=scheduler, config=plan.ds_config)
    if world == 1 and plan.zero_stage == 0:
        # One worker has nothing to reduce; DeepSpeed would still flatten, all-reduce and copy
        # back every gradient (~4% of a CPU step on the embedded model).
        engine.enable_backward_allreduce = False
    return engine, scheduler, keep


def setup(plan: WorkerPlan, device=None) -> Session:
    """Device, process group, engine (resumed when there is a checkpoint), data, metrics.
    `device`: the one the launcher assigned (Ray Train's), else picked from LOCAL_RANK."""
    import torch
    import torch.distributed as dist

    device = worker_device(plan.use_gpu, device)
    bind_device(device)
    _init_distributed(plan.use_gpu)
    rank, world = dist.get_rank(), dist.get_world_size()
    if device.type == "cpu":
        split_cores(world)
    torch.manual_seed(plan.seed)
    engine, scheduler, keep = _engine(plan, world, device)
    start_step = 0
    tokens_before: Optional[int] = 0
    resume = resume_point(plan)
    if resume is not None:
        if not is_complete(resume):
            raise RuntimeError(f"{resume}: not a complete checkpoint")
        engine.load_checkpoint(str(resume), tag="ds")
        state = read_state(resume)
        if state is None:
            raise RuntimeError(f"{resume}: no readable trainer_state.json")
        start_step, tokens_before = int(state["step"]), state.get("tokens")
    eval_data = ShardSet(Path(plan.eval_data)) if plan.eval_data else None
    return Session(plan, engine, scheduler, rank, world, device, ShardSet(Path(plan.train_data)), eval_data,
                   _Writer(Path(plan.out) / "metrics.jsonl", rank, start_step, plan), _n_params(engine.module),
                   peak_flops(plan) if plan.use_gpu else 0.0, start_step, tokens_before=tokens_before, hf_ds_config=keep)


def train_step(s: Session, step: int) -> dict:
    """One optimizer step (all its accumulation micro-batches); returns its metrics row."""
    import torch

    plan = s.plan
    t0, c0 = time.time(), time.process_time()
    # Seeded per step so dropout (LoRA) replays identically after a resume.
    torch.manual_seed(plan.seed * 1000003 + step * 101 + s.rank)
    idx = batch_indices(len(s.train_data), s.global_batch, step, plan.seed)
    lr = s.scheduler.get_last_lr()[0]
    acc = Sums(3, s.device)  # loss sum, micro count, real tokens
    for chunk in _micro_batches(s.train_data, idx, s.rank, s.world, plan.micro_batch, plan.grad_accum):
        batch, real = collate(chunk, plan.pad_id)
        loss = _loss(s.engine, batch, plan, s.device)
        s.engine.backward(loss)
        s.engine.step()
        acc.add(loss.detach().double(), 1.0, float(real))
    loss_sum, n_micro, real_tokens = acc.all_reduce()
    dt, cpu = time.time() - t0, time.process_time() - c0
    grad_norm = s.engine.get_global_grad_norm()
    s.last_loss, tokens = loss_sum / n_micro, int(real_tokens)
    s.tokens_done += tokens
    s.steps_run += 1
    done = step + 1
    row = {"step": done, "loss": s.last_loss, "lr": lr,
           "grad_norm": float(grad_norm) if grad_norm is not None else float("nan"), "tokens": tokens,
           "tokens_per_s": tokens / dt if dt > 0 else 0.0, "step_s": dt,
           "cpu_s": cpu,  # rank 0's CPU time: comparable across runs on a shared machine
           "epoch": done * s.global_batch / len(s.train_data)}
    if s.peak:
        row["mfu"] = training_flops(s.n_params, tokens) / dt / (s.peak * s.world)
    if done % plan.log_every == 0 or done == plan.total_steps:
        s.writer.write(row)
    return row


def maybe_eval(s: Session, done: int) -> None:
    every = s.plan.eval_every
    if s.eval_data is not None and ((every and done % every == 0) or done == s.plan.total_steps):
        s.last_eval = _evaluate(s.engine, s.eval_data, s.plan, s.rank, s.world, s.device)
        s.writer.write({"step": done, "eval_loss": s.last_eval})


def maybe_checkpoint(s: Session, done: int, report: Optional[Reporter]) -> None:
    every = s.plan.checkpoint_every
    if (every and done % every == 0) or done == s.plan.total_steps:
        d = save_checkpoint(s.engine, s.plan, done, s.rank, s.world, {"loss": s.last_loss, "tokens": all_tokens(s)})
        if report is not None:
            report({"step": done, "loss": s.last_loss, "checkpoint": str(d), "rank": s.rank,
                    "shard": f"zero_pp_rank_{s.rank}"})


def all_tokens(s: Session) -> int:
    """Tokens of every step so far, those before a resume included (train_flops counts these)."""
    before = s.tokens_before
    if before is None:  # a checkpoint from before the count was kept: this session's mean per step
        before = round(s.tokens_done * s.start_step / s.steps_run) if s.steps_run else 0
    return int(before) + int(s.tokens_done)


def export(s: Session, wall: float) -> Optional[WorkerSummary]:
    """The consolidated model (when asked) and, on rank 0, the worker summary."""
    import torch.distributed as dist

    plan = s.plan
    exported = export_model(s.engine, plan, s.rank) if plan.export else None
    dist.barrier()
    if s.rank != 0:
        return None
    summary = WorkerSummary(
        steps=plan.total_steps, resumed_from=s.start_step, tokens=all_tokens(s), wall_s=wall,
        train_flops=training_flops(s.n_params, all_tokens(s)), n_params=int(s.n_params), world_size=s.world,
        final_loss=s.last_loss, final_eval_loss=s.last_eval,
        tokens_per_s=s.tokens_done / wall if wall > 0 else 0.0, model=str(exported) if exported else None,
        metrics_run=s.writer.live.run_id if s.writer.live is not None and s.writer.live.ok else "",
        **device_record(s.device, s.world))
    write_artifact(Path(plan.out) / ".worker_summary.json", summary, indent=1)
    return summary


def run_worker(plan: WorkerPlan, report: Optional[Reporter] = None, device=None) -> Optional[WorkerSummary]:
    """Train per the plan on this process's rank (on `device` when the launcher assigned one).
    Returns the summary on rank 0."""
    s = setup(plan, device)
    progress = None
    if s.rank == 0:
        from tqdm import tqdm

        progress = tqdm(total=plan.total_steps, initial=s.start_step, desc="train", unit="step", dynamic_ncols=True)
    t_start = time.time()
    s.engine.train()
    for step in range(s.start_step, plan.total_steps):
        row = train_step(s, step)
        if progress is not None:
            progress.update(1)
            progress.set_postfix({"loss": f"{s.last_loss:.4f}", "tokens/s": f"{row['tokens_per_s']:.0f}"})
        maybe_eval(s, step + 1)
        maybe_checkpoint(s, step + 1, report)
    if progress is not None:
        progress.close()
    return export(s, time.time() - t_start)
