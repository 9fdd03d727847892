"""Bad input is refused by train.api.prepare, i.e. before any worker starts."""
import json

import pytest

import fakes

from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.train.api import prepare
from augft.train.checkpoints import checkpoint_dir
from augft.train.plan import WorkerPlan
from augft.train.request import TrainRequest


def _prepare(cfg, data, out):
    """The CLI's path: the request read from the config."""
    return prepare(cfg, TrainRequest.from_config(cfg, data, out))


def _cfg(tiny_model, *overrides):
    return load_config(None, [f"model.name={tiny_model}", "train.batch_size=4", *overrides])


@pytest.mark.parametrize("overrides,match", [
    (["train.zero_stage=4"], "train.zero_stage': must be 0, 1, 2 or 3"),
    (["train.zero_stage=-1"], "train.zero_stage"),
    (["train.block_size=4096"], "train.block_size=4096 is above the model's context of 2048"),
    (["train.mix.local=1.0"], "names \\['local'\\] but train.augmentations lists no"),
    (["train.mix.corpus=0.0"], "training set is empty"),
    (["train.resume=auto"], "no complete checkpoint"),
    (["train.batch_size=5"], "train.batch_size': 5 is not a multiple"),
    (["train.offload_params=true", "train.zero_stage=2"], "train.offload_params': needs train.zero_stage=3"),
    (["train.launcher=slurm"], "train.launcher"),
    (["train.schedule=step"], "train.schedule"),
    (["train.precision=fp16"], "train.precision': fp16 needs train.use_gpu=true"),
    (["train.eval_fraction=1.0"], "train.eval_fraction': must be in \\[0, 1\\)"),
    (["train.num_workers=0"], "train.num_workers': must be >= 1"),
    (["train.max_failures=-1"], "train.max_failures': must be >= 0"),
    (["train.mix.local=-1.0"], "train.mix.local': is -1.0"),
    pytest.param(["train.use_gpu=true"], "no CUDA GPU", marks=pytest.mark.skipif(
        __import__("torch").cuda.is_available(), reason="this machine has a GPU")),
])
def test_bad_input_is_refused(tiny_model, corpus_dir, tmp_path, overrides, match):
    with pytest.raises(AugftError, match=match):
        _prepare(_cfg(tiny_model, *overrides), corpus_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "plan.json").exists()


def test_missing_shard_and_torn_checkpoint(tiny_model, corpus_dir, tmp_path):
    aug = tmp_path / "aug"
    aug.mkdir()
    fakes.manifest(aug, {"local": fakes.entry(1)})
    with pytest.raises(AugftError, match="lists shard .*part-00000.parquet, which is missing"):
        _prepare(_cfg(tiny_model, f"train.augmentations=[{aug}]", "train.mix.local=1.0"),
                corpus_dir, tmp_path / "out")
    # A checkpoint folder without rank 0's trainer_state.json (killed mid-save) is no checkpoint.
    torn = checkpoint_dir(tmp_path / "out", 4)
    (torn / "ds").mkdir(parents=True)
    with pytest.raises(AugftError, match="no complete checkpoint"):
        _prepare(_cfg(tiny_model, f"train.resume={torn}"), corpus_dir, tmp_path / "out")


def test_plan_shapes_batches_and_steps(tiny_model, corpus_dir, tmp_path):
    plan = _prepare(_cfg(tiny_model, "train.num_workers=2", "train.micro_batch_size=1", "train.epochs=2"),
                   corpus_dir, tmp_path / "out")
    assert plan.micro_batch == 1 and plan.grad_accum == 2
    ds = plan.ds_config
    assert ds["train_batch_size"] == 4 and ds["zero_optimization"]["stage"] == 3
    n = plan.data_stats.n_blocks
    assert plan.total_steps == -(-2 * n // 4)
    assert plan.precision == "fp32" and ds["bf16"]["enabled"] is False
    # The plan file reads back as the same typed plan.
    assert WorkerPlan.from_json(tmp_path / "out" / "plan.json") == plan


def test_cli_reports_bad_stage(cli, tiny_model, corpus_dir, tmp_path):
    r = cli("train", "--data", corpus_dir, "--out", tmp_path / "o", f"model.name={tiny_model}",
            "train.zero_stage=5")
    assert r.returncode == 2 and "train.zero_stage': must be 0, 1, 2 or 3" in r.stderr


@pytest.mark.parametrize("overrides,match", [
    (["seed=7"], "saved with seed=0, this run has seed=7"),
    (["train.batch_size=8"], "saved with train.batch_size=4, this run has train.batch_size=8"),
    (["train.mix.corpus=2.0"], "saved with train.mix=\\{'corpus': 1.0\\}, this run has train.mix=\\{'corpus': 2.0\\}"),
])
def test_resume_names_what_differs(tiny_model, corpus_dir, tmp_path, overrides, match):
    """A checkpoint resumes only a run with the same seed, batch size and mix (else the batches differ)."""
    ck = checkpoint_dir(tmp_path / "out", 2)
    (ck / "ds").mkdir(parents=True)
    (ck / "ds" / "mp_rank_00_model_states.pt").write_bytes(b"x")  # complete for ZeRO-0
    (ck / "trainer_state.json").write_text(json.dumps({
        "step": 2, "world_size": 1, "zero_stage": 0, "seed": 0, "batch_size": 4,
        "mix": {"corpus": 1.0}, "mix_counts": False}))
    base = ["train.num_workers=1", "train.zero_stage=0", "train.resume=auto"]
    plan = _prepare(_cfg(tiny_model, *base), corpus_dir, tmp_path / "out")  # same shape: accepted
    assert plan.resume_dir.endswith("step-000002")
    with pytest.raises(AugftError, match=match):
        _prepare(_cfg(tiny_model, *base, *overrides), corpus_dir, tmp_path / "out")
