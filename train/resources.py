"""What the training workers ask of Ray, from the config.

Train owns its resource spec: one bundle per Ray Train worker, each
`cluster.train_cpus_per_worker` CPUs (+ `cluster.train_gpus_per_worker` GPUs when
`train.use_gpu`), placed with `cluster.train_placement_strategy` (PACK keeps ZeRO's
all-gathers on as few nodes as possible). `ray_launch` builds its `ScalingConfig` from
it, and the orchestrator adds `bundles()` to a sweep trial's group.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

KEYS = ("train.num_workers, train.use_gpu, cluster.train_cpus_per_worker, "
        "cluster.train_gpus_per_worker, cluster.train_placement_strategy")


@dataclass(frozen=True)
class TrainResources:
    """The workers' reservation: `num_workers` bundles of `per_worker`, placed by `strategy`."""

    num_workers: int
    use_gpu: bool
    per_worker: Dict[str, float] = field(default_factory=dict)
    strategy: str = "PACK"

    def bundles(self) -> List[Dict[str, float]]:
        return [dict(self.per_worker) for _ in range(self.num_workers)]

    def total(self) -> Dict[str, float]:
        return {k: v * self.num_workers for k, v in self.per_worker.items()}

    def spec(self):
        """The workers as a core.resources PlacementSpec (checked against the cluster before work)."""
        from augft.core.resources import PlacementSpec

        return PlacementSpec(self.bundles(), self.strategy, KEYS, "training workers")

    def scaling_config(self):
        """Ray Train's `ScalingConfig` for these workers."""
        from ray.train import ScalingConfig

        return ScalingConfig(num_workers=self.num_workers, use_gpu=self.use_gpu,
                             resources_per_worker=dict(self.per_worker),
                             placement_strategy=self.strategy)


def train_resources(cfg) -> TrainResources:
    """The training workers' resources from `cfg.train` and `cfg.cluster` (ranges are
    checked when the config loads)."""
    from augft.core.resources import bundle  # the same bundle every stage's actors ask for

    t, c = cfg.train, cfg.cluster
    per_worker = bundle(float(c.train_cpus_per_worker), float(c.train_gpus_per_worker) if t.use_gpu else 0.0)
    return TrainResources(num_workers=int(t.num_workers), use_gpu=bool(t.use_gpu),
                          per_worker=per_worker, strategy=str(c.train_placement_strategy))
