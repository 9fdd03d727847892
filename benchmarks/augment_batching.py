"""Batched hf generation vs one prompt at a time (tokens/s), embedded model.

The same local prompts (zero-shot template, no shared prefix), greedy, a fixed number of new
tokens (no stop strings) so both runs generate the same token count. Prints and writes
benchmarks/results/augment_batching.json.

    .venv/bin/python benchmarks/augment_batching.py [--prompts 16] [--batch-size 8]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from augft.augment.engines.base import GenRequest, Sampling
from augft.augment.engines.hf import HFEngine
from augft.augment.prompts import render, resolve_templates
from augft.core.config import load_config
from augft.core.models import load_model
from augft.eval.datasets.api import build

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    args = ap.parse_args()
    docs = build("people", load_config(None, [])).documents[: args.prompts]
    tpl = resolve_templates("zeroshot-v1", {})["local"]
    reqs = [GenRequest(id=d.id, prompt="".join(render(tpl, text=d.text)), seed=i) for i, d in enumerate(docs)]
    cfg = load_config(None, [f"model.name={args.model}"])
    lm = load_model(args.model)
    # min_new_tokens pins the length: both runs generate exactly the same number of tokens.
    lm.model.generation_config.min_new_tokens = args.max_new_tokens
    s = Sampling(temperature=0.0, max_new_tokens=args.max_new_tokens, n=1)
    res = {}
    for label, bs in (("batch_1", 1), (f"batch_{args.batch_size}", args.batch_size)):
        eng = HFEngine(cfg.model, batch_size=bs, loaded=lm)
        eng.generate(reqs[:1], Sampling(temperature=0.0, max_new_tokens=2, n=1))  # warm-up
        t = time.perf_counter()
        outs = eng.generate(reqs, s)
        dt = time.perf_counter() - t
        toks = sum(r.completion_tokens for r in outs)
        res[label] = {"s": round(dt, 2), "tokens": toks, "tokens_per_s": round(toks / dt, 2)}
    b1, bn = res["batch_1"], res[f"batch_{args.batch_size}"]
    out = {"model": args.model, "prompts": len(reqs), "max_new_tokens": args.max_new_tokens, **res,
           "speedup_tokens_per_s": round(bn["tokens_per_s"] / b1["tokens_per_s"], 2)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "augment_batching.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
