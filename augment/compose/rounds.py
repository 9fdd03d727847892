"""The compose strategy's rounds: plan a round's pairs, run them on the engines, settle them
(contradictions and repeats out), feed what is kept into the next round.

Files under the output location (every step resumable, each written last marks it done):
    compose/_pairs/part-r<k>-<part>-<n>.parquet (+ .stats.json)   a unit's statements, before settling
    compose/_pairs/settled-r<k>.json                              round k settled: its counts and shards
    compose/part-r<k>-<part>-<n>.parquet                          the statements kept in round k

The manifest entry is the sum over rounds with a `rounds` list beside it: per round its prompts,
inputs, kept and dropped statements and token counts (so the cost model prices every round).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from augft.augment.compose.pairs import Limits
from augft.augment.compose.plan import STRATEGY, RoundPlan, plan_round
from augft.augment.compose.settle import FactStore, decoded, known_texts, settle
from augft.augment.engines.base import Sampling
from augft.augment.prompts import STOP, render, template_hash
from augft.augment.storage import OutputStore
from augft.augment.tally import Aggregate
from augft.augment.tokens import TokenCounter
from augft.augment.windows import partitions_for
from augft.core.corpus import Corpus, iter_corpus

STAGED = f"{STRATEGY}/_pairs"
_SUMMED = ("prompts", "inputs", "ok", "failed", "prompt_tokens", "completion_tokens", "units")


@dataclass
class ComposeRun:
    """What the rounds need from the augment run."""
    cfg: object
    corpus: Corpus
    location: str
    templates: Dict[str, str]
    counter: TokenCounter
    max_context: int
    use_ray: bool
    execute: Callable[[object, Optional[int], str], Aggregate]
    """Run units (a list or a Ray Dataset; their prompt count when known) -> their summed stats."""


def sampling(cfg) -> Sampling:
    """One short statement per candidate: generation stops at the end of its line."""
    a = cfg.augment
    t = float(a.compose.temperature)
    return Sampling(temperature=t, top_p=float(a.top_p), max_new_tokens=int(a.compose.max_new_tokens),
                    n=int(a.num_candidates) if t > 0 else 1, stop=[*STOP, "\n"])


def round_plan(cr: ComposeRun, k: int, offsets: Tuple[int, ...], n_docs: int, kept: List[str]) -> RoundPlan:
    a, tmpl = cr.cfg.augment, cr.templates[STRATEGY]
    overhead = cr.counter("".join(render(tmpl, first="", second="", shared="")))
    return RoundPlan(round=k, limits=Limits(int(a.compose.max_pairs), int(a.compose.max_candidates), int(cr.cfg.seed)),
                     partitions=partitions_for(n_docs), offsets=offsets, limit=int(a.limit), counter=cr.counter,
                     max_sentence_tokens=max(1, (cr.max_context - int(a.compose.max_new_tokens) - overhead) // 2),
                     unit_size=int(a.unit_size), prompt_hash=template_hash(tmpl), sampling=sampling(cr.cfg),
                     location=cr.location, kept=tuple(kept))


def run_rounds(cr: ComposeRun, counts: List[int]) -> Dict:
    """Every round; the strategy's manifest entry. `counts`: documents per corpus shard."""
    offsets = tuple(sum(counts[:i]) for i in range(len(counts)))
    n_docs = min(sum(counts), int(cr.cfg.augment.limit)) if int(cr.cfg.augment.limit) else sum(counts)
    rounds: List[Dict] = []
    kept: List[str] = []
    for k in range(1, int(cr.cfg.augment.compose.rounds) + 1):
        plan = round_plan(cr, k, offsets, n_docs, kept)
        units = plan_round(cr.corpus, plan, cr.use_ray)
        agg = cr.execute(units, None if cr.use_ray else sum(len(u.items) for u in units), f"compose round {k}")
        settled = _settle(cr, k, sorted(agg.shards), kept)
        rounds.append(round_entry(k, agg, settled))
        kept += [f"{STRATEGY}/{s}" for s in settled["shards"]]
        if not settled["kept"]:
            break  # nothing new to compose from
    return strategy_entry(rounds, n_docs, int(cr.cfg.augment.compose.rounds))


def _settle(cr: ComposeRun, k: int, staged: List[str], kept: List[str]) -> Dict:
    args = (cr.location, cr.corpus, int(cr.cfg.augment.limit), k, staged, kept,
            bool(cr.cfg.augment.compose.single_parent))
    if not cr.use_ray:
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


def round_entry(k: int, agg: Aggregate, settled: Dict) -> Dict:
    """One round's counts: its units' stats, less what settling dropped (counted by reason)."""
    e = agg.manifest_entry()
    filtered = Counter(e["filtered"])
    filtered.update(settled["dropped"])
    e.update(round=k, ok=e["ok"] - sum(settled["dropped"].values()), filtered=dict(filtered),
             shards=list(settled["shards"]))
    return e


def strategy_entry(rounds: List[Dict], n_docs: int, asked: int) -> Dict:
    """The sum over rounds, and the rounds themselves (without their shard lists)."""
    out: Dict = {k: sum(r[k] for r in rounds) for k in _SUMMED}
    filtered: Counter = Counter()
    for r in rounds:
        filtered.update(r["filtered"])
    out.update(filtered=dict(filtered), gen_s=round(sum(r["gen_s"] for r in rounds), 3),
               shards=[s for r in rounds for s in r["shards"]], errors=[e for r in rounds for e in r["errors"]][:5],
               documents=n_docs, long_documents={}, template=STRATEGY, rounds_asked=asked,
               rounds=[{k: v for k, v in r.items() if k not in ("shards", "errors")} for r in rounds])
    return out
