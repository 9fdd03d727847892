"""What a sweep and a submitted job ask of Ray: the orchestrator's side of the resources.

Each stage owns its own spec (train: `augft.train.resources`, the Ray Train workers' bundles
and placement strategy; augment: its engine actors and vLLM's tensor-parallel placement groups
in `augft.augment.engines.vllm`). The orchestrator only combines them:
- a sweep trial is one placement group: its driver's bundle (`cluster.trial_cpus/gpus`) then
  its training workers' bundles, so a trial never starts without room for the workers it will
  launch; `cluster.max_concurrent_trials` run at once; before any trial starts, the sweep
  checks the group can fit the cluster at all and fails naming the keys to change;
- a submitted job's driver reserves `cluster.entrypoint_num_cpus/gpus`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from augft.core.errors import AugftError


@dataclass(frozen=True)
class PlacementSpec:
    """Bundles for a Ray placement group, plus the config keys that produced them."""

    bundles: List[Dict[str, float]]
    strategy: str
    keys: str = ""
    """Config keys to name when the cluster cannot fit this spec."""
    label: str = ""

    def total(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for b in self.bundles:
            for k, v in b.items():
                out[k] = out.get(k, 0.0) + v
        return out


def _bundle(cpus: float, gpus: float) -> Dict[str, float]:
    b = {k: float(v) for k, v in (("CPU", cpus), ("GPU", gpus)) if v}
    return b or {"CPU": 0.001}  # Ray refuses a bundle whose resources are all zero


def trial(cfg, with_train_workers: bool = True) -> PlacementSpec:
    """One sweep trial: its driver's bundle first, then its training workers' (train's spec)."""
    c = cfg.cluster
    bundles = [_bundle(c.trial_cpus, c.trial_gpus)]
    keys, strategy = "cluster.trial_cpus, cluster.trial_gpus", "PACK"
    if with_train_workers:
        from augft.train.resources import KEYS, train_resources

        workers = train_resources(cfg)
        bundles += workers.bundles()
        keys, strategy = f"{keys}, {KEYS}", workers.strategy
    return PlacementSpec(bundles, strategy, keys, "sweep trial")


def tune_settings(cfg, with_train_workers: bool = True) -> Dict[str, object]:
    """`tune.with_resources(fn, resources=...)` and `tune.TuneConfig(max_concurrent_trials=...)`."""
    from ray import tune

    spec = trial(cfg, with_train_workers)
    return {"resources": tune.PlacementGroupFactory(spec.bundles, strategy=spec.strategy),
            "max_concurrent_trials": int(cfg.cluster.max_concurrent_trials), "spec": spec}


def entrypoint_resources(cfg) -> Dict[str, float]:
    """Resources for a submitted job's driver (`JobSubmissionClient.submit_job`)."""
    c = cfg.cluster
    return {"entrypoint_num_cpus": float(c.entrypoint_num_cpus),
            "entrypoint_num_gpus": float(c.entrypoint_num_gpus)}


def check_fits(spec: PlacementSpec, nodes: List[Dict[str, float]], copies: int = 1) -> None:
    """Raise AugftError, naming the config keys, when `copies` of `spec` can never fit.

    `nodes` is each alive node's total resources. Necessary, not sufficient (other work may hold
    resources): totals must fit the cluster, a STRICT_PACK group one node, a STRICT_SPREAD group
    one bundle per node.
    """
    need = spec.total()
    have: Dict[str, float] = {}
    for n in nodes:
        for k, v in n.items():
            have[k] = have.get(k, 0.0) + v
    for k, v in need.items():
        if v * copies > have.get(k, 0.0) + 1e-9:
            raise AugftError(f"{spec.label or 'placement group'} needs {v * copies:g} {k} ({copies} x {v:g}) "
                             f"but the cluster has {have.get(k, 0.0):g}; lower {spec.keys} or add nodes")
    if spec.strategy == "STRICT_PACK" and len(spec.bundles) > 1:
        if not any(all(n.get(k, 0.0) + 1e-9 >= v for k, v in need.items()) for n in nodes):
            raise AugftError(f"{spec.label or 'placement group'} needs {need} on one node (STRICT_PACK), "
                             f"more than any node has; lower {spec.keys}")
    if spec.strategy == "STRICT_SPREAD" and len(spec.bundles) > len(nodes):
        raise AugftError(f"{spec.label or 'placement group'} spreads {len(spec.bundles)} bundles over "
                         f"{len(nodes)} node(s) (STRICT_SPREAD); lower {spec.keys}")


def cluster_nodes() -> List[Dict[str, float]]:
    """Total resources of each alive node of the connected Ray cluster."""
    import ray

    return [dict(n["Resources"]) for n in ray.nodes() if n.get("Alive")]
