"""Scoring the conditions that share one model: load it once, encode the questions once, score
each condition (with or without the ICL context) and return its results as one value."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from augft.core.errors import AugftError
from augft.core.records import Document, Question
from augft.eval.conditions import Evaluated
from augft.eval.metrics import SCORINGS, argmax, choose, summarize

log = logging.getLogger(__name__)


@dataclass
class ConditionResult:
    """What one condition produced: its summary (results.json), predictions and cost inputs."""
    label: str
    summary: dict
    rows: List[dict]
    cost_input: dict


def _where(q: Question) -> str:
    return f"question '{q.id}'"


def _vllm_scorer(cfg, name: str):
    """eval.engine=vllm: the model `name` scored through vLLM's prompt log-probabilities (the hf
    model stays loaded for the tokenizer, the retention perplexity and the parameter count)."""
    from augft.core.models import with_name
    from augft.eval.vllm_scoring import VLLMScorer

    return VLLMScorer(with_name(cfg.model, name), cfg.eval.vllm, int(cfg.seed))


class ModelSession:
    """One loaded model and its encoder/scorer, for every condition that uses it."""

    def __init__(self, cfg, name: str, questions: Sequence[Question]):
        from augft.core.models import load_model
        from augft.eval.encoding import Encoder
        from augft.eval.scoring import Scorer

        self.cfg, self.e, self.questions = cfg, cfg.eval, list(questions)
        m = load_model(name, cfg.model.cache_dir, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
        self.name, self.n_params = m.name, m.n_params
        self.enc = Encoder(m.tokenizer, self.e.target_delimiter, self.e.chat_template)
        self.scorer = Scorer(m.model, m.tokenizer.pad_token_id) if str(self.e.engine) == "hf" \
            else _vllm_scorer(cfg, name)
        self.window = cfg.model.max_context or m.max_context
        self.plain = [self.enc.question(q.prompt, q.choices, has_context=False, where=_where(q))
                      for q in self.questions]
        for q, eq in zip(self.questions, self.plain):
            if len(eq.prompt) + max(len(c) for c in eq.choices) > self.window:
                raise AugftError(f"{_where(q)} is longer than the model's {self.window}-token window")
        self.neutral = self._calibration()
        self.general_ppl = self._general_ppl(m)
        self.variants = [sc for sc in SCORINGS if sc != "calibrated" or self.neutral]

    def close(self) -> None:
        """Release the scoring engine (vLLM's engine-core process) before the next model loads."""
        if hasattr(self.scorer, "close"):
            self.scorer.close()

    def _general_ppl(self, m) -> Optional[float]:
        if not (self.e.retention and self.e.general_text_tokens > 0):
            return None
        from augft.eval.retention import perplexity

        return perplexity(m.model, m.tokenizer, int(self.e.general_text_tokens))

    def _calibration(self) -> Dict[str, float]:
        """Each distinct choice once after the neutral prompt; only when asked for (one more
        pass over every distinct choice)."""
        e = self.e
        if e.scoring != "calibrated" and not e.calibrate:
            return {}
        uniq = sorted({c for q in self.questions for c in q.choices})
        neutral_q = [self.enc.question(e.calibration_prompt, [c], has_context=False) for c in uniq]
        scores = self.scorer.score(neutral_q, e.batch_size, max_tokens=e.max_batch_tokens,
                                   progress=f"{self.name}: calibration")
        return {c: s[0].logprob for c, s in zip(uniq, scores)}

    def _with_context(self) -> list:
        return [self.enc.question(q.prompt, q.choices, has_context=True, where=_where(q)) for q in self.questions]

    def _budget(self, with_ctx, cap: int = 0) -> int:
        """Context tokens that fit: the window minus room for the longest question, or
        eval.icl_max_tokens (and `cap`) if smaller."""
        room = max(len(eq.prompt) + max(len(c) for c in eq.choices) for eq in with_ctx) + 1
        budget = self.window - room
        for limit in (self.e.icl_max_tokens, cap):
            if limit > 0:
                budget = min(budget, limit)
        return budget

    def _scores(self, ev: Evaluated, corpus: Optional[Sequence[Document]], index=None):
        """(scores, encoded questions, shared context length, context log, per-row extras) of one
        condition."""
        from augft.eval.context import build_context

        e = self.e
        if ev.condition.rag is not None:
            return self._rag_scores(ev, corpus, index)
        if not ev.condition.icl:
            scores = self.scorer.score(self.plain, e.batch_size, max_tokens=e.max_batch_tokens, progress=ev.label)
            return scores, self.plain, 0, None, None
        with_ctx = self._with_context()
        ctx = build_context(corpus, self.enc, self._budget(with_ctx), e.icl_separator, self.cfg.seed)
        log.info("%s: ICL context of %d/%d documents, %d tokens", ev.label, len(ctx.doc_ids),
                 ctx.n_docs_total, len(ctx.ids))
        scores = self.scorer.score(with_ctx, e.batch_size, context_ids=ctx.ids, reuse_cache=e.icl_reuse_cache,
                                   max_tokens=e.max_batch_tokens, progress=ev.label)
        return scores, with_ctx, len(ctx.ids), ctx.log(), None

    def _rag_scores(self, ev: Evaluated, corpus: Optional[Sequence[Document]], index):
        """Each question after its own retrieved documents (no shared cache: contexts differ)."""
        from augft.eval.encoding import EncodedQuestion
        from augft.eval.rag import retrieve_contexts, summary

        e, rag = self.e, self.e.rag
        with_ctx = self._with_context()
        budget = self._budget(with_ctx, int(rag.max_tokens))
        t0 = time.perf_counter()
        before = getattr(index.searcher, "embedder", None)
        tokens0 = before.tokens if before is not None else 0
        by_id = {d.id: d for d in corpus}
        got = retrieve_contexts(index, self.questions, by_id, self.enc, int(rag.k), budget, e.icl_separator)
        self.retrieval = {"seconds": time.perf_counter() - t0,
                          "query_tokens": (before.tokens - tokens0) if before is not None else 0,
                          "embedding_params": before.n_params if before is not None else 0}
        # A question with nothing retrieved is asked as it is without context (special tokens).
        encoded = [EncodedQuestion(r.ids + wc.prompt, wc.choices) if r.ids else plain
                   for r, wc, plain in zip(got, with_ctx, self.plain)]
        scores = self.scorer.score(encoded, e.batch_size, max_tokens=e.max_batch_tokens, progress=ev.label)
        log_ = summary(ev.condition.retriever(str(rag.retriever)), int(rag.k), budget, index.info,
                       self.questions, got, by_id)
        log.info("%s: %.1f documents, %.0f tokens retrieved per question", ev.label, log_["docs_per_query"],
                 log_["context_tokens_per_query"])
        return scores, encoded, 0, log_, [{"retrieved": r.doc_ids} for r in got]

    def _row(self, label: str, q: Question, s) -> dict:
        lps = [c.logprob for c in s]
        ntok = [c.n_tokens for c in s]
        neu = [self.neutral[c] for c in q.choices] if self.neutral else None
        chosen = choose(lps, ntok, str(self.e.scoring), neu)
        pred = argmax(chosen)
        return {"condition": label, "id": q.id, "split": q.split, "kind": q.kind,
                "split_kind": f"{q.split}/{q.kind}", "answer": q.answer, "pred": pred,
                "correct": pred == q.answer, "choices": q.choices, "scores": chosen,
                "logprob": lps, "n_tokens": ntok, "neutral_logprob": neu, "greedy": [c.greedy for c in s],
                "by_scoring": {sc: argmax(choose(lps, ntok, sc, neu)) == q.answer for sc in self.variants}}

    def score(self, ev: Evaluated, corpus: Optional[Sequence[Document]], index=None) -> ConditionResult:
        e, seed = self.e, self.cfg.seed
        t0 = time.perf_counter()
        scores, encoded, ctx_len, ctx_log, extras = self._scores(ev, corpus, index)
        seconds = time.perf_counter() - t0
        rows = [self._row(ev.label, q, s) for q, s in zip(self.questions, scores)]
        for row, extra in zip(rows, extras or []):
            row.update(extra)
        icl_log = ctx_log if ev.condition.rag is None else None
        by_scoring = {}
        for sc in self.variants:
            per = defaultdict(list)
            for r in rows:
                per[r["split"]].append(r["by_scoring"][sc])
            by_scoring[sc] = {k: sum(v) / len(v) for k, v in sorted(per.items())}
        method, resamples = str(e.interval), int(e.bootstrap)
        summary = {"model": ev.model, "model_label": ev.condition.model_label, "icl": icl_log,
                   "splits": summarize(rows, "split", method, resamples, seed),
                   "kinds": summarize(rows, "split_kind", method, resamples, seed),
                   "by_scoring": by_scoring, "seconds": round(seconds, 3)}
        if ev.condition.rag is not None:
            summary["rag"] = ctx_log
        if self.general_ppl is not None:
            summary["retention"] = {"general_ppl": self.general_ppl}
        n = len(encoded)
        prompt_tokens = ctx_len + sum(len(eq.prompt) for eq in encoded) / n
        choice_tokens = sum(sum(len(c) for c in eq.choices) for eq in encoded) / n
        cost = {"n_params": self.n_params, "icl": ev.condition.icl,
                "finetuned": ev.condition.trained is not None,
                "prompt_tokens_per_query": prompt_tokens, "tokens_per_query": prompt_tokens + choice_tokens,
                "seconds_per_query": seconds / n, "context": ev.condition.context}
        if ev.condition.rag is not None:
            cost.update(_retrieval_cost(self.retrieval, n))
        return ConditionResult(ev.label, summary, rows, cost)


def _retrieval_cost(r: dict, n: int) -> dict:
    """Per query: the retriever's own compute (embedding the query: 2 x params x its tokens;
    BM25 runs no model) and time, beside the retrieved tokens the model reads."""
    return {"retrieval_flops_per_query": 2.0 * r["embedding_params"] * r["query_tokens"] / n,
            "retrieval_seconds_per_query": r["seconds"] / n}
