"""The training set of a distilled model: the teacher-target rows, mixed and packed into the same
token shards as any run, plus the teacher's top-k per token (train/shards.py `topk-*` files).

The texts were tokenized by the teacher-target stage exactly as training tokenizes (text + EOS,
no special tokens), so the rows' tokens are the examples; the mix (weights per source: `corpus`,
a strategy), the seeded held-out slice and packing are those of any training set
(data.mix_examples, data.held_out, shards.pack_offsets). The rows are held by the driver: the
targets are small by design (k per token), unlike the corpus they come from.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

from augft.core.artifacts import DataStats
from augft.core.targets import TargetRow, TargetsOutput
from augft.train.data import Example, TrainDataError, held_out, length_waste, mix_examples
from augft.train.shards import SCORED, START, TARGET, ShardIndex, pack_offsets, write_shard


def load_rows(folders: Sequence[str], mix: Mapping[str, float]) -> Tuple[Dict[str, TargetRow], Dict[str, List[Example]], int]:
    """(row by id, examples per source, k) of the sources the mix names; each must have targets."""
    rows: Dict[str, TargetRow] = {}
    sources: Dict[str, List[Example]] = {s: [] for s in mix}
    ks, listed = set(), set()
    for folder in folders:
        out = TargetsOutput(Path(folder))
        ks.add(int(out.manifest().top_k))
        listed.update(out.sources())
        for r in out.rows([s for s in mix]):
            if r.id in rows:  # the same text in two folders (a source written twice): once
                continue
            rows[r.id] = r
            sources[r.source].append(Example(r.id, "", r.source))  # an example is its row's id
    # A source the targets list with no rows (a strategy that kept nothing) contributes nothing,
    # as in any mix; one they do not list at all is a wrong folder.
    missing = [s for s in mix if mix[s] > 0 and s not in listed]
    if missing:
        raise TrainDataError(f"train.mix names {missing} but the teacher targets {list(folders)} have no rows of it")
    if len(ks) > 1:
        raise TrainDataError(f"the teacher targets {list(folders)} were written with different top_k {sorted(ks)}")
    return rows, sources, ks.pop()


def _arrays(items: Sequence[TargetRow], block_size: int, k: int):
    """Concatenated tokens, flags, top-k ids and log-probabilities, and example lengths; an example
    longer than the block keeps its end, and its new first token has no target (its context is cut)."""
    ids, flags, tid, tlp, lengths, truncated = [], [], [], [], [], 0
    for r in items:
        n = len(r.tokens)
        cut = max(0, n - block_size)
        truncated += cut > 0
        f = np.full(n - cut, SCORED | TARGET, dtype=np.uint8)
        f[0] = SCORED | START
        ids.append(r.tokens[cut:])
        flags.append(f)
        tid.append(r.topk_ids[cut:])
        tlp.append(r.topk_lp[cut:])
        lengths.append(n - cut)
    cat = (lambda a, shape: np.concatenate(a) if a else np.zeros(shape))
    return (cat(ids, (0,)), cat(flags, (0,)), cat(tid, (0, k)), cat(tlp, (0, k)),
            np.asarray(lengths, dtype=np.int64), truncated)


def write_split(folder: Path, items: List[TargetRow], tcfg, pad_id: int, k: int) -> Tuple[np.ndarray, int, int]:
    """Shards of `train.data_chunk_examples` examples each, then the packed index (written last)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    chunk, bs = int(tcfg.data_chunk_examples), int(tcfg.block_size)
    all_lengths, tokens, truncated = [], [], 0
    for s, start in enumerate(range(0, max(1, len(items)), chunk)):
        ids, flags, tid, tlp, lengths, cut = _arrays(items[start:start + chunk], bs, k)
        write_shard(folder, s, ids, flags, tid.reshape(-1), tlp.reshape(-1))
        all_lengths.append(lengths)
        tokens.append(int(lengths.sum()))
        truncated += cut
    lengths = np.concatenate(all_lengths)
    offsets = pack_offsets(lengths, bs, bool(tcfg.packing))
    ShardIndex(bs, bool(tcfg.packing), int(pad_id), tokens, len(offsets) - 1, len(items), k).write(folder, offsets)
    return lengths, len(offsets) - 1, truncated


def build_distill_shards(folders: Sequence[str], tcfg, pad_id: int, seed: int, micro_batch: int, out: Path,
                         mix: Mapping[str, float]) -> DataStats:
    """OUT/train (and OUT/eval) from the teacher targets; the statistics build_shards reports."""
    mix = dict(mix)
    rows, sources, k = load_rows(folders, mix)
    examples = mix_examples(sources, mix, bool(tcfg.mix_counts), seed)
    if not examples:
        raise TrainDataError(f"the distillation training set is empty (mix={mix})")
    n_eval = max(1, int(round(len(examples) * tcfg.eval_fraction))) if tcfg.eval_fraction > 0 else 0
    eval_ex, train_ex = held_out(examples, n_eval)
    if not train_ex:
        raise TrainDataError(f"train.eval_fraction={tcfg.eval_fraction} leaves no training examples")
    lengths, n_blocks, truncated = write_split(Path(out) / "train", [rows[e.text] for e in train_ex], tcfg, pad_id, k)
    n_eval_blocks = write_split(Path(out) / "eval", [rows[e.text] for e in eval_ex], tcfg, pad_id, k)[1] \
        if eval_ex else 0
    bs = int(tcfg.block_size)
    real = np.diff(pack_offsets(lengths, bs, bool(tcfg.packing)))
    return DataStats(
        n_examples=len(train_ex), n_eval_examples=len(eval_ex), truncated=int(truncated),
        n_blocks=int(n_blocks), n_eval_blocks=int(n_eval_blocks),
        sources={s: sum(1 for e in train_ex if e.source == s) for s in sorted(mix)},
        scored_tokens=int(lengths.sum()), input_tokens=int(lengths.sum()),
        padding_waste=length_waste(real, micro_batch, bs if tcfg.packing else 0),
        padding_waste_unpacked=length_waste(lengths, micro_batch, 0),
        padding_waste_packed=length_waste(np.diff(pack_offsets(lengths, bs, True)), micro_batch, bs),
        has_eval=bool(eval_ex), top_k=int(k), distill=True)
