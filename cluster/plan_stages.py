"""The rows of `augft plan`, one per stage of the study, in the study's order (`Study.specs`)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from augft.cluster.plan import StageEstimate, StudyPlan, compute_seconds, generation_seconds, with_startup
from augft.cluster.plan_inputs import MeasuredSet, query_tokens, text_lengths
from augft.cluster.plan_placement import StagePlacement
from augft.core.artifacts import OneOffCost, QueryCost
from augft.augment.registry import spec
from augft.core import chains
from augft.core.conditions import Condition, augment_strategies, retrievers, trained_models
from augft.core.flops import forward_flops, training_flops
from augft.train.estimate import Source, estimate as train_estimate


def add_stages(plan: StudyPlan, cfg, data: Path, conditions: List[Condition], aug, measured: MeasuredSet,
               counter, placements: Dict[str, StagePlacement]) -> None:
    sources = {"corpus": Source.from_histogram(aug.hist)}
    augment_flops: Dict[str, float] = {}
    for s in augment_strategies(conditions):
        row, sources[s] = _augment_row(plan, cfg, s, aug, measured, placements["augment"], data, counter)
        augment_flops[s] = row.flops or 0.0
        plan.stages.append(row)
    for r in retrievers(conditions, str(cfg.eval.rag.retriever)):
        plan.stages.append(StageEstimate(f"index[{r}]", "index", note="not estimated (no GPU for bm25)"))
    if any(c.distill for c in conditions):
        plan.stages.append(StageEstimate("targets", "targets", note="teacher targets: not estimated"))
    train_flops: Dict[str, float] = {}
    for model in trained_models(conditions):
        row = _train_row(plan, cfg, model, sources, placements["train"])
        train_flops[model.trained_label] = row.flops or 0.0
        plan.stages.append(row)
    _eval_rows(plan, cfg, data, conditions, counter, placements["eval"], augment_flops, train_flops)


def _augment_row(plan: StudyPlan, cfg, s: str, aug, measured: MeasuredSet, pl: StagePlacement, data: Path,
                 counter):
    row = StageEstimate(f"augment[{s}]", "augment")
    if chains.is_chain(s):  # its prompts are the upstream's kept records, unknown before it runs
        row.note = f"not estimated: {chains.base(s)} over the records {chains.upstream(s)} keeps"
        return row, Source(hist_source(aug))
    e = aug.strategies[s]
    if e.writer != "model":
        file = spec(s).data_file
        path = data / str(file)
        lengths = text_lengths(path, counter) if file and path.is_file() else hist_source(aug)
        row.note = "no model" + ("" if file else "; training text ~ the corpus (one reversal each)")
        return row, Source(lengths)
    m = measured.strategies.get(s)
    row.prompts, row.tokens_in, row.out_bound, row.placement = e.prompts, e.prompt_tokens, e.max_completion_tokens, pl
    if m is not None:
        row.out_measured = min(e.max_completion_tokens, e.max_completion_tokens / max(1, e.max_new_tokens) * m.mean_out)
        row.note = f"out ~ measured mean {m.mean_out:.1f} tokens/candidate ({m.source})"
    else:
        row.note = "out = upper bound (every candidate at max_new_tokens)"
    if e.basis == "bound":
        row.note = f"pair prompts at most augment.entity_max_pairs per document; {row.note}"
    elif e.basis == "not estimated":
        row.note = f"its rounds are not estimated (no prompts counted); {row.note}"
    out = row.out_measured if row.out_measured is not None else row.out_bound
    row.flops = forward_flops(plan.generator_params, e.prompt_tokens + out)
    concurrent = int(cfg.augment.batch_size) * int(cfg.augment.num_candidates)
    row.wall_s = with_startup(generation_seconds(plan.generator_params, e.prompt_tokens, out, pl, plan.gpu, plan.rates,
                                                 concurrent) if pl.gpus else None, plan.rates)
    return row, _aug_source(e, m, out)


def hist_source(aug) -> np.ndarray:
    return Source.from_histogram(aug.hist).lengths


def _aug_source(e, m, out: float) -> Source:
    """The training texts a strategy adds: the measured kept records scaled to the planned prompts,
    else every output token kept, one example per candidate (an upper bound)."""
    if m is not None and m.kept_lengths is not None:
        n = int(round(len(m.kept_lengths) * e.prompts / max(1, m.prompts)))
        return Source(np.resize(m.kept_lengths, n) if n and len(m.kept_lengths) else np.zeros(0, np.int64))
    return Source.uniform(e.prompts * e.candidates, out)


def _train_row(plan: StudyPlan, cfg, model: Condition, sources: Dict[str, Source],
               pl: StagePlacement) -> StageEstimate:
    from augft.cluster.stages import train_mix

    mix = train_mix(model.strategies, cfg.pipeline.aug_weight)
    t = train_estimate(cfg.train, sources, mix, int(cfg.seed))
    row = StageEstimate(f"train[{model.trained}]", "train", train_tokens=t.tokens_trained, placement=pl)
    row.flops = training_flops(plan.n_params, t.tokens_trained)
    row.wall_s = with_startup(compute_seconds(row.flops, pl, plan.gpu, plan.rates["train_mfu"]), plan.rates)
    row.note = f"{t.examples} examples, {t.blocks} blocks, {t.steps} steps"
    return row


def _context_tokens(cfg, c: Condition, plan: StudyPlan, budget: int) -> float:
    if c.context == "icl":  # the documents, one separator each, within the budget
        return float(min(plan.corpus_tokens + plan.documents, budget))
    if c.context == "rag":
        per = plan.corpus_tokens / max(1, plan.documents) * int(cfg.eval.rag.k)
        return float(min(per, int(cfg.eval.rag.max_tokens) or per))
    return 0.0


def _eval_rows(plan: StudyPlan, cfg, data: Path, conditions: List[Condition], counter, pl: StagePlacement,
               augment_flops: Dict[str, float], train_flops: Dict[str, float]) -> None:
    from augft.eval.costs import cost_table

    q = query_tokens(data, cfg, counter)
    budget = int(cfg.eval.icl_max_tokens) or _student_context(cfg) - int(q.scored)
    queries, one_off = {}, {}
    for c in conditions:
        ctx = _context_tokens(cfg, c, plan, budget)
        queries[c.label] = QueryCost(plan.n_params, c.icl, c.trained is not None, q.prompt + ctx, q.scored + ctx,
                                     context=c.context)
        one_off[c.label] = OneOffCost(train_flops.get(c.trained) if c.trained else None,
                                      sum(augment_flops.get(s, 0.0) for s in c.strategies) or None)
    plan.costs = cost_table(queries, one_off)
    for c in conditions:
        cost = plan.costs.conditions[c.label]
        flops = cost.flops_per_query * q.questions
        row = StageEstimate(f"eval[{c.label}]", "eval", prompts=q.questions, tokens_in=q.questions * cost.tokens_per_query,
                            flops=flops, placement=pl)
        row.wall_s = with_startup(compute_seconds(flops, pl, plan.gpu, plan.rates["eval_mfu"]), plan.rates)
        plan.stages.append(row)


def _student_context(cfg) -> int:
    from transformers import AutoConfig

    from augft.core.models import resolve_model_path

    m = cfg.model
    mc = AutoConfig.from_pretrained(resolve_model_path(str(m.name), str(m.cache_dir)))
    return int(m.max_context or getattr(mc, "max_position_embeddings", 2048))


def totals(plan: StudyPlan) -> StageEstimate:
    """The study: stages run one after another, so wall times and GPU-hours add up."""
    row = StageEstimate("total", "total", flops=sum(s.flops or 0.0 for s in plan.stages))
    row.wall_s = sum(s.wall_s or 0.0 for s in plan.stages)
    return row
