"""Token shards: the training set on disk, read by memory-mapping only the blocks a rank uses.

One folder per split (OUT/data/train, OUT/data/eval):

    tokens-NNNNN.u32  uint32 token ids of shard N's examples, in training order
    flags-NNNNN.u8    one byte per token: SCORED (its label is the token itself; otherwise
                      -100) | START (the first token of an example: position ids restart)
    blocks.i64        int64, n_blocks + 1 token offsets: block b is tokens [o[b], o[b+1])
    index.json        written last: block size, padding, and each shard's token count

Blocks never split an example; a block may span two shards. Reading block b maps just
its byte ranges (`np.memmap` with an offset), copies them and unmaps, so a rank's resident
memory holds the blocks of its current micro-batch, not the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from augft.core.io import atomic_path, atomic_write_json
from augft.train.data import IGNORE, Block

SCORED, START, TARGET = 1, 2, 4
INDEX = "index.json"


def shard_files(folder: Path, shard: int) -> Dict[str, Path]:
    return {"tokens": Path(folder) / f"tokens-{shard:05d}.u32", "flags": Path(folder) / f"flags-{shard:05d}.u8",
            # Distillation only: the teacher's top-k per token (k per token, row-major).
            "topk_ids": Path(folder) / f"topk-ids-{shard:05d}.u32", "topk_lp": Path(folder) / f"topk-lp-{shard:05d}.f16"}


def write_shard(folder: Path, shard: int, ids: np.ndarray, flags: np.ndarray,
                topk_ids: Optional[np.ndarray] = None, topk_lp: Optional[np.ndarray] = None) -> None:
    """One shard's arrays, each written atomically (a crashed build leaves no torn file)."""
    arrays: List[Tuple[str, np.ndarray]] = [("tokens", ids.astype(np.uint32, copy=False)), ("flags", flags.astype(np.uint8, copy=False))]
    if topk_ids is not None and topk_lp is not None:
        arrays += [("topk_ids", topk_ids.astype(np.uint32, copy=False)), ("topk_lp", topk_lp.astype(np.float16, copy=False))]
    for key, arr in arrays:
        with atomic_path(shard_files(folder, shard)[key]) as tmp:
            arr.tofile(tmp)


def encode(items: Sequence) -> tuple:
    """Tokenized examples (input_ids, labels) -> concatenated ids, flags and lengths."""
    lengths = np.fromiter((len(t.input_ids) for t in items), dtype=np.int64, count=len(items))
    ids = np.fromiter((x for t in items for x in t.input_ids), dtype=np.uint32, count=int(lengths.sum()))
    labels = np.fromiter((x for t in items for x in t.labels), dtype=np.int64, count=len(ids))
    flags = np.where(labels != IGNORE, SCORED, 0).astype(np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flags[starts[lengths > 0]] |= START
    return ids, flags, lengths


def pack_offsets(lengths: np.ndarray, block_size: int, packed: bool) -> np.ndarray:
    """Token offsets of the blocks: greedy in-order packing (as `data.pack`), or one
    example per block."""
    ends = np.cumsum(lengths)
    if not packed:
        return np.concatenate([[0], ends]).astype(np.int64)
    offsets = [0]
    cur = 0
    for n in lengths.tolist():
        if cur and cur + n > block_size:
            offsets.append(offsets[-1] + cur)
            cur = 0
        cur += n
    if cur:
        offsets.append(offsets[-1] + cur)
    return np.asarray(offsets, dtype=np.int64)


@dataclass
class ShardIndex:
    block_size: int
    packed: bool
    pad_id: int
    shard_tokens: List[int]
    n_blocks: int
    n_examples: int
    top_k: int = 0
    """Teacher log-probabilities per token (distillation shards); 0: none."""

    def write(self, folder: Path, offsets: np.ndarray) -> None:
        with atomic_path(Path(folder) / "blocks.i64") as tmp:
            offsets.astype(np.int64).tofile(tmp)
        atomic_write_json(Path(folder) / INDEX, self.__dict__)


def _read(path: Path, dtype, start: int, stop: int) -> np.ndarray:
    """Elements [start, stop) of a raw array file, through a mapping of just that range."""
    if stop <= start:
        return np.empty(0, dtype=dtype)
    view = np.memmap(path, dtype=dtype, mode="r", offset=start * np.dtype(dtype).itemsize, shape=(stop - start,))
    out = np.array(view)
    del view  # unmaps: the pages leave this process's resident set
    return out


class ShardSet:
    """Random access to the blocks of one split folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        path = self.folder / INDEX
        if not path.is_file():
            raise FileNotFoundError(f"{self.folder}: no {INDEX} (the token shards were not built completely)")
        self.index = ShardIndex(**json.loads(path.read_text()))
        self._bounds = np.concatenate([[0], np.cumsum(self.index.shard_tokens)]).astype(np.int64)

    def __len__(self) -> int:
        return self.index.n_blocks

    def _tokens(self, key: str, dtype, start: int, stop: int) -> np.ndarray:
        # The top-k arrays hold k entries per token: their bounds scale with k.
        scale = self.index.top_k if key.startswith("topk") else 1
        bounds = self._bounds * scale
        first = int(np.searchsorted(bounds, start, side="right")) - 1
        parts = []
        s = first
        while start < stop:
            lo, hi = int(bounds[s]), int(bounds[s + 1])
            end = min(stop, hi)
            parts.append(_read(shard_files(self.folder, s)[key], dtype, start - lo, end - lo))
            start, s = end, s + 1
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def __getitem__(self, b: int) -> Block:
        if not 0 <= b < len(self):
            raise IndexError(b)
        start, stop = (int(x) for x in _read(self.folder / "blocks.i64", np.int64, b, b + 2))
        ids = self._tokens("tokens", np.uint32, start, stop).astype(np.int64)
        flags = self._tokens("flags", np.uint8, start, stop)
        block = self._block(ids, flags)
        k = self.index.top_k
        if k:
            block.topk_ids = self._tokens("topk_ids", np.uint32, start * k, stop * k).reshape(-1, k).astype(np.int64)
            block.topk_lp = self._tokens("topk_lp", np.float16, start * k, stop * k).reshape(-1, k)
            block.target = (flags & TARGET) > 0
        return block

    def _block(self, ids: np.ndarray, flags: np.ndarray) -> Block:
        idx = np.arange(len(ids))
        pos = idx - np.maximum.accumulate(np.where(flags & START, idx, 0))
        labels = np.where(flags & SCORED, ids, IGNORE)
        block = Block(ids.tolist(), labels.tolist(), pos.tolist())
        if self.index.packed:  # packed blocks are padded to block_size, as `data.pack` does
            fill = self.index.block_size - len(ids)
            block.n_real = len(ids)
            block.input_ids += [self.index.pad_id] * fill
            block.labels += [IGNORE] * fill
            block.position_ids += list(range(fill))
        return block

    def take(self, indices: Sequence[int]) -> List[Block]:
        return [self[i] for i in indices]

    def nbytes(self) -> int:
        """Size of the split on disk (every array file)."""
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.suffix in (".u32", ".u8", ".i64"))
