"""The hf teacher: one forward of a shared context (its KV cache, kept while consecutive texts
share it), then batches of texts attending to it; the top-k log-probabilities of every position.

Texts in a batch are right-padded: under causal attention a real token never sees the padding
after it, so no attention mask is needed and padded positions are simply not read.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np


class HfTeacher:
    def __init__(self, model, tokenizer, top_k: int, batch_size: int):
        import torch

        self.model, self.tok, self.k, self.batch = model, tokenizer, top_k, batch_size
        self.device = next(model.parameters()).device
        self.torch = torch
        self._ctx: Tuple[int, ...] = ()
        self._kv: Optional[List[Tuple[Any, Any]]] = None  # per layer (keys, values) of the context
        self.prompt_tokens = 0
        """Tokens the teacher read: each context once per group, plus every text."""

    def _cache(self, ctx_ids: Sequence[int]):
        torch = self.torch
        from transformers import DynamicCache

        if tuple(ctx_ids) != self._ctx:
            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode():
                self.model(input_ids=torch.tensor([list(ctx_ids)], device=self.device), past_key_values=cache,
                           use_cache=True, logits_to_keep=1)
            self._kv, self._ctx = [(layer.keys, layer.values) for layer in cache.layers], tuple(ctx_ids)
            self.prompt_tokens += len(ctx_ids)
        return self._kv

    def _fresh(self, n: int):
        """A cache holding the context for a batch of n (the update concatenates into new tensors)."""
        from transformers import DynamicCache

        if self._kv is None:
            raise RuntimeError("the teacher's context cache is filled (_cache) before a batch is run")
        cache = DynamicCache(config=self.model.config)
        for layer, (k, v) in zip(cache.layers, self._kv):
            k, v = k.expand(n, *k.shape[1:]), v.expand(n, *v.shape[1:])
            layer.lazy_initialization(k, v)
            layer.keys, layer.values = k, v
        return cache

    def targets(self, ctx_ids: Sequence[int], texts: Sequence[List[int]]) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Per text (its token ids): (topk_ids (n, k) uint32, topk_lp (n, k) float16); row j holds
        the distribution that predicts token j after the context and tokens < j (row 0: zeros)."""
        out: List[Tuple[np.ndarray, np.ndarray]] = []
        for i in range(0, len(texts), self.batch):
            out += self._batch(ctx_ids, texts[i:i + self.batch])
        return out

    def _batch(self, ctx_ids: Sequence[int], texts: Sequence[List[int]]):
        torch = self.torch
        lc, longest = len(ctx_ids), max(len(t) for t in texts)
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.tok.eos_token_id
        ids = torch.tensor([list(t) + [pad] * (longest - len(t)) for t in texts], device=self.device)
        kwargs = {"use_cache": False}
        if lc:
            self._cache(ctx_ids)
            kwargs = {"past_key_values": self._fresh(len(texts)), "use_cache": True}
        pos = torch.arange(lc, lc + longest, device=self.device).expand(len(texts), longest)
        with torch.inference_mode():
            logits = self.model(input_ids=ids, position_ids=pos, **kwargs).logits
        lp, top = logits[:, :-1].float().log_softmax(-1).topk(self.k, dim=-1)
        self.prompt_tokens += sum(len(t) for t in texts)
        out = []
        for b, t in enumerate(texts):
            n = len(t)
            tid = np.zeros((n, self.k), dtype=np.uint32)
            tlp = np.zeros((n, self.k), dtype=np.float16)
            tid[1:] = top[b, :n - 1].cpu().numpy().astype(np.uint32)
            tlp[1:] = lp[b, :n - 1].cpu().numpy().astype(np.float16)
            out.append((tid, tlp))
        return out
