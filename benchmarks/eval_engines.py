"""Scoring engines: `eval.engine=vllm` against the hf scorer (the baseline, same run) on the demo's
questions: the quickstart benchmark, conditions base and icl (the ICL context through vLLM's
prefix cache), retention included, embedded model, each engine alone on the machine.

Reports each engine's wall time for the whole `evaluate()` call (vLLM's start-up included and
also shown apart), the ratio, how many predictions agree and the largest log-likelihood
difference.

    .venv/bin/python benchmarks/eval_engines.py [--work out/eval-engines]

ICL scoring on vLLM sends one request per choice token after the prefix-cached context (vLLM
computes no prompt log-probabilities from its cache); `--block-size N` also times vLLM with
`eval.vllm.block_size=N` (the default is 32; vLLM's own CPU default 128), same data.

Writes benchmarks/results/eval_engines.json and prints it.
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from augft.core.config import load_config
from augft.eval.api import evaluate

RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = "configs/quickstart.yaml"


def _rows(out: Path) -> dict:
    return {(r["condition"], r["id"]): r for r in map(json.loads, (out / "predictions.jsonl").open())}


def _timed_eval(overrides, data: Path, out: Path) -> float:
    t = time.perf_counter()
    evaluate(load_config(CONFIG, ["tracking.enabled=false", "eval.conditions=[base,icl]", *overrides]), data, out)
    return round(time.perf_counter() - t, 2)


def _vllm_startup_s() -> float:
    """One vLLM scoring engine start on the embedded model with eval's settings (no scoring)."""
    from augft.core.models import with_name
    from augft.eval.vllm_scoring import VLLMScorer

    cfg = load_config(CONFIG, ["eval.engine=vllm"])
    t = time.perf_counter()
    scorer = VLLMScorer(with_name(cfg.model, str(cfg.model.name)), cfg.eval.vllm, int(cfg.seed))
    took = time.perf_counter() - t
    scorer.close()
    return round(took, 2)


def run(work: Path, block_size: int = 0) -> dict:
    if work.exists():
        shutil.rmtree(work)
    data = work / "data"
    exe = Path(sys.executable).with_name("augft")
    subprocess.run([str(exe), "benchmark", "--config", CONFIG, "--out", str(data)], check=True)
    hf_s = _timed_eval([], data, work / "hf")
    vllm_s = _timed_eval(["eval.engine=vllm"], data, work / "vllm")
    hf, vl = _rows(work / "hf"), _rows(work / "vllm")
    extra = {}
    if block_size:
        extra[f"vllm_s_block_size_{block_size}"] = _timed_eval(
            ["eval.engine=vllm", f"eval.vllm.block_size={block_size}"], data, work / f"vllm-{block_size}")
    agree = sum(hf[k]["pred"] == vl[k]["pred"] for k in hf)
    diff = max(abs(x - y) for k in hf for x, y in zip(hf[k]["logprob"], vl[k]["logprob"]))
    return {"name": "eval_engines", "model": "smollm2-135m-instruct", "config": CONFIG,
            "conditions": ["base", "icl"], "predictions": len(hf), "same_keys": set(hf) == set(vl),
            "machine": f"{platform.machine()} cpu", "hf_s": hf_s, "vllm_s": vllm_s,
            "speedup_wall": round(hf_s / vllm_s, 2), "predictions_agree": agree,
            "max_abs_logprob_diff": round(diff, 5),
            "vllm_block_size": int(load_config(CONFIG, []).eval.vllm.block_size), **extra,
            "target": "vLLM >= 2x the hf scorer with the same predictions"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="out/eval-engines", help="scratch folder (replaced)")
    ap.add_argument("--block-size", type=int, default=0, help="also time vLLM with this eval.vllm.block_size")
    args = ap.parse_args()
    res = run(Path(args.work), args.block_size)
    res["vllm_startup_s"] = _vllm_startup_s()
    res["speedup_without_startup"] = round(res["hf_s"] / max(1e-9, res["vllm_s"] - res["vllm_startup_s"]), 2)
    res["passed"] = bool(res["speedup_wall"] >= 2 and res["predictions_agree"] == res["predictions"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "eval_engines.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
