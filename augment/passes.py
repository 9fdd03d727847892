"""An augment run's passes over its corpus, each planned where the shards are.

1. scan (augment/corpus_scan.py): counts, digests, unique ids (and global's terms);
2. the per-document units (local, rephrase, qa, entity extraction), planned per shard;
3. global windows (augment/global_plan.py);
4. entity pairs, planned per shard from its own extraction files;
5. `reverse`, written per shard with no model;
6. `compose`, in rounds: each round's sentence pairs planned on the workers from the corpus shards
   and the shards earlier rounds kept, grouped by entity (augment/compose/).
On Ray the planning tasks run on the workers and feed the engine actors as lazy Datasets; the
driver sums the units' stats (counts, never records) into each strategy's Aggregate.
"""
from __future__ import annotations

import json
from typing import Dict, Iterable, Optional

from augft.augment import executor
from augft.augment.corpus_scan import CorpusScan, shards_ds
from augft.augment.global_plan import GlobalSpec, plan_global
from augft.augment.local_plan import (ShardPlan, first_pass_units, pair_units, reverse_shard, units_ds,
                                      units_loop)
from augft.augment.prompts import render, template_hash
from augft.augment.registry import with_planner
from augft.augment.run import Run, sampling
from augft.augment.planner import PlanStats
from augft.augment.tally import Aggregate, Progress
from augft.augment.windows import UnitPlan
from augft.core.config.augment import GlobalContext
from augft.core.errors import AugftError

Aggregates = Dict[str, Aggregate]


def run_units(run: Run, units, total: Optional[int], desc: str, into: Aggregates) -> None:
    """Execute units, summing each one's stats into `into[strategy or "_extract"]`; then stop
    if more prompts failed than augment.max_failed_share allows."""
    prog = Progress(total, desc)
    try:
        for s in executor.execute(units, run.cfg, run.job, run.engines):
            add_stats(into, s, prog)
    finally:
        prog.close()
    check_failures(run, into)


def check_failures(run: Run, aggs: Aggregates) -> None:
    """Above augment.max_failed_share failed prompts: the units with failures are made undone
    (their done-markers removed, so a rerun retries them) and the run stops with the count and
    the first reasons. Below it, failures stay counted and kept in `<strategy>/failed/`."""
    prompts = sum(a.prompts for a in aggs.values())
    failed = sum(a.failed_prompts for a in aggs.values())
    share = float(run.cfg.augment.max_failed_share)
    if not failed or failed <= share * prompts:
        return
    for a in aggs.values():
        for marker in a.failed_units:
            run.job.store.delete(marker)
    first = "; ".join([e for a in aggs.values() for e in a.errors][:3])
    raise AugftError(f"augment: {failed} of {prompts} prompts failed ({failed / prompts:.1%}, above "
                     f"augment.max_failed_share={share:g}); first: {first}. Each is kept with its reason "
                     f"in {run.out}/<strategy>/failed/; rerun the same command to retry their units")


def add_stats(into: Aggregates, s: Dict, prog: Progress) -> None:
    key = "_extract" if s["phase"] == "entity_extract" else s["strategy"]
    into.setdefault(key, Aggregate()).add(s)
    if s.get("resumed"):
        prog.resumed(s)
    else:
        prog(s)


def shard_plan(run: Run, scan: CorpusScan) -> ShardPlan:
    return ShardPlan(planner=run.planner(), sampling=sampling(run.cfg), greedy=sampling(run.cfg, greedy=True),
                     local=tuple(s for s in with_planner("local") if s in run.strategies),
                     local_unit=str(run.cfg.augment.local_unit), entity="entity" in run.strategies,
                     offsets=scan.offsets(), limit=run.limit)


def _units(run: Run, fn, **kwargs) -> Iterable:
    return units_ds(run.corpus, fn, **kwargs) if run.use_ray else units_loop(run.corpus, fn, **kwargs)


def run_first_pass(run: Run, plan: ShardPlan, scan: CorpusScan, aggs: Aggregates) -> None:
    """The local-family strategies and entity extraction, one planning task per shard."""
    per_doc = len(plan.local) + int(plan.entity)
    if per_doc:
        run_units(run, _units(run, first_pass_units, plan=plan), scan.documents(run.limit) * per_doc,
                  "augment", aggs)


def global_spec(run: Run) -> GlobalSpec:
    a, cfg = run.cfg.augment, run.cfg
    tmpl = run.templates["global"]
    prefix, focal = render(tmpl, context="", text="")
    return GlobalSpec(counter=run.counter, max_context=run.max_context, max_new_tokens=int(a.max_new_tokens),
                      window_tokens=int(a.window_tokens), focal_overhead=run.counter(focal) + 2,
                      prefix_overhead=run.counter(prefix), seed=int(cfg.seed), limit=run.limit,
                      units=UnitPlan(sampling=sampling(cfg), prompt_hash=template_hash(tmpl),
                                     seed=int(cfg.seed), linked=a.global_context == GlobalContext.linked))


def run_global(run: Run, scan: CorpusScan, aggs: Aggregates) -> None:
    gplan = plan_global(run.corpus, global_spec(run), run.use_ray, scan)
    run.plans["global"] = PlanStats(documents=gplan.documents)
    run.plans["global"].long_documents.update({"skipped": gplan.skipped} if gplan.skipped else {})
    run_units(run, gplan.units, gplan.fit, "global", aggs)


def run_entity_pairs(run: Run, plan: ShardPlan, scan: CorpusScan, aggs: Aggregates) -> None:
    a = run.cfg.augment
    units = _units(run, pair_units, plan=plan, store=run.job.store, max_pairs=int(a.entity_max_pairs),
                   triples=bool(a.entity_triples))
    run_units(run, units, scan.documents(run.limit), "entity pairs", aggs)


def run_reverse(run: Run, plan: ShardPlan, aggs: Aggregates) -> None:
    """`reverse` on every shard (a Ray task each, or here), each writing its own shard."""
    f = run.job.records.filter
    kwargs = {"plan": plan, "store": run.job.store, "heldout": tuple(f.heldout), "min_words": int(f.min_words)}
    if run.use_ray:
        ds = shards_ds(run.corpus).map(_reverse_row, fn_kwargs={"corpus": run.corpus, "kwargs": kwargs})
        stats = (json.loads(r["stats"]) for r in ds.iter_rows())
    else:
        stats = (reverse_shard(run.corpus, i, **kwargs) for i in range(len(run.corpus.shards)))
    for s in stats:  # no model: quick, no progress bar
        aggs.setdefault("reverse", Aggregate()).add(s)


def run_compose(run: Run, scan: CorpusScan, aggs: Aggregates) -> None:
    """`compose`'s rounds (augment/compose/rounds.py). Each round's units are checked against
    augment.max_failed_share on their own: a round that stops the run leaves the earlier rounds
    settled, and a rerun retries only its failed units."""
    from augft.augment.compose.rounds import run_rounds

    def execute(units, total, desc) -> Aggregate:
        into: Aggregates = {}
        run_units(run, units, total, desc, into)
        return into.get("compose", Aggregate())

    run.plans["compose"] = PlanStats(documents=scan.documents(run.limit))
    run.entries["compose"] = run_rounds(run, scan, execute)


def _reverse_row(row, corpus, kwargs) -> Dict[str, str]:
    return {"stats": json.dumps(reverse_shard(corpus, int(row["shard"]), **kwargs))}
