"""Hugging Face transformers engine: batched sampling, shared-prefix KV cache.

Requests with the same `prefix` (a global window, an entity document) are run
together: the prefix's KV cache is computed once (batch 1), copied and expanded
to each batch of focal prompts, so the window is never recomputed per document.
"""
from __future__ import annotations

import copy
import time
from typing import Dict, List, Sequence, Tuple

from augft.augment.engines.base import GenRequest, GenResult, Sampling


class _StopOnStrings:
    """Stops a row once its new text contains a stop string. transformers' own
    `stop_strings` rebuilds a vocabulary table per call (seconds on CPU); decoding
    the few new tokens per step is far cheaper."""

    def __init__(self, tok, stops, start: int):
        self.tok, self.stops, self.start = tok, list(stops), start

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        texts = self.tok.batch_decode(input_ids[:, self.start:], skip_special_tokens=True)
        return torch.tensor([any(s in t for s in self.stops) for t in texts], device=input_ids.device)


class HFEngine:
    name = "hf"

    def __init__(self, model_cfg, batch_size: int = 8, share_prefix: bool = True, loaded=None):
        from augft.core.models import load_from_config

        self.lm = loaded or load_from_config(model_cfg)
        self.model_name = model_cfg.name
        self.tok = self.lm.tokenizer
        self.tok.padding_side = "left"
        self.batch_size = max(1, int(batch_size))
        self.share_prefix = share_prefix
        self.stats: Dict[str, float] = {"prefill_s": 0.0, "prefix_cache_hits": 0}

    def close(self) -> None:
        self.lm = None

    def yes_probability(self, prompts: Sequence[str]) -> List[float]:
        """Next-token P(Yes) / (P(Yes) + P(No)) per prompt, batched, left-padded."""
        import torch

        pair = [self.tok(w, add_special_tokens=False)["input_ids"][0] for w in (" Yes", " No")]
        out: List[float] = []
        for s in range(0, len(prompts), self.batch_size):
            enc = self.tok(list(prompts[s:s + self.batch_size]), return_tensors="pt", padding=True)
            mask = enc["attention_mask"].to(self.lm.device)
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            with torch.inference_mode():
                logits = self.lm.model(input_ids=enc["input_ids"].to(self.lm.device), attention_mask=mask,
                                       position_ids=pos, use_cache=False, logits_to_keep=1).logits
            two = logits[:, -1, pair].float().softmax(-1)
            out.extend(float(p) for p in two[:, 0])
        return out

    def continuation_logprobs(self, pairs: Sequence[Tuple[str, str]]) -> List[List[float]]:
        """log P of each token of `continuation` after `context`, per (context, continuation);
        batched, left-padded, the continuation tokenised on its own so that every context scores
        the same tokens."""
        import torch

        out: List[List[float]] = []
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.tok.eos_token_id
        for s in range(0, len(pairs), self.batch_size):
            seqs = [(self._ids(c, True), self.tok(t, add_special_tokens=False)["input_ids"])
                    for c, t in pairs[s:s + self.batch_size]]
            width = max(len(c) + len(t) for c, t in seqs)
            ids = torch.full((len(seqs), width), pad, dtype=torch.long)
            mask = torch.zeros((len(seqs), width), dtype=torch.long)
            for i, (c, t) in enumerate(seqs):
                ids[i, width - len(c) - len(t):] = torch.tensor(c + t)
                mask[i, width - len(c) - len(t):] = 1
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            n = max(len(t) for _, t in seqs)
            with torch.inference_mode():
                logits = self.lm.model(input_ids=ids.to(self.lm.device), attention_mask=mask.to(self.lm.device),
                                       position_ids=pos.to(self.lm.device), use_cache=False,
                                       logits_to_keep=n + 1).logits.float()
            for i, (_, t) in enumerate(seqs):
                lp = logits[i, -len(t) - 1:-1].log_softmax(-1)  # position j predicts token j + 1
                out.append(lp.gather(-1, torch.tensor(t, device=lp.device)[:, None]).squeeze(-1).tolist())
        return out

    def _ids(self, text: str, first: bool) -> List[int]:
        return self.tok(text, add_special_tokens=first)["input_ids"]

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> List[GenResult]:
        groups: Dict[str, List[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(r.prefix, []).append(i)
        results: List[GenResult] = [None] * len(requests)  # type: ignore[list-item]
        for prefix, idx in groups.items():
            for i, res in zip(idx, self._run_group(prefix, [requests[i] for i in idx], sampling)):
                results[i] = res
        return results

    def _run_group(self, prefix: str, reqs: List[GenRequest], sampling: Sampling) -> List[GenResult]:
        import torch

        pre_ids = self._ids(prefix, True) if prefix else []
        suf_ids = [self._ids(r.prompt, not prefix) for r in reqs]
        cache = None
        if pre_ids and self.share_prefix:
            with torch.no_grad():
                t = time.perf_counter()
                out = self.lm.model(torch.tensor([pre_ids], device=self.lm.device), use_cache=True)
                self.stats["prefill_s"] += time.perf_counter() - t
            cache = out.past_key_values
        # Each request expands into n rows (candidates); rows are batched in order.
        rows = [(k, j) for k in range(len(reqs)) for j in range(sampling.n)]
        texts: List[List[str]] = [[] for _ in reqs]
        comp = [0] * len(reqs)
        for s in range(0, len(rows), self.batch_size):
            chunk = rows[s:s + self.batch_size]
            torch.manual_seed(reqs[chunk[0][0]].seed * 1009 + chunk[0][1])
            outs, ntok = self._generate_rows([suf_ids[k] for k, _ in chunk], pre_ids, cache, sampling)
            for (k, _), text, n in zip(chunk, outs, ntok):
                texts[k].append(text)
                comp[k] += n
        return [GenResult(id=r.id, texts=texts[k], prompt_tokens=len(pre_ids) + len(suf_ids[k]),
                          completion_tokens=comp[k]) for k, r in enumerate(reqs)]

    def _generate_rows(self, suffixes: List[List[int]], pre_ids: List[int], cache, sampling: Sampling):
        import torch

        pad = self.tok.pad_token_id
        dev = self.lm.device
        b = len(suffixes)
        if cache is None:  # no shared cache: whole sequences, left-padded
            seqs = [pre_ids + s for s in suffixes]
            width = max(map(len, seqs))
            ids = torch.tensor([[pad] * (width - len(q)) + q for q in seqs], device=dev)
            mask = torch.tensor([[0] * (width - len(q)) + [1] * len(q) for q in seqs], device=dev)
            kwargs = {}
        else:  # [prefix][left-padded suffix]; the mask hides the pads, positions follow it
            width = max(map(len, suffixes))
            suf = torch.tensor([[pad] * (width - len(q)) + q for q in suffixes], device=dev)
            smask = torch.tensor([[0] * (width - len(q)) + [1] * len(q) for q in suffixes], device=dev)
            pre = torch.tensor([pre_ids] * b, device=dev)
            ids = torch.cat([pre, suf], dim=1)
            mask = torch.cat([torch.ones_like(pre), smask], dim=1)
            c = copy.deepcopy(cache)
            if b > 1:
                c.batch_repeat_interleave(b)
            kwargs = {"past_key_values": c}
            self.stats["prefix_cache_hits"] += b
        gen_kwargs = dict(max_new_tokens=sampling.max_new_tokens, pad_token_id=pad)
        if sampling.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if sampling.stop:
            gen_kwargs["stopping_criteria"] = [_StopOnStrings(self.tok, sampling.stop, ids.shape[1])]
        with torch.no_grad():
            out = self.lm.model.generate(input_ids=ids, attention_mask=mask, **kwargs, **gen_kwargs)
        new = out[:, ids.shape[1]:]
        eos = self.tok.eos_token_id
        texts, counts = [], []
        for row in new.tolist():
            n = 0
            for t in row:
                n += 1
                if t == eos or t == pad:
                    break
            texts.append(self.tok.decode(row[:n], skip_special_tokens=True))
            counts.append(n)
        return texts, counts
