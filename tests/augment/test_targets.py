"""The teacher-target stage on the tiny model: the top-k rows equal a plain forward of context +
text, contexts (corpus, linked) are chosen as documented, and a rerun resumes finished units."""
import json
import os

import numpy as np
import pytest

from augft.core.config.settings import TargetsSettings

from augft.augment.targets.api import targets_request
from augft.augment.targets.plan import Contexts, training_texts
from augft.augment.targets.request import TargetsRequest
from augft.core.config import load_config
from augft.core.records import Augmentation, Document, write_jsonl, write_records
import fakes
from augft.core.targets import SourceCount, TargetsOutput


def _data(folder, n=5):
    folder.mkdir(parents=True, exist_ok=True)
    docs = [Document(f"d{i}", f"Zorbik{i} Blick is a painter. Zorbik{i} lives in Quellan{i}.") for i in range(n)]
    write_jsonl(folder / "corpus.jsonl", docs)
    return folder


def _cfg(*extra):
    return load_config(None, ["model.name=tiny-random-llama", "train.distill.top_k=5", "train.distill.unit_size=3",
                              *extra])


def test_rows_equal_a_plain_forward_of_context_and_text(tmp_path, tiny_model):
    import torch

    from augft.core.models import load_model

    data = _data(tmp_path / "data")
    m = targets_request(TargetsRequest(str(data), str(tmp_path / "t")), TargetsSettings.of(_cfg()))
    assert m.context == "corpus" and m.sources["corpus"].texts == 10 and len(m.units) == 4
    rows = list(TargetsOutput(tmp_path / "t").rows())
    lm = load_model(tiny_model)
    ctx = "\n".join(f"Zorbik{i} Blick is a painter. Zorbik{i} lives in Quellan{i}." for i in range(5)) + "\n\n"
    for r in rows[:3]:
        assert r.context == [f"d{i}" for i in range(5)] and r.tokens[-1] == lm.tokenizer.eos_token_id
        ctx_ids = lm.tokenizer(ctx).input_ids
        ids = torch.tensor([ctx_ids + r.tokens.tolist()])
        with torch.inference_mode():
            lp = lm.model(input_ids=ids).logits[0].float().log_softmax(-1)
        for j in range(1, len(r.tokens)):
            want = lp[len(ctx_ids) + j - 1].topk(5)
            assert r.topk_ids[j].tolist() == want.indices.tolist()
            assert np.allclose(r.topk_lp[j].astype(np.float32), want.values.numpy(), atol=2e-2)
        assert not r.topk_ids[0].any()
    # The teacher read the shared context once, plus every text.
    assert m.prompt_tokens == len(lm.tokenizer(ctx).input_ids) + sum(len(r.tokens) for r in rows)
    assert TargetsOutput(tmp_path / "t").teacher_flops() == 2.0 * m.model_params * m.prompt_tokens


def test_rerun_resumes_finished_units(tmp_path, tiny_model):
    data = _data(tmp_path / "data")
    out = tmp_path / "t"
    targets_request(TargetsRequest(str(data), str(out)), TargetsSettings.of(_cfg()))
    os.utime(out / "part-00000.parquet", (1, 1))
    (out / "part-00003.stats.json").unlink()  # as a crash mid-run leaves it
    targets_request(TargetsRequest(str(data), str(out)), TargetsSettings.of(_cfg()))
    assert os.stat(out / "part-00000.parquet").st_mtime == 1 and (out / "part-00003.stats.json").is_file()
    # Another top_k is another fingerprint: nothing is reused.
    targets_request(TargetsRequest(str(data), str(out)), TargetsSettings.of(_cfg("train.distill.top_k=3")))
    assert os.stat(out / "part-00000.parquet").st_mtime != 1


def test_linked_context_takes_the_documents_sharing_entities(tmp_path):
    docs = [Document("a", "Zorbik Blick paints in Quellan."), Document("b", "Quellan is a harbour town."),
            Document("c", "Morvash Tindle sails boats."), Document("d", "Zorbik Blick met Yarrow once.")]
    ctx = Contexts(docs, lambda s: len(s.split()), "linked", 100, 0)
    assert ctx.mode == "linked" and ctx.ids_of(ctx.for_sources(["a"])) == ["a", "b", "d"]
    assert ctx.ids_of(ctx.for_sources(["c"])) == ["c"]
    # auto: the whole corpus when it fits, else linked; a tight budget keeps the focal document first.
    assert Contexts(docs, lambda s: len(s.split()), "auto", 100, 0).mode == "corpus"
    assert Contexts(docs, lambda s: len(s.split()), "auto", 10, 0).mode == "linked"
    assert Contexts(docs, lambda s: len(s.split()), "linked", 8, 0).ids_of(
        Contexts(docs, lambda s: len(s.split()), "linked", 8, 0).for_sources(["a"])) == ["a"]


def test_strategy_texts_come_from_the_augment_output(tmp_path):
    docs = [Document("a", "One. Two.")]
    aug = tmp_path / "aug"
    write_records(aug / "local" / "part-00000.parquet",
                  [Augmentation("x", "Three. Four.", "local", ["a"], "h", "m")])
    texts = training_texts(docs, ["corpus", "local"], [str(aug)])
    assert [(t.source, t.text) for t in texts] == [("corpus", "One."), ("corpus", "Two."), ("local", "Three."),
                                                    ("local", "Four.")]
    with pytest.raises(Exception, match="no augmentations of \\['global'\\]"):
        training_texts(docs, ["global"], [str(aug)])


@pytest.mark.slow
def test_vllm_teacher_matches_the_hf_teacher(tmp_path, embedded_model_path):
    """The same texts and contexts through vLLM's prompt log-probabilities (the embedded model:
    vLLM's CPU kernels need head sizes of 32 or more)."""
    pytest.importorskip("vllm")
    data = _data(tmp_path / "data", n=3)
    rows = {}
    for engine in ("hf", "vllm"):
        cfg = load_config(None, ["model.name=smollm2-135m-instruct", "train.distill.top_k=3",
                                 f"train.distill.engine={engine}", "model.dtype=bfloat16"])
        targets_request(TargetsRequest(str(data), str(tmp_path / engine)), TargetsSettings.of(cfg))
        rows[engine] = list(TargetsOutput(tmp_path / engine).rows())
    for a, b in zip(rows["hf"], rows["vllm"]):
        assert (a.tokens == b.tokens).all()
        top1 = (a.topk_ids[1:, 0] == b.topk_ids[1:, 0]).mean()
        assert top1 >= 0.8 and np.abs(a.topk_lp[1:, 0].astype(float) - b.topk_lp[1:, 0].astype(float)).mean() < 0.3


def test_a_strategy_that_kept_nothing_gives_an_empty_output(tmp_path, tiny_model):
    data = _data(tmp_path / "data", n=2)
    aug = tmp_path / "aug"
    (aug / "local").mkdir(parents=True)
    fakes.manifest(aug, {"local": fakes.entry(0, shards=())})
    m = targets_request(TargetsRequest(str(data), str(tmp_path / "t"), ("local",), (str(aug),)), TargetsSettings.of(_cfg()))
    assert m.sources == {"local": SourceCount(0, 0)} and m.units == []
    assert list(TargetsOutput(tmp_path / "t").rows()) == []


def test_ray_data_actors_write_the_same_targets(tmp_path, tiny_model):
    """train.distill.use_ray: units on a Ray Data actor pool give the files the local loop gives."""
    data = _data(tmp_path / "data")
    targets_request(TargetsRequest(str(data), str(tmp_path / "here")), TargetsSettings.of(_cfg()))
    m = targets_request(TargetsRequest(str(data), str(tmp_path / "ray")), TargetsSettings.of(_cfg("train.distill.use_ray=true", "train.distill.num_actors=2", "cluster.num_cpus=2")))
    a, b = list(TargetsOutput(tmp_path / "here").rows()), list(TargetsOutput(tmp_path / "ray").rows())
    assert len(m.units) == 4 and [r.id for r in a] == [r.id for r in b]
    for x, y in zip(a, b):
        assert (x.topk_ids == y.topk_ids).all() and np.allclose(x.topk_lp.astype(float), y.topk_lp.astype(float), atol=1e-2)
