"""Scoring throughput: augft's scorer vs lm-evaluation-harness's HF backend (`HFLM.loglikelihood`).

Same model object, same (prompt, choice) pairs, same batch size, one process; lm-eval's run is
the baseline. Also checks the two agree (max |diff| of the log-likelihoods).

    .venv/bin/python benchmarks/eval_throughput.py [--questions 120] [--batch-size 16]

Writes benchmarks/results/eval_throughput.json and prints it.
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
from augft.eval.encoding import Encoder
from augft.eval.scoring import Scorer

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--benchmark", default="people")
    ap.add_argument("--questions", type=int, default=120)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2, help="timed runs of each (the best is kept)")
    args = ap.parse_args()

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    cfg = load_config()
    questions = build(args.benchmark, cfg).questions
    step = max(1, len(questions) // args.questions)
    questions = questions[::step][:args.questions]

    m = load_model(args.model, device="cpu")
    enc = Encoder(m.tokenizer)
    encoded = [enc.question(q.prompt, q.choices, has_context=False) for q in questions]
    scorer = Scorer(m.model, m.tokenizer.pad_token_id)
    lm = HFLM(pretrained=m.model, tokenizer=m.tokenizer, batch_size=args.batch_size)
    requests = [Instance("loglikelihood", {}, (q.prompt, enc.continuation(q.prompt, c)), i)
                for i, (q, c) in enumerate((q, c) for q in questions for c in q.choices)]

    ours_s, ref_s = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours = scorer.score(encoded, args.batch_size)
        ours_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = lm.loglikelihood(requests, disable_tqdm=True)
        ref_s.append(time.perf_counter() - t0)
        print(f"augft {ours_s[-1]:.2f} s, lm-eval {ref_s[-1]:.2f} s")

    flat = [s.logprob for q in ours for s in q]
    diff = max(abs(a - b) for a, (b, _) in zip(flat, ref))
    n = len(requests)
    result = {
        "name": "eval_throughput",
        "model": args.model, "benchmark": args.benchmark, "questions": len(questions), "requests": n,
        "batch_size": args.batch_size, "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} cpu",
        "augft_s": round(min(ours_s), 3), "lm_eval_s": round(min(ref_s), 3),
        "augft_requests_per_s": round(n / min(ours_s), 2), "lm_eval_requests_per_s": round(n / min(ref_s), 2),
        "speedup": round(min(ref_s) / min(ours_s), 2),
        "max_abs_logprob_diff": diff,
        "target": "speedup >= 1 (throughput at least lm-eval's) with |diff| < 1e-3",
    }
    result["passed"] = bool(result["speedup"] >= 1 and diff < 1e-3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
