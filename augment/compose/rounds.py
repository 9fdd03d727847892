"""The compose strategy's rounds: plan a round's pairs, run them on the engines, settle them
(contradictions and repeats out), feed what is kept into the next round.

Files under the output location (every step resumable, each written last marks it done):
    compose/_pairs/part-r<k>-<part>-<n>.parquet (+ .stats.json)   a unit's statements, before settling
    compose/_pairs/settled-r<k>.json                              round k settled: its counts and shards
    compose/part-r<k>-<part>-<n>.parquet                          the statements kept in round k

The manifest entry is the sum over rounds with a `rounds` list beside it: per round its prompts,
inputs, kept and dropped statements and token counts (so the cost model prices every round).
The driver holds counts only: a round's pairs are planned on the workers (plan.py), its units run
on the engine actors, and settling runs in one Ray task (or here, in the plain loop).
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, List, Optional, Tuple

from augft.augment.compose.pairs import Limits
from augft.augment.compose.plan import STRATEGY, RoundPlan, plan_round
from augft.augment.compose.settle import FactStore, decoded, known_texts, settle
from augft.augment.corpus_scan import CorpusScan
from augft.augment.engines.base import Sampling
from augft.augment.prompts import STOP, render, template_hash
from augft.augment.run import Run
from augft.augment.storage import OutputStore
from augft.augment.tally import Aggregate
from augft.augment.windows import partitions_for
from augft.core.artifacts import RoundEntry, StrategyEntry
from augft.core.corpus import Corpus, iter_corpus

STAGED = f"{STRATEGY}/_pairs"
Execute = Callable[[object, Optional[int], str], Aggregate]
"""Run units (a list or a Ray Dataset; their prompt count when known) -> their summed stats."""


def sampling(cfg) -> Sampling:
    """One short statement per candidate: generation stops at the end of its line."""
    a = cfg.augment
    t = float(a.compose.temperature)
    return Sampling(temperature=t, top_p=float(a.top_p), max_new_tokens=int(a.compose.max_new_tokens),
                    n=int(a.num_candidates) if t > 0 else 1, stop=[*STOP, "\n"])


def round_plan(run: Run, k: int, scan: CorpusScan, kept: List[str]) -> RoundPlan:
    a, tmpl = run.cfg.augment, run.templates[STRATEGY]
    overhead = run.counter("".join(render(tmpl, first="", second="", shared="")))
    limits = Limits(int(a.compose.max_pairs), int(a.compose.max_candidates), int(run.cfg.seed),
                    str(getattr(a.compose.focus, "value", a.compose.focus)), int(a.compose.per_individual))
    return RoundPlan(round=k, limits=limits,
                     partitions=partitions_for(scan.documents(run.limit)), offsets=scan.offsets(), limit=run.limit,
                     counter=run.counter,
                     max_sentence_tokens=max(1, (run.max_context - int(a.compose.max_new_tokens) - overhead) // 2),
                     unit_size=int(a.unit_size), prompt_hash=template_hash(tmpl), sampling=sampling(run.cfg),
                     location=run.out, kept=tuple(kept))


def run_rounds(run: Run, scan: CorpusScan, execute: Execute) -> StrategyEntry:
    """Every round; the strategy's manifest entry (its documents are set by the caller)."""
    rounds: List[Tuple[RoundEntry, Aggregate, List[str]]] = []
    kept: List[str] = []
    asked, min_new = int(run.cfg.augment.compose.rounds), int(run.cfg.augment.compose.min_new)
    reason = ""
    for k in range(1, asked + 1):
        units = plan_round(run.corpus, round_plan(run, k, scan, kept), run.use_ray)
        agg = execute(units, None if run.use_ray else sum(len(u.items) for u in units), f"compose round {k}")
        settled = _settle(run, k, sorted(agg.shards), kept)
        rounds.append((round_entry(k, agg, settled), agg, list(settled["shards"])))
        kept += [f"{STRATEGY}/{s}" for s in settled["shards"]]
        reason = stop_reason(settled["kept"], min_new) if k < asked else ""
        if reason:
            break  # coverage stopped growing: a further round would pair (almost) nothing new
    entry = strategy_entry(rounds, asked)
    entry.stopped_at, entry.stop_reason = (len(rounds), reason) if reason else (0, "")
    return entry


def stop_reason(kept: int, min_new: int) -> str:
    """Why compose stops after a round that kept `kept` new statements ('' to go on)."""
    if kept >= min_new:
        return ""
    if not kept:
        return "the round kept no new statement (nothing new to compose from)"
    return f"the round kept {kept} new statements, fewer than augment.compose.min_new={min_new}"


def _settle(run: Run, k: int, staged: List[str], kept: List[str]) -> Dict:
    args = (run.out, run.corpus, run.limit, k, staged, kept, bool(run.cfg.augment.compose.single_parent))
    if not run.use_ray:
        return settle_files(*args)
    import ray

    # One task: the driver stays out of the data path (it gets the counts back).
    return ray.get(ray.remote(num_cpus=0)(settle_files).remote(*args))


def settle_files(location: str, corpus: Corpus, limit: int, k: int, staged: List[str], kept: List[str],
                 single_parent: bool) -> Dict:
    """Settle round `k` (settle.py) and write its kept shards; resumable."""
    store = OutputStore(location)
    marker = f"{STAGED}/settled-r{k}.json"
    if store.exists(marker):
        return store.read_json(marker)
    facts = FactStore(single_parent)
    for text in known_texts((d.text for d in iter_corpus(corpus, limit)),
                            (r for rel in kept for r in store.read_parquet_rows(rel))):
        facts.add(text)
    rows = [(name, decoded(r)) for name in staged for r in store.read_parquet_rows(f"{STAGED}/{name}")]
    order = sorted(range(len(rows)), key=lambda i: rows[i][1]["id"])
    dropped: Counter = Counter()
    keep: Dict[str, List[Dict]] = {name: [] for name in staged}
    for i, why in zip(order, settle(facts, [rows[i][1]["text"] for i in order])):
        if why:
            dropped[why] += 1
        else:
            keep[rows[i][0]].append(rows[i][1])
    if not staged:  # no pair at all: an empty shard, so the strategy still has one to read
        staged, keep = [f"part-r{k}-none.parquet"], {f"part-r{k}-none.parquet": []}
    for name in staged:
        store.write_parquet(f"{STRATEGY}/{name}", keep[name])
    stats = {"round": k, "dropped": dict(dropped), "kept": sum(len(v) for v in keep.values()),
             "shards": list(staged)}
    store.write_json(marker, stats)
    return stats


def round_entry(k: int, agg: Aggregate, settled: Dict) -> RoundEntry:
    """One round's counts: its units' stats, less what settling dropped (counted by reason)."""
    filtered = Counter(agg.filtered)
    filtered.update(settled["dropped"])
    return RoundEntry(round=k, ok=agg.ok - sum(settled["dropped"].values()), filtered=dict(filtered),
                      failed=agg.failed, failed_prompts=agg.failed_prompts, inputs=agg.inputs, prompts=agg.prompts,
                      prompt_tokens=agg.prompt_tokens, completion_tokens=agg.completion_tokens,
                      gen_s=round(agg.gen_s, 3), units=sum(agg.nodes.values()))


def strategy_entry(rounds: List[Tuple[RoundEntry, Aggregate, List[str]]], asked: int) -> StrategyEntry:
    """The sum over rounds (their settled shards, failures and first errors), and the rounds."""
    rs = [r for r, _, _ in rounds]
    filtered: Counter = Counter()
    for r in rs:
        filtered.update(r.filtered)
    return StrategyEntry(
        ok=sum(r.ok for r in rs), filtered=dict(filtered), failed=sum(r.failed for r in rs),
        failed_prompts=sum(r.failed_prompts for r in rs),
        failed_shards=sorted(s for _, a, _ in rounds for s in a.failed_shards),
        inputs=sum(r.inputs for r in rs), prompts=sum(r.prompts for r in rs),
        prompt_tokens=sum(r.prompt_tokens for r in rs), completion_tokens=sum(r.completion_tokens for r in rs),
        gen_s=round(sum(r.gen_s for r in rs), 3), errors=[e for _, a, _ in rounds for e in a.errors][:5],
        shards=[s for _, _, shards in rounds for s in shards], units=sum(r.units for r in rs),
        rounds=rs, rounds_asked=asked)
