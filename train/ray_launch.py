"""Run the training loop on Ray Train: one TorchTrainer worker per process/GPU.

Ray Train creates the torch process group (gloo on CPU, NCCL on GPU); the loop in
train/loop.py then hands it to DeepSpeed. The workers' resources come from the config
(train/resources.py). When a worker dies, Ray Train restarts the whole group up to
`train.max_failures` times; the restarted workers resume from the run's latest complete
checkpoint (`saving.resume_point`). Each rank reports its checkpoint shard to Ray with
`ray.train.report` when it saves one.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from augft.core.errors import AugftError
from augft.train.resources import TrainResources, train_resources


def _worker(config: dict) -> None:
    import ray.train

    ctx = ray.train.get_context()
    os.environ["LOCAL_RANK"] = str(ctx.get_local_rank())
    os.environ["LOCAL_WORLD_SIZE"] = str(ctx.get_local_world_size())
    from ray.train.torch import get_device

    from augft.train.loop import run_worker
    from augft.train.plan import WorkerPlan

    # The GPU Ray assigned this worker: its index need not equal the local rank.
    run_worker(WorkerPlan.from_json(Path(config["plan"])), report=lambda metrics: ray.train.report(metrics),
               device=get_device())


def fit(loop: Callable[[dict], None], loop_config: dict, resources: TrainResources, max_failures: int,
        storage: Path) -> None:
    """Run `loop` on Ray Train workers reserved per `resources` (Ray must be initialized)."""
    from ray.train import FailureConfig, RunConfig
    from ray.train.torch import TorchTrainer

    trainer = TorchTrainer(
        loop, train_loop_config=loop_config, scaling_config=resources.scaling_config(),
        run_config=RunConfig(storage_path=str(storage), name=f"train-{int(time.time() * 1000)}",
                             failure_config=FailureConfig(max_failures=max_failures)))
    try:
        trainer.fit()
    except Exception as exc:
        raise AugftError(f"Ray Train run failed: {type(exc).__name__}: {exc}") from exc


def launch_ray(plan_path: Path, cfg) -> None:
    from augft.core.ray_init import ray_session

    resources = train_resources(cfg)
    # A local Ray needs the workers' CPUs plus one for Ray Train's controller.
    need = int(resources.total().get("CPU", 0) + 0.999) + 1
    out = Path(plan_path).resolve().parent
    with ray_session(cfg.cluster, min_cpus=need):
        from augft.core.resources import check_cluster

        check_cluster(resources.spec())  # workers that can never be placed would wait forever
        fit(_worker, {"plan": str(Path(plan_path).resolve())}, resources, int(cfg.train.max_failures), out / "ray")
