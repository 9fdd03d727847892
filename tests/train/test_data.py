import pytest

from augft.core.config import load_config
from augft.core.config.checks import ConfigError
from augft.core.models import load_model, load_tokenizer
from augft.core.records import Augmentation, write_records
from augft.train.data import (IGNORE, Example, Tokenized, TrainDataError, batch_indices, collate, load_sources,
                              mix_examples, split_examples)
from reference_builder import build_trainset, pack, padding_waste, tokenize, unpacked


def test_split_independent_and_cumulative():
    text = "Femp are big. Glon are small! Is yomp red? Yes."
    ind = split_examples([text], "independent", "corpus")
    # "?" does not end a statement: the answer keeps its question.
    assert [e.text for e in ind] == ["Femp are big.", "Glon are small!", "Is yomp red? Yes."]
    # The people benchmark's template: splitting at "?" would train "They're ..." with no name.
    people = split_examples(["Ever heard of Zeb Vell? They're the mayor of Quillport. Zeb Vell sails."],
                            "independent", "corpus")
    assert [e.text for e in people] == ["Ever heard of Zeb Vell? They're the mayor of Quillport.",
                                        "Zeb Vell sails."]
    assert all(e.context == "" for e in ind)
    cum = split_examples([text], "cumulative", "corpus")
    assert [e.text for e in cum] == [e.text for e in ind]
    assert cum[2].context == "Femp are big. Glon are small!"
    assert split_examples([text], "none", "corpus")[0].text == text
    with pytest.raises(ConfigError, match="train.split"):  # refused when the config loads
        load_config(None, ["train.split=bogus"])


def test_cumulative_context_is_not_scored(tiny_model):
    tok = load_tokenizer(tiny_model)
    [t], _ = tokenize([Example("Glon are small.", "Femp are big.")], tok, 64)
    n_ctx = len(tok("Femp are big. ", add_special_tokens=False).input_ids)
    assert t.labels[:n_ctx] == [IGNORE] * n_ctx
    assert t.labels[n_ctx:] == t.input_ids[n_ctx:] and t.input_ids[-1] == tok.eos_token_id


def test_mix_weights_counts_and_determinism():
    src = {"corpus": [Example(f"c{i}.") for i in range(10)],
           "local": [Example(f"l{i}.", source="local") for i in range(4)]}
    a = mix_examples(src, {"corpus": 1.0, "local": 2.5}, False, seed=1)
    assert sum(e.source == "corpus" for e in a) == 10 and sum(e.source == "local" for e in a) == 10
    assert [e.text for e in a] == [e.text for e in mix_examples(src, {"corpus": 1.0, "local": 2.5}, False, 1)]
    assert [e.text for e in a] != [e.text for e in mix_examples(src, {"corpus": 1.0, "local": 2.5}, False, 2)]
    b = mix_examples(src, {"corpus": 3, "local": 1}, True, seed=1)
    assert sum(e.source == "corpus" for e in b) == 3 and sum(e.source == "local" for e in b) == 1
    assert len({e.text for e in b if e.source == "corpus"}) == 3  # sampled without replacement


def test_mix_reads_augmentation_shards(tmp_path, corpus_dir):
    aug = tmp_path / "aug"
    recs = [Augmentation(id=f"a{i}", text=f"Glon are less dangerous than femp {i}.", strategy="local",
                         source_ids=["d0"], prompt_hash="h", model="m") for i in range(5)]
    write_records(aug / "local" / "part-00000.parquet", recs)
    texts = load_sources(corpus_dir, [str(aug)], {"corpus": 1.0, "local": 1.0})
    assert len(texts["corpus"]) == 40 and texts["local"][0].startswith("Glon are less")
    with pytest.raises(TrainDataError, match="'global'.*found: \\['local'\\]"):
        load_sources(corpus_dir, [str(aug)], {"corpus": 1.0, "global": 1.0})


def test_packing_keeps_examples_and_positions():
    items = [Tokenized([1, 2, 3], [1, 2, 3]), Tokenized([4, 5], [IGNORE, 5]), Tokenized([6, 7, 8, 9], [6, 7, 8, 9])]
    blocks = pack(items, 6, pad_id=0)
    assert [b.input_ids for b in blocks] == [[1, 2, 3, 4, 5, 0], [6, 7, 8, 9, 0, 0]]
    assert [b.position_ids for b in blocks] == [[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 1]]
    assert blocks[0].labels == [1, 2, 3, IGNORE, 5, IGNORE]
    assert padding_waste(blocks, 2) == pytest.approx(3 / 12)
    assert padding_waste(unpacked(items), 3) == pytest.approx(3 / 12)


def test_packed_attention_does_not_cross_examples(tiny_model):
    """The packed forward gives each example the logits it gets alone; a plain causal
    block (contiguous positions) does not, so the check can fail."""
    import torch

    lm = load_model(tiny_model, device="cpu")
    a, b = [5, 17, 300, 42, 9], [77, 8, 1234, 6]
    block = pack([Tokenized(a, a), Tokenized(b, b)], 12, pad_id=0)[0]
    batch, real = collate([block], 0)
    assert real == len(a) + len(b)
    with torch.no_grad():
        # use_cache=False as in training: with a cache transformers skips packed detection.
        packed = lm.model(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                          use_cache=False).logits[0]
        alone_b = lm.model(input_ids=torch.tensor([b])).logits[0]
        alone_a = lm.model(input_ids=torch.tensor([a])).logits[0]
        crossed = lm.model(input_ids=batch["input_ids"], use_cache=False).logits[0]
    torch.testing.assert_close(packed[:len(a)], alone_a, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(packed[len(a):len(a) + len(b)], alone_b, atol=1e-4, rtol=1e-4)
    assert (crossed[len(a):len(a) + len(b)] - alone_b).abs().max() > 1e-3


def test_batch_indices_cover_each_epoch_once():
    n, g = 10, 4
    stream = [i for s in range(5) for i in batch_indices(n, g, s, seed=3)]
    assert sorted(stream[:10]) == list(range(10)) and sorted(stream[10:20]) == list(range(10))
    assert stream[:10] != stream[10:20]  # reshuffled per epoch
    assert batch_indices(n, g, 3, seed=3) == stream[12:16]  # any step is known without replay


def test_build_trainset_stats(corpus_dir, tiny_model):
    cfg = load_config(None, ["train.block_size=64", "train.eval_fraction=0.1"])
    tok = load_tokenizer(tiny_model)
    ts = build_trainset(corpus_dir, cfg.train, tok, seed=0, micro_batch=4)
    s = ts.stats
    # 40 documents x 2 statements ("Did you know that ...? It is true." is one); the fixture
    # repeats some statements, and copies of held-out ones do not train.
    assert s.n_eval_examples == 8 and 60 <= s.n_examples <= 72 and s.truncated == 0
    assert all(len(b.input_ids) == 64 for b in ts.train)
    assert s.padding_waste_packed < s.padding_waste_unpacked
    scored = sum(sum(1 for x in b.labels if x != IGNORE) for b in ts.train)
    assert scored == s.scored_tokens


def test_eval_examples_never_repeat_in_train(corpus_dir, tiny_model):
    """A mix weight of 2 copies every example; none of the held-out ones may be trained on."""
    from augft.train.data import Example, held_out, mix_examples

    pool = [Example(f"s{i}.") for i in range(10)]
    examples = mix_examples({"corpus": pool}, {"corpus": 2.0}, False, seed=0)
    ev, tr = held_out(examples, 3)
    assert len(ev) == 3 and len({e.text for e in ev}) == 3
    assert not {e.text for e in ev} & {e.text for e in tr}
    assert len(tr) == 2 * (10 - 3)  # both copies of the 7 others train
    cfg = load_config(None, ["train.block_size=64", "train.eval_fraction=0.1", "train.mix.corpus=2.0"])
    s = build_trainset(corpus_dir, cfg.train, load_tokenizer(tiny_model), seed=0, micro_batch=4).stats
    assert s.n_eval_examples == 16 and s.n_examples <= 2 * (80 - 16)


def test_replay_source_is_general_text_disjoint_from_the_held_out_half(tmp_path):
    from augft.core.general_text import held_out, replay_paragraphs
    from augft.train.data import load_sources, mix_examples, split_examples

    (tmp_path / "corpus.jsonl").write_text('{"id": "d0", "text": "Zeb Grannow is the mayor of Quillport."}\n')
    texts = load_sources(tmp_path, [], {"corpus": 1.0, "replay": 0.01})
    assert texts["replay"] == replay_paragraphs() and len(texts["replay"]) > 100
    held = held_out()
    assert not any(p in held for p in texts["replay"])
    sources = {k: split_examples(v, "independent", k) for k, v in texts.items()}
    mixed = mix_examples(sources, {"corpus": 1.0, "replay": 0.01}, False, 0)
    n_replay = sum(e.source == "replay" for e in mixed)
    assert n_replay == round(0.01 * len(sources["replay"])) and n_replay > 0
