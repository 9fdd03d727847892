"""What an 8B run needs: gradient checkpointing, the attention kernel, extra DeepSpeed settings,
and metric rows in MLflow while training runs (not only when the stage ends)."""
import json
import os

import pytest

from augft.core.config import load_config
from augft.core.config.checks import ConfigError
from augft.core.errors import AugftError
from augft.train import api
from augft.train.plan import WorkerPlan
from augft.train.request import TrainRequest


def _cfg(tiny_model, *extra):
    return load_config(None, [f"model.name={tiny_model}", "train.launcher=torchrun", "train.num_workers=1",
                              "train.batch_size=4", "train.block_size=64", "train.data_workers=1", *extra])


def _prepare(cfg, corpus_dir, out) -> WorkerPlan:
    api.prepare(cfg, TrainRequest.from_config(cfg, corpus_dir, out))
    return WorkerPlan.from_json(out / "plan.json")  # what the workers read


def test_deepspeed_mapping_is_merged_into_the_workers_config(tiny_model, corpus_dir, tmp_path):
    cfg = _cfg(tiny_model, "train.zero_stage=3", "train.offload_optimizer=true",
               "train.deepspeed={zero_optimization: {reduce_bucket_size: 500, offload_optimizer: {pin_memory: true}},"
               " steps_per_print: 7, communication_data_type: fp32}")
    ds = _prepare(cfg, corpus_dir, tmp_path / "out").ds_config  # what the loop hands DeepSpeed
    zero = ds["zero_optimization"]
    assert zero["reduce_bucket_size"] == 500 and zero["stage"] == 3  # merged beside augft's keys
    assert zero["offload_optimizer"] == {"device": "cpu", "pin_memory": True}  # nested: the user's value wins
    assert ds["steps_per_print"] == 7 and ds["communication_data_type"] == "fp32"
    assert ds["train_batch_size"] == 4


@pytest.mark.parametrize("override, key", [
    ("train.deepspeed=5", "train.deepspeed"),
    ("train.deepspeed=[1, 2]", "train.deepspeed"),
    ("train.deepspeed={zero_optimization: {stage: 1}}", "train.deepspeed.zero_optimization.stage"),
    ("train.deepspeed={train_batch_size: 64}", "train.deepspeed.train_batch_size"),
    ("train.attn_implementation=flash_attention_2", "train.attn_implementation"),
    ("train.attn_implementation=xformers", "train.attn_implementation"),
])
def test_bad_values_name_their_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(None, [override])


def test_flash_attention_without_the_package_names_the_key(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "flash_attn" else real(name, *a))
    with pytest.raises(AugftError, match="train.attn_implementation=flash_attention_2.*flash-attn"):
        api.check_attn_implementation("flash_attention_2")
    api.check_attn_implementation("sdpa")  # nothing to check


def test_gradient_checkpointing_and_attention_kernel_reach_the_model(tiny_model, corpus_dir, tmp_path):
    from augft.train.loop import _load_model

    plan = _prepare(_cfg(tiny_model, "train.zero_stage=0", "train.gradient_checkpointing=true",
                         "train.attn_implementation=eager"), corpus_dir, tmp_path / "out")
    model, _ = _load_model(plan, plan.ds_config)
    assert model.is_gradient_checkpointing and model.config._attn_implementation == "eager"
    plain = _prepare(_cfg(tiny_model, "train.zero_stage=0"), corpus_dir, tmp_path / "plain")
    model, _ = _load_model(plain, plain.ds_config)
    assert not model.is_gradient_checkpointing and model.config._attn_implementation == "sdpa"


@pytest.mark.slow
def test_metric_rows_reach_mlflow_while_training(tiny_model, corpus_dir, tmp_path, monkeypatch):
    """A real 1-worker run (gradient checkpointing on) under $MLFLOW_RUN_ID: rank 0 logs every
    `log_every`-th row to the run with the global step, before the model is exported."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    run_id = client.create_run(client.create_experiment("t")).info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    out = tmp_path / "out"
    cfg = _cfg(tiny_model, "train.zero_stage=0", "train.max_steps=4", "train.log_every=2",
               "train.gradient_checkpointing=true", "train.eval_every=2")
    s = api.train(cfg, corpus_dir, out)
    loss = client.get_metric_history(run_id, "loss")
    assert sorted(m.step for m in loss) == [2, 4]
    assert sorted(m.step for m in client.get_metric_history(run_id, "eval_loss")) == [2, 4]
    rows = {r["step"]: r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines()) if "loss" in r}
    assert {m.step: m.value for m in loss} == pytest.approx({k: r["loss"] for k, r in rows.items()})
    # Logged while training ran: before the export, which follows the last step.
    exported_ms = os.path.getmtime(out / "model" / "model.safetensors") * 1000
    assert max(m.timestamp for m in loss) <= exported_ms
    assert s.metrics_run == run_id  # so the stage's end does not log them again


@pytest.mark.slow
def test_a_rerun_of_the_same_training_resumes_and_another_starts_fresh(tiny_model, corpus_dir, tmp_path):
    """A RayJob retry reruns `augft train` into the same folder without train.resume: it must
    continue from the last complete checkpoint, not delete it; a different training (another
    seed) in that folder starts over."""
    import shutil

    from augft.train.checkpoints import list_checkpoints

    out = tmp_path / "out"
    steps = ["train.zero_stage=0", "train.max_steps=4", "train.checkpoint_every=1", "train.keep_checkpoints=2",
             "train.lr=1e-3", "train.eval_fraction=0", "train.export=false"]
    first = api.train(_cfg(tiny_model, *steps), corpus_dir, out)
    ref = {r["step"]: r["loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())}
    shutil.rmtree(out / "checkpoints" / "step-000004")  # killed after step 3's checkpoint
    (out / "summary.json").unlink()

    retried = api.train(_cfg(tiny_model, *steps, "train.log_every=2"), corpus_dir, out)  # bookkeeping may differ
    assert first.resumed_from == 0 and retried.resumed_from == 3 and retried.steps == 4
    mine = {r["step"]: r["loss"] for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())}
    assert sorted(mine) == [1, 2, 3, 4] and mine[4] == pytest.approx(ref[4], abs=1e-4)

    shutil.rmtree(out / "checkpoints" / "step-000004")
    other = api.train(_cfg(tiny_model, *steps, "seed=7"), corpus_dir, out)
    assert other.resumed_from == 0  # another training: the old checkpoints were not resumed
    assert [p.name for p in list_checkpoints(out)] == ["step-000003", "step-000004"]
    assert json.loads((out / "checkpoints" / "step-000003" / "trainer_state.json").read_text())["seed"] == 7
