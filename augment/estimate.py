"""What an augment run would prompt, counted without a model (`augft plan`).

The same planning the run does, stopped before any engine: the corpus scan pass (every shard
validated; token counts into the histogram, whatever the strategy), then each strategy's own
planner (`first_pass_units` per shard, `plan_global`'s windows) and the units' own rendering
(`render_requests`), so prompts and prompt tokens are the run's. Only counts are kept. What
cannot be known before generating is bounded and said so: completions at `max_new_tokens`, entity
pairs at `augment.entity_max_pairs` per document (they depend on what extraction finds), and
compose's rounds are not estimated.

Scan and planning run in this process, shard by shard (the run's plain loop: each shard's units
are counted and dropped, so only counts accumulate), whatever `augment.use_ray` says: a plan
starts no cluster work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, Optional

import numpy as np

from augft.augment import passes
from augft.augment.corpus_scan import CorpusScan, scan_corpus
from augft.augment.global_plan import plan_global
from augft.augment.local_plan import first_pass_units, units_loop
from augft.augment.prompts import resolve_templates
from augft.augment.registry import spec
from augft.augment.request import AugmentRequest
from augft.augment.run import Run
from augft.augment.units import render_requests
from augft.core.config.settings import AugmentSettings
from augft.core.corpus import discover


@dataclass
class StrategyEstimate:
    """One strategy's planned work."""
    strategy: str
    writer: str
    """model, rule or benchmark (augment/registry.py)."""
    documents: int = 0
    prompts: int = 0
    prompt_tokens: int = 0
    """Tokens of every prompt, its shared prefix (a global window) counted per prompt, as engines report."""
    candidates: int = 1
    """Completions sampled per prompt (augment.num_candidates; 1 for greedy phases)."""
    max_new_tokens: int = 0
    basis: str = "planned"
    """planned (the planner's units), bound (entity pairs: at most augment.entity_max_pairs per
    document), not estimated (compose's rounds), no model (rule or ground truth)."""

    max_completion_tokens: int = 0
    """Upper bound: every candidate of every prompt runs to max_new_tokens."""

    def add(self, other: "StrategyEstimate") -> None:
        self.prompts += other.prompts
        self.prompt_tokens += other.prompt_tokens
        self.max_completion_tokens += other.max_completion_tokens


@dataclass
class AugmentEstimate:
    documents: int
    corpus_tokens: int
    """Tokens of the corpus documents (the scan's histogram; the teacher's tokenizer)."""
    strategies: Dict[str, StrategyEstimate] = field(default_factory=dict)
    phases: Dict[str, StrategyEstimate] = field(default_factory=dict)
    """Per phase where a strategy has several (entity: entity_extract, entity)."""
    hist: Optional[np.ndarray] = None
    """The scan's histogram of document token counts."""


def _run(req: AugmentRequest, settings: AugmentSettings) -> Run:
    from augft.augment.api import _token_counter

    a = settings.augment
    corpus = discover(str(req.data), max_tokens=int(settings.max_document_tokens))
    counter, max_context = _token_counter(settings)
    return Run(settings, str(req.data), "", req.strategies, corpus, resolve_templates(str(a.prompt_set), a.templates),
               counter, max_context, job=None)  # type: ignore[arg-type]  # planning runs no units: no job


def corpus_tokens(scan: CorpusScan) -> int:
    """Sum of the documents' token counts (exact below the histogram's last bin)."""
    hist, _ = scan.counted()
    return int((np.arange(len(hist), dtype=np.int64) * hist).sum())


def _count(units: Iterable, run: Run, into: Dict[str, StrategyEstimate]) -> None:
    """Prompts and prompt tokens of `units`, per phase (each unit rendered as its engine would)."""
    sizes: Dict[str, int] = {}
    for u in units:
        reqs = render_requests(u, run.templates)
        new = [p for p in {r.prefix for r in reqs if r.prefix} if p not in sizes]
        sizes.update(zip(new, run.counter.many(new)))
        e = into.setdefault(u.phase, StrategyEstimate(u.strategy, "model", candidates=u.sampling.n,
                                                      max_new_tokens=u.sampling.max_new_tokens))
        e.prompts += len(reqs)
        e.max_completion_tokens += len(reqs) * u.sampling.n * u.sampling.max_new_tokens
        e.prompt_tokens += sum(run.counter.many([r.prompt for r in reqs])) + sum(sizes.get(r.prefix, 0) for r in reqs)


def _entity_pairs(run: Run, extract: Optional[StrategyEstimate], docs: int) -> StrategyEstimate:
    """Pairs are planned from what extraction finds: at most entity_max_pairs per document, each
    prompt about the extraction prompt's length (the same document, a few names more)."""
    a = run.cfg.augment
    per_doc = extract.prompt_tokens / max(1, extract.prompts) if extract else 0.0
    n, k, m = docs * int(a.entity_max_pairs), int(a.num_candidates), int(a.max_new_tokens)
    return StrategyEstimate("entity", "model", docs, n, int(n * per_doc), k, m, basis="bound",
                            max_completion_tokens=n * k * m)


def estimate(req: AugmentRequest, settings: AugmentSettings) -> AugmentEstimate:
    """Every requested strategy's prompts and prompt tokens, planned as the run plans them."""
    run = _run(req, settings)
    scan = scan_corpus(run.corpus, run.counter, use_ray=False)
    docs = scan.documents(run.limit)
    phases: Dict[str, StrategyEstimate] = {}
    plan = passes.shard_plan(run, scan)
    if plan.local or plan.entity:
        _count(units_loop(run.corpus, first_pass_units, plan=plan), run, phases)
    if "global" in run.strategies:
        _count(plan_global(run.corpus, passes.global_spec(run), False, scan).units, run, phases)
    if "entity" in run.strategies:
        phases["entity"] = _entity_pairs(run, phases.get("entity_extract"), docs)
    out = AugmentEstimate(docs, corpus_tokens(scan), phases=phases, hist=scan.hist)
    for s in run.strategies:
        sp = spec(s)
        e = StrategyEstimate(s, sp.writer, docs, candidates=int(settings.augment.num_candidates),
                             max_new_tokens=int(settings.augment.max_new_tokens),
                             basis="planned" if sp.needs_model else "no model")
        for phase, pe in phases.items():
            if pe.strategy == s:
                e.add(pe)
        if s == "entity":
            e.basis = "bound"
        if sp.planner == "compose":
            e.basis = "not estimated"
        out.strategies[s] = e
    return out
