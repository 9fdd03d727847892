"""Planning global units over a corpus of shards: on Ray Data (workers read the shards, group,
and pack) or in this process (the plain loop). Both give the same windows and unit ids.

The driver holds the sum of the shards' scans (augment/corpus_scan.py: a 8 MiB sketch and a
512 KiB histogram, whatever the corpus size) and a handful of counts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List

import numpy as np

from augft.augment.corpus_scan import CorpusScan, shards_ds
from augft.augment.tokens import TokenCounter
from augft.augment.windows import (HIST, GlobalPlan, KeyPlan, Row, UnitPlan, budget_for, key_rows,
                                   pack_partition, partitions_for)
from augft.core.corpus import Corpus

_SKETCHES: Dict[str, np.ndarray] = {}


def _rows_schema():
    import pyarrow as pa

    return pa.schema([("id", pa.string()), ("text", pa.string()), ("pos", pa.int64()),
                      ("ntok", pa.int64()), ("key", pa.string()), ("part", pa.int64())])


@dataclass(frozen=True)
class GlobalSpec:
    counter: TokenCounter
    max_context: int
    max_new_tokens: int
    window_tokens: int
    focal_overhead: int
    """Tokens of the focal part of a prompt besides the document."""
    prefix_overhead: int
    """Tokens of the shared part besides the window."""
    seed: int
    limit: int
    units: UnitPlan


def plan_global(corpus: Corpus, spec: GlobalSpec, use_ray: bool, scan: CorpusScan) -> GlobalPlan:
    """The units from the corpus's scan (with terms and token counts); on Ray a lazy Dataset the
    executor consumes, planned on the workers."""
    n_docs = scan.documents(spec.limit)
    hist, sketch = scan.counted()
    budget = budget_for(hist, spec.max_context, spec.max_new_tokens, spec.window_tokens,
                        spec.focal_overhead, spec.prefix_overhead)
    # Over the whole corpus (the histogram does not know the limit): exact without a limit.
    skipped = int(hist[budget:].sum()) if budget < HIST else 0
    kp = KeyPlan(offsets=scan.offsets(), limit=spec.limit, cutoff=max(2, int(0.1 * n_docs)), budget=budget,
                 partitions=partitions_for(n_docs), seed=spec.seed, counter=spec.counter)
    up = replace(spec.units, budget=budget)
    units = _units_ray(corpus, kp, sketch, up) if use_ray else _units_local(corpus, kp, sketch, up)
    return GlobalPlan(documents=n_docs, fit=max(0, n_docs - skipped), skipped=skipped, budget=budget,
                      partitions=kp.partitions, digests=scan.digests, units=units)


def _units_local(corpus: Corpus, kp: KeyPlan, sketch: np.ndarray, up: UnitPlan) -> List:
    parts: Dict[int, List[Row]] = {}
    for i in range(len(corpus.shards)):
        cols = key_rows(corpus, i, kp, sketch)
        for j in range(len(cols["id"])):
            parts.setdefault(cols["part"][j], []).append(
                Row(cols["id"][j], cols["text"][j], cols["pos"][j], cols["ntok"][j], cols["key"][j]))
    return [u for p in sorted(parts) for u in pack_partition(p, parts[p], up)]


def _sketch(ref) -> np.ndarray:
    """The sketch, fetched once per worker process."""
    import ray

    key = ref.hex()
    if key not in _SKETCHES:
        _SKETCHES.clear()
        _SKETCHES[key] = ray.get(ref)
    return _SKETCHES[key]


def _key_batch(batch, corpus: Corpus, kp: KeyPlan, sketch_ref):
    import pyarrow as pa

    out: Dict[str, list] = {k: [] for k in ("id", "text", "pos", "ntok", "key", "part")}
    for i in batch["shard"]:
        for k, v in key_rows(corpus, int(i), kp, _sketch(sketch_ref)).items():
            out[k].extend(v)
    return pa.table(out, schema=_rows_schema())  # typed even when a shard has no row left


def _pack_group(table, up: UnitPlan):
    d = table.to_pydict()
    rows = [Row(*t) for t in zip(d["id"], d["text"], d["pos"], d["ntok"], d["key"])]
    return {"unit": [u.to_json() for u in pack_partition(int(d["part"][0]), rows, up)]}


def _units_ray(corpus: Corpus, kp: KeyPlan, sketch: np.ndarray, up: UnitPlan):
    import ray

    ref = ray.put(sketch)
    rows = shards_ds(corpus).map_batches(_key_batch, batch_size=1, batch_format="numpy",
                                          fn_kwargs={"corpus": corpus, "kp": kp, "sketch_ref": ref})
    # As many shuffle partitions as groups (keyed partitions + one leftover group per shard), capped.
    groups = rows.groupby("part", num_partitions=min(64, kp.partitions + len(corpus.shards)))
    return groups.map_groups(_pack_group, fn_kwargs={"up": up}, batch_format="pyarrow")
