"""Planning global units over a corpus of shards: on Ray Data (workers read the shards, group,
and pack) or in this process (the plain loop). Both give the same windows and unit ids.

The driver holds the sum of the shards' scans (a 8 MiB sketch and a 512 KiB histogram,
whatever the corpus size) and a handful of counts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Iterator, List, Optional

import numpy as np

from augft.augment.tokens import TokenCounter
from augft.augment.windows import (HIST, WIDTH, GlobalPlan, KeyPlan, Row, ShardScan, UnitPlan,
                                   budget_for, key_rows, pack_partition, partitions_for,
                                   scan_shard)
from augft.core.corpus import Corpus, public
from augft.core.records import RecordError

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


def scans(corpus: Corpus, counter: Optional[TokenCounter], use_ray: bool) -> Iterator[ShardScan]:
    """Pass 1 over every shard (validating every record), in any order."""
    if not use_ray:
        for i in range(len(corpus.shards)):
            yield scan_shard(corpus, i, counter)
        return
    ds = _shards_ds(corpus).map(_scan_row, fn_kwargs={"corpus": corpus, "counter": counter})
    for row in ds.iter_rows():
        yield ShardScan(shard=row["shard"], docs=row["docs"], digest=row["digest"],
                        hist=np.frombuffer(row["hist"], dtype=np.int64) if row["hist"] else None,
                        sketch=(np.frombuffer(row["sketch"], dtype=np.uint32).reshape(2, WIDTH)
                                if row["sketch"] else None))


def _shards_ds(corpus: Corpus):
    import ray

    n = len(corpus.shards)
    return ray.data.from_items([{"shard": i} for i in range(n)], override_num_blocks=n)


def _scan_row(row, corpus: Corpus, counter):
    s = scan_shard(corpus, int(row["shard"]), counter)
    return {"shard": s.shard, "docs": s.docs, "digest": s.digest,
            "hist": s.hist.tobytes() if s.hist is not None else b"",
            "sketch": s.sketch.tobytes() if s.sketch is not None else b""}


def plan_global(corpus: Corpus, spec: GlobalSpec, use_ray: bool) -> GlobalPlan:
    """Scan, then the units (not yet computed on Ray: a lazy Dataset the executor consumes)."""
    n_shards = len(corpus.shards)
    counts, digests = [0] * n_shards, [""] * n_shards
    hist = np.zeros(HIST, dtype=np.int64)
    sketch = np.zeros((2, WIDTH), dtype=np.uint32)
    for s in scans(corpus, spec.counter, use_ray):
        counts[s.shard], digests[s.shard] = s.docs, s.digest
        hist += s.hist
        sketch += s.sketch
    total = sum(counts)
    if total == 0:
        raise RecordError(f"{public(corpus.location)}: no records (an empty corpus cannot be used)")
    n_docs = min(total, spec.limit) if spec.limit else total
    budget = budget_for(hist, spec.max_context, spec.max_new_tokens, spec.window_tokens,
                        spec.focal_overhead, spec.prefix_overhead)
    # Over the whole corpus (the histogram does not know the limit): exact without a limit.
    skipped = int(hist[budget:].sum()) if budget < HIST else 0
    offsets = tuple(int(x) for x in np.cumsum([0] + counts[:-1]))
    kp = KeyPlan(offsets=offsets, limit=spec.limit, cutoff=max(2, int(0.1 * n_docs)), budget=budget,
                 partitions=partitions_for(n_docs), seed=spec.seed, counter=spec.counter)
    up = replace(spec.units, budget=budget)
    units = _units_ray(corpus, kp, sketch, up) if use_ray else _units_local(corpus, kp, sketch, up)
    return GlobalPlan(documents=n_docs, fit=max(0, n_docs - skipped), skipped=skipped, budget=budget,
                      partitions=kp.partitions, digests=digests, units=units)


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
    rows = _shards_ds(corpus).map_batches(_key_batch, batch_size=1, batch_format="numpy",
                                          fn_kwargs={"corpus": corpus, "kp": kp, "sketch_ref": ref})
    # As many shuffle partitions as groups (keyed partitions + one leftover group per shard), capped.
    groups = rows.groupby("part", num_partitions=min(64, kp.partitions + len(corpus.shards)))
    return groups.map_groups(_pack_group, fn_kwargs={"up": up}, batch_format="pyarrow")
