"""Global windows at scale: a parallel grouping in O(N log N), on Ray Data or in this process.

Two passes over the corpus shards, each shard read by the worker that processes it:

1. scan: per shard its document count, a histogram of token counts (the window budget and
   the documents too long for any window follow from it) and a count-min sketch of term
   document frequencies (fixed size: the driver sums the shards' sketches, flat in corpus size).
2. key: each document's group key is its rarest term that another document shares (the
   sketch's estimate >= 2; words count only when they are rare across the corpus, the same
   entity notion as `planner.entity_sets`); ties go to a hash seeded by the run's seed.
   Keyed documents go to one of P partitions by a hash of the key; documents with no key are
   leftovers, kept in their shard in corpus order.

Then each partition (a Ray Data group) is sorted by (key, position) and packed on a worker:
a group that fits the budget stays whole in one window, a larger group fills windows in
order; leftovers fill windows in corpus order. Everything depends only on the corpus, the
seed and the budget, so the windows and their ids are the same on one process or a cluster.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from augft.augment.consistency import linked_groups
from augft.augment.entities import link_keys
from augft.augment.engines.base import Sampling
from augft.augment.planner import CAPS, stable_seed
from augft.augment.tokens import TokenCounter
from augft.augment.units import Item, Unit, WindowDoc
from augft.core.corpus import Corpus, iter_shard, shard_digest
from augft.core.errors import AugftError

WIDTH = 1 << 20  # sketch columns; 2 rows of uint32: 8 MiB per shard scan
HIST = 1 << 16  # token-count histogram; longer documents land in the last bin
DOCS_PER_PARTITION = 20_000
_CHUNK = 2048
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


def doc_terms(text: str, meta: Dict) -> Tuple[List[str], List[str]]:
    """(named terms, words): meta entities and capitalised spans always count as entities;
    words only when rare across the corpus."""
    named = {str(e).lower() for e in meta.get("entities", []) if isinstance(e, str)}
    named |= {m.group(0).lower() for m in CAPS.finditer(text)}
    words = set(_WORD.findall(text.lower())) - named
    return sorted(named), sorted(words)


def _hash64(terms: Sequence[str], key: str) -> np.ndarray:
    from pandas.util import hash_array

    if not len(terms):
        return np.zeros(0, dtype=np.uint64)
    return hash_array(np.asarray(terms, dtype=object), hash_key=key, categorize=False)


_SKETCH_KEY = "augft-df-sketch0"


def _sketch_index(terms: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    h = _hash64(terms, _SKETCH_KEY)
    return (h & np.uint64(0xFFFFFFFF)) % np.uint64(WIDTH), (h >> np.uint64(32)) % np.uint64(WIDTH)


def sketch_estimate(sketch: np.ndarray, terms: Sequence[str]) -> np.ndarray:
    i0, i1 = _sketch_index(terms)
    return np.minimum(sketch[0][i0.astype(np.int64)], sketch[1][i1.astype(np.int64)])


@dataclass
class ShardScan:
    shard: int
    docs: int
    digest: str
    hist: Optional[np.ndarray] = None
    sketch: Optional[np.ndarray] = None


def _chunks(corpus: Corpus, i: int, seen: Optional[Dict[str, str]] = None) -> Iterator[List]:
    buf = []
    for pos, doc in iter_shard(corpus, corpus.shards[i], seen=seen):
        buf.append((pos, doc))
        if len(buf) >= _CHUNK:
            yield buf
            buf = []
    if buf:
        yield buf


def scan_shard(corpus: Corpus, i: int, counter: Optional[TokenCounter],
               seen: Optional[Dict[str, str]] = None) -> ShardScan:
    """Pass 1 over one shard (validates every record; `seen` shared across shards checks ids
    across them); without a counter only counts and digests."""
    scan = ShardScan(shard=i, docs=0, digest=shard_digest(corpus, corpus.shards[i]))
    if counter is None:
        scan.docs = sum(len(chunk) for chunk in _chunks(corpus, i, seen))
        return scan
    hist, sketch = np.zeros(HIST, dtype=np.int64), np.zeros((2, WIDTH), dtype=np.uint32)
    for chunk in _chunks(corpus, i, seen):
        scan.docs += len(chunk)
        ntok = np.minimum(np.asarray(counter.many([d.text for _, d in chunk])), HIST - 1)
        hist += np.bincount(ntok, minlength=HIST)
        terms = [t for _, d in chunk for part in doc_terms(d.text, d.meta) for t in part]
        i0, i1 = _sketch_index(terms)
        sketch[0] += np.bincount(i0.astype(np.int64), minlength=WIDTH).astype(np.uint32)
        sketch[1] += np.bincount(i1.astype(np.int64), minlength=WIDTH).astype(np.uint32)
    scan.hist, scan.sketch = hist, sketch
    return scan


@dataclass(frozen=True)
class KeyPlan:
    """What pass 2 needs on every worker (the sketch travels beside it, once per worker)."""
    offsets: Tuple[int, ...]
    """Position of each shard's first document in the corpus."""
    limit: int
    cutoff: int
    budget: int
    partitions: int
    seed: int
    counter: TokenCounter


def _pick_key(named: List[str], words: List[str], est: Dict[str, int], tie: Dict[str, int],
              cutoff: int) -> str:
    best: Optional[Tuple[int, int, str]] = None
    for t in named + words:
        df = est[t]
        if df < 2 or (t in words and df > cutoff):
            continue
        cand = (df, tie[t], t)
        if best is None or cand < best:
            best = cand
    return best[2] if best else ""


def key_rows(corpus: Corpus, i: int, plan: KeyPlan, sketch: np.ndarray) -> Dict[str, list]:
    """Pass 2 over one shard: columns id, text, pos, ntok, key, part for every document that
    fits a window (within the limit)."""
    cols: Dict[str, list] = {k: [] for k in ("id", "text", "pos", "ntok", "key", "part")}
    tie_key = f"{plan.seed:016d}"[-16:]
    for chunk in _chunks(corpus, i):
        chunk = [(plan.offsets[i] + p, d) for p, d in chunk
                 if not plan.limit or plan.offsets[i] + p < plan.limit]
        ntok = plan.counter.many([d.text for _, d in chunk])
        terms = [doc_terms(d.text, d.meta) for _, d in chunk]
        flat = sorted({t for named, words in terms for t in named + words})
        est = dict(zip(flat, sketch_estimate(sketch, flat).tolist()))
        tie = dict(zip(flat, (_hash64(flat, tie_key) >> np.uint64(1)).tolist()))
        for (pos, d), n, (named, words) in zip(chunk, ntok, terms):
            if n + 1 > plan.budget:
                continue
            key = _pick_key(named, words, est, tie, plan.cutoff)
            part = tie[key] % plan.partitions if key else plan.partitions + i
            for k, v in zip(cols, (d.id, d.text, pos, n, key, part)):
                cols[k].append(v)
    return cols


@dataclass
class Row:
    id: str
    text: str
    pos: int
    ntok: int
    key: str


def pack(rows: Sequence[Row], budget: int) -> List[List[Row]]:
    """Windows of at most `budget` tokens (a document costs its tokens + 1 newline) from rows
    sorted by (key, pos): a group that fits stays whole, a larger one (and the leftovers'
    empty key) fills windows in order."""
    out: List[List[Row]] = []
    cur: List[Row] = []
    used = 0
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end].key == rows[start].key:
            end += 1
        group = rows[start:end]
        size = sum(r.ntok + 1 for r in group)
        if rows[start].key and size <= budget:
            if used + size > budget:
                out.append(cur)
                cur, used = [], 0
            cur.extend(group)
            used += size
        else:
            for r in group:
                if cur and used + r.ntok + 1 > budget:
                    out.append(cur)
                    cur, used = [], 0
                cur.append(r)
                used += r.ntok + 1
        start = end
    if cur:
        out.append(cur)
    return out


@dataclass(frozen=True)
class UnitPlan:
    """How windows become units."""
    sampling: Sampling
    prompt_hash: str
    seed: int
    budget: int = 0
    """Set by the planner once the corpus is scanned."""
    linked: bool = False
    """augment.global_context=linked: each focal item shows only the documents linked to it."""


def window_unit(part: int, k: int, win: Sequence[Row], up: UnitPlan) -> Unit:
    """One unit per window: the window once, one focal item per document in it."""
    stem = f"{part:05d}-{k:06d}"
    # The groups travel once per unit (an item names its group): a window whose documents all
    # link up would otherwise carry the window's size squared in indices.
    groups, group_of = linked_groups([r.text for r in win]) if up.linked else ([], [-1] * len(win))
    items = []
    for j, r in enumerate(win):
        rid = f"{r.id}:global:{up.prompt_hash}:0"
        items.append(Item(id=rid, key=r.id, template="global", prompt_hash=up.prompt_hash,
                          seed=stable_seed(up.seed, rid), doc=j, group=group_of[j]))
    whole = sum(1 for g in group_of if g < 0)
    unit = Unit(unit_id=f"global-{stem}", stem=stem, strategy="global", phase="global",
                sampling=up.sampling, items=items, docs=[WindowDoc(r.id, r.text) for r in win],
                window=stem, groups=groups)
    # What linked context found, for the manifest: real text whose names go unread falls back.
    unit.plan = {"documents_with_entities": sum(1 for r in win if link_keys(r.text)),
                 "whole_window": whole, "linked": len(win) - whole}
    return unit


def attach_lonely(rows: List[Row]) -> None:
    """A document alone in its group (its partners chose other keys) joins the group of a
    document in this partition that shares its rarest term with it; in place, deterministic."""
    size = Counter(r.key for r in rows if r.key)
    lonely = [i for i, r in enumerate(rows) if r.key and size[r.key] == 1]
    if not lonely:
        return
    cutoff = max(2, len(rows) // 10)
    terms = []
    index: Dict[str, List[int]] = {}
    for i, r in enumerate(rows):
        named, words = doc_terms(r.text, {})
        terms.append(named + words)
        for t in named + words:
            index.setdefault(t, []).append(i)
    common = {t for t, ix in index.items() if len(ix) > cutoff}
    for i in lonely:
        if size[rows[i].key] != 1:
            continue  # another lonely document joined it meanwhile
        shared = sorted((len(index[t]), t) for t in terms[i] if len(index[t]) > 1 and t not in common)
        if shared:
            j = next(j for j in index[shared[0][1]] if j != i)
            size[rows[i].key] -= 1
            rows[i].key = rows[j].key
            size[rows[j].key] += 1


def pack_partition(part: int, rows: Iterable[Row], up: UnitPlan) -> List[Unit]:
    ordered = sorted(rows, key=lambda r: r.pos)
    if ordered and ordered[0].key:  # keyed partition (leftovers share nothing)
        attach_lonely(ordered)
    ordered.sort(key=lambda r: (r.key, r.pos))
    return [window_unit(part, k, w, up) for k, w in enumerate(pack(ordered, up.budget))]


@dataclass
class GlobalPlan:
    """What the driver knows of the global plan: counts, never the corpus."""
    documents: int
    fit: int
    skipped: int
    budget: int
    partitions: int
    digests: List[str] = field(default_factory=list)
    units: Any = None
    """A list of Units (plain loop) or a Ray Dataset of {"unit": json} rows."""


def budget_for(hist: np.ndarray, max_context: int, max_new_tokens: int, window_tokens: int,
               focal_overhead: int, prefix_overhead: int) -> int:
    longest = int(np.nonzero(hist)[0].max()) if hist.any() else 0
    budget = window_tokens or (max_context - max_new_tokens - longest - focal_overhead - prefix_overhead)
    if budget <= 1:
        raise AugftError(f"augment.window_tokens: no room for a global window (budget {budget} tokens: "
                         f"context {max_context}, longest document {longest} tokens); "
                         "raise model.max_context or lower augment.max_new_tokens")
    return budget


def partitions_for(n_docs: int) -> int:
    return max(1, math.ceil(n_docs / DOCS_PER_PARTITION))


def related_share(windows: Sequence[Sequence[str]], ents: Dict[str, set]) -> float:
    """Share of documents whose window holds another document sharing an entity with it."""
    hit = total = 0
    for win in windows:
        for d in win:
            total += 1
            hit += any(o != d and ents[d] & ents[o] for o in win)
    return hit / total if total else 0.0
