"""eval.engine=vllm for real (vLLM's CPU build) against the hf scorer on the same float32 model:
base and ICL (the context through vLLM's prefix cache), same predictions, log-likelihoods equal
to well within 1e-2 nats."""
import json

import pytest

from augft.core.config import load_config
from augft.eval.api import evaluate

pytestmark = pytest.mark.slow


def _rows(out):
    return {(r["condition"], r["id"]): r for r in map(json.loads, (out / "predictions.jsonl").open())}


def test_vllm_scores_equal_hf_scores(tmp_path, make_mc_data):
    data = make_mc_data(tmp_path / "data", 8)
    base = ["model.name=tiny-random-llama-vllm", "model.dtype=float32", "eval.conditions=[base,icl]",
            "eval.retention=false", "eval.vllm.kv_cache_gb=0.25", "eval.vllm.max_model_len=1024"]
    evaluate(load_config(None, base), data, tmp_path / "hf")
    evaluate(load_config(None, base + ["eval.engine=vllm"]), data, tmp_path / "vllm")
    hf, vl = _rows(tmp_path / "hf"), _rows(tmp_path / "vllm")
    assert set(hf) == set(vl) and {c for c, _ in hf} == {"base", "icl"}
    for k, a in hf.items():
        b = vl[k]
        assert a["pred"] == b["pred"] and a["n_tokens"] == b["n_tokens"]
        assert max(abs(x - y) for x, y in zip(a["logprob"], b["logprob"])) < 1e-3
        assert a["greedy"] == b["greedy"]
