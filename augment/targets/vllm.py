"""The vllm teacher (train.distill.engine=vllm): prompt log-probabilities of `context + text`.

vLLM returns, for every prompt position, its `prompt_logprobs` most likely tokens (plus the token
that is there, when it is not among them); the k best by log-probability are kept. vLLM computes
no prompt log-probabilities from its prefix cache, so each text's context is computed with it
(the hf teacher computes a shared context once): `prompt_tokens` counts what was computed.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np


class VllmTeacher:
    def __init__(self, cfg, model_path: str, top_k: int):
        from augft.core.models import with_name
        from augft.core.vllm import make_llm

        self._vllm = __import__("vllm")
        self.llm = make_llm(with_name(cfg.model, model_path), cfg.augment.vllm, int(cfg.seed),
                            key="train.distill.engine")
        self.k = top_k
        self.prompt_tokens = 0

    def targets(self, ctx_ids: Sequence[int], texts: Sequence[List[int]]) -> List[Tuple[np.ndarray, np.ndarray]]:
        from vllm.inputs import TokensPrompt

        ctx = list(ctx_ids)
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=self.k)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=ctx + list(t)) for t in texts], params,
                                 use_tqdm=False)
        self.prompt_tokens += sum(len(ctx) + len(t) for t in texts)
        return [self._rows(o.prompt_logprobs, len(ctx), len(t)) for o, t in zip(outs, texts)]

    def _rows(self, prompt_logprobs, lc: int, n: int) -> Tuple[np.ndarray, np.ndarray]:
        tid = np.zeros((n, self.k), dtype=np.uint32)
        tlp = np.zeros((n, self.k), dtype=np.float16)
        for j in range(1, n):
            # Position lc + j holds token j; its entry is the distribution that predicted it.
            best = sorted(prompt_logprobs[lc + j].items(), key=lambda kv: -kv[1].logprob)[:self.k]
            tid[j, :len(best)] = [t for t, _ in best]
            tlp[j, :len(best)] = [lp.logprob for _, lp in best]
        return tid, tlp

    def close(self) -> None:
        from augft.core.vllm import shutdown

        shutdown(self.llm)
