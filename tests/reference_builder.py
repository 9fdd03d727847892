"""The training-data path in one process and in memory: records -> examples -> tokens -> blocks.

The reference the parallel shard builder (augft.train.build) is tested against, and the baseline
of the data benchmarks (benchmarks/scale_train_data.py, train_throughput.py). Not shipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

from augft.core.artifacts import DataStats
from augft.train.data import (IGNORE, Block, Example, Tokenized, load_sources, select_examples,
                              split_examples)


def tokenize(examples: Sequence[Example], tokenizer, block_size: int) -> Tuple[List[Tokenized], int]:
    """Context tokens get label IGNORE; the text and a closing EOS are scored. Returns the
    examples and how many were truncated to `block_size`."""
    eos = tokenizer.eos_token_id
    truncated = 0
    out: List[Tokenized] = []
    for ex in examples:
        ctx = tokenizer(ex.context + " ", add_special_tokens=False).input_ids if ex.context else []
        txt = tokenizer(ex.text, add_special_tokens=False).input_ids + [eos]
        ids = ctx + txt
        labels = [IGNORE] * len(ctx) + txt
        if len(ids) > block_size:
            truncated += 1
            # Keep the scored end of a cumulative example, not its context.
            ids, labels = ids[-block_size:], labels[-block_size:]
        out.append(Tokenized(ids, labels))
    return out, truncated


def pack(items: Sequence[Tokenized], block_size: int, pad_id: int) -> List[Block]:
    """Greedy in-order packing. Position ids restart at 0 for each example, which is what
    transformers uses (with no attention mask) to keep attention inside each example."""
    blocks: List[Block] = []
    cur = Block([], [], [])

    def close():
        if cur.input_ids:
            fill = block_size - len(cur.input_ids)
            real = len(cur.input_ids)
            cur.input_ids.extend([pad_id] * fill)
            cur.labels.extend([IGNORE] * fill)
            cur.position_ids.extend(range(fill))  # padding acts as its own unscored example
            blocks.append(Block(cur.input_ids, cur.labels, cur.position_ids, real))

    for it in items:
        if len(cur.input_ids) + len(it.input_ids) > block_size:
            close()
            cur = Block([], [], [])
        cur.input_ids.extend(it.input_ids)
        cur.labels.extend(it.labels)
        cur.position_ids.extend(range(len(it.input_ids)))
    close()
    return blocks


def unpacked(items: Sequence[Tokenized]) -> List[Block]:
    return [Block(list(t.input_ids), list(t.labels), list(range(len(t.input_ids)))) for t in items]


def padding_waste(blocks: Sequence[Block], micro_batch: int) -> float:
    """Fraction of the tokens the model processes that are padding."""
    total = real = 0
    for i in range(0, len(blocks), micro_batch):
        chunk = blocks[i:i + micro_batch]
        n = max(len(b.input_ids) for b in chunk)
        total += n * len(chunk)
        real += sum(b.real() for b in chunk)
    return 1.0 - real / total if total else 0.0


@dataclass
class TrainSet:
    train: List[Block]
    eval: List[Block]
    stats: DataStats


def build_trainset(data_dir: Path, tcfg, tokenizer, seed: int, micro_batch: int) -> TrainSet:
    """The whole data path from records to blocks, with its statistics."""
    texts = load_sources(data_dir, list(tcfg.augmentations), dict(tcfg.mix))
    sources = {k: split_examples(v, tcfg.split, k) for k, v in texts.items()}
    eval_ex, train_ex = select_examples(sources, tcfg, seed)
    tok_train, trunc = tokenize(train_ex, tokenizer, tcfg.block_size)
    tok_eval, _ = tokenize(eval_ex, tokenizer, tcfg.block_size)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if tcfg.packing:
        train_blocks = pack(tok_train, tcfg.block_size, pad)
        eval_blocks = pack(tok_eval, tcfg.block_size, pad)
    else:
        train_blocks, eval_blocks = unpacked(tok_train), unpacked(tok_eval)
    unpacked_blocks = unpacked(tok_train)
    stats = DataStats(
        n_examples=len(train_ex), n_eval_examples=len(eval_ex), truncated=trunc,
        n_blocks=len(train_blocks), n_eval_blocks=len(eval_blocks),
        sources={k: sum(1 for e in train_ex if e.source == k) for k in sorted(dict(tcfg.mix))},
        scored_tokens=sum(sum(1 for x in t.labels if x != IGNORE) for t in tok_train),
        input_tokens=sum(len(t.input_ids) for t in tok_train),
        padding_waste=padding_waste(train_blocks, micro_batch),
        padding_waste_unpacked=padding_waste(unpacked_blocks, micro_batch),
        padding_waste_packed=padding_waste(pack(tok_train, tcfg.block_size, pad), micro_batch),
        has_eval=bool(eval_blocks))
    return TrainSet(train_blocks, eval_blocks, stats)


