"""Context distillation in training: the loss (exact KL over the top-k plus the rest), the token
shards carrying the teacher's rows, and (slow) a DeepSpeed run that learns from them."""
import json
import subprocess

import numpy as np
import pytest

from augft.core.config.settings import TargetsSettings
import torch

from augft.augment.targets.api import targets_request
from augft.augment.targets.request import TargetsRequest
from augft.core.config import load_config
from augft.core.targets import SourceCount, TargetsManifest, TargetsOutput
from augft.train.data import collate
from augft.train.distill_data import build_distill_shards
from augft.train.distill_loss import distill_loss
from augft.train.shards import ShardSet
from helpers import BIN


def _batch(teacher_logits, k):
    lp = teacher_logits.log_softmax(-1)
    top = lp.topk(k, -1)
    b, t, _ = teacher_logits.shape
    # Row j is the distribution predicting token j: shift the teacher's positions by one.
    ids = torch.zeros(b, t, k, dtype=torch.long)
    tlp = torch.zeros(b, t, k)
    ids[:, 1:], tlp[:, 1:] = top.indices[:, :-1], top.values[:, :-1]
    has = torch.ones(b, t, dtype=torch.bool)
    has[:, 0] = False
    return {"topk_ids": ids, "topk_lp": tlp, "has_target": has,
            "labels": torch.randint(0, teacher_logits.shape[-1], (b, t))}


def test_loss_is_the_exact_kl_when_k_covers_the_vocabulary():
    torch.manual_seed(0)
    teacher, student = torch.randn(2, 6, 11), torch.randn(2, 6, 11)
    batch = _batch(teacher, 11)
    want = torch.nn.functional.kl_div(student[:, :-1].log_softmax(-1), teacher[:, :-1].log_softmax(-1),
                                      log_target=True, reduction="none").sum(-1).mean()
    assert distill_loss(student, batch, 0.0).item() == pytest.approx(want.item(), rel=1e-4)
    assert distill_loss(teacher, batch, 0.0).item() == pytest.approx(0.0, abs=1e-5)


def test_top_k_loss_keeps_the_rest_as_one_category_and_mixes_ce():
    torch.manual_seed(1)
    teacher, student = torch.randn(1, 5, 50), torch.randn(1, 5, 50, requires_grad=True)
    batch = _batch(teacher, 4)
    kl = distill_loss(student, batch, 0.0)
    assert kl.item() > 0 and distill_loss(teacher, batch, 0.0).item() == pytest.approx(0.0, abs=1e-5)
    kl.backward()
    assert student.grad.abs().sum() > 0
    ce = torch.nn.functional.cross_entropy(student[:, :-1].reshape(-1, 50), batch["labels"][:, 1:].reshape(-1))
    mixed = distill_loss(student, batch, 0.25).item()
    assert mixed == pytest.approx(0.75 * kl.item() + 0.25 * ce.item(), rel=1e-4)
    batch["has_target"][:] = False  # no row: no KL, no NaN
    assert distill_loss(student, batch, 0.0).item() == 0.0


@pytest.fixture(scope="module")
def targets(tmp_path_factory, tiny_model, corpus_writer):
    root = tmp_path_factory.mktemp("distill")
    data = root / "data"
    data.mkdir()
    corpus_writer(data, n_docs=12)
    cfg = load_config(None, [f"model.name={tiny_model}", "train.distill.top_k=4"])
    targets_request(TargetsRequest(str(data), str(root / "targets")), TargetsSettings.of(cfg))
    return data, root / "targets"


@pytest.mark.parametrize("packing", [True, False])
def test_shards_carry_the_teacher_rows(tmp_path, targets, packing):
    _, folder = targets
    tcfg = load_config(None, ["train.block_size=64", f"train.packing={str(packing).lower()}",
                              "train.eval_fraction=0.1"]).train
    stats = build_distill_shards([str(folder)], tcfg, 0, 0, 2, tmp_path, {"corpus": 1.0})
    listed = list(TargetsOutput(folder).rows())
    rows = {r.tokens.tobytes(): r for r in listed}  # repeated sentences: same context, same rows
    assert stats.top_k == 4 and stats.n_examples + stats.n_eval_examples == len(listed)
    shards = ShardSet(tmp_path / "train")
    seen = 0
    for b in range(len(shards)):
        blk = shards[b]
        starts = [i for i, p in enumerate(blk.position_ids[:len(blk.target)]) if p == 0] + [len(blk.target)]
        for a, z in zip(starts, starts[1:]):
            r = rows[np.asarray(blk.input_ids[a:z], dtype=np.uint32).tobytes()]
            assert (blk.topk_ids[a:z] == r.topk_ids).all() and (blk.topk_lp[a:z] == r.topk_lp).all()
            assert not blk.target[a] and blk.target[a + 1:z].all()
            seen += 1
    assert seen == stats.n_examples
    batch, _ = collate([shards[0], shards[min(1, len(shards) - 1)]], 0)
    assert batch["topk_ids"].shape[:2] == batch["input_ids"].shape and batch["topk_lp"].dtype == torch.float32


def test_a_mix_naming_a_source_without_targets_is_an_error(tmp_path, targets):
    tcfg = load_config(None, []).train
    with pytest.raises(Exception, match="no rows of it"):
        build_distill_shards([str(targets[1])], tcfg, 0, 0, 2, tmp_path, {"corpus": 1.0, "local": 1.0})


@pytest.mark.slow
@pytest.mark.parametrize("launcher,zero", [("torchrun", 0), ("ray", 3)])
def test_distillation_trains_under_deepspeed(tmp_path, targets, tiny_model, launcher, zero):
    """The KL falls from the teacher's targets, under torchrun (ZeRO-0) and Ray Train (ZeRO-3, 2 workers)."""
    from augft.core.config.settings import TrainSettings
    from augft.train.api import train_request
    from augft.train.request import TrainRequest

    data, folder = targets
    workers = 1 if zero == 0 else 2
    cfg = load_config(None, [f"model.name={tiny_model}", f"train.launcher={launcher}", f"train.zero_stage={zero}",
                             f"train.num_workers={workers}", "train.batch_size=4", "train.max_steps=12",
                             "train.lr=3e-3", "train.block_size=64", "train.eval_fraction=0", "cluster.num_cpus=3",
                             "train.distill.alpha=0.1"])
    s = train_request(TrainRequest(str(data), str(tmp_path / "t"), {"corpus": 1.0}, targets=(str(folder),)),
                      TrainSettings.of(cfg))
    losses = [json.loads(x)["loss"] for x in (tmp_path / "t" / "metrics.jsonl").read_text().splitlines()
              if "loss" in json.loads(x)]
    assert s.distill == {"alpha": 0.1, "top_k": 4} and s.steps == 12
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert (tmp_path / "t" / "model" / "config.json").is_file()


def test_an_empty_source_contributes_nothing(tmp_path, targets):
    empty = tmp_path / "empty"
    TargetsOutput(empty).write_manifest(TargetsManifest(4, "m", 1, "hf", "corpus", 0, {"local": SourceCount()}, 0, []))
    tcfg = load_config(None, ["train.eval_fraction=0"]).train
    stats = build_distill_shards([str(targets[1]), str(empty)], tcfg, 0, 0, 2, tmp_path / "o", {"corpus": 1.0, "local": 1.0})
    assert stats.sources["local"] == 0 and stats.sources["corpus"] > 0
