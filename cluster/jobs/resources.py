"""What a sweep and a submitted job ask of Ray: the orchestrator's side of the resources.

Each stage owns its own spec (train: `augft.train.resources`, the Ray Train workers' bundles
and placement strategy; augment: its engine actors and vLLM's tensor-parallel placement groups
in `augft.augment.engines.vllm`). The orchestrator only combines them:
- a sweep trial reserves its driver's bundle (`cluster.trial_cpus/gpus`); its training workers
  are reserved by Ray Train itself: Ray Train (V2, the default) starts its own placement group
  for the workers even inside a Tune trial, so workers' bundles in the trial's group would be
  held twice and a full cluster would wait forever. Only the legacy Ray Train (V1,
  RAY_TRAIN_V2_ENABLED=0), which places its workers in the trial's group, gets them there.
  Before any trial starts, the sweep checks that one trial's driver plus workers can fit the
  cluster and fails naming the keys; `cluster.max_concurrent_trials` run at once;
- a submitted job's driver reserves `cluster.entrypoint_num_cpus/gpus`.
"""
from __future__ import annotations

from typing import Any, Dict, TypedDict

# The spec and the fit check live in core so every stage checks its own placement the same way.
from augft.core.resources import PlacementSpec, bundle, check_fits, cluster_nodes  # noqa: F401


def trial(cfg, with_train_workers: bool = True) -> PlacementSpec:
    """One sweep trial: its driver's bundle first, then its training workers' (train's spec)."""
    c = cfg.cluster
    bundles = [bundle(c.trial_cpus, c.trial_gpus)]
    keys, strategy = "cluster.trial_cpus, cluster.trial_gpus", "PACK"
    if with_train_workers:
        from augft.train.resources import KEYS, train_resources

        workers = train_resources(cfg)
        bundles += workers.bundles()
        keys, strategy = f"{keys}, {KEYS}", workers.strategy
    return PlacementSpec(bundles, strategy, keys, "sweep trial")


def train_places_own_workers() -> bool:
    """Whether Ray Train reserves its workers' placement group itself inside a Tune trial (V2)."""
    try:
        from ray.train.v2._internal.constants import is_v2_enabled
    except ImportError:  # a Ray without Train V2 places the workers in the trial's group
        return False
    return bool(is_v2_enabled())


class TuneSettings(TypedDict):
    resources: Any  # a ray.tune.PlacementGroupFactory
    max_concurrent_trials: int
    spec: PlacementSpec
    reserved: PlacementSpec


def tune_settings(cfg, with_train_workers: bool = True) -> TuneSettings:
    """`tune.with_resources(fn, resources=...)` and `tune.TuneConfig(max_concurrent_trials=...)`;
    `spec` is what one trial needs at once (driver + workers: the fit check), `reserved` what the
    trial's own group holds (see the module docstring)."""
    from ray import tune

    spec = trial(cfg, with_train_workers)
    reserved = trial(cfg, with_train_workers and not train_places_own_workers())
    return {"resources": tune.PlacementGroupFactory(reserved.bundles, strategy=reserved.strategy),
            "max_concurrent_trials": int(cfg.cluster.max_concurrent_trials), "spec": spec,
            "reserved": reserved}


def entrypoint_resources(cfg) -> Dict[str, float]:
    """Resources for a submitted job's driver (`JobSubmissionClient.submit_job`)."""
    c = cfg.cluster
    return {"entrypoint_num_cpus": float(c.entrypoint_num_cpus),
            "entrypoint_num_gpus": float(c.entrypoint_num_gpus)}
