"""The training set's semantics: sources, mix, sentence splitting, tokenization, packing.

These pure functions define which examples train and how they become blocks;
`train/build.py` runs them in parallel into memory-mapped token shards (`train/shards.py`).
The tests keep a single-process, in-memory reference of the same path (tests/reference_builder.py)
that the shard builder is checked against.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, Tuple

import numpy as np

from augft.core.artifacts import ArtifactError, AugmentOutput
from augft.core.config.train import Split
from augft.core.errors import AugftError
from augft.core.records import Augmentation, read_corpus, read_records
from augft.core.text import split_sentences

IGNORE = -100


class TrainDataError(AugftError):
    """The training data cannot be built (missing shard, empty set, bad mix)."""


@dataclass
class Example:
    """One training example: `context` is conditioning only, `text` is scored."""
    text: str
    context: str = ""
    source: str = "corpus"


def split_examples(texts: Iterable[str], mode: str, source: str) -> List[Example]:
    """Independent: one example per sentence; cumulative: each sentence scored after the
    preceding ones of its document (as the paper did); none: whole texts."""
    mode = Split(str(mode))  # the config's choices (a bad value already failed at load)
    out: List[Example] = []
    for text in texts:
        if mode == Split.none:
            out.append(Example(text.strip(), "", source))
            continue
        sents = split_sentences(text)
        for i, s in enumerate(sents):
            ctx = " ".join(sents[:i]) if mode == Split.cumulative else ""
            out.append(Example(s, ctx, source))
    return out


def _strategy_shards(aug_dir: Path) -> Dict[str, List[Path]]:
    """Strategy -> parquet shards of an augment output folder."""
    out = AugmentOutput(aug_dir)
    try:
        return {s: out.shards(s) for s in out.strategies()}
    except ArtifactError as exc:
        raise TrainDataError(str(exc)) from None


# General text (not the held-out half eval measures perplexity on) to limit forgetting.
REPLAY = "replay"


def check_augmentation_folders(aug_dirs: Sequence[str], mix: Dict[str, float]) -> None:
    """Every folder in train.augmentations exists and holds a strategy the mix names: a folder the
    mix does not draw from would be ignored, and the model trained on the corpus alone."""
    found: Dict[Path, List[str]] = {}
    for d in map(Path, aug_dirs):
        if not d.is_dir():
            raise TrainDataError(f"train.augmentations: {d} is not a folder (give an `augft augment` --out folder)")
        found[d] = sorted(_strategy_shards(d))
        if not found[d]:
            raise TrainDataError(f"train.augmentations: {d} holds no augmentation shards (not an `augft augment` "
                                 "output, or an unfinished one)")
    wanted = {k for k in mix if k not in ("corpus", REPLAY)}
    if wanted - {s for ss in found.values() for s in ss}:
        return  # a strategy the mix names is missing: load_sources says which
    for d, strategies in found.items():
        if not any(s in mix for s in strategies):
            raise TrainDataError(f"train.augmentations: {d} holds strategies {strategies}, but train.mix names none "
                                 f"of them ({', '.join(map(str, mix))}), so it would be ignored; set "
                                 f"train.mix.{strategies[0]}=1.0 (a weight per strategy, corpus weight 1)")


def load_sources(data_dir: Path, aug_dirs: Sequence[str], mix: Dict[str, float]) -> Dict[str, List[str]]:
    """Texts per source named in the mix. Errors name the missing strategy or shard."""
    if not mix:
        raise TrainDataError("train.mix is empty: name at least one source, e.g. train.mix={corpus:1.0}")
    check_augmentation_folders(aug_dirs, mix)
    texts: Dict[str, List[str]] = {}
    if "corpus" in mix:
        texts["corpus"] = [d.text for d in read_corpus(data_dir)]
    if REPLAY in mix:
        from augft.core.general_text import replay_paragraphs

        texts[REPLAY] = replay_paragraphs()
    wanted = [k for k in mix if k not in ("corpus", REPLAY)]
    if not wanted:
        return texts
    if not aug_dirs:
        raise TrainDataError(f"train.mix names {wanted} but train.augmentations lists no augmentation folder")
    available: Dict[str, List[Path]] = {}
    for d in map(Path, aug_dirs):
        for strategy, paths in _strategy_shards(d).items():
            available.setdefault(strategy, []).extend(paths)
    for strategy in wanted:
        if not available.get(strategy):
            raise TrainDataError(
                f"train.mix names strategy '{strategy}' but no shard of it exists in "
                f"train.augmentations={list(map(str, aug_dirs))} (found: {sorted(available) or 'none'})")
        recs: List[Augmentation] = []
        for p in available[strategy]:
            recs.extend(read_records(p, Augmentation))
        texts[strategy] = [r.text for r in recs]
    return texts


def mix_examples(sources: Dict[str, List[Example]], mix: Dict[str, float], counts: bool,
                 seed: int) -> List[Example]:
    """Take round(w x n) examples (or w examples with `counts`) from each source, deterministic
    by seed: whole copies first, then a seeded sample without replacement."""
    out: List[Example] = []
    for name in sorted(mix):
        pool = sources.get(name, [])
        want = int(round(mix[name] if counts else mix[name] * len(pool)))
        if want and not pool:
            raise TrainDataError(f"train.mix.{name}: the source has no examples")
        rng = random.Random(f"{seed}:{name}")
        full, rest = divmod(want, len(pool)) if pool else (0, 0)
        out.extend(pool * full)
        out.extend(rng.sample(pool, rest))
    random.Random(seed).shuffle(out)
    return out


def held_out(examples: Sequence[Example], n_eval: int) -> Tuple[List[Example], List[Example]]:
    """The first `n_eval` distinct examples for evaluation and the rest for training, without
    any copy of a held-out example (a mix weight above 1 repeats examples): the eval loss
    then measures examples the model never trained on."""
    key = lambda e: (e.context, e.text)  # noqa: E731
    eval_ex: List[Example] = []
    seen = set()
    for e in examples:
        if len(eval_ex) == n_eval:
            break
        if key(e) not in seen:
            seen.add(key(e))
            eval_ex.append(e)
    return eval_ex, [e for e in examples if key(e) not in seen]


@dataclass
class Tokenized:
    input_ids: List[int]
    labels: List[int]


@dataclass
class Block:
    input_ids: List[int]
    labels: List[int]
    position_ids: List[int]
    n_real: int = -1
    """Tokens that are not padding (-1: all of them)."""
    topk_ids: Optional[np.ndarray] = None
    """Distillation: (tokens, k) the teacher's top-k next-token ids per token (row j predicts token j)."""
    topk_lp: Optional[np.ndarray] = None
    """Distillation: (tokens, k) their log-probabilities (float16)."""
    target: Optional[np.ndarray] = None
    """Distillation: (tokens,) bool, whether the token has a teacher row (not an example's first)."""

    def real(self) -> int:
        return len(self.input_ids) if self.n_real < 0 else self.n_real


class Blocks(Protocol):
    """Blocks by position: a list, or the memory-mapped shards (`train.shards.ShardSet`)."""

    def __len__(self) -> int: ...

    def __getitem__(self, b: int) -> Block: ...


def collate(blocks: Sequence[Block], pad_id: int):
    """Stack blocks, padding to the longest; returns tensors and the count of real tokens."""
    import torch

    n = max(len(b.input_ids) for b in blocks)
    ids, labels, pos, mask = [], [], [], []
    real = 0
    for b in blocks:
        fill = n - len(b.input_ids)
        real += b.real()
        ids.append(b.input_ids + [pad_id] * fill)
        labels.append(b.labels + [IGNORE] * fill)
        pos.append(b.position_ids + list(range(fill)))
        mask.append([1] * len(b.input_ids) + [0] * fill)
    batch = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
             "position_ids": torch.tensor(pos), "attention_mask": torch.tensor(mask)}
    if blocks[0].topk_ids is not None:
        batch.update(_collate_targets(blocks, n))
    return batch, real


def _teacher_rows(blk: Block) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    if blk.topk_ids is None or blk.topk_lp is None or blk.target is None:
        raise ValueError("a distillation batch holds a block without the teacher's targets")
    return blk.topk_ids, blk.topk_lp, blk.target


def _collate_targets(blocks: Sequence[Block], n: int) -> dict:
    """The teacher's top-k rows, padded like the tokens (padding has no target)."""
    import torch

    rows = [_teacher_rows(blk) for blk in blocks]
    k = rows[0][0].shape[1]
    ids = np.zeros((len(blocks), n, k), dtype=np.int64)
    lp = np.zeros((len(blocks), n, k), dtype=np.float32)
    has = np.zeros((len(blocks), n), dtype=bool)
    for b, (t_ids, t_lp, target) in enumerate(rows):
        m = len(target)
        ids[b, :m], lp[b, :m], has[b, :m] = t_ids, t_lp, target
    return {"topk_ids": torch.from_numpy(ids), "topk_lp": torch.from_numpy(lp), "has_target": torch.from_numpy(has)}


def length_waste(real: np.ndarray, micro_batch: int, padded_to: int = 0) -> float:
    """`padding_waste` from block lengths alone: `real` tokens per block, each block padded
    to `padded_to` (packed) or, with 0, to the longest of its micro-batch."""
    real = np.asarray(real, dtype=np.int64)
    if not len(real):
        return 0.0
    lens = np.full_like(real, padded_to) if padded_to else real
    n = len(lens)
    pad = (-n) % micro_batch
    longest = np.concatenate([lens, np.zeros(pad, dtype=np.int64)]).reshape(-1, micro_batch).max(axis=1)
    counts = np.full(len(longest), micro_batch)
    counts[-1] = micro_batch - pad
    return float(1.0 - real.sum() / (longest * counts).sum())


def select_examples(sources: Dict[str, List[Example]], tcfg, seed: int,
                    mix: Optional[Mapping[str, float]] = None) -> Tuple[List[Example], List[Example]]:
    """Mix the split sources (by `mix`, default train.mix) and hold out the eval slice:
    (eval examples, train examples)."""
    mix = dict(tcfg.mix if mix is None else mix)
    examples = mix_examples(sources, mix, tcfg.mix_counts, seed)
    if not examples:
        raise TrainDataError(
            f"the training set is empty (mix={mix}, sources: "
            + ", ".join(f"{k}={len(v)}" for k, v in sources.items()) + ")")
    n_eval = int(round(len(examples) * tcfg.eval_fraction)) if tcfg.eval_fraction > 0 else 0
    if tcfg.eval_fraction > 0:
        n_eval = max(1, n_eval)
    if n_eval >= len(examples):
        raise TrainDataError(f"train.eval_fraction={tcfg.eval_fraction} leaves no training examples "
                             f"({len(examples)} in all)")
    eval_ex, train_ex = held_out(examples, n_eval)
    if not train_ex:
        raise TrainDataError(f"train.eval_fraction={tcfg.eval_fraction} leaves no training examples "
                             "once copies of the held-out ones are removed")
    return eval_ex, train_ex


def batch_indices(n_items: int, global_batch: int, step: int, seed: int) -> List[int]:
    """Item indices of global batch `step` in an endless stream of per-epoch permutations
    (seeded by seed and epoch), so any step's batch is known without replay: resume is exact."""
    import torch

    out: List[int] = []
    pos = step * global_batch
    while len(out) < global_batch:
        epoch, off = divmod(pos, n_items)
        g = torch.Generator().manual_seed(seed * 100003 + epoch)
        perm = torch.randperm(n_items, generator=g)
        take = min(global_batch - len(out), n_items - off)
        # Only this batch's slice becomes Python ints: a whole-epoch list would be ~36 bytes
        # per block on every step (several MiB at millions of tokens).
        out.extend(perm[off:off + take].tolist())
        pos += take
    return out
