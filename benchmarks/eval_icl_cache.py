"""ICL scoring with the shared-context KV cache vs recomputing the context for every question.

Same model, same context, same questions, same scorer code; the only difference is whether the
context's KV cache is computed once (eval.icl_reuse_cache=true, the default) or once per question.
Checks the scores are identical (max |diff| of every choice's log-likelihood, and predictions).

    .venv/bin/python benchmarks/eval_icl_cache.py [--questions 50] [--context-tokens 2048]

Writes benchmarks/results/eval_icl_cache.json and prints it.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from augft.core.config import load_config
from augft.core.models import load_model
from augft.eval.datasets.api import build
from augft.eval.context import build_context
from augft.eval.encoding import Encoder
from augft.eval.scoring import Scorer

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--benchmark", default="people")
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument("--context-tokens", type=int, default=2048)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()

    cfg = load_config()
    g = build(args.benchmark, cfg)
    corpus, questions = g.documents, g.questions
    # A mix of splits, deterministic: every k-th question.
    step = max(1, len(questions) // args.questions)
    questions = questions[::step][:args.questions]

    m = load_model(args.model, device="cpu")
    enc = Encoder(m.tokenizer)
    encoded = [enc.question(q.prompt, q.choices, has_context=True) for q in questions]
    ctx = build_context(corpus, enc, args.context_tokens, "\n", seed=0)
    scorer = Scorer(m.model, m.tokenizer.pad_token_id)

    timings = {}
    scores = {}
    for mode, reuse in (("cached", True), ("recompute", False)):
        t0 = time.perf_counter()
        scores[mode] = scorer.score(encoded, args.batch_size, context_ids=ctx.ids, reuse_cache=reuse,
                                    progress=mode)
        timings[mode] = time.perf_counter() - t0
        print(f"{mode}: {timings[mode]:.1f} s")

    diffs = [abs(a.logprob - b.logprob) for qa, qb in zip(scores["cached"], scores["recompute"])
             for a, b in zip(qa, qb)]

    def preds(s):
        return [max(range(len(q)), key=lambda i: q[i].logprob) for q in s]

    acc = {mode: sum(p == q.answer for p, q in zip(preds(s), questions)) / len(questions)
           for mode, s in scores.items()}
    result = {
        "name": "eval_icl_cache",
        "model": args.model, "benchmark": args.benchmark, "questions": len(questions),
        "choices": sum(len(q.choices) for q in questions),
        "context_tokens": len(ctx.ids), "context_docs": len(ctx.doc_ids),
        "batch_size": args.batch_size, "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} cpu",
        "cached_s": round(timings["cached"], 3), "recompute_s": round(timings["recompute"], 3),
        "speedup": round(timings["recompute"] / timings["cached"], 2),
        "max_abs_logprob_diff": max(diffs),
        "identical_predictions": preds(scores["cached"]) == preds(scores["recompute"]),
        "accuracy": acc,
        "target": "speedup >= 5 with identical scores",
    }
    result["passed"] = bool(result["speedup"] >= 5 and result["identical_predictions"]
                            and result["max_abs_logprob_diff"] < 1e-3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_icl_cache.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
