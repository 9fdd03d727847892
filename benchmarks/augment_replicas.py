"""Keeping a vLLM replica busy: augft's hosted vLLM path against vLLM's own offline `generate`.

The same local-augmentation prompts (the `people` set, quickstart's template and sampling), as
augft renders them (captured through a prompt-recording engine that generates nothing), go:
1. to vLLM's offline `LLM.generate` in batches of 8 prompts up to all of them at once (the
   ceiling): generation tokens/s against prompts in flight, whose knee the CPU default of
   `augment.vllm.prompts_in_flight` follows;
2. through `augft augment` on Ray, one replica, as before this change: one unit a call, one call
   at a time (`prompts_in_flight` = `unit_size`, `calls_in_flight=1`);
3. the same with every unit in one call (`prompts_in_flight` = all the prompts), two calls
   outstanding (batching as auto does on GPUs, 256 prompts a call);
4. the same with the defaults (auto: one unit a call on CPUs, two calls outstanding).
Runs 2 to 4 start their replica first (a warm-up run of 4 documents inside `keep_engines`), so
their time is the augment run's wall time without vLLM's start-up. Prints and writes
benchmarks/results/augment_replicas.json. Run it alone: 2 cores.

    .venv/bin/python benchmarks/augment_replicas.py [--documents 192] [--max-new-tokens 32]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

from augft.augment.api import augment, keep_engines
from augft.augment.engines.base import GenRequest, GenResult, Sampling
from augft.core.config import load_config
from augft.eval.datasets.api import build, write

RESULTS = Path(__file__).resolve().parent / "results"
QUICKSTART = Path(__file__).resolve().parents[1] / "configs" / "quickstart.yaml"
KNEE_SIZES = (8, 32, 96)


class PromptRecorder:
    """An engine that generates nothing and keeps what augft asked of it (a benchmark tool)."""
    name, model_name = "recorder", "none"

    def __init__(self):
        self.calls: List[Tuple[List[GenRequest], Sampling]] = []

    def generate(self, requests, sampling):
        self.calls.append((list(requests), sampling))
        return [GenResult(id=r.id, texts=[""] * int(sampling.n)) for r in requests]

    def close(self) -> None:
        pass


def _overrides(args, *extra) -> list:
    return [f"benchmark.people.n_people={args.people}", f"augment.max_new_tokens={args.max_new_tokens}",
            "augment.strategies=[local]", "cluster.num_cpus=2", "augment.vllm.kv_cache_gb=1", *extra]


def _prompts(args, data: Path, out: Path) -> Tuple[List[GenRequest], Sampling]:
    rec = PromptRecorder()
    augment(load_config(str(QUICKSTART), _overrides(args, f"augment.limit={args.documents}")), data, out, lambda: rec)
    reqs = [r for call, _ in rec.calls for r in call]
    return reqs, rec.calls[0][1]


def _offline(args, reqs: List[GenRequest], sampling: Sampling) -> dict:
    """Tokens/s of vLLM's offline generate per prompts in flight, the last all of them at once."""
    from augft.augment.engines.base import prompt_ids
    from augft.augment.engines.vllm import sampling_kwargs
    from augft.core.vllm import make_llm, shutdown

    cfg = load_config(str(QUICKSTART), _overrides(args))
    llm = make_llm(cfg.model, cfg.augment.vllm, int(cfg.seed), key="augment.engine")
    import vllm
    from vllm.inputs import TokensPrompt

    tok = llm.get_tokenizer()

    def run(batch: List[GenRequest]) -> dict:
        prompts = [TokensPrompt(prompt_token_ids=prompt_ids(tok, r)) for r in batch]
        params = [vllm.SamplingParams(**sampling_kwargs(sampling, r.seed)) for r in batch]
        t = time.perf_counter()
        outs = llm.generate(prompts, params, use_tqdm=False)
        dt = time.perf_counter() - t
        toks = sum(len(c.token_ids) for o in outs for c in o.outputs)
        return {"prompts": len(batch), "s": round(dt, 2), "tokens": toks, "tokens_per_s": round(toks / dt, 1)}

    try:
        run(reqs[:2])  # warm-up
        knee = [run(reqs[:n]) for n in KNEE_SIZES if n < len(reqs)] + [run(reqs)]
    finally:
        shutdown(llm)
    return {"knee": knee, "all_at_once": knee[-1]}


def _augft(args, data: Path, out: Path, label: str, *extra) -> dict:
    """One hosted augment run on a warm replica: wall time and generated tokens."""
    over = _overrides(args, "augment.use_ray=true", "augment.engine=vllm", "augment.vllm.replicas=1", *extra)
    with keep_engines():
        augment(load_config(str(QUICKSTART), [*over, "augment.limit=4"]), data, out / f"{label}-warm")
        t = time.perf_counter()
        m = augment(load_config(str(QUICKSTART), [*over, f"augment.limit={args.documents}"]), data, out / label)
        dt = time.perf_counter() - t
    s = m.strategies["local"]
    return {"prompts": s.prompts, "s": round(dt, 2), "tokens": s.completion_tokens,
            "tokens_per_s": round(s.completion_tokens / dt, 1), "settings": list(extra)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=192)
    ap.add_argument("--people", type=int, default=24, help="people in the set (8 documents each)")
    ap.add_argument("--max-new-tokens", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write(build("people", load_config(str(QUICKSTART), _overrides(args))), data)
        reqs, sampling = _prompts(args, data, Path(tmp) / "recorded")
        res = {"documents": args.documents, "prompts": len(reqs), "candidates": int(sampling.n),
               "max_new_tokens": args.max_new_tokens, "offline": _offline(args, reqs, sampling)}
        unit = int(load_config(str(QUICKSTART), []).augment.unit_size)
        res["augft_one_unit_a_call"] = _augft(args, data, Path(tmp), "before", f"augment.vllm.prompts_in_flight={unit}",
                                              "augment.vllm.calls_in_flight=1")
        res["augft_batched"] = _augft(args, data, Path(tmp), "batched", f"augment.vllm.prompts_in_flight={len(reqs)}")
        res["augft_defaults"] = _augft(args, data, Path(tmp), "after")
    ceiling = res["offline"]["all_at_once"]["tokens_per_s"]
    res["ratios_to_offline"] = {k: round(res[k]["tokens_per_s"] / ceiling, 2)
                                for k in ("augft_one_unit_a_call", "augft_batched", "augft_defaults")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "augment_replicas.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
