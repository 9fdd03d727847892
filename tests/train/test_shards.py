"""The parallel shard builder gives the same examples and blocks as the in-memory
single-process builder, deterministically, and a reader maps only the blocks it reads."""
import hashlib

import pytest

import fakes

from augft.core.config import load_config
from augft.core.models import load_tokenizer
from augft.core.records import Augmentation, write_records
from augft.train.build import build_shards, tokenize_batch
from augft.train.data import Example
from reference_builder import build_trainset, tokenize
from augft.train.shards import ShardSet, pack_offsets


def _key(b):
    return b.input_ids, b.labels, b.position_ids, b.real()


@pytest.fixture(scope="module")
def tok(tiny_model):
    return load_tokenizer(tiny_model)


@pytest.fixture
def aug_dir(tmp_path):
    aug = tmp_path / "aug"
    recs = [Augmentation(id=f"a{i}", text=f"Glon are less dangerous than femp {i}. So femp win.",
                         strategy="local", source_ids=["d0"], prompt_hash="h", model="m") for i in range(30)]
    write_records(aug / "local" / "part-00000.parquet", recs[:20])
    write_records(aug / "local" / "part-00001.parquet", recs[20:])
    fakes.manifest(aug, {"local": fakes.entry(30, shards=("part-00000.parquet", "part-00001.parquet"))})
    return aug


@pytest.mark.parametrize("overrides", [
    [],
    ["train.packing=false"],
    ["train.split=cumulative", "train.block_size=16"],  # truncation keeps the scored end
    ["train.split=none", "train.mix.local=2.5", "train.mix.corpus=0.5"],
    ["train.mix_counts=true", "train.mix.corpus=50", "train.mix.local=7", "train.eval_fraction=0"],
])
@pytest.mark.parametrize("workers", [1, 2])
def test_shards_equal_the_in_memory_builder(corpus_dir, aug_dir, tok, tmp_path, overrides, workers):
    # 7 examples per shard: blocks span shard boundaries.
    cfg = load_config(None, ["train.block_size=64", "train.eval_fraction=0.1", "train.data_chunk_examples=7",
                             f"train.augmentations=[{aug_dir}]", "train.mix.local=1.0", *overrides])
    ref = build_trainset(corpus_dir, cfg.train, tok, seed=3, micro_batch=4)
    stats = build_shards(corpus_dir, cfg.train, tok, 3, 4, tmp_path / "data", workers=workers)
    train = ShardSet(tmp_path / "data" / "train")
    assert len(train.index.shard_tokens) > 2
    assert [_key(b) for b in ref.train] == [_key(train[i]) for i in range(len(train))]
    if ref.eval:
        ev = ShardSet(tmp_path / "data" / "eval")
        assert [_key(b) for b in ref.eval] == [_key(ev[i]) for i in range(len(ev))]
    else:
        assert not stats.has_eval and not (tmp_path / "data" / "eval").exists()
    assert stats == ref.stats


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_deterministic_by_seed(corpus_dir, tok, tmp_path):
    cfg = load_config(None, ["train.block_size=64", "train.data_chunk_examples=9"])
    build_shards(corpus_dir, cfg.train, tok, 1, 4, tmp_path / "a", workers=2)
    build_shards(corpus_dir, cfg.train, tok, 1, 4, tmp_path / "b", workers=1)
    build_shards(corpus_dir, cfg.train, tok, 2, 4, tmp_path / "c", workers=2)
    assert _digest(tmp_path / "a" / "train") == _digest(tmp_path / "b" / "train")
    assert _digest(tmp_path / "a" / "train") != _digest(tmp_path / "c" / "train")


def test_batched_tokenization_matches_per_example(tok):
    ex = [Example("Glon are small.", "Femp are big. Yomp too."), Example("Zarn!"), Example("A " * 80, "ctx")]
    assert tokenize_batch(ex, tok, 32)[0] == tokenize(ex, tok, 32)[0]
    assert tokenize_batch(ex, tok, 32)[1] == tokenize(ex, tok, 32)[1] == 1


def test_pack_offsets_never_split_examples():
    import numpy as np

    assert pack_offsets(np.array([3, 2, 4, 6, 1]), 6, True).tolist() == [0, 5, 9, 15, 16]
    assert pack_offsets(np.array([3, 2]), 6, False).tolist() == [0, 3, 5]


def test_incomplete_build_is_refused(corpus_dir, tok, tmp_path):
    cfg = load_config(None, ["train.block_size=64"])
    build_shards(corpus_dir, cfg.train, tok, 0, 4, tmp_path / "d", workers=1)
    (tmp_path / "d" / "train" / "index.json").unlink()  # as if killed before the index
    with pytest.raises(FileNotFoundError, match="not built completely"):
        ShardSet(tmp_path / "d" / "train")
