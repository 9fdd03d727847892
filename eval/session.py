"""Scoring the conditions that share one model: load it once, then score questions for each
condition (with or without the ICL context) and turn them into prediction rows.

A session holds no questions: the single-process scorer hands it the whole test set
(`score`), the distributed one (eval/distributed.py) a batch at a time on each actor
(`score_rows`); both build the same rows from the same per-question scores.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from augft.core.artifacts import ConditionSummary, QueryCost, Retention
from augft.core.errors import AugftError
from augft.core.records import Document, Question
from augft.eval.conditions import Evaluated
from augft.eval.metrics import SCORINGS, argmax, choose, summarize

log = logging.getLogger(__name__)


@dataclass
class ConditionResult:
    """What one condition produced: its summary (results.json), predictions and what a query reads."""
    label: str
    summary: ConditionSummary
    rows: List[dict]
    query: QueryCost


@dataclass
class Scored:
    """One condition's rows for some questions, with what reading them cost."""
    rows: List[dict]
    seconds: float
    prompt_tokens: int
    """Summed over the questions, the shared context counted once per question."""
    tokens: int
    """Prompt tokens plus every choice's tokens, summed."""


@dataclass
class Retrieval:
    """What retrieving cost: seconds, and the query tokens a dense retriever embedded (with its
    embedding model's parameters; BM25 runs no model)."""
    seconds: float
    query_tokens: int
    embedding_params: int


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

    def __init__(self, cfg, name: str):
        from augft.core.models import load_model
        from augft.eval.encoding import Encoder
        from augft.eval.scoring import Scorer

        self.cfg, self.e = cfg, cfg.eval
        m = load_model(name, cfg.model.cache_dir, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
        self.name, self.n_params = m.name, m.n_params
        self.enc = Encoder(m.tokenizer, self.e.target_delimiter, self.e.chat_template)
        self.scorer = Scorer(m.model, m.tokenizer.pad_token_id) if str(self.e.engine) == "hf" \
            else _vllm_scorer(cfg, name)
        self.window = cfg.model.max_context or m.max_context
        self.calibrating = self.e.scoring == "calibrated" or bool(self.e.calibrate)
        self.neutral: Dict[str, float] = {}
        self.general_ppl = self._general_ppl(m)
        self.variants = [sc for sc in SCORINGS if sc != "calibrated" or self.calibrating]

    def close(self) -> None:
        """Release the scoring engine (vLLM's engine-core process) before the next model loads."""
        if hasattr(self.scorer, "close"):
            self.scorer.close()

    def _general_ppl(self, m) -> Optional[float]:
        if not (self.e.retention and self.e.general_text_tokens > 0):
            return None
        from augft.eval.retention import perplexity

        return perplexity(m.model, m.tokenizer, int(self.e.general_text_tokens))

    def encode(self, questions: Sequence[Question], has_context: bool) -> list:
        out = [self.enc.question(q.prompt, q.choices, has_context=has_context, where=_where(q)) for q in questions]
        if not has_context:
            for q, eq in zip(questions, out):
                if len(eq.prompt) + max(len(c) for c in eq.choices) > self.window:
                    raise AugftError(f"{_where(q)} is longer than the model's {self.window}-token window")
        return out

    def room(self, questions: Sequence[Question]) -> int:
        """Tokens the longest question needs after an ICL context (its prompt and longest choice)."""
        enc = self.encode(questions, has_context=True)
        return max((len(eq.prompt) + max(len(c) for c in eq.choices) for eq in enc), default=0) + 1

    def budget(self, room: int, cap: int = 0) -> int:
        """Context tokens that fit: the window minus `room`, or eval.icl_max_tokens (and `cap`)
        if smaller."""
        budget = self.window - room
        for limit in (self.e.icl_max_tokens, cap):
            if limit > 0:
                budget = min(budget, limit)
        return budget

    def icl_context(self, corpus: Sequence[Document], room: int):
        from augft.eval.context import build_context

        return build_context(corpus, self.enc, self.budget(room), self.e.icl_separator, self.cfg.seed)

    def calibrate(self, questions: Sequence[Question]) -> None:
        """Each distinct choice not yet scored, once, after the neutral prompt (when asked for)."""
        if not self.calibrating:
            return
        new = sorted({c for q in questions for c in q.choices} - set(self.neutral))
        if not new:
            return
        neutral_q = [self.enc.question(self.e.calibration_prompt, [c], has_context=False) for c in new]
        scores = self.scorer.score(neutral_q, self.e.batch_size, max_tokens=self.e.max_batch_tokens,
                                   progress=f"{self.name}: calibration")
        self.neutral.update({c: s[0].logprob for c, s in zip(new, scores)})

    def score_rows(self, ev: Evaluated, questions: Sequence[Question], ctx_ids: Optional[Sequence[int]] = None,
                   progress: bool = True) -> Scored:
        """One condition's prediction rows for `questions` (after the ICL context's ids, if given)."""
        e = self.e
        self.calibrate(questions)
        ctx = list(ctx_ids) if ctx_ids is not None else None
        icl = ctx is not None
        encoded = self.encode(questions, has_context=icl)
        t0 = time.perf_counter()
        scores = self.scorer.score(encoded, e.batch_size, context_ids=ctx,
                                   reuse_cache=e.icl_reuse_cache, max_tokens=e.max_batch_tokens,
                                   progress=ev.label if progress else None)
        seconds = time.perf_counter() - t0
        rows = [self._row(ev.label, q, s) for q, s in zip(questions, scores)]
        prompt = sum(len(eq.prompt) for eq in encoded) + (len(ctx) * len(encoded) if ctx is not None else 0)
        return Scored(rows, seconds, prompt, prompt + sum(sum(len(c) for c in eq.choices) for eq in encoded))

    def _row(self, label: str, q: Question, s) -> dict:
        lps = [c.logprob for c in s]
        ntok = [c.n_tokens for c in s]
        neu = [self.neutral[c] for c in q.choices] if self.calibrating else None
        chosen = choose(lps, ntok, str(self.e.scoring), neu)
        pred = argmax(chosen)
        return {"condition": label, "id": q.id, "split": q.split, "kind": q.kind,
                "split_kind": f"{q.split}/{q.kind}", "answer": q.answer, "pred": pred,
                "correct": pred == q.answer, "choices": q.choices, "scores": chosen,
                "logprob": lps, "n_tokens": ntok, "neutral_logprob": neu, "greedy": [c.greedy for c in s],
                "by_scoring": {sc: argmax(choose(lps, ntok, sc, neu)) == q.answer for sc in self.variants}}

    def query_cost(self, ev: Evaluated, n: int, scored: Scored) -> QueryCost:
        return QueryCost(n_params=int(self.n_params), icl=ev.condition.icl, finetuned=ev.condition.trained is not None,
                         prompt_tokens_per_query=scored.prompt_tokens / n, tokens_per_query=scored.tokens / n,
                         seconds_per_query=scored.seconds / n, context=ev.condition.context)

    def rag_rows(self, ev: Evaluated, questions: Sequence[Question], corpus: Sequence[Document], index):
        """A rag condition's rows: each question after its own retrieved documents (no shared
        cache: the contexts differ); with its retrieval log and what retrieving cost."""
        from augft.eval.encoding import EncodedQuestion
        from augft.eval.rag import retrieve_contexts, summary

        e, rag = self.e, self.e.rag
        self.calibrate(questions)
        with_ctx, plain = self.encode(questions, has_context=True), self.encode(questions, has_context=False)
        budget = self.budget(self.room(questions), int(rag.max_tokens))
        t0 = time.perf_counter()
        embedder = getattr(index.searcher, "embedder", None)
        tokens0 = embedder.tokens if embedder is not None else 0
        by_id = {d.id: d for d in corpus}
        got = retrieve_contexts(index, questions, by_id, self.enc, int(rag.k), budget, e.icl_separator)
        retrieval = Retrieval(time.perf_counter() - t0, (embedder.tokens - tokens0) if embedder is not None else 0,
                              embedder.n_params if embedder is not None else 0)
        # A question with nothing retrieved is asked as it is without context (special tokens).
        encoded = [EncodedQuestion(r.ids + wc.prompt, wc.choices) if r.ids else p
                   for r, wc, p in zip(got, with_ctx, plain)]
        t1 = time.perf_counter()
        scores = self.scorer.score(encoded, e.batch_size, max_tokens=e.max_batch_tokens, progress=ev.label)
        rows = [dict(self._row(ev.label, q, s), retrieved=r.doc_ids) for q, s, r in zip(questions, scores, got)]
        prompt = sum(len(eq.prompt) for eq in encoded)
        scored = Scored(rows, time.perf_counter() - t1 + retrieval.seconds, prompt,
                        prompt + sum(sum(len(c) for c in eq.choices) for eq in encoded))
        log_ = summary(ev.condition.retriever(str(rag.retriever)) or str(rag.retriever), int(rag.k), budget, index.info, questions, got, by_id)
        log.info("%s: %.1f documents, %.0f tokens retrieved per question", ev.label, log_.docs_per_query,
                 log_.context_tokens_per_query)
        return scored, log_, retrieval

    def score(self, ev: Evaluated, corpus: Optional[Sequence[Document]],
              questions: Sequence[Question], index=None) -> ConditionResult:
        """One condition on every question, in this process."""
        if ev.condition.rag is not None:
            scored, rag_log, retrieval = self.rag_rows(ev, questions, _needed(corpus, ev), index)
            summary = summarize_condition(self, ev, scored.rows, scored.seconds, None)
            summary.rag = rag_log
            query = self.query_cost(ev, len(questions), scored)
            query.retrieval_flops_per_query = 2.0 * retrieval.embedding_params * retrieval.query_tokens / len(questions)
            query.retrieval_seconds_per_query = retrieval.seconds / len(questions)
            return ConditionResult(ev.label, summary, scored.rows, query)
        ctx = None
        if ev.condition.icl:
            ctx = self.icl_context(_needed(corpus, ev), self.room(questions))
            log.info("%s: ICL context of %d/%d documents, %d tokens", ev.label, len(ctx.doc_ids),
                     ctx.n_docs_total, len(ctx.ids))
        scored = self.score_rows(ev, questions, ctx.ids if ctx is not None else None)
        summary = summarize_condition(self, ev, scored.rows, scored.seconds, ctx.log() if ctx is not None else None)
        return ConditionResult(ev.label, summary, scored.rows, self.query_cost(ev, len(questions), scored))


def by_scoring(rows: Sequence[dict], variants: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Accuracy per split under each scoring variant."""
    out = {}
    for sc in variants:
        per = defaultdict(list)
        for r in rows:
            per[r["split"]].append(r["by_scoring"][sc])
        out[sc] = {k: sum(v) / len(v) for k, v in sorted(per.items())}
    return out


def summarize_condition(session: ModelSession, ev: Evaluated, rows: Sequence[dict], seconds: float,
                        icl_log) -> ConditionSummary:
    e, seed = session.e, int(session.cfg.seed)
    method, resamples = str(e.interval), int(e.bootstrap)
    return ConditionSummary(
        model=ev.model, model_label=ev.condition.model_label, icl=icl_log,
        splits=summarize(rows, "split", method, resamples, seed),
        kinds=summarize(rows, "split_kind", method, resamples, seed), by_scoring=by_scoring(rows, session.variants),
        seconds=round(seconds, 3),
        retention=Retention(general_ppl=session.general_ppl) if session.general_ppl is not None else None)


def _needed(corpus: Optional[Sequence[Document]], ev: Evaluated) -> Sequence[Document]:
    """The corpus a condition with context reads (the caller reads it for such conditions)."""
    if corpus is None:
        raise ValueError(f"condition {ev.label} reads the corpus, and none was read")
    return corpus
