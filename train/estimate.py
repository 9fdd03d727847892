"""The tokens a training run would train on, from counts alone (`augft plan`).

Building the real token shards tokenizes every text; the plan has only each source's example
count and token total (the corpus scan's histogram, an augmentation's bound or measurement). From
them it follows the build's own steps: the mix (`data.mix_examples`' round(w x n) per source,
copies of a source included), the held-out slice (train.eval_fraction), one EOS per example,
greedy packing into blocks (`shards.pack_offsets` on examples of the mean length) and the step
count (`api.total_steps`): the tokens trained are the steps' blocks at the mean block length.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from augft.train.api import total_steps
from augft.train.shards import pack_offsets


@dataclass(frozen=True)
class Source:
    """A training source before the mix: each example's tokens (without EOS)."""
    lengths: np.ndarray

    @classmethod
    def from_histogram(cls, hist: np.ndarray) -> "Source":
        """One example per counted text: a token-count histogram (the corpus scan's)."""
        return cls(np.repeat(np.arange(len(hist), dtype=np.int64), np.asarray(hist, dtype=np.int64)))

    @classmethod
    def uniform(cls, examples: int, tokens: float) -> "Source":
        """`examples` of the mean length (a source known only by its totals)."""
        mean = tokens / examples if examples else 0.0
        return cls(np.full(int(examples), int(round(mean)), dtype=np.int64))


@dataclass(frozen=True)
class TrainEstimate:
    examples: int
    """Training examples after the mix and the held-out slice."""
    tokens: int
    """Tokens of those examples once, EOS included."""
    blocks: int
    steps: int
    tokens_trained: int
    """Tokens the steps read (train_flops counts these): steps x batch x the mean block."""


def _mixed(sources: Mapping[str, Source], mix: Mapping[str, float], counts: bool, seed: int) -> np.ndarray:
    """Example lengths of the mix, as `data.mix_examples` takes them: whole copies, then a seeded
    sample of the rest, all shuffled."""
    out = []
    for name in sorted(mix):
        pool = sources.get(name, Source(np.zeros(0, dtype=np.int64))).lengths
        want = int(round(mix[name] if counts else mix[name] * len(pool)))
        if not len(pool) or not want:
            continue
        full, rest = divmod(want, len(pool))
        rng = np.random.default_rng(zlib.crc32(f"{seed}:{name}".encode()))
        out += [pool] * full + [rng.choice(pool, rest, replace=False)]
    lengths = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    np.random.default_rng(seed).shuffle(lengths)
    return lengths


def estimate(t, sources: Mapping[str, Source], mix: Mapping[str, float], seed: int = 0) -> TrainEstimate:
    """What `train.*` (section `t`) would train on, for this mix of these sources."""
    lengths = _mixed(sources, mix, bool(t.mix_counts), seed)
    held = max(1, round(len(lengths) * t.eval_fraction)) if t.eval_fraction > 0 else 0
    lengths = np.minimum(lengths[held:] + 1, int(t.block_size))  # + EOS; longer ones are truncated
    blocks = len(pack_offsets(lengths, int(t.block_size), bool(t.packing))) - 1
    steps = total_steps(t, blocks) if blocks else 0
    per_block = float(lengths.sum()) / blocks if blocks else 0.0
    return TrainEstimate(len(lengths), int(lengths.sum()), blocks, steps,
                         int(round(steps * int(t.batch_size) * per_block)))
