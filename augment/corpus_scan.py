"""Pass 1 over a corpus, where its shards are: every record validated, per shard its document
count and digest (and, for global windows, a token histogram and a term sketch), and ids unique
across the shards.

On Ray each shard is read by one task on a worker and only the per-shard sums reach the driver
(fixed-size arrays and counts, whatever the corpus size); duplicate ids are found by a
distributed group-by on the id's hash, so the driver sees only the duplicates themselves. In
the plain loop the same scan runs here, shard by shard, with one id set across shards.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

from augft.augment.tokens import TokenCounter
from augft.augment.windows import HIST, WIDTH, ShardScan, scan_shard
from augft.core.corpus import Corpus, public, shard_ids
from augft.core.records import RecordError


@dataclass
class CorpusScan:
    counts: List[int]
    """Documents per shard, in shard order."""
    digests: List[str]
    """sha256 of each shard's bytes."""
    hist: Optional[np.ndarray] = None
    """Token-count histogram over the corpus (global windows' budget)."""
    sketch: Optional[np.ndarray] = None
    """Count-min sketch of term document frequencies (global windows' keys)."""
    shard_sizes: Dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts)

    def offsets(self) -> tuple:
        """Position of each shard's first document in the corpus."""
        return tuple(int(x) for x in np.cumsum([0] + self.counts[:-1]))

    def documents(self, limit: int) -> int:
        return min(self.total, limit) if limit else self.total

    def counted(self) -> Tuple[np.ndarray, np.ndarray]:
        """(hist, sketch): only a scan with a token counter has them."""
        if self.hist is None or self.sketch is None:
            raise ValueError("this corpus scan ran without a token counter: no histogram or sketch")
        return self.hist, self.sketch


def shards_ds(corpus: Corpus):
    """A Ray Dataset of one row per shard ({"shard": i}), one block each: a task per shard."""
    import ray

    n = len(corpus.shards)
    return ray.data.from_items([{"shard": i} for i in range(n)], override_num_blocks=n)


def scan_corpus(corpus: Corpus, counter: Optional[TokenCounter], use_ray: bool) -> CorpusScan:
    """Every shard scanned (with terms and token counts when `counter` is given), ids checked
    unique across shards; an empty corpus is an error."""
    n = len(corpus.shards)
    out = CorpusScan(counts=[0] * n, digests=[""] * n)
    # Summed as the shards arrive: a shard's sketch is 8 MiB, too many to hold at once.
    acc = (np.zeros(HIST, dtype=np.int64), np.zeros((2, WIDTH), dtype=np.uint32)) if counter is not None else None
    for s in _scans(corpus, counter, use_ray):
        out.counts[s.shard], out.digests[s.shard] = s.docs, s.digest
        if acc is not None and s.hist is not None and s.sketch is not None:
            acc[0][:] += s.hist
            acc[1][:] += s.sketch
    if acc is not None:
        out.hist, out.sketch = acc
    if out.total == 0:
        where = corpus.display(corpus.shards[0]) if n == 1 else public(corpus.location)
        raise RecordError(f"{where}: no records (an empty corpus cannot be used)")
    if use_ray and n > 1:
        check_unique_ids(corpus)
    return out


def _scans(corpus: Corpus, counter: Optional[TokenCounter], use_ray: bool) -> Iterator[ShardScan]:
    if not use_ray:
        seen: Dict[str, str] = {}  # one id set across the shards: the plain loop's duplicate check
        for i in range(len(corpus.shards)):
            yield scan_shard(corpus, i, counter, seen)
        return
    ds = shards_ds(corpus).map(_scan_row, fn_kwargs={"corpus": corpus, "counter": counter})
    for row in ds.iter_rows():
        yield ShardScan(shard=row["shard"], docs=row["docs"], digest=row["digest"],
                        hist=np.frombuffer(row["hist"], dtype=np.int64) if row["hist"] else None,
                        sketch=(np.frombuffer(row["sketch"], dtype=np.uint32).reshape(2, WIDTH)
                                if row["sketch"] else None))


def _scan_row(row, corpus: Corpus, counter):
    s = scan_shard(corpus, int(row["shard"]), counter)
    return {"shard": s.shard, "docs": s.docs, "digest": s.digest,
            "hist": s.hist.tobytes() if s.hist is not None else b"",
            "sketch": s.sketch.tobytes() if s.sketch is not None else b""}


# -- duplicate ids across shards -------------------------------------------------------------

def _id_rows(batch, corpus: Corpus, buckets: int):
    """Every record's (id hash bucket, id, shard, position, place) of the batch's shards."""
    import zlib

    import pyarrow as pa

    cols: Dict[str, list] = {"bucket": [], "id": [], "shard": [], "pos": [], "place": []}
    for i in batch["shard"]:
        for pos, place, rid in shard_ids(corpus, corpus.shards[int(i)]):
            for k, v in zip(cols, (zlib.crc32(rid.encode()) % buckets, rid, int(i), pos, place)):
                cols[k].append(v)
    return pa.table(cols)


def _duplicates(table):
    """The ids of one bucket that occur twice or more: (id, first place, second place)."""
    import pyarrow as pa

    d = table.to_pydict()
    order = sorted(range(len(d["id"])), key=lambda k: (d["shard"][k], d["pos"][k]))
    first: Dict[str, int] = {}
    out: Dict[str, list] = {"id": [], "first": [], "second": [], "rank": []}
    for k in order:
        j = first.setdefault(d["id"][k], k)
        if j != k:
            out["id"].append(d["id"][k])
            out["first"].append(d["place"][j])
            out["second"].append(d["place"][k])
            out["rank"].append(d["shard"][k] * (1 << 40) + d["pos"][k])
    return pa.table(out, schema=pa.schema([("id", pa.string()), ("first", pa.string()),
                                           ("second", pa.string()), ("rank", pa.int64())]))


def check_unique_ids(corpus: Corpus) -> None:
    """A distributed group-by of every id on its hash: the first duplicate in corpus order,
    named by both places, is an error (before any generation)."""
    buckets = max(2, min(64, 2 * len(corpus.shards)))
    rows = shards_ds(corpus).map_batches(_id_rows, batch_size=1, batch_format="numpy",
                                         fn_kwargs={"corpus": corpus, "buckets": buckets})
    dups = rows.groupby("bucket", num_partitions=buckets).map_groups(_duplicates, batch_format="pyarrow")
    dups = dups.materialize()  # only the duplicates: none in a valid corpus
    n = dups.count()
    if n:
        f = dups.sort("rank").take(1)[0]
        raise RecordError(f"{f['second']}: duplicate id '{f['id']}' (first at {f['first']}); "
                          f"{n} duplicate record(s) in all")
