"""Global augmentation: shared-window KV cache vs recomputing the window for every focal document.

Embedded model, one window of 20 documents, every document of the window as the focal
document (20 prompts), greedy, same batches. `--engine hf`: the only difference is
HFEngine.share_prefix; `--engine vllm`: two vLLM engines (bf16, eager, one after the other),
prefix caching on vs off, each timed after a warm-up on other text, start-up excluded.
Checks the generations are identical. Prints and writes
benchmarks/results/augment_kv_cache[_vllm].json.

    .venv/bin/python benchmarks/augment_kv_cache.py [--engine hf|vllm] [--docs 20] [--max-new-tokens 16]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from augft.augment.engines.base import Sampling
from augft.augment.engines.hf import HFEngine
from augft.augment.prompts import STOP, resolve_templates, template_hash
from augft.augment.units import render_requests
from augft.augment.windows import Row, UnitPlan, window_unit
from augft.core.config import load_config
from augft.core.models import load_model
from augft.eval.datasets.api import build

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--engine", choices=["hf", "vllm"], default="hf")
    args = ap.parse_args()
    docs = build("people", load_config(None, [])).documents[: args.docs]
    cfg = load_config(None, [f"model.name={args.model}"])
    lm = load_model(args.model)
    count = lambda t: len(lm.tokenizer(t, add_special_tokens=False)["input_ids"])
    templates = resolve_templates("fewshot-v1", {})
    s = Sampling(temperature=0.0, max_new_tokens=args.max_new_tokens, n=1, stop=list(STOP))
    # One global window holding every document, as the planner builds it; prompts rendered
    # from the unit as the engine's worker renders them.
    rows = [Row(d.id, d.text, i, count(d.text), "") for i, d in enumerate(docs)]
    unit = window_unit(0, 0, rows, UnitPlan(sampling=s, prompt_hash=template_hash(templates["global"]), seed=0))
    reqs = render_requests(unit, templates)
    assert len({r.prefix for r in reqs}) == 1, "expected one window"
    run = _run_vllm if args.engine == "vllm" else _run_hf
    timings, outs = run(args, cfg, lm, reqs, s)
    same = sum(a.texts == b.texts for a, b in zip(outs["cached"], outs["recompute"]))
    out = {"model": args.model, "engine": args.engine, "window_docs": len(docs), "window_tokens": count(reqs[0].prefix),
           "focal_prompts": len(reqs), "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens,
           "cached_s": round(timings["cached"], 2), "recompute_s": round(timings["recompute"], 2),
           "speedup": round(timings["recompute"] / timings["cached"], 2),
           "identical_generations": f"{same}/{len(reqs)}",
           "completion_tokens": sum(r.completion_tokens for r in outs["cached"])}
    RESULTS.mkdir(exist_ok=True)
    name = "augment_kv_cache.json" if args.engine == "hf" else "augment_kv_cache_vllm.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


def _run_hf(args, cfg, lm, reqs, s):
    eng = HFEngine(cfg.model, batch_size=args.batch_size, loaded=lm)
    eng.generate(reqs[:2], Sampling(temperature=0.0, max_new_tokens=2, n=1))  # warm-up
    timings, outs = {}, {}
    for label, share in (("cached", True), ("recompute", False)):
        eng.share_prefix = share
        t = time.perf_counter()
        outs[label] = eng.generate(reqs, s)
        timings[label] = time.perf_counter() - t
    return timings, outs


def _run_vllm(args, cfg, lm, reqs, s):
    from augft.augment.engines.base import GenRequest
    from augft.augment.engines.vllm import VLLMEngine

    timings, outs = {}, {}
    warm = [GenRequest(id="w", prompt="Text: A warm-up sentence that shares nothing.\nFact:")]
    for label, caching in (("cached", True), ("recompute", False)):
        vcfg = load_config(None, [f"model.name={args.model}", "augment.vllm.kv_cache_gb=1",
                                  f"augment.vllm.enable_prefix_caching={str(caching).lower()}"]).augment.vllm
        eng = VLLMEngine(cfg.model, vcfg, 0)
        try:
            eng.generate(warm, Sampling(temperature=0.0, max_new_tokens=2, n=1))
            t = time.perf_counter()
            outs[label] = eng.generate(reqs, s)
            timings[label] = time.perf_counter() - t
        finally:
            eng.close()
    return timings, outs


if __name__ == "__main__":
    main()
