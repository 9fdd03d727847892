"""The GPU path: bf16, NCCL, MFU in the metrics (skipped without a CUDA GPU)."""
import json

import pytest

from augft.core.config import load_config

pytestmark = pytest.mark.gpu


def test_gpu_zero3_bf16_reports_mfu(tiny_model, corpus_dir, tmp_path):
    import torch

    from augft.train.api import train

    n = torch.cuda.device_count()
    # peak_flops: the tiny model is far from any table GPU's peak, but MFU must be a share of it.
    cfg = load_config(None, [f"model.name={tiny_model}", "train.launcher=torchrun", "train.use_gpu=true",
                             f"train.num_workers={n}", "train.zero_stage=3", "train.max_steps=4",
                             f"train.batch_size={4 * n}", "train.micro_batch_size=4", "train.block_size=64",
                             "train.peak_flops=1e12"])
    s = train(cfg, corpus_dir, tmp_path / "out")
    assert s.precision == "bf16" and s.steps == 4 and s.world_size == n and s.zero_stage == 3
    rows = [json.loads(x) for x in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines() if x.strip()]
    loss_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in loss_rows] == [1, 2, 3, 4]
    assert all(0 < r["mfu"] < 1 and r["loss"] == r["loss"] for r in loss_rows)  # not NaN
    assert s.final_eval_loss is not None and s.final_eval_loss == s.final_eval_loss
    assert s.model and (tmp_path / "out" / "model" / "model.safetensors").is_file()
