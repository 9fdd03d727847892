"""The training estimate from counts against the real token shards of the same corpus."""
import numpy as np
import pytest

from augft.core.config import load_config
from augft.core.models import load_tokenizer
from augft.core.records import read_corpus
from augft.train.api import total_steps
from augft.train.build import build_shards
from augft.train.estimate import Source, estimate


@pytest.mark.parametrize("overrides", [
    ["train.split=none"],
    ["train.split=none", "train.packing=false", "train.eval_fraction=0.1"],
    ["train.split=none", "train.mix.corpus=2.5", "train.block_size=32"],
])
def test_estimate_matches_the_built_shards(corpus_dir, tiny_model, tmp_path, overrides):
    cfg = load_config(None, ["train.block_size=64", "train.batch_size=4", "train.epochs=2", *overrides])
    tok = load_tokenizer(tiny_model)
    stats = build_shards(corpus_dir, cfg.train, tok, 3, 4, tmp_path / "data", workers=1)
    # What the plan knows: each document's token count (the corpus scan's histogram).
    counts = [len(tok(d.text.strip(), add_special_tokens=False)["input_ids"]) for d in read_corpus(corpus_dir)]
    hist = np.bincount(counts, minlength=1 << 16)
    est = estimate(cfg.train, {"corpus": Source.from_histogram(hist)}, dict(cfg.train.mix), seed=3)
    assert est.examples == pytest.approx(stats.n_examples, rel=0.05)  # copies of held-out ones leave too
    assert est.tokens == pytest.approx(stats.input_tokens, rel=0.05)
    assert est.blocks == pytest.approx(stats.n_blocks, rel=0.1)
    assert est.steps == total_steps(cfg.train, est.blocks)
    assert est.tokens_trained == pytest.approx(est.steps * 4 * est.tokens / est.blocks, rel=0.01)


def test_uniform_source_and_mix_counts():
    cfg = load_config(None, ["train.mix_counts=true", "train.mix.corpus=10", "train.eval_fraction=0"])
    est = estimate(cfg.train, {"corpus": Source.uniform(4, 40.0)}, {"corpus": 10})
    assert est.examples == 10 and est.tokens == 10 * 11  # 10 tokens and an EOS each
