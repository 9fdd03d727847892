"""The training loop's accounting across a resume: a resumed run's summary counts every step's
tokens and FLOPs, those before the resume included (the checkpoint carries the count)."""
import json
import shutil

import pytest

from augft.core.config import load_config
from augft.train import api

pytestmark = pytest.mark.slow
STEPS = ["train.launcher=torchrun", "train.num_workers=1", "train.batch_size=4", "train.block_size=64",
         "train.data_workers=1", "train.zero_stage=0", "train.max_steps=4", "train.checkpoint_every=1",
         "train.keep_checkpoints=2", "train.eval_fraction=0", "train.export=false", "tracking.enabled=false"]


def test_a_resumed_training_counts_all_of_its_steps(tiny_model, corpus_dir, tmp_path):
    out = tmp_path / "out"
    cfg = load_config(None, [f"model.name={tiny_model}", *STEPS])
    whole = api.train(cfg, corpus_dir, out)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    step_tokens = {r["step"]: r["tokens"] for r in rows if "tokens" in r}
    assert whole.tokens == sum(step_tokens.values()) > 0
    state = json.loads((out / "checkpoints" / "step-000003" / "trainer_state.json").read_text())
    assert state["tokens"] == step_tokens[1] + step_tokens[2] + step_tokens[3]

    shutil.rmtree(out / "checkpoints" / "step-000004")  # killed after step 3's checkpoint
    (out / "summary.json").unlink()
    resumed = api.train(cfg, corpus_dir, out)
    assert resumed.resumed_from == 3
    assert resumed.tokens == whole.tokens and resumed.train_flops == whole.train_flops
    assert resumed.tokens_per_s * resumed.wall_s == pytest.approx(step_tokens[4], rel=1e-6)  # this session's rate

    # A checkpoint written before the count was kept: the steps before are scaled from this session's.
    shutil.rmtree(out / "checkpoints" / "step-000004")
    (out / "summary.json").unlink()
    old = out / "checkpoints" / "step-000003" / "trainer_state.json"
    old.write_text(json.dumps({k: v for k, v in state.items() if k != "tokens"}))
    legacy = api.train(cfg, corpus_dir, out)
    assert legacy.resumed_from == 3 and legacy.tokens == 4 * step_tokens[4]


def test_the_summary_records_the_gpus_and_their_type(tiny_model, corpus_dir, tmp_path, monkeypatch):
    """GPU-hours follow from the summary: the GPUs the workers held and their type (`cpu` here)."""
    import torch

    from augft.core.artifacts import TrainOutput
    from augft.train.loop import device_record

    out = tmp_path / "out"
    cfg = load_config(None, [f"model.name={tiny_model}", *STEPS, "train.max_steps=1"])
    api.train(cfg, corpus_dir, out)
    s = TrainOutput(out).summary()
    assert (s.gpus, s.gpu_type) == (0.0, "cpu")
    # On CUDA (not here: its device name faked): every rank's GPU, of rank 0's type as core.gpus spells it
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 80GB HBM3")
    assert device_record(torch.device("cuda", 0), 8) == {"gpus": 8.0, "gpu_type": "H100"}
