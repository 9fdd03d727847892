"""Which device a training rank uses, and that the tensors its collectives reduce live there.

NCCL reduces only CUDA tensors: a step's sums built on the CPU raise at the first step on GPUs.
CUDA is not here, so the choice is checked from the environment and Ray's assignment, and the
reduction runs for real under gloo on the CPU; a device-recording all_reduce shows the tensor
is built on whatever device the rank was given (the meta device stands in for a GPU).
"""
import os
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist

from augft.core.errors import AugftError
from augft.core.io import free_port
from augft.train import loop
from augft.train.device import worker_device
from augft.train.loop import Sums


def test_torchrun_rank_trains_on_the_gpu_of_its_local_rank():
    assert worker_device(True, env={"LOCAL_RANK": "3"}) == torch.device("cuda", 3)
    assert worker_device(True, env={}) == torch.device("cuda", 0)


def test_ray_assigned_gpu_wins_over_the_local_rank():
    # Ray Train may give local rank 0 the node's GPU 5: DeepSpeed must not pick cuda:0.
    assert worker_device(True, torch.device("cuda", 5), env={"LOCAL_RANK": "0"}) == torch.device("cuda", 5)
    assert worker_device(True, "cuda", env={"LOCAL_RANK": "2"}) == torch.device("cuda", 0)


def test_cpu_run_stays_on_cpu_whatever_was_assigned():
    assert worker_device(False, env={"LOCAL_RANK": "1"}) == torch.device("cpu")
    assert worker_device(False, torch.device("cpu")) == torch.device("cpu")


def test_gpu_run_given_no_gpu_names_the_keys():
    with pytest.raises(AugftError, match="train.use_gpu.*cluster.train_gpus_per_worker"):
        worker_device(True, torch.device("cpu"))


def test_sums_are_built_on_the_rank_device(monkeypatch):
    seen = []
    monkeypatch.setattr(dist, "all_reduce", lambda t: seen.append(t.device))
    s = Sums(3, torch.device("meta"))
    s.add(torch.tensor(2.0, device="meta"), 1.0, 5.0)
    assert s.values.device.type == "meta"
    try:
        s.all_reduce()
    except (NotImplementedError, RuntimeError):
        pass  # meta tensors hold no values to read back; the reduce already ran
    assert [d.type for d in seen] == ["meta"]


@pytest.fixture
def gloo_group():
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    dist.init_process_group("gloo", rank=0, world_size=1)
    yield
    dist.destroy_process_group()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_sums_reduce_under_gloo_on_the_chosen_device(gloo_group):
    device = worker_device(False)
    s = Sums(3, device)
    for loss in (torch.tensor(1.5), torch.tensor(0.5)):  # a step's micro-batches
        s.add(loss.double(), 1.0, 64.0)
    assert s.values.device == device
    assert s.all_reduce() == [2.0, 2.0, 128.0]


class _Out:
    def __init__(self, loss):
        self.loss = loss


class _Engine:
    """The engine's forward on any device: a loss tensor on the device it was given."""

    def __init__(self, device):
        self.device, self.calls = device, 0

    def __call__(self, **batch):
        self.calls += 1
        return _Out(torch.tensor(2.0, device=self.device))

    def eval(self):
        pass

    def train(self):
        pass


def test_eval_loss_reduces_a_tensor_on_the_rank_device(gloo_group, monkeypatch, tmp_path):
    """`_evaluate` (the eval loss) sums on the rank's device and reduces across ranks."""
    from augft.train.data import Block

    seen = []
    real_reduce = dist.all_reduce
    monkeypatch.setattr(dist, "all_reduce", lambda t: (seen.append(t.device), real_reduce(t)))
    blocks = [Block([1, 2, 3, 4], [1, 2, 3, 4], [0, 1, 2, 3]) for _ in range(3)]

    class Plan:
        micro_batch, pad_id, packing = 2, 0, True

    loss = loop._evaluate(_Engine("cpu"), blocks, Plan(), 0, 1, torch.device("cpu"))
    assert loss == pytest.approx(2.0)
    assert seen == [torch.device("cpu")]


def test_deepspeed_is_told_the_assigned_gpu(tiny_model, corpus_dir, tmp_path, monkeypatch):
    """DeepSpeed puts its engine on cuda:LOCAL_RANK unless told otherwise: the loop passes the
    assigned GPU's index, so the engine and the collectives' tensors share one device."""
    import deepspeed

    from augft.core.config import load_config
    from augft.train.api import prepare
    from augft.train.plan import WorkerPlan
    from augft.train.request import TrainRequest

    cfg = load_config(None, [f"model.name={tiny_model}", "train.launcher=torchrun", "train.num_workers=1",
                             "train.batch_size=4", "train.block_size=64", "train.zero_stage=0", "train.data_workers=1"])
    prepare(cfg, TrainRequest.from_config(cfg, corpus_dir, tmp_path / "out"))
    plan = WorkerPlan.from_json(tmp_path / "out" / "plan.json")
    seen = {}

    def initialize(args=None, **kw):
        seen["args"] = args
        return SimpleNamespace(), kw["optimizer"], None, kw["lr_scheduler"]

    monkeypatch.setattr(deepspeed, "initialize", initialize)
    loop._engine(plan, 1, torch.device("cuda", 5))
    assert seen["args"].device_rank == 5
    loop._engine(plan, 1, torch.device("cpu"))
    assert seen["args"] is None  # CPU: DeepSpeed's own choice
