"""Batched multiple-choice log-likelihood scoring, with an optional shared-context KV cache.

A batch of questions is packed into ONE sequence with no padding:

    [context (cached)] | q1 prompt, q1 choice 1, q1 choice 2, ... | q2 prompt, q2 choice 1, ...

and a custom 4D attention mask makes each choice see the context, its own question's prompt and
its own earlier tokens only, while explicit position ids put every token where it would sit in the
unpacked sequence `context + prompt + choice`. So:
- all options of a question share one forward of the prompt (the prompt is in the row once);
- with a context (ICL) the context's KV cache is computed once per evaluation and every batch
  attends to it as is: no per-question or per-choice copies;
- the scores equal one plain forward of `context + prompt + choice` up to float rounding (tests
  check this, and equality with lm-evaluation-harness's `loglikelihood`).

A choice's first token is predicted at its prompt's last position; its k-th token at the choice's
(k-1)-th position, so a choice's last token is never fed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import torch

from augft.eval.encoding import EncodedQuestion


@dataclass
class ChoiceScore:
    logprob: float
    """Sum of the choice tokens' log-probabilities."""
    n_tokens: int
    """Number of choice tokens."""
    greedy: bool
    """Whether every choice token was the model's argmax."""


class ContextCache:
    """The KV cache of a shared context (batch 1); read by every batch, never mutated."""

    def __init__(self, model, ids: Sequence[int]):
        from transformers import DynamicCache

        self.ids = list(ids)
        self.config = model.config
        device = next(model.parameters()).device
        cache = DynamicCache(config=model.config)
        with torch.inference_mode():
            # Only the cache is wanted: skip the vocabulary projection of all but one position.
            model(input_ids=torch.tensor([self.ids], device=device), past_key_values=cache, use_cache=True,
                  logits_to_keep=1)
        self.kv = [(layer.keys, layer.values) for layer in cache.layers]

    def __len__(self) -> int:
        return len(self.ids)

    def fresh(self):
        """A cache holding the context, for one forward to append to (the update copies)."""
        from transformers import DynamicCache

        cache = DynamicCache(config=self.config)
        for layer, (k, v) in zip(cache.layers, self.kv):
            # Share the tensors instead of copying them: update() concatenates into new ones.
            layer.lazy_initialization(k, v)
            layer.keys, layer.values = k, v
        return cache


def width(q: EncodedQuestion) -> int:
    """Tokens a question occupies in a packed row."""
    return len(q.prompt) + sum(len(c) - 1 for c in q.choices)


class Scorer:
    def __init__(self, model, pad_token_id: Optional[int] = None):
        self.model = model
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.forwards = 0

    def _mask(self, qid: List[int], seg: List[int], lc: int):
        """A packed row's attention: each token sees the context, its question's prompt, and
        its own choice's earlier tokens. Built where the model runs: N x (context + N) is too
        large to copy over per batch."""
        dev, n = self.device, len(qid)
        qid_t, seg_t = torch.tensor(qid, device=dev), torch.tensor(seg, device=dev)
        idx = torch.arange(n, device=dev)
        allowed = ((qid_t[:, None] == qid_t[None, :]) & (idx[None, :] <= idx[:, None])
                   & ((seg_t[None, :] == -1) | (seg_t[None, :] == seg_t[:, None])))
        allowed = torch.cat([torch.ones((n, lc), dtype=torch.bool, device=dev), allowed], dim=1)
        # Additive float mask: works for sdpa and eager attention alike.
        return torch.zeros(allowed.shape, dtype=self.dtype, device=dev).masked_fill_(
            ~allowed, torch.finfo(self.dtype).min)

    @torch.inference_mode()
    def score_batch(self, questions: Sequence[EncodedQuestion],
                    context: Optional[ContextCache] = None) -> List[List[ChoiceScore]]:
        lc = len(context) if context is not None else 0
        ids: List[int] = []
        pos: List[int] = []
        qid: List[int] = []
        seg: List[int] = []  # -1: prompt; i: the i-th choice of its question
        reads = []  # per question: (prompt's last index, [(first input index of choice, tokens)])
        for n, q in enumerate(questions):
            p = len(q.prompt)
            ids += q.prompt
            pos += range(lc, lc + p)
            qid += [n] * p
            seg += [-1] * p
            last = len(ids) - 1
            starts = []
            for i, cont in enumerate(q.choices):
                starts.append((len(ids), cont))
                feed = cont[:-1]
                ids += feed
                pos += range(lc + p, lc + p + len(feed))
                qid += [n] * len(feed)
                seg += [i] * len(feed)
            reads.append((last, starts))

        mask = self._mask(qid, seg, lc)
        kwargs = {}
        if context is not None:
            kwargs = {"past_key_values": context.fresh(), "use_cache": True}
        else:
            kwargs = {"use_cache": False}
        self.forwards += 1
        logits = self.model(input_ids=torch.tensor([ids], device=self.device),
                            attention_mask=mask[None, None],
                            position_ids=torch.tensor([pos], device=self.device), **kwargs).logits[0]

        # Only the positions that predict a choice token need a softmax over the vocabulary.
        need = sorted({last for last, _ in reads} | {s + k for _, starts in reads
                                                      for s, cont in starts for k in range(len(cont) - 1)})
        row = {j: r for r, j in enumerate(need)}
        logp = logits[torch.tensor(need, device=logits.device)].float().log_softmax(-1).cpu()
        best = logp.argmax(-1)
        out: List[List[ChoiceScore]] = []
        for last, starts in reads:
            scores = []
            for s, cont in starts:
                at = [row[last]] + [row[s + k] for k in range(len(cont) - 1)]
                toks = torch.tensor(cont)
                at_t = torch.tensor(at)
                lp = float(logp[at_t, toks].sum())
                greedy = bool((best[at_t] == toks).all())
                scores.append(ChoiceScore(lp, len(cont), greedy))
            out.append(scores)
        return out

    @staticmethod
    def batches(questions: Sequence[EncodedQuestion], batch_size: int, max_tokens: int = 4096):
        """Index batches in length order (similar lengths together), capped by questions and tokens."""
        order = sorted(range(len(questions)), key=lambda i: -width(questions[i]))
        batch: List[int] = []
        tokens = 0
        for i in order:
            w = width(questions[i])
            if batch and (len(batch) >= batch_size or tokens + w > max_tokens):
                yield batch
                batch, tokens = [], 0
            batch.append(i)
            tokens += w
        if batch:
            yield batch

    def score(self, questions: Sequence[EncodedQuestion], batch_size: int = 16,
              context_ids: Optional[Sequence[int]] = None, reuse_cache: bool = True,
              max_tokens: int = 4096, progress: Optional[str] = None) -> List[List[ChoiceScore]]:
        """Score every choice of every question, in the input order.

        With `context_ids`, every question follows that shared context. The context's last token
        joins each question's prompt (so even an empty prompt has a position that predicts the
        first choice token) and the rest is cached once; `reuse_cache=False` recomputes that
        cache for every question instead (the baseline the benchmark compares against).
        """
        from tqdm import tqdm

        if context_ids is not None and len(context_ids) > 0:
            head, tail = list(context_ids[:-1]), [context_ids[-1]]
            questions = [EncodedQuestion(tail + q.prompt, q.choices) for q in questions]
        else:
            head = []
        results: List[Optional[List[ChoiceScore]]] = [None] * len(questions)
        bar = tqdm(total=len(questions), desc=progress or "scoring", unit="q",
                   disable=progress is None, leave=False)
        if head and not reuse_cache:
            for i, q in enumerate(questions):
                results[i] = self.score_batch([q], ContextCache(self.model, head))[0]
                bar.update(1)
        else:
            ctx = ContextCache(self.model, head) if head else None
            for idx in self.batches(questions, batch_size, max_tokens):
                for i, s in zip(idx, self.score_batch([questions[i] for i in idx], ctx)):
                    results[i] = s
                bar.update(len(idx))
        bar.close()
        return results  # type: ignore[return-value]
