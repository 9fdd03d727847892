"""Multiple-choice scoring through vLLM (eval.engine=vllm); slower than the hf scorer on CPU
(benchmarks/eval_engines.py).

Sequences go as token ids (the same ids the hf scorer packs), two ways:
- no shared context (base, ft): each choice is one sequence `prompt + choice` with
  `prompt_logprobs=1`: every prompt token's log-probability and rank.
- a shared context (ICL): vLLM computes no prompt log-probabilities from its prefix cache, so
  asking for them would recompute the long context for every sequence. Instead each choice
  token is one request `context + prompt + choice[:j]` that may only emit `choice[j]`
  (`allowed_token_ids`), generating one token whose raw log-probability and rank (vLLM's
  default `raw_logprobs`: before the restriction) are that token's; the context comes from the
  prefix cache, so only the question's tokens are computed.
A choice's score is the sum over its tokens and `greedy` is every rank being 1. Scores equal the
hf scorer's up to the engines' float rounding (tests/eval/test_vllm_scoring.py).
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from augft.eval.encoding import EncodedQuestion
from augft.eval.scoring import ChoiceScore


class VLLMScorer:
    def __init__(self, model_cfg, vcfg, seed: int):
        from augft.core.vllm import make_llm

        self._vllm = __import__("vllm")
        self.llm = make_llm(model_cfg, vcfg, seed, key="eval.engine")
        self.forwards = 0

    def score(self, questions: Sequence[EncodedQuestion], batch_size: int = 16,
              context_ids: Optional[Sequence[int]] = None, reuse_cache: bool = True,
              max_tokens: int = 4096, progress: Optional[str] = None) -> List[List[ChoiceScore]]:
        """Every choice of every question, in input order (the hf Scorer's signature; batching
        is vLLM's own, so batch_size and max_tokens do not apply)."""
        ctx = list(context_ids or [])
        heads = [ctx + list(q.prompt) for q in questions]
        if not all(heads):
            raise ValueError("a question with no prompt and no context cannot be scored")
        pairs = [(h, list(c)) for h, q in zip(heads, questions) for c in q.choices]
        score = self._forced if ctx and reuse_cache else self._prompt_logprobs
        flat = score(pairs, progress is not None)
        self.forwards += 1
        res, i = [], 0
        for q in questions:
            res.append(flat[i:i + len(q.choices)])
            i += len(q.choices)
        return res

    def _prompt_logprobs(self, pairs, progress: bool) -> List[ChoiceScore]:
        from vllm.inputs import TokensPrompt

        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=h + c) for h, c in pairs], params,
                                 use_tqdm=progress)
        return [_choice([o.prompt_logprobs[len(h) + k][t] for k, t in enumerate(c)])
                for o, (h, c) in zip(outs, pairs)]

    def _forced(self, pairs, progress: bool) -> List[ChoiceScore]:
        from vllm.inputs import TokensPrompt

        prompts, params = [], []
        for h, c in pairs:
            for j, t in enumerate(c):
                prompts.append(TokensPrompt(prompt_token_ids=h + c[:j]))
                params.append(self._vllm.SamplingParams(max_tokens=1, temperature=0.0, logprobs=0,
                                                        allowed_token_ids=[t]))
        outs = iter(self.llm.generate(prompts, params, use_tqdm=progress))
        return [_choice([next(outs).outputs[0].logprobs[0][t] for t in c]) for _, c in pairs]

    def close(self) -> None:
        from augft.core.vllm import shutdown

        if self.llm is not None:
            shutdown(self.llm)
        self.llm = None


def _choice(at) -> ChoiceScore:
    """A choice's score from its tokens' vLLM `Logprob`s."""
    return ChoiceScore(float(sum(a.logprob for a in at)), len(at), all(a.rank == 1 for a in at))
