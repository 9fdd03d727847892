"""GPU only: tokens/s and MFU of ZeRO-2 against ZeRO-3 on a ~0.5B Llama built from a config.

Same model, data, batch and GPUs in one run; the ratio is ZeRO-3 / ZeRO-2 tokens/s.
Runs through torchrun (one worker per visible GPU, bf16, NCCL), the path a GPU machine
without Ray uses. Skips with a message when there is no CUDA GPU.

    python benchmarks/train_gpu_zero.py [--steps 20] [--block 1024] [--micro 8]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_model(dst: Path) -> int:
    from augft.core.models import build_random_llama

    return build_random_llama(dst, hidden_size=1536, intermediate_size=4096, num_hidden_layers=16,
                              num_attention_heads=12, num_key_value_heads=4, max_position_embeddings=4096)


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--block", type=int, default=1024)
    ap.add_argument("--micro", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_gpu_zero.json"))
    a = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA GPU: nothing measured")
        return 0
    from augft.core.config import load_config
    from augft.eval.datasets.api import generate
    from augft.train.api import train

    n_gpu = torch.cuda.device_count()
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n_params = build_model(tmp / "model")
        generate("semantic", load_config(None, []), tmp / "data")
        for stage in (2, 3):
            cfg = load_config(None, [
                f"model.name={tmp / 'model'}", "train.launcher=torchrun", "train.use_gpu=true",
                f"train.num_workers={n_gpu}", f"train.zero_stage={stage}", f"train.max_steps={a.steps}",
                f"train.batch_size={a.micro * n_gpu}", f"train.micro_batch_size={a.micro}",
                f"train.block_size={a.block}", "train.eval_fraction=0", "train.export=false",
                "train.split=none"])
            out = tmp / f"zero{stage}"
            train(cfg, tmp / "data", out)
            rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
            rows = [r for r in rows if "loss" in r][2:]  # warmup steps
            res[f"zero{stage}"] = {"tokens_per_s": sum(r["tokens"] for r in rows) / sum(r["step_s"] for r in rows),
                                   "mfu": statistics.median(r["mfu"] for r in rows),
                                   "step_s": statistics.median(r["step_s"] for r in rows)}
            print(stage, res[f"zero{stage}"], flush=True)
    out = {"device": torch.cuda.get_device_name(), "n_gpu": n_gpu, "n_params": n_params, "block": a.block,
           "micro": a.micro, "runs": res,
           "ratio_zero3_vs_zero2": res["zero3"]["tokens_per_s"] / res["zero2"]["tokens_per_s"]}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
