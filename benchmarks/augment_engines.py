"""vLLM vs hf on local augmentation of the demo's `people` set (quickstart settings): the same
prompts, candidates and token budget through `augment()` in the plain loop, as `make demo` runs.
Prints wall time (start-up included), generation time and generation tokens/s of each, their
ratios, and the prompt count above which vLLM's start-up pays (the engine=auto threshold);
writes benchmarks/results/augment_engines.json. Run it alone: 2 cores.

    .venv/bin/python benchmarks/augment_engines.py [--documents 80]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from augft.augment.api import augment
from augft.core.config import load_config
from augft.eval.datasets.api import build, write

RESULTS = Path(__file__).resolve().parent / "results"
QUICKSTART = Path(__file__).resolve().parents[1] / "configs" / "quickstart.yaml"


def _run(engine: str, data: Path, out: Path, docs: int) -> dict:
    cfg = load_config(str(QUICKSTART), [f"augment.engine={engine}", f"augment.limit={docs}"])
    t = time.perf_counter()
    m = augment(cfg, data, out)
    wall = time.perf_counter() - t
    s = m.strategies["local"]
    gen = float(s.gen_s)
    return {"wall_s": round(wall, 2), "gen_s": round(gen, 2), "prompts": s.prompts,
            "completion_tokens": s.completion_tokens, "kept": s.ok,
            "gen_tokens_per_s": round(s.completion_tokens / gen, 2), "overhead_s": round(wall - gen, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=80)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write(build("people", load_config(str(QUICKSTART), [])), data)
        res = {e: _run(e, data, Path(tmp) / e, args.documents) for e in ("hf", "vllm")}
    hf, vl = res["hf"], res["vllm"]
    per_hf, per_vl = hf["gen_s"] / hf["prompts"], vl["gen_s"] / vl["prompts"]
    start = vl["overhead_s"] - hf["overhead_s"]  # vLLM's extra start-up over hf's load
    res["ratios"] = {"gen_tokens_per_s": round(vl["gen_tokens_per_s"] / hf["gen_tokens_per_s"], 2),
                     "wall": round(hf["wall_s"] / vl["wall_s"], 2)}
    res["break_even_prompts"] = round(start / (per_hf - per_vl)) if per_hf > per_vl else None
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "augment_engines.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
