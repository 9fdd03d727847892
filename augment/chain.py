"""A chained strategy's input: the records its upstream kept, as a corpus (core/chains.py).

`reverse<compose` runs `reverse` over compose's kept records. Each upstream shard becomes one
corpus shard, `_upstream/corpus-<n>.parquet` in the chained run's own output: a document per
upstream record (its id and text), carrying the chain so far and the corpus documents the record
came from. The folder is named by the upstream shards' digest (`_upstream/<digest>/`), so a
run pointed at other upstream records never mixes them with these. The chained strategy is then planned and run like any other over that corpus (per
shard, on the workers, units with stats files, resumable), and its planning stamps every item
with the chain (`stamp`), so each record it writes says `meta.chain` (run order), `meta.upstream`
(the upstream record's id), `meta.round` (the compose round the upstream record was kept in, when
it has one) and, as `source_ids`, the corpus documents behind it.

The upstream's records are read through their owner, `core.artifacts.AugmentOutput`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from augft.augment.storage import OutputStore
from augft.core import chains
from augft.core.artifacts import AugmentOutput
from augft.core.corpus import is_uri, join_uri
from augft.core.errors import AugftError
from augft.core.records import Augmentation, Document

INPUT = "_upstream"
META = "_chain"
"""A derived document's meta key: {"chain": [...], "source_ids": [...]}."""


def _upstream(label: str) -> str:
    up = chains.upstream(label)
    if up is None:
        raise AugftError(f"augment: '{label}' is not a chained strategy (upstream<strategy)")
    return up


def upstream_shards(folder: str, label: str) -> List[Path]:
    """The shards of the records `chains.upstream(label)` kept in the augment output `folder`."""
    up = chains.upstream(label)
    if is_uri(str(folder)):
        raise AugftError(f"augment: '{label}' reads its upstream from a local folder, not {folder}")
    out = AugmentOutput(Path(folder))
    if not out.finished():
        raise AugftError(f"augment: '{label}' reads the records '{up}' kept, but {folder} has no manifest.json "
                         "(not an augment output, or an unfinished one)")
    entries = out.manifest().strategies
    if up not in entries:
        raise AugftError(f"augment: '{label}' reads the records of '{up}', but {folder} holds {sorted(entries)}")
    return out.shards(up)


def digest(shards: Sequence[Path]) -> str:
    """The upstream shards' bytes, hashed (the chained run's resume fingerprint)."""
    h = hashlib.sha256()
    for p in shards:
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def derive_shard(shard: str, i: int, location: str, chain: List[str]) -> int:
    """Upstream shard `shard` as corpus shard `i` in `location` (resumable: written whole, once);
    returns its document count (-1: already there)."""
    from augft.core.records import iter_parquet

    store, rel = OutputStore(location), f"corpus-{i:05d}.parquet"
    if store.exists(rel):
        return -1
    docs = [{"id": r.id, "text": r.text, "meta": {META: {"chain": list(chain), "source_ids": list(r.source_ids),
                                                      **_round(r.meta or {})}}}
            for r in iter_parquet(Path(shard), Augmentation)]
    store.write_parquet(rel, docs)
    return len(docs)


def upstream_kept(folder: str, label: str) -> int:
    """How many records the upstream kept (its manifest's count): none leaves a chain nothing to read."""
    return AugmentOutput(Path(folder)).manifest().strategies[_upstream(label)].ok


def _round(meta: Dict) -> Dict:
    """The round an upstream record was kept in (compose's, or its own upstream's), so a chain's
    records are counted per round too."""
    k = (meta.get("compose") or {}).get("round", meta.get("round"))
    return {} if k is None else {"round": int(k)}


def derive_corpus(folder: str, label: str, out: str, use_ray: bool) -> Tuple[str, str]:
    """Write the chained run's corpus under `out` (one Ray task per upstream shard, or here);
    returns its location and the upstream's digest."""
    shards = upstream_shards(folder, label)
    chain, up_digest = chains.run_order(_upstream(label)), digest(shards)
    location = join_uri(out, INPUT, up_digest)
    if use_ray:
        import ray

        task = ray.remote(num_cpus=0)(derive_shard)
        ray.get([task.remote(str(p), i, location, chain) for i, p in enumerate(shards)])
    else:
        for i, p in enumerate(shards):
            derive_shard(str(p), i, location, chain)
    return location, up_digest


def stamp(items: list, docs: Sequence[Document], strategy: str) -> list:
    """Items planned from derived documents name their chain, their upstream record and the
    corpus documents behind it (items from corpus documents are left as they are)."""
    ups: Dict[str, Dict] = {d.id: d.meta[META] for d in docs if isinstance(d.meta.get(META), dict)}
    for it in items:
        up = ups.get(it.key)
        if up is not None:
            it.meta = {**it.meta, **provenance(up, it.key, strategy)}
            it.source_ids = list(up.get("source_ids") or [it.key])
    return items


def provenance(up: Dict, upstream_id: str, strategy: str) -> Dict:
    """What a chained record's meta says: its chain in run order and its upstream record."""
    return {"chain": [*up.get("chain", []), strategy], "upstream": upstream_id,
            **({"round": up["round"]} if "round" in up else {})}
