"""Training tokens/s: augft's DeepSpeed loop against Hugging Face `Trainer`, same run.

Same model, same data (the `reversal` benchmark corpus), same batch (8 sequences),
same thread count, one process each. Three timed runs:
  ours_packed    augft train (DeepSpeed ZeRO-0, torchrun, 1 worker), packed blocks
  hf_same_blocks HF Trainer on the very same packed blocks (isolates loop/engine cost)
  hf_padded      HF Trainer on the unpacked examples with dynamic padding (the usual recipe)
Tokens/s counts real (non-padding) tokens, from steady-state steps (the first is warmup);
tokens per CPU-second (the training process's CPU time) is reported too, since on a shared
machine wall time also measures whatever else runs.
Also reports the padding waste with and without packing.

    .venv/bin/python benchmarks/train_throughput.py [--model NAME] [--steps N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the in-memory reference builder

from augft.core.config import load_config  # noqa: E402


def _ours(cfg_over, data: Path, out: Path, steps: int) -> dict:
    from augft.train.api import train

    cfg = load_config(None, cfg_over + [f"train.max_steps={steps + 1}"])
    summary = train(cfg, data, out)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    rows = [r for r in rows if "loss" in r][1:]  # drop the warmup step
    tok = sum(r["tokens"] for r in rows)
    sec = sum(r["step_s"] for r in rows)
    return {"tokens_per_s": tok / sec, "tokens_per_cpu_s": tok / sum(r["cpu_s"] for r in rows),
            "steps": len(rows), "step_s": statistics.median(r["step_s"] for r in rows),
            "tokens_per_step": tok / len(rows), "final_loss": summary.final_loss}


class _Timer:
    def __init__(self):
        self.times, self.cpu, self._t, self._c = [], [], 0.0, 0.0

    def callback(self):
        from transformers import TrainerCallback

        timer = self

        class CB(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                timer._t, timer._c = time.perf_counter(), time.process_time()

            def on_step_end(self, args, state, control, **kw):
                timer.times.append(time.perf_counter() - timer._t)
                timer.cpu.append(time.process_time() - timer._c)

        return CB()


def _hf(model_name: str, blocks, steps: int, batch: int, lr: float, packed: bool, out: Path) -> dict:
    import torch
    from transformers import Trainer, TrainingArguments

    from augft.core.models import load_model
    from augft.train.data import collate

    lm = load_model(model_name, device="cpu", dtype="float32")
    model = lm.model.train()
    pad = lm.tokenizer.pad_token_id
    real_per_step = []

    class DS(torch.utils.data.Dataset):
        def __len__(self):
            return len(blocks)

        def __getitem__(self, i):
            return blocks[i]

    def coll(chunk):
        b, real = collate(chunk, pad)
        real_per_step.append(real)
        if packed:  # transformers reads example boundaries from position_ids, no mask
            return {"input_ids": b["input_ids"], "labels": b["labels"], "position_ids": b["position_ids"]}
        return {"input_ids": b["input_ids"], "labels": b["labels"], "attention_mask": b["attention_mask"]}

    timer = _Timer()
    args = TrainingArguments(output_dir=str(out), per_device_train_batch_size=batch, max_steps=steps + 1,
                             learning_rate=lr, lr_scheduler_type="cosine", warmup_steps=0, max_grad_norm=1.0,
                             optim="adamw_torch", use_cpu=True, report_to=[], save_strategy="no",
                             logging_strategy="no", dataloader_num_workers=0, seed=0,
                             remove_unused_columns=False)
    model.config.use_cache = False
    trainer = Trainer(model=model, args=args, train_dataset=DS(), data_collator=coll,
                      callbacks=[timer.callback()])
    trainer.train()
    times = timer.times[1:]
    toks = real_per_step[1:len(timer.times)]
    return {"tokens_per_s": sum(toks) / sum(times), "tokens_per_cpu_s": sum(toks) / sum(timer.cpu[1:]),
            "steps": len(times), "step_s": statistics.median(times),
            "tokens_per_step": sum(toks) / len(toks)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--steps", type=int, default=4, help="timed steps per run (plus one warmup)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--block", type=int, default=128)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train_throughput.json"))
    a = ap.parse_args(argv)

    from augft.core.models import load_tokenizer
    from augft.eval.datasets.api import generate
    from reference_builder import build_trainset

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        generate("reversal", load_config(None, []), data)
        over = [f"model.name={a.model}", "train.launcher=torchrun", "train.num_workers=1", "train.zero_stage=0",
                f"train.batch_size={a.batch}", f"train.block_size={a.block}", "train.eval_fraction=0",
                "train.export=false", "train.lr=5e-5"]
        cfg = load_config(None, over)
        tok = load_tokenizer(a.model)
        packed = build_trainset(data, cfg.train, tok, 0, a.batch)
        unpacked = build_trainset(data, load_config(None, over + ["train.packing=false"]).train, tok, 0, a.batch)
        res = {"ours_packed": _ours(over, data, tmp / "ours", a.steps)}
        print("ours_packed", res["ours_packed"], flush=True)
        # Same shuffled order as our loop's first steps is not needed: every block has the same length.
        res["hf_same_blocks"] = _hf(a.model, packed.train, a.steps, a.batch, 5e-5, True, tmp / "hf1")
        print("hf_same_blocks", res["hf_same_blocks"], flush=True)
        res["hf_padded"] = _hf(a.model, unpacked.train, a.steps, a.batch, 5e-5, False, tmp / "hf2")
        print("hf_padded", res["hf_padded"], flush=True)
    out = {
        "model": a.model, "batch": a.batch, "block": a.block, "timed_steps": a.steps, "runs": res,
        "ratio_vs_hf_same_blocks": res["ours_packed"]["tokens_per_s"] / res["hf_same_blocks"]["tokens_per_s"],
        "ratio_vs_hf_padded": res["ours_packed"]["tokens_per_s"] / res["hf_padded"]["tokens_per_s"],
        # CPU-time ratios: the machine is shared, so wall time also measures the neighbours.
        "cpu_ratio_vs_hf_same_blocks": (res["ours_packed"]["tokens_per_cpu_s"]
                                        / res["hf_same_blocks"]["tokens_per_cpu_s"]),
        "cpu_ratio_vs_hf_padded": res["ours_packed"]["tokens_per_cpu_s"] / res["hf_padded"]["tokens_per_cpu_s"],
        "padding_waste_packed": packed.stats.padding_waste,
        "padding_waste_unpacked": unpacked.stats.padding_waste,
        "note": "one process each on this machine's CPU; tokens are non-padding tokens",
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "runs"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
