"""The cost model: what each condition costs per query and once, and when fine-tuning pays off.

- per query: the tokens the model reads (ICL context + prompt + every choice, since all choices
  are scored) and FLOPs = 2 x params x tokens (the forward-pass estimate);
- one-off: training FLOPs from a train summary.json (`train_flops`) and augmentation FLOPs from an
  augment manifest.json (2 x the generating model's params x the token counts it reports), both
  optional;
- break-even: a fine-tuned condition F beats an ICL condition I after
  one_off(F) / (per_query(I) - per_query(F)) queries (never, when F is not cheaper per query).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Dict, Mapping

from augft.core.artifacts import (ArtifactError, AugmentOutput, BreakEven, ConditionCost, CostTable, OneOffCost,
                                  QueryCost, read_train_summary)
from augft.core.errors import AugftError
from augft.core.flops import break_even_queries, forward_flops


def _must_exist(path: str, key: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise AugftError(f"{key}: {p} does not exist")
    return p


def train_flops(path: str, key: str) -> float:
    """The one-off training cost recorded in a train output's summary.json (named by `key`)."""
    try:
        return float(read_train_summary(_must_exist(path, key)).train_flops)
    except ArtifactError as exc:
        raise AugftError(f"{exc} (named by {key})") from None


def augment_flops(path: str, key: str, n_params: int) -> float:
    """2 x params x the tokens an augmentation run read and wrote, from its manifest. The
    params are the generating model's when the manifest records them (a teacher), else `n_params`."""
    try:
        manifest = AugmentOutput(_must_exist(path, key).parent).manifest()
    except ArtifactError as exc:
        raise AugftError(f"{exc} (named by {key})") from None
    # Zero tokens are right without a model, and for a strategy that had nothing to prompt and wrote
    # nothing (compose on a corpus where no two sentences share an entity); else counts are missing.
    nothing_prompted = all(e.model_free or (e.prompts == 0 and e.ok == 0) for e in manifest.strategies.values())
    if not manifest.tokens and not nothing_prompted:
        raise AugftError(f"{path}: the augment manifest has no token counts (named by {key})")
    return forward_flops(manifest.model_params or n_params, manifest.tokens)


def condition_cost(q: QueryCost, one_off: OneOffCost) -> ConditionCost:
    fields = {f.name: getattr(q, f.name) for f in dataclasses.fields(QueryCost)}
    # A retriever's own compute (a dense query's embedding) is paid on every query too.
    return ConditionCost(**fields, flops_per_query=forward_flops(q.n_params, q.tokens_per_query) + q.retrieval_flops_per_query,
                         train_flops=one_off.train_flops, augment_flops=one_off.augment_flops,
                         index_flops=one_off.index_flops, teacher_flops=one_off.teacher_flops,
                         one_off_flops=one_off.total)


def break_even(f: ConditionCost, i: ConditionCost) -> BreakEven:
    """When fine-tuned `f` becomes cheaper in all than ICL `i` (core.flops.break_even_queries: an
    ICL condition's own one-off cost, ft+icl's training, counts against it)."""
    queries = break_even_queries(f.one_off_flops, f.flops_per_query, i.one_off_flops, i.flops_per_query)
    return BreakEven(queries, f.one_off_flops, i.flops_per_query - f.flops_per_query, f.one_off.known)


def cost_table(queries: Mapping[str, QueryCost], one_off: Mapping[str, OneOffCost]) -> CostTable:
    """Every condition's costs; break-even rows pair every fine-tuned condition without context
    with every ICL condition."""
    costs: Dict[str, ConditionCost] = {c: condition_cost(q, one_off.get(c, OneOffCost())) for c, q in queries.items()}
    pairs = {f"{f} vs {i}": break_even(fc, ic) for f, fc in costs.items() if fc.finetuned and not fc.icl
             for i, ic in costs.items() if ic.icl}
    return CostTable(costs, pairs)
