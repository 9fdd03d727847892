"""`make gpu-check`: does augft work on this machine's GPUs? One command, no network, no Ray.

    python benchmarks/gpu_check.py [--device auto|cuda|cpu] [--size full|tiny] [--nproc N] [--out FILE]

1. Train: a ~0.45B Llama built from a config (random init, a word-level tokenizer, a synthetic
   corpus; nothing downloaded) with augft's own path: `train.api.prepare` writes the plan and
   token shards, then torchrun starts `augft.train.launch` (the `train.launcher=torchrun` entry)
   on N processes (one per GPU, at most 2) with DeepSpeed ZeRO-3, bf16 and NCCL.
2. Export: the exported model, reloaded, gives the same logits as the model rebuilt from the
   last ZeRO-3 checkpoint's master weights.
3. Score: eval's scorer on the device, base (packed) against plain forwards, and ICL with the
   shared context's KV cache reused against recomputed per question: same predictions.
4. Generate: the hf engine, greedy, at batch 1, 8 and 64.

Writes benchmarks/results/gpu_check.json (tokens/s, MFU against the GPU's dense bf16 peak, peak
memory) and exits 1 when a check failed. `--device cpu --size tiny` is the same code on the CPU
with gloo (tests/benchmarks/test_gpu_check.py runs it in `make test`).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gpu_check_lib as lib  # noqa: E402


def _args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    ap.add_argument("--size", choices=sorted(lib.SIZES), default=None, help="default: full on CUDA, tiny on CPU")
    ap.add_argument("--nproc", type=int, default=0, help="training processes (default: GPUs, at most 2; CPU: 2)")
    ap.add_argument("--steps", type=int, default=0, help="training steps (default: the size's)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu_check.json"))
    ap.add_argument("--workdir", default="", help="keep the model, data and run here (default: a temp folder)")
    return ap.parse_args(argv)


def _device(want: str) -> str:
    import torch

    if want == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if want == "cuda":
        raise SystemExit("gpu-check: --device cuda but torch sees no CUDA GPU")
    return "cpu"


def _config(work: Path, size: lib.Size, dev: str, nproc: int, steps: int):
    from augft.core.config import load_config

    precision = "bf16" if dev == "cuda" else "fp32"  # DeepSpeed's bf16 on CPU/gloo is not the point here
    return load_config(None, [
        f"model.name={work / 'model'}", f"model.cache_dir={work / 'cache'}", "train.launcher=torchrun",
        f"train.use_gpu={str(dev == 'cuda').lower()}", f"train.num_workers={nproc}", "train.zero_stage=3",
        f"train.precision={precision}", f"train.max_steps={steps}", f"train.batch_size={size.micro * nproc}",
        f"train.micro_batch_size={size.micro}", f"train.block_size={size.block}", "train.split=none",
        "train.eval_fraction=0.02", "train.export=true", "train.keep_checkpoints=1", "train.log_every=1",
        f"train.data_workers={1 if dev == 'cpu' else 0}", "train.lr=1e-4"])


def _torchrun(plan: Path, nproc: int, memdir: Path) -> None:
    """augft.train.launch under torchrun, as `train.launcher=torchrun` starts it, through a
    wrapper that also records each rank's peak GPU memory (the loop does not)."""
    from augft.core.io import free_port

    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", "--nnodes=1",
           "--master_addr=127.0.0.1", f"--master_port={free_port()}", str(Path(__file__).resolve()),
           "worker", str(plan), str(memdir)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "benchmarks"),
                                                                     os.environ.get("PYTHONPATH", "")])))
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    rc = subprocess.call(cmd, env=env)
    if rc != 0:
        raise SystemExit(f"gpu-check: training under torchrun failed (exit {rc}); see the log above")


def worker(plan: str, memdir: str) -> int:
    import torch

    from augft.train.launch import main as launch

    if torch.cuda.is_available():  # this rank's GPU first, or the reset opens a context on GPU 0
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.reset_peak_memory_stats()
    rc = launch([plan])
    rank = int(os.environ.get("RANK", "0"))
    peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0
    (Path(memdir) / f"rank{rank}.json").write_text(json.dumps({"rank": rank, "peak_bytes": peak}))
    return rc


def _train_metrics(out: Path, memdir: Path, n_params: int, world: int, dev: str) -> dict:
    from augft.core.artifacts import WorkerSummary, read_typed
    from augft.core.gpus import peak_for_device

    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    steps = [r for r in rows if "tokens_per_s" in r]
    timed = steps[2:] or steps  # the first steps include kernel selection and allocator growth
    tps = statistics.median(r["tokens_per_s"] for r in timed)
    summary = read_typed(out / ".worker_summary.json", WorkerSummary, "worker summary")
    name = device_name(dev)
    peak = peak_for_device(name) if dev == "cuda" else 0.0
    mem = [json.loads(p.read_text())["peak_bytes"] for p in sorted(memdir.glob("rank*.json"))]
    return {"steps": len(steps), "tokens_per_s": tps, "tokens_per_s_per_device": tps / world,
            "mfu": 6 * n_params * tps / (peak * world) if peak else None, "peak_bf16_flops_per_gpu": peak or None,
            "peak_memory_gib": max(mem) / 2**30 if mem else None, "final_loss": summary.final_loss,
            "final_eval_loss": summary.final_eval_loss, "loss_first": steps[0]["loss"] if steps else None,
            "ok": len(steps) > 0 and summary.final_loss == summary.final_loss and (out / "model").is_dir()}


def device_name(dev: str) -> str:
    import platform

    import torch

    return torch.cuda.get_device_name() if dev == "cuda" else f"cpu ({platform.processor() or platform.machine()})"


def _train(work: Path, size: lib.Size, dev: str, nproc: int, steps: int, n_params: int) -> dict:
    from augft.core.config.settings import TrainSettings
    from augft.train.api import prepare
    from augft.train.request import TrainRequest

    cfg = _config(work, size, dev, nproc, steps)
    out = work / "run"
    prepare(TrainSettings.of(cfg), TrainRequest.from_config(cfg, work / "data", out))
    memdir = work / "mem"
    memdir.mkdir(exist_ok=True)
    t = time.perf_counter()
    _torchrun(out / "plan.json", nproc, memdir)
    res = _train_metrics(out, memdir, n_params, nproc, dev)
    res.update(wall_s=time.perf_counter() - t, zero_stage=3, precision="bf16" if dev == "cuda" else "fp32",
               block_size=size.block, micro_batch=size.micro, global_batch=size.micro * nproc)
    return res


def _imported_distributions() -> list:
    import importlib.metadata as md

    names = md.packages_distributions()
    return sorted({d for m in list(sys.modules) for d in names.get(m.split(".")[0], [])})


def _inference(work: Path, size: lib.Size, dev: str) -> dict:
    import torch

    from augft.core.models import load_model

    if dev == "cuda":
        torch.cuda.reset_peak_memory_stats()
    lm = load_model(str(work / "run" / "model"), str(work / "cache"), device=dev, dtype="auto")
    res = {"scoring": lib.scoring_check(lm, size), "generation": lib.generation_check(lm, size)}
    res["inference_peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30 if dev == "cuda" else None
    return res


def run(a, work: Path) -> dict:
    import torch

    dev = _device(a.device)
    size = lib.SIZES[a.size or ("full" if dev == "cuda" else "tiny")]
    nproc = a.nproc or (min(2, torch.cuda.device_count()) if dev == "cuda" else 2)
    t0 = time.perf_counter()
    n_params = lib.build_model(work / "model", size, "bfloat16" if dev == "cuda" else "float32")
    lib.write_corpus(work / "data", size)
    res = {"device": device_name(dev), "gpus_visible": torch.cuda.device_count(), "nproc": nproc,
           "backend": "nccl" if dev == "cuda" else "gloo", "size": a.size or ("full" if dev == "cuda" else "tiny"),
           "model": {"params": n_params, "vocab": size.vocab, **size.dims}}
    res["train"] = _train(work, size, dev, nproc, a.steps or size.steps, n_params)
    ckpt = max((work / "run" / "checkpoints").iterdir())
    res["export"] = lib.export_matches_checkpoint(work / "run" / "model", ckpt, dev, min(256, size.block))
    res.update(_inference(work, size, dev))
    res["checks"] = {"train": res["train"]["ok"], "export_logits_equal": res["export"]["ok"],
                     "base_scoring": res["scoring"]["base"]["ok"], "icl_kv_reuse": res["scoring"]["icl"]["ok"],
                     "generation": all(g["ok"] for g in res["generation"])}
    res["ok"] = all(res["checks"].values())
    res["versions"] = {m: __import__(m).__version__ for m in ("torch", "transformers", "deepspeed")}
    res["python"] = sys.version.split()[0]
    res["imported_distributions"] = _imported_distributions()
    res["wall_s"] = time.perf_counter() - t0
    return res


def _print(res: dict, out: Path) -> None:
    t = res["train"]
    mfu = f"{t['mfu']:.1%}" if t["mfu"] else "-"
    print(f"gpu-check on {res['device']} x{res['nproc']} ({res['backend']}): train {t['tokens_per_s']:.0f} tok/s, "
          f"MFU {mfu}, peak memory {t['peak_memory_gib'] or 0:.1f} GiB; "
          + ", ".join(f"batch {g['batch']}: {g['tokens_per_s']:.0f} tok/s" for g in res["generation"]))
    for name, ok in res["checks"].items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    print(f"wrote {out} ({res['wall_s']:.0f} s)")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        return worker(*argv[1:3])
    a = _args(argv)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work = Path(a.workdir) if a.workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        res = run(a, work)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    _print(res, out)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
