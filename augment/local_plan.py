"""Planning the per-document strategies where the shards are: local, rephrase and qa, entity
extraction and then its pairs, and the model-free `reverse`.

Each shard's plan depends only on the shard, its position in the corpus (for `augment.limit`)
and the run's settings: on Ray one task per shard reads the shard on a worker and emits its units
as rows of a lazy Dataset that the engine actors consume, so no document passes through the
driver; the plain loop plans shard by shard in this process and gives the same units. A unit's
stem starts with its shard's number, so unit files never collide across shards.

Entity augmentation is two passes: extraction units write each document's entities to
`entity/_extract/part-<stem>.parquet`; then each shard's pair planning reads its own documents
and the extraction files of its own units (a join by construction, no shuffle) and plans the
pairs. `reverse` needs no model: each shard's task writes `reverse/part-<shard>.parquet` itself.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterator, List, Tuple

from augft.augment.chain import stamp
from augft.augment.engines.base import Sampling
from augft.augment.entities import link_keys
from augft.augment.executor import node_id
from augft.augment.filters import held_out, normalize, parse_statements
from augft.augment.planner import Planner, PlanStats, entities_from_generation
from augft.augment.units import Unit
from augft.core.corpus import Corpus, iter_shard
from augft.core.records import Document
from augft.core.text import split_sentences

EXTRACT = "entity/_extract"


@dataclass(frozen=True)
class ShardPlan:
    """What a planning task needs on any worker (small and picklable)."""
    planner: Planner
    sampling: Sampling
    greedy: Sampling
    local: Tuple[str, ...]
    """The local-family strategies of the run (local, rephrase, qa)."""
    local_unit: str
    entity: bool
    offsets: Tuple[int, ...]
    limit: int

    def prefix(self, shard: int) -> str:
        return f"{shard:05d}-"


def shard_docs(corpus: Corpus, i: int, plan: ShardPlan) -> List[Document]:
    """Shard `i`'s documents within `augment.limit` (which counts from the corpus's start)."""
    start = plan.offsets[i]
    if plan.limit and start >= plan.limit:
        return []
    return [d for pos, d in iter_shard(corpus, corpus.shards[i]) if not plan.limit or start + pos < plan.limit]


def _with_counts(units: List[Unit], st: PlanStats, strategy: str, phase: str, prefix: str) -> List[Unit]:
    """The shard's planning counts ride on its first unit (an empty one when it has none)."""
    if not units:
        units = [Unit(unit_id=f"{phase}-{prefix}empty", stem=f"{prefix}empty", strategy=strategy, phase=phase,
                      sampling=Sampling(), items=[])]
    units[0].plan = {"documents": st.documents, **dict(st.long_documents), **st.entities}
    return units


def first_pass_units(corpus: Corpus, i: int, plan: ShardPlan) -> List[Unit]:
    """Shard `i`'s local-family units and entity-extraction units."""
    docs, pl, prefix = shard_docs(corpus, i, plan), plan.planner, plan.prefix(i)
    units: List[Unit] = []
    named = {"documents_with_entities": sum(1 for d in docs if link_keys(d.text))} if plan.local else {}
    for name in plan.local:
        st = PlanStats(documents=len(docs), entities=named)
        items = stamp(pl.local(docs, plan.local_unit, st, name), docs, name)
        units += _with_counts(pl.pack(name, name, items, plan.sampling, prefix), st, name, name, prefix)
    if plan.entity:
        st = PlanStats(documents=len(docs))
        units += _with_counts(pl.pack("entity", "entity_extract", pl.entity_extract(docs), plan.greedy, prefix),
                              st, "entity", "entity_extract", prefix)
    return units


def extracted(store, shard: int, prefix: str) -> Dict[str, List[str]]:
    """Document id -> the generations its extraction wrote, from shard `shard`'s extraction files."""
    out: Dict[str, List[str]] = {}
    k = 0
    while store.exists(f"{EXTRACT}/part-{prefix}{k:05d}.parquet"):
        for row in store.read_parquet_rows(f"{EXTRACT}/part-{prefix}{k:05d}.parquet"):
            out[row["id"]] = list(row["texts"])
        k += 1
    return out


def pair_units(corpus: Corpus, i: int, plan: ShardPlan, store, max_pairs: int, triples: bool) -> List[Unit]:
    """Shard `i`'s entity-pair units, from its documents and its own extraction files."""
    docs, pl, prefix = shard_docs(corpus, i, plan), plan.planner, plan.prefix(i)
    found = extracted(store, i, prefix)
    entities = {d.id: entities_from_generation(d, found[d.id], parse_statements) for d in docs if d.id in found}
    st = PlanStats(documents=len(docs))
    st.long_documents["no_entity_pairs"] = sum(1 for d in docs if len(entities.get(d.id, [])) < 2)
    items = pl.entity_pairs(docs, entities, max_pairs, triples)
    return _with_counts(pl.pack("entity", "entity", items, plan.sampling, prefix), st, "entity", "entity", prefix)


def units_ds(corpus: Corpus, fn, **kwargs):
    """A lazy Ray Dataset of {"unit": json} rows: `fn(corpus, shard, **kwargs)` on one worker per shard."""
    from augft.augment.corpus_scan import shards_ds

    return shards_ds(corpus).flat_map(_unit_rows, fn_kwargs={"corpus": corpus, "fn": fn, "kwargs": kwargs})


def _unit_rows(row, corpus: Corpus, fn, kwargs) -> List[Dict[str, str]]:
    return [{"unit": u.to_json()} for u in fn(corpus, int(row["shard"]), **kwargs)]


def units_loop(corpus: Corpus, fn, **kwargs) -> Iterator[Unit]:
    """The same units in this process, one shard at a time."""
    for i in range(len(corpus.shards)):
        yield from fn(corpus, i, **kwargs)


# -- reverse: no model ----------------------------------------------------------------------

def reverse_shard(corpus: Corpus, i: int, plan: ShardPlan, store, heldout: Tuple[str, ...],
                  min_words: int) -> Dict:
    """Write shard `i`'s reversed sentences and their stats (resumable: a done shard is read back)."""
    from augft.augment.reverse import reverse_records

    stats_path = f"reverse/part-{i:05d}.stats.json"
    if store.exists(stats_path):
        return dict(store.read_json(stats_path), resumed=True)
    docs = shard_docs(corpus, i, plan)
    recs = reverse_records(docs)
    held = held_out(heldout, min_words)
    kept = [r for r in recs if not held.hit(normalize(r["text"]))]
    n_sents = sum(len(split_sentences(d.text)) for d in docs)
    filtered = Counter({"too_short": n_sents - len(recs), "heldout_copy": len(recs) - len(kept)})
    store.write_parquet(f"reverse/part-{i:05d}.parquet", kept)
    stats = {"ok": len(kept), "filtered": {k: v for k, v in filtered.items() if v}, "failed": 0,
             "inputs": n_sents, "prompts": 0, "prompt_tokens": 0, "completion_tokens": 0, "gen_s": 0.0,
             "errors": [], "shard": f"part-{i:05d}.parquet", "strategy": "reverse", "phase": "reverse",
             "plan": {"documents": len(docs)}, "node": node_id(), "pid": os.getpid()}
    store.write_json(stats_path, stats)
    return dict(stats, resumed=False)
