"""Run the training loop on Ray Train: one TorchTrainer worker per process/GPU.

Ray Train creates the torch process group (gloo on CPU, NCCL on GPU); the loop in
train/loop.py then hands it to DeepSpeed. Each rank reports its checkpoint shard to
Ray with `ray.train.report` when it saves one.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from augft.core.errors import AugftError


def _worker(config: dict) -> None:
    import ray.train

    ctx = ray.train.get_context()
    os.environ["LOCAL_RANK"] = str(ctx.get_local_rank())
    os.environ["LOCAL_WORLD_SIZE"] = str(ctx.get_local_world_size())
    from augft.train.loop import run_worker

    run_worker(json.loads(Path(config["plan"]).read_text()),
               report=lambda metrics: ray.train.report(metrics))


def launch_ray(plan_path: Path, num_workers: int, use_gpu: bool, cluster_cfg) -> None:
    import ray
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    started = False
    if not ray.is_initialized():
        address = cluster_cfg.address or os.environ.get("RAY_ADDRESS") or None
        kwargs = {"include_dashboard": False, "log_to_driver": True}
        if address is None:
            # A local Ray needs a CPU per worker plus one for Ray Train's controller.
            kwargs["num_cpus"] = cluster_cfg.num_cpus or max(os.cpu_count() or 1, num_workers + 1)
        ray.init(address=address, **kwargs)
        started = True
    out = Path(plan_path).resolve().parent
    try:
        trainer = TorchTrainer(
            _worker,
            train_loop_config={"plan": str(Path(plan_path).resolve())},
            scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=use_gpu,
                                         resources_per_worker={"CPU": 1, **({"GPU": 1} if use_gpu else {})}),
            run_config=RunConfig(storage_path=str(out / "ray"), name=f"train-{int(time.time())}",
                                 failure_config=FailureConfig(max_failures=0)),
        )
        try:
            trainer.fit()
        except Exception as exc:
            raise AugftError(f"Ray Train run failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if started:
            ray.shutdown()
