"""What each stage of a study reserves on Ray, from the specs the stages themselves use: train's
workers (`train.resources.train_resources`), augment's vLLM replicas (`augment.engines.vllm`:
`use_gpus`, `placement_spec`, `replica_options`), eval's scoring actors (`eval.num_actors` x
`eval.actor_cpus`, as eval/distributed.py's actor pool asks). `augft plan` prices them and checks
them against a cluster file (`check_fits`); `augft plan --check` reserves them on a running one.
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

    @property
    def gpus(self) -> int:
        return int(self.spec.total().get("GPU", 0.0) * self.copies)

    def describe(self) -> str:
        n = len(self.spec.bundles)
        per = self.spec.bundles[0].get("GPU", 0.0) if self.spec.bundles else 0.0
        what = {"augment": "replicas x TP", "train": "workers x GPUs", "eval": "actors x GPUs"}.get(
            self.spec.label.split("[")[0], "x")
        if self.copies > 1 or self.spec.label.startswith("augment"):
            return f"{self.copies}x{n} ({what})"
        return f"{n}x{per:g} ({what})"


def _augment(cfg, gpus: bool) -> StagePlacement:
    from augft.augment.engines.vllm import placement_spec, replica_options, use_gpus

    a = cfg.augment
    if str(a.engine) != "vllm":  # hf (or auto's choice of it) runs in the study's own process
        b = {"CPU": 1.0, **({"GPU": 1.0} if gpus and str(cfg.model.device) != "cpu" else {})}
        return StagePlacement(PlacementSpec([b], "PACK", "augment.engine, model.device", "augment"))
    v, on_gpu = a.vllm, use_gpus(a.vllm, 1.0 if gpus else 0.0)
    tp = int(v.tensor_parallel_size)
    if on_gpu and tp > 1:
        ps = placement_spec(tp)
        spec = PlacementSpec([dict(b) for b in ps["bundles"]], ps["strategy"],
                             "augment.vllm.replicas, augment.vllm.tensor_parallel_size", "augment")
    else:
        o = replica_options(v, on_gpu)
        b = {k: float(x) for k, x in (("CPU", o["num_cpus"]), ("GPU", o["num_gpus"])) if x}
        spec = PlacementSpec([b or {"CPU": 0.001}], "PACK", "augment.vllm.replicas, augment.vllm.cpus_per_replica",
                             "augment")
    return StagePlacement(spec, int(v.replicas))


def _train(cfg) -> StagePlacement:
    from augft.train.resources import KEYS, train_resources

    r = train_resources(cfg)
    # torchrun and one process run the workers beside the driver: on one node.
    strategy = r.strategy if str(cfg.train.launcher) == "ray" else "STRICT_PACK"
    return StagePlacement(PlacementSpec(r.bundles(), strategy, KEYS, "train"))


def _eval(cfg, gpus: bool) -> StagePlacement:
    e = cfg.eval
    n = int(e.num_actors) if e.use_ray is not False else 1  # unset: on, on a cluster
    b = {"CPU": float(e.actor_cpus), **({"GPU": 1.0} if gpus and str(cfg.model.device) != "cpu" else {})}
    return StagePlacement(PlacementSpec([dict(b) for _ in range(n)], "PACK",
                                        "eval.num_actors, eval.actor_cpus, eval.use_ray", "eval"))


def stage_placements(cfg, gpus: bool) -> Dict[str, StagePlacement]:
    """Per stage kind, what it reserves; `gpus`: whether the cluster has GPUs."""
    return {"augment": _augment(cfg, gpus), "train": _train(cfg), "eval": _eval(cfg, gpus)}
