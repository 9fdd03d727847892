"""A round's pairs as work units, planned like global windows: on Ray Data, the workers read the
corpus shards (and the shards kept in earlier rounds), emit one row per (entity key, sentence),
group the rows by a hash partition of the key, and each group picks its entities' pairs
(pairs.select_pairs) and packs them into units; or the same in this process (the plain loop).

With augment.compose.focus=individuals a second grouping follows (individuals.py): the pairs are
grouped by a hash partition of the individual each is about (a general pair: its entity), and each
group keeps at most augment.compose.per_individual pairs per individual before packing, so the
budget holds over all the entities an individual shares, wherever they were planned.

Units depend only on the corpus, the kept shards, the seed and the limits: stems are
`r<round>-<partition>-<index>`, so a cluster and a plain loop write the same files, and a rerun
finds the units an earlier run finished.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple

from augft.augment.compose.individuals import budget, kinds_of
from augft.augment.compose.keys import Sentence, corpus_sentences, statement_sentence, surface
from augft.augment.compose.pairs import Limits, Pair, seeded, select_pairs
from augft.augment.engines.base import Sampling
from augft.augment.storage import OutputStore
from augft.augment.planner import stable_seed
from augft.augment.tokens import TokenCounter
from augft.augment.units import Item, Unit
from augft.core.corpus import Corpus, iter_shard

STRATEGY = "compose"


@dataclass(frozen=True)
class RoundPlan:
    """What every worker needs to plan one round (small; travels with each task)."""
    round: int
    limits: Limits
    partitions: int
    offsets: Tuple[int, ...]
    """Position of each corpus shard's first document (for augment.limit)."""
    limit: int
    counter: Optional[TokenCounter]
    max_sentence_tokens: int
    """A longer sentence is not paired (two of them must fit the prompt with the answer)."""
    unit_size: int
    prompt_hash: str
    sampling: Sampling
    location: str
    """The output location, where the kept shards of earlier rounds lie."""
    kept: Tuple[str, ...] = ()
    """Kept shards of earlier rounds, relative to `location`."""


def sources(corpus: Corpus, plan: RoundPlan) -> List[Tuple[str, str]]:
    """What the round's sentences are read from: each corpus shard, each kept shard."""
    return [("corpus", str(i)) for i in range(len(corpus.shards))] + [("kept", rel) for rel in plan.kept]


def _sentences(src: Tuple[str, str], corpus: Corpus, plan: RoundPlan) -> Iterator[Sentence]:
    kind, where = src
    count = plan.counter.many if plan.counter is not None else None
    if kind == "corpus":
        i = int(where)
        for pos, doc in iter_shard(corpus, corpus.shards[i]):
            if plan.limit and plan.offsets[i] + pos >= plan.limit:
                break
            yield from corpus_sentences(doc, count)
        return
    for row in OutputStore(plan.location).read_parquet_rows(where):
        s = statement_sentence(row, count([row["text"]])[0] if count else 0)
        if s is not None:
            yield s


def partition_of(entity: str, plan: RoundPlan) -> int:
    return int(seeded(plan.limits.seed, "partition", entity)[:8], 16) % plan.partitions


def rows(src: Tuple[str, str], corpus: Corpus, plan: RoundPlan) -> Iterator[Tuple[str, int, Sentence]]:
    """(entity, partition, sentence) for every key of every sentence short enough to pair."""
    for s in _sentences(src, corpus, plan):
        if s.ntok > plan.max_sentence_tokens:
            continue
        for k in s.keys:
            yield k, partition_of(k, plan), s


def _item(p: Pair, plan: RoundPlan) -> Item:
    rid = f"{p.key}:{STRATEGY}:{plan.prompt_hash}:0"
    docs = tuple(dict.fromkeys(p.first.docs + p.second.docs))
    meta = {"compose": {"round": p.round, "pair": [p.first.sid, p.second.sid], "entity": p.entity,
                        "kind": p.kind, "facts": sorted(set(p.first.facts) | set(p.second.facts)),
                        "premises": [p.first.text, p.second.text]}}
    if plan.limits.individuals:
        meta["compose"].update(focus=p.focus, individual=p.owner)
    return Item(id=rid, key=p.key, template=STRATEGY, prompt_hash=plan.prompt_hash,
                seed=stable_seed(plan.limits.seed, rid),
                values={"first": p.first.text, "second": p.second.text, "shared": surface(p.entity, p.first.text)},
                source_ids=list(docs), source_text=f"{p.first.text} {p.second.text}", meta=meta)


def _groups(members: List[Tuple[str, Sentence]]) -> Dict[str, List[Sentence]]:
    by_entity: Dict[str, List[Sentence]] = {}
    for entity, s in members:
        by_entity.setdefault(entity, []).append(s)
    return by_entity


def partition_pairs(members: List[Tuple[str, Sentence]], plan: RoundPlan) -> List[Pair]:
    """One partition's pairs, its entities in sorted order."""
    by_entity = _groups(members)
    return [p for e in sorted(by_entity) for p in select_pairs(e, by_entity[e], plan.round, plan.limits)]


def owner_partition(p: Pair, plan: RoundPlan) -> int:
    """Where a pair is budgeted (focus=individuals): its individual's partition, else its entity's."""
    return partition_of(p.owner or p.entity, plan)


def budgeted(pairs: List[Pair], plan: RoundPlan, kinds: FrozenSet[str]) -> List[Pair]:
    """One owner partition's pairs within augment.compose.per_individual (individuals.budget);
    `kinds`: the partition's entities that their own groups read as kinds."""
    return budget(pairs, plan.limits.per_individual, lambda p: p.order(plan.limits.seed), kinds)


def pack(part: int, pairs: List[Pair], plan: RoundPlan) -> List[Unit]:
    """Pairs packed into units of `unit_size` prompts, stems `r<round>-<part>-<index>`."""
    items = [_item(p, plan) for p in pairs]
    units = []
    for i in range(0, len(items), plan.unit_size):
        stem = f"r{plan.round}-{part:05d}-{i // plan.unit_size:06d}"
        units.append(Unit(unit_id=f"{STRATEGY}-{stem}", stem=stem, strategy=STRATEGY, phase=STRATEGY,
                          sampling=plan.sampling, items=items[i:i + plan.unit_size]))
    return units


def partition_units(part: int, members: List[Tuple[str, Sentence]], plan: RoundPlan) -> List[Unit]:
    """One partition's pairs (its entities in sorted order) packed into units of `unit_size` prompts."""
    return pack(part, partition_pairs(members, plan), plan)


def plan_round(corpus: Corpus, plan: RoundPlan, use_ray: bool):
    """The round's units: a list (plain loop) or a lazy Ray Dataset of {"unit": json} rows."""
    if use_ray:
        return _plan_ray(corpus, plan)
    parts: Dict[int, List[Tuple[str, Sentence]]] = {}
    for src in sources(corpus, plan):
        for entity, part, s in rows(src, corpus, plan):
            parts.setdefault(part, []).append((entity, s))
    if not plan.limits.individuals:
        return [u for p in sorted(parts) for u in partition_units(p, parts[p], plan)]
    owners: Dict[int, List[Pair]] = {}
    kinds = frozenset().union(*(kinds_of(_groups(m)) for m in parts.values()))
    for p in sorted(parts):
        for pair in partition_pairs(parts[p], plan):
            owners.setdefault(owner_partition(pair, plan), []).append(pair)
    return [u for o in sorted(owners) for u in pack(o, budgeted(owners[o], plan, kinds), plan)]


def _rows_schema():
    import pyarrow as pa

    return pa.schema([("entity", pa.string()), ("part", pa.int64()), ("sentence", pa.string())])


def _rows_batch(batch, corpus: Corpus, plan: RoundPlan):
    import pyarrow as pa

    out: Dict[str, list] = {"entity": [], "part": [], "sentence": []}
    for src in batch["src"]:
        for entity, part, s in rows(tuple(json.loads(str(src))), corpus, plan):
            out["entity"].append(entity)
            out["part"].append(part)
            out["sentence"].append(s.to_json())
    return pa.table(out, schema=_rows_schema())  # typed even when a source has no row


def _units_group(table, plan: RoundPlan):
    import pyarrow as pa

    d = table.to_pydict()
    members = [(e, Sentence.from_json(s)) for e, s in zip(d["entity"], d["sentence"])]
    units = [u.to_json() for u in partition_units(int(d["part"][0]), members, plan)]
    return pa.table({"unit": pa.array(units, type=pa.string())})  # typed even when no entity has a pair


def _pairs_group(table, plan: RoundPlan):
    import pyarrow as pa

    d = table.to_pydict()
    members = [(e, Sentence.from_json(s)) for e, s in zip(d["entity"], d["sentence"])]
    pairs = partition_pairs(members, plan)
    # The partition's kinds go to the budget step of the same partition (an owner's partition is its key's).
    marker = json.dumps({"kinds": sorted(kinds_of(_groups(members)))})
    return pa.table({"part": pa.array([owner_partition(p, plan) for p in pairs] + [int(d["part"][0])], type=pa.int64()),
                     "pair": pa.array([p.to_json() for p in pairs] + [marker], type=pa.string())})


def _owner_units(table, plan: RoundPlan):
    import pyarrow as pa

    d = table.to_pydict()
    rows = [json.loads(p) for p in d["pair"]]
    kinds = frozenset(k for r in rows for k in r.get("kinds", ()))
    pairs = budgeted([Pair.from_json(json.dumps(r)) for r in rows if "kinds" not in r], plan, kinds)
    units = [u.to_json() for u in pack(int(d["part"][0]), pairs, plan)]
    return pa.table({"unit": pa.array(units, type=pa.string())})


def _plan_ray(corpus: Corpus, plan: RoundPlan):
    import ray

    srcs = [{"src": json.dumps(s)} for s in sources(corpus, plan)]
    ds = ray.data.from_items(srcs, override_num_blocks=len(srcs))
    rows_ds = ds.map_batches(_rows_batch, batch_size=1, batch_format="numpy",
                             fn_kwargs={"corpus": corpus, "plan": plan})
    groups = rows_ds.groupby("part", num_partitions=min(64, plan.partitions))
    if not plan.limits.individuals:
        return groups.map_groups(_units_group, fn_kwargs={"plan": plan}, batch_format="pyarrow")
    pairs = groups.map_groups(_pairs_group, fn_kwargs={"plan": plan}, batch_format="pyarrow")
    by_owner = pairs.groupby("part", num_partitions=min(64, plan.partitions))
    return by_owner.map_groups(_owner_units, fn_kwargs={"plan": plan}, batch_format="pyarrow")
