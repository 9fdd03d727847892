"""Multiple-choice scoring through vLLM's prompt log-probabilities (eval.engine=vllm).

Each choice is one sequence `context + prompt + choice`, sent as token ids (the same ids the hf
scorer packs), with `prompt_logprobs=1`: vLLM returns every prompt token's log-probability and
rank, so a choice's score is the sum over its tokens and `greedy` is every rank being 1.
Scores equal the hf scorer's up to the engines' float rounding (a test checks it). Not faster
than the hf scorer on CPU: vLLM recomputes a shared ICL context for every sequence when prompt
log-probabilities are asked (benchmarks/eval_engines.py, docs/augment.md).
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
        from vllm.inputs import TokensPrompt

        ctx = list(context_ids or [])
        seqs, spans = [], []
        for q in questions:
            head = ctx + list(q.prompt)
            if not head:
                raise ValueError("a question with no prompt and no context cannot be scored")
            for c in q.choices:
                seqs.append(TokensPrompt(prompt_token_ids=head + list(c)))
                spans.append((len(head), list(c)))
        params = self._vllm.SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1)
        outs = self.llm.generate(seqs, params, use_tqdm=progress is not None)
        self.forwards += 1
        flat = [self._choice(o.prompt_logprobs, start, toks) for o, (start, toks) in zip(outs, spans)]
        res, i = [], 0
        for q in questions:
            res.append(flat[i:i + len(q.choices)])
            i += len(q.choices)
        return res

    @staticmethod
    def _choice(lps, start: int, toks: List[int]) -> ChoiceScore:
        at = [lps[start + k][t] for k, t in enumerate(toks)]
        return ChoiceScore(float(sum(a.logprob for a in at)), len(toks), all(a.rank == 1 for a in at))

    def close(self) -> None:
        from augft.core.vllm import shutdown

        if self.llm is not None:
            shutdown(self.llm)
        self.llm = None
