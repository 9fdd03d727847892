"""Building the token shards in parallel: split, tokenize and pack.

The driver reads the sources and decides which examples train (mix and held-out slice are
cheap and seeded); the costly steps run as chunk tasks: sentence splitting per chunk of
texts, then tokenization per chunk of examples, each chunk writing one token shard. Tasks
run in a local process pool, or as Ray Data `map_batches` tasks when the run targets a Ray
cluster. Chunks are fixed by the config and results are put back in chunk order, so the
shards are the same whatever ran them, and the blocks equal `data.build_trainset`'s.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np

from augft.core.artifacts import DataStats
from augft.core.ray_init import join_ray
from augft.train.data import (Example, Tokenized, length_waste, load_sources, select_examples,
                              split_examples)
from augft.train.shards import ShardIndex, encode, pack_offsets, write_shard

_TOKENIZER = None  # set once per worker process


def _set_tokenizer(tokenizer) -> None:
    global _TOKENIZER
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one process = one core
    _TOKENIZER = tokenizer


def _split_task(task: dict) -> List[tuple]:
    return [(e.context, e.text) for e in split_examples(task["texts"], task["mode"], task["source"])]


def _encode(tokenizer, texts: List[str]) -> List[List[int]]:
    if not texts:
        return []
    if getattr(tokenizer, "is_fast", False):
        # What `tokenizer(texts)` runs, without building a BatchEncoding per text.
        return [e.ids for e in tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False)]
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def tokenize_batch(examples: Sequence[Example], tokenizer, block_size: int) -> tuple:
    """`data.tokenize` with one tokenizer call per chunk instead of per example (same ids)."""
    eos = tokenizer.eos_token_id
    txt = _encode(tokenizer, [e.text for e in examples])
    with_ctx = [i for i, e in enumerate(examples) if e.context]
    ctx_ids = _encode(tokenizer, [examples[i].context + " " for i in with_ctx])
    ctx: Dict[int, List[int]] = dict(zip(with_ctx, ctx_ids))
    out, truncated = [], 0
    for i, t in enumerate(txt):
        c = ctx.get(i, [])
        t = t + [eos]
        ids, labels = c + t, [-100] * len(c) + t
        if len(ids) > block_size:
            truncated += 1
            ids, labels = ids[-block_size:], labels[-block_size:]
        out.append(Tokenized(ids, labels))
    return out, truncated


def _tokenize_task(task: dict) -> dict:
    examples = [Example(text, ctx) for ctx, text in task["examples"]]
    items, truncated = tokenize_batch(examples, _TOKENIZER, task["block_size"])
    ids, flags, lengths = encode(items)
    write_shard(Path(task["folder"]), task["shard"], ids, flags)
    return {"lengths": lengths, "truncated": truncated, "scored": int((flags & 1).sum())}


class Runner:
    """Runs chunk tasks in order: inline, in a process pool, or on Ray Data."""

    def __init__(self, tokenizer, workers: int = 0, ray_address: str = ""):
        self.tokenizer, self.ray_address = tokenizer, ray_address
        self.use_ray = bool(ray_address)
        self.workers = workers or os.cpu_count() or 1
        self._pool: Optional[Any] = None  # a multiprocessing Pool while the runner is entered

    def __enter__(self) -> "Runner":
        if not self.use_ray and self.workers > 1:
            import multiprocessing as mp

            # fork: the workers start in milliseconds and inherit the loaded tokenizer.
            self._pool = mp.get_context("fork").Pool(self.workers, _set_tokenizer, (self.tokenizer,))
        else:
            _set_tokenizer(self.tokenizer)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()

    def map(self, fn: Callable[[dict], object], tasks: List[dict]) -> list:
        if self.use_ray:
            return _ray_map(fn, tasks, self.tokenizer, self.ray_address)
        if self._pool is not None:
            return self._pool.map(fn, tasks, chunksize=1)
        return [fn(t) for t in tasks]


def _ray_batch(batch: dict, fn, tokenizer) -> dict:
    if _TOKENIZER is None:
        _set_tokenizer(tokenizer)
    results = [pickle.dumps(fn(pickle.loads(bytes(p)))) for p in batch["task"]]
    return {"i": np.asarray(batch["i"]), "result": np.asarray(results, dtype=object)}


def _ray_map(fn, tasks: List[dict], tokenizer, address: str) -> list:
    """One Ray Data row per task; `map_batches` runs them on the cluster's CPUs."""
    import ray

    join_ray(address)  # else Ray Data would start (or find) some other Ray

    ds = ray.data.from_items([{"i": i, "task": pickle.dumps(t)} for i, t in enumerate(tasks)],
                             override_num_blocks=max(1, len(tasks)))
    rows = ds.map_batches(_ray_batch, batch_size=1, fn_kwargs={"fn": fn, "tokenizer": tokenizer},
                          batch_format="numpy").take_all()
    return [pickle.loads(r["result"]) for r in sorted(rows, key=lambda r: int(r["i"]))]


def _chunks(seq: Sequence, size: int) -> List[Sequence]:
    return [seq[i:i + size] for i in range(0, len(seq), size)] or [seq[:0]]


def split_sources(texts: Dict[str, List[str]], mode: str, chunk: int, runner: Runner) -> Dict[str, List[Example]]:
    tasks, owners = [], []
    for source, items in texts.items():
        for part in _chunks(items, max(1, chunk // 4)):  # a text holds several sentences
            tasks.append({"texts": list(part), "mode": str(mode), "source": source})
            owners.append(source)
    out: Dict[str, List[Example]] = {s: [] for s in texts}
    for source, pairs in zip(owners, runner.map(_split_task, tasks)):
        out[source].extend(Example(text, ctx, source) for ctx, text in pairs)
    return out


@dataclass
class SplitStats:
    lengths: np.ndarray
    truncated: int
    scored: int
    n_blocks: int


def write_split(folder: Path, examples: List[Example], tcfg, pad_id: int, runner: Runner) -> SplitStats:
    """Tokenize `examples` into shards under `folder`, pack, and write the index last."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # shards of an earlier build must not mix in
        old.unlink()
    tasks = [{"examples": [(e.context, e.text) for e in part], "block_size": int(tcfg.block_size),
              "folder": str(folder), "shard": i}
             for i, part in enumerate(_chunks(examples, int(tcfg.data_chunk_examples)))]
    results = runner.map(_tokenize_task, tasks)
    lengths = np.concatenate([r["lengths"] for r in results]).astype(np.int64)
    offsets = pack_offsets(lengths, int(tcfg.block_size), bool(tcfg.packing))
    ShardIndex(int(tcfg.block_size), bool(tcfg.packing), int(pad_id),
               [int(r["lengths"].sum()) for r in results], len(offsets) - 1, len(examples)).write(folder, offsets)
    return SplitStats(lengths, sum(r["truncated"] for r in results), sum(r["scored"] for r in results),
                      len(offsets) - 1)


def build_shards(data_dir: Path, tcfg, tokenizer, seed: int, micro_batch: int, out: Path,
                 workers: int = 0, ray_address: str = "", mix: Optional[Mapping[str, float]] = None,
                 augmentations: Optional[Sequence[str]] = None) -> DataStats:
    """Build OUT/train (and OUT/eval when examples are held out); returns the statistics
    `data.build_trainset` reports, plus `has_eval`. With `ray_address`, Ray Data runs the
    tasks on that cluster; else a pool of `workers` processes (0 = one per CPU). `mix` and
    `augmentations` are the training request's (default: train.mix, train.augmentations)."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    mix = dict(tcfg.mix if mix is None else mix)
    texts = load_sources(data_dir, list(tcfg.augmentations if augmentations is None else augmentations), mix)
    with Runner(tokenizer, workers, ray_address) as runner:
        sources = split_sources(texts, tcfg.split, int(tcfg.data_chunk_examples), runner)
        eval_ex, train_ex = select_examples(sources, tcfg, seed, mix)
        tr = write_split(Path(out) / "train", train_ex, tcfg, pad, runner)
        ev: Optional[SplitStats] = write_split(Path(out) / "eval", eval_ex, tcfg, pad, runner) if eval_ex else None
    bs = int(tcfg.block_size)
    packed_lens = np.diff(pack_offsets(tr.lengths, bs, True))
    real = np.diff(pack_offsets(tr.lengths, bs, bool(tcfg.packing)))
    return DataStats(
        n_examples=len(train_ex), n_eval_examples=len(eval_ex), truncated=int(tr.truncated),
        n_blocks=int(tr.n_blocks), n_eval_blocks=int(ev.n_blocks) if ev else 0,
        sources={k: sum(1 for e in train_ex if e.source == k) for k in sorted(mix)},
        scored_tokens=int(tr.scored), input_tokens=int(tr.lengths.sum()),
        padding_waste=length_waste(real, micro_batch, bs if tcfg.packing else 0),
        padding_waste_unpacked=length_waste(tr.lengths, micro_batch, 0),
        padding_waste_packed=length_waste(packed_lens, micro_batch, bs), has_eval=ev is not None)
