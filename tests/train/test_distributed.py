"""Real DeepSpeed ZeRO-3 runs with 2 workers: one through Ray Train, one through torchrun
that is killed and resumed. Both use the same loop, data order and seeds, so the resumed
run must land on the uninterrupted run's steps and losses."""
import json
import os
import signal
import subprocess
import time

import pytest

from augft.core.artifacts import TrainOutput

from augft.core.models import load_model
from helpers import BIN
from augft.train.checkpoints import latest_checkpoint, list_checkpoints

pytestmark = pytest.mark.slow

STEPS = 10
COMMON = ["train.num_workers=2", "train.zero_stage=3", "train.batch_size=4", f"train.max_steps={STEPS}",
          "train.checkpoint_every=2", "train.eval_every=5", "train.lr=1e-3", "train.block_size=64"]


def _metrics(out):
    return [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]


@pytest.fixture(scope="module")
def ray_run(tmp_path_factory, tiny_model, corpus_writer):
    root = tmp_path_factory.mktemp("train_dist")
    data = root / "data"
    data.mkdir()
    corpus_writer(data)
    out = root / "ray"
    r = subprocess.run([str(BIN / "augft"), "train", "--data", str(data), "--out", str(out),
                        f"model.name={tiny_model}", "train.launcher=ray", "cluster.num_cpus=3", *COMMON],
                       capture_output=True, text=True, timeout=420)
    assert r.returncode == 0, r.stderr[-3000:] + r.stdout[-3000:]
    return data, out


def test_ray_train_zero3_two_workers_exports(ray_run, tiny_model):
    _, out = ray_run
    s = TrainOutput(out).summary()
    assert s.steps == STEPS and s.world_size == 2 and s.zero_stage == 3 and s.launcher == "ray"
    rows = [r for r in _metrics(out) if "loss" in r]
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    assert all(r["tokens_per_s"] > 0 and r["grad_norm"] > 0 for r in rows)
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert [r["step"] for r in _metrics(out) if "eval_loss" in r] == [5, 10]
    assert [p.name for p in list_checkpoints(out)] == ["step-000008", "step-000010"]  # keep_checkpoints=2
    assert s.train_flops == 6 * s.n_params * s.tokens

    # The export holds the gathered weights: equal to DeepSpeed's own consolidation of
    # the final ZeRO-3 checkpoint, and different from the starting model.
    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

    ref = get_fp32_state_dict_from_zero_checkpoint(str(latest_checkpoint(out)), tag="ds")
    exported = load_model(str(out / "model"), device="cpu").model.state_dict()
    base = load_model(tiny_model, device="cpu").model.state_dict()
    for name, w in ref.items():
        torch.testing.assert_close(exported[name], w.float())
    assert not torch.equal(exported["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])


def test_kill_and_resume_matches_uninterrupted(ray_run, tiny_model, tmp_path):
    data, ref_out = ray_run
    out = tmp_path / "killed"
    cmd = [str(BIN / "augft"), "train", "--data", str(data), "--out", str(out), f"model.name={tiny_model}",
           "train.launcher=torchrun", *COMMON]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 300
        while latest_checkpoint(out) is None and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its torchrun workers
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    # The workers die with their launcher: nothing writes checkpoints after the kill.
    seen = [(p.name, sorted(x.name for x in p.rglob("*"))) for p in list_checkpoints(out)]
    time.sleep(3)
    assert [(p.name, sorted(x.name for x in p.rglob("*"))) for p in list_checkpoints(out)] == seen
    assert not (out / "summary.json").exists()
    killed_at = json.loads((latest_checkpoint(out) / "trainer_state.json").read_text())["step"]
    assert 2 <= killed_at < STEPS

    r = subprocess.run(cmd + ["train.resume=auto"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    s = TrainOutput(out).summary()
    assert s.steps == STEPS and s.resumed_from >= killed_at
    mine = {r["step"]: r["loss"] for r in _metrics(out) if "loss" in r}
    ref = {r["step"]: r["loss"] for r in _metrics(ref_out) if "loss" in r}
    assert sorted(mine) == list(range(1, STEPS + 1))  # each step once, none lost or repeated
    for step in range(1, STEPS + 1):
        assert mine[step] == pytest.approx(ref[step], abs=1e-3), step
    ref_summary = TrainOutput(ref_out).summary()
    assert s.final_eval_loss == pytest.approx(ref_summary.final_eval_loss, abs=1e-3)


def _descendants(cluster):
    import psutil

    raylet = cluster.head_node.all_processes["raylet"][0].process.pid
    return psutil.Process(raylet).children(recursive=True)


def _train_workers(cluster):
    """Ray Train worker processes of the cluster's head node (children of its raylet)."""
    return [p for p in _descendants(cluster) if "RayTrainWorker" in " ".join(p.cmdline())]


def test_lost_ray_worker_restarts_and_resumes(ray_run, tiny_model, tmp_path):
    """SIGKILL one Ray Train worker mid-run: Ray Train restarts the group (train.max_failures)
    and the new workers resume from the latest complete checkpoint, ending where the
    uninterrupted run ended. The run targets a Ray cluster, so Ray Data builds its shards."""
    from ray.cluster_utils import Cluster

    data, ref_out = ray_run
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 3, "include_dashboard": False})
    out = tmp_path / "lost"
    cmd = [str(BIN / "augft"), "train", "--data", str(data), "--out", str(out), f"model.name={tiny_model}",
           "train.launcher=ray", f"cluster.address={cluster.address}", "train.max_failures=2", *COMMON]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 300
        while latest_checkpoint(out) is None and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()[0][-4000:]
        workers = _train_workers(cluster)
        assert len(workers) == 2, _descendants(cluster)
        killed_at = json.loads((latest_checkpoint(out) / "trainer_state.json").read_text())["step"]
        os.kill(workers[-1].pid, signal.SIGKILL)
        log, _ = proc.communicate(timeout=400)
    finally:
        cluster.shutdown()
    assert proc.returncode == 0, log[-4000:]
    assert killed_at < STEPS
    s = TrainOutput(out).summary()
    ref_summary = TrainOutput(ref_out).summary()
    assert s.steps == STEPS and s.resumed_from >= killed_at > 0  # the restarted group resumed
    mine = [r["step"] for r in _metrics(out) if "loss" in r]
    assert mine == list(range(1, STEPS + 1))  # each step once, none lost or repeated
    assert s.final_loss == pytest.approx(ref_summary.final_loss, abs=1e-3)
    assert s.final_eval_loss == pytest.approx(ref_summary.final_eval_loss, abs=1e-3)
    # Ray Data's shards are the process pool's, byte for byte.
    digest = lambda d: {p.name: p.read_bytes() for p in sorted((d / "data" / "train").iterdir())}  # noqa: E731
    assert digest(out) == digest(ref_out)


def test_lora_zero3_exports_merged_model(corpus_dir, tiny_model, tmp_path):
    import torch
    from safetensors import safe_open

    data = corpus_dir
    out = tmp_path / "lora"
    r = subprocess.run([str(BIN / "augft"), "train", "--data", str(data), "--out", str(out),
                        f"model.name={tiny_model}", "train.launcher=torchrun", "train.lora=true",
                        "train.lora_r=4", "train.lora_dropout=0", "train.num_workers=2", "train.zero_stage=3",
                        "train.batch_size=4", "train.max_steps=3", "train.lr=1e-2", "train.block_size=64"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    with safe_open(str(out / "model" / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert keys and not any("lora" in k or "base_layer" in k for k in keys)  # merged, plain names
    exported = load_model(str(out / "model"), device="cpu").model.state_dict()
    base = load_model(tiny_model, device="cpu").model.state_dict()
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(exported[q], base[q])  # the adapter is in the merged weight
    torch.testing.assert_close(exported["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])


def test_zero0_single_worker_checkpoints_prune_and_resume(corpus_dir, tiny_model, tmp_path):
    """ZeRO-0 keeps the optimizer in rank 0's model-states file: its checkpoints must count as
    complete, so pruning keeps only the newest and resume=auto picks up from them."""
    import shutil

    out = tmp_path / "z0"
    cmd = [str(BIN / "augft"), "train", "--data", str(corpus_dir), "--out", str(out), f"model.name={tiny_model}",
           "train.launcher=torchrun", "train.num_workers=1", "train.zero_stage=0", "train.batch_size=4",
           "train.max_steps=4", "train.checkpoint_every=1", "train.keep_checkpoints=2", "train.lr=1e-3",
           "train.block_size=64", "train.eval_fraction=0", "train.export=false"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [p.name for p in list_checkpoints(out)] == ["step-000003", "step-000004"]
    ref = {r["step"]: r["loss"] for r in _metrics(out) if "loss" in r}

    shutil.rmtree(out / "checkpoints" / "step-000004")  # as if killed before the last save
    (out / "summary.json").unlink()
    r = subprocess.run(cmd + ["train.resume=auto"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    s = TrainOutput(out).summary()
    assert s.steps == 4 and s.resumed_from == 3
    mine = {r["step"]: r["loss"] for r in _metrics(out) if "loss" in r}
    assert sorted(mine) == [1, 2, 3, 4]
    assert mine[4] == pytest.approx(ref[4], abs=1e-4)
