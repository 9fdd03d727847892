"""What each stage of a study reserves on Ray, from the specs the stages themselves use (one
source of truth with the stages' own fit checks): train's workers (`train.resources`), augment's
vLLM replicas (`augment.engines.vllm.replica_placement`) or engine actors (`augment.hosts.placement`),
eval's scoring actors (`eval.distributed.placement`: `eval.num_actors` x `eval.actor_cpus` /
`eval.actor_gpus`). `augft plan` prices them and checks them against a cluster file (`check_fits`);
`augft plan --check` reserves them on a running one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

from augft.cluster.jobs.resources import PlacementSpec


@dataclass(frozen=True)
class StagePlacement:
    """`copies` placement groups of `spec` (one per vLLM replica; one for the training workers)."""
    spec: PlacementSpec
    copies: int = 1
    kind: str = ""

    @property
    def gpus(self) -> int:
        return int(self.spec.total().get("GPU", 0.0) * self.copies)

    def describe(self) -> str:
        n = len(self.spec.bundles)
        per = self.spec.bundles[0].get("GPU", 0.0) if self.spec.bundles else 0.0
        what = {"augment": "replicas x TP", "train": "workers x GPUs", "eval": "actors x GPUs"}.get(self.kind, "x")
        if self.copies > 1 or self.kind == "augment":
            return f"{self.copies}x{n} ({what})"
        return f"{n}x{per:g} ({what})"


def _augment(cfg, gpus: bool) -> StagePlacement:
    from augft.augment.engines.vllm import replica_placement, use_gpus
    from augft.augment.hosts import placement

    a = cfg.augment
    if str(a.engine) != "vllm":
        return StagePlacement(placement(cfg, gpus)[0], 1, "augment")
    on_gpu = use_gpus(a.vllm, 1.0 if gpus else 0.0)
    return StagePlacement(replica_placement(a.vllm, on_gpu), int(a.vllm.replicas), "augment")


def _train(cfg) -> StagePlacement:
    from augft.train.resources import train_resources

    r = train_resources(cfg)
    spec = r.spec()
    if str(cfg.train.launcher) != "ray":  # torchrun and one process run the workers beside the driver: one node
        spec = PlacementSpec(spec.bundles, "STRICT_PACK", spec.keys, spec.label)
    return StagePlacement(spec, 1, "train")


def _eval(cfg) -> StagePlacement:
    from augft.core.config.settings import EvalSettings
    from augft.eval.distributed import placement

    return StagePlacement(placement(EvalSettings.of(cfg)), 1, "eval")


def stage_placements(cfg, gpus: bool) -> Dict[str, StagePlacement]:
    """Per stage kind, what it reserves; `gpus`: whether the cluster has GPUs."""
    return {"augment": _augment(cfg, gpus), "train": _train(cfg), "eval": _eval(cfg)}
