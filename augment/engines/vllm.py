"""vLLM offline engine inside Ray Data actors.

One `vllm.LLM` per actor (replica) with prefix caching on, so the shared window
of a global unit is prefilled once per replica; a unit (a window's prompts) is
one batch, which keeps prompts sharing a window on the same replica. With
tensor parallelism > 1 the actor reserves no GPU itself: it is scheduled into a
placement group of one GPU bundle per shard on one node (STRICT_PACK); vLLM's Ray executor
places its
workers into that group (placement_group_capture_child_tasks).

vLLM is imported lazily: it only exists on GPU machines. The config mapping
functions below are plain and unit-tested on CPU.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from augft.augment.engines.base import GenRequest, GenResult, Sampling
from augft.core.errors import AugftError


def engine_kwargs(cfg) -> Dict[str, Any]:
    """Keyword arguments for `vllm.LLM(...)` from the config."""
    from augft.core.models import resolve_model_path, with_name

    m = with_name(cfg.model, cfg.augment.get("model", ""))  # the teacher (augment.model)
    v = cfg.augment.vllm
    tp = int(v.tensor_parallel_size)
    if tp < 1:
        raise AugftError("augment.vllm.tensor_parallel_size must be >= 1")
    kw: Dict[str, Any] = {
        "model": str(resolve_model_path(m.name, m.cache_dir)),
        "tensor_parallel_size": tp,
        "gpu_memory_utilization": float(v.gpu_memory_utilization),
        "enable_prefix_caching": bool(v.enable_prefix_caching),
        "enforce_eager": bool(v.enforce_eager),
        "trust_remote_code": bool(m.trust_remote_code),
        "seed": int(cfg.seed),
        "distributed_executor_backend": "ray" if tp > 1 else "uni",
    }
    dtype = str(m.dtype)
    kw["dtype"] = "auto" if dtype == "auto" else {"fp32": "float32", "bf16": "bfloat16",
                                                   "fp16": "float16"}.get(dtype, dtype)
    max_len = int(v.max_model_len or m.max_context or 0)
    if max_len:
        kw["max_model_len"] = max_len
    return kw


def sampling_kwargs(s: Sampling, seed: int) -> Dict[str, Any]:
    """Keyword arguments for `vllm.SamplingParams(...)` for one request."""
    return {"n": int(s.n), "temperature": float(s.temperature), "top_p": float(s.top_p),
            "max_tokens": int(s.max_new_tokens), "stop": list(s.stop), "seed": int(seed)}


def actor_resources(cfg) -> Dict[str, Any]:
    """Ray Data `map_batches` arguments for the engine actor pool."""
    a = cfg.augment
    if a.engine != "vllm":
        return {"concurrency": max(1, int(a.num_actors)), "num_cpus": float(a.actor_cpus)}
    tp = int(a.vllm.tensor_parallel_size)
    out: Dict[str, Any] = {"concurrency": max(1, int(a.vllm.replicas)), "num_cpus": 1}
    if tp == 1:
        out["num_gpus"] = 1
    else:
        out["num_gpus"] = 0
        out["ray_remote_args_fn"] = placement_strategy_fn(tp)
    return out


def placement_spec(tp: int) -> Dict[str, Any]:
    """The placement group of one tensor-parallel replica: one GPU bundle per shard, all on one
    node (STRICT_PACK): tensor-parallel ranks exchange activations every layer, which only
    NVLink/PCIe inside a node carries fast enough."""
    return {"bundles": [{"GPU": 1, "CPU": 1}] * tp, "strategy": "STRICT_PACK"}


def placement_strategy_fn(tp: int):
    """A function giving each new actor its own placement group (`placement_spec`)."""
    def make() -> Dict[str, Any]:
        import ray
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        pg = ray.util.placement_group(**placement_spec(tp))
        return {"scheduling_strategy": PlacementGroupSchedulingStrategy(
            pg, placement_group_capture_child_tasks=True)}
    return make


class VLLMEngine:
    name = "vllm"

    def __init__(self, cfg):
        try:
            import vllm
        except ImportError:
            raise AugftError("augment.engine=vllm needs the vllm package (pip install 'augft[gpu]' "
                             "on a GPU machine); use engine=hf or engine=openai here") from None
        self._vllm = vllm
        self.model_name = cfg.augment.get("model", "") or cfg.model.name
        self.llm = vllm.LLM(**engine_kwargs(cfg))

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        # Shared prefix first, so vLLM's prefix cache matches it across requests.
        prompts = [r.prefix + r.prompt for r in requests]
        params = [self._vllm.SamplingParams(**sampling_kwargs(sampling, r.seed)) for r in requests]
        outs = self.llm.generate(prompts, params, use_tqdm=False)
        return [GenResult(id=r.id, texts=[c.text for c in o.outputs],
                          prompt_tokens=len(o.prompt_token_ids or []),
                          completion_tokens=sum(len(c.token_ids) for c in o.outputs))
                for r, o in zip(requests, outs)]

    def yes_probability(self, prompts: Sequence[str]) -> List[float]:
        """From the top-20 log-probabilities of one generated token per prompt."""
        from augft.augment.engines.base import yes_share

        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, logprobs=20)
        outs = self.llm.generate(list(prompts), params, use_tqdm=False)
        return [yes_share({lp.decoded_token: lp.logprob for lp in o.outputs[0].logprobs[0].values()})
                for o in outs]

    def continuation_logprobs(self, pairs: Sequence[Tuple[str, str]]) -> List[List[float]]:
        """From vLLM's prompt log-probabilities of context + continuation: the continuation's
        tokens are those past the context's own token count."""
        tok = self.llm.get_tokenizer()
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
        outs = self.llm.generate([c + t for c, t in pairs], params, use_tqdm=False)
        res = []
        for (c, _), o in zip(pairs, outs):
            start = max(1, len(tok(c)["input_ids"]))
            ids, lps = o.prompt_token_ids, o.prompt_logprobs
            res.append([lps[j][ids[j]].logprob for j in range(start, len(ids))])
        return res

    def close(self) -> None:
        self.llm = None
