"""What each stage asks of Ray, computed from the `cluster.*` (and `train.*`) config.

The stages call these instead of hard-coding resources, so a config change moves a
run from a laptop to a GPU cluster:
- augmentation (keys in the augment section): one placement group per engine
  replica; tensor parallelism needs its GPUs on one node (STRICT_PACK), so vLLM's
  Ray workers land on that node.
- training: one bundle per Ray Train worker; ZeRO shards parameters across workers,
  so PACK keeps them close (ScalingConfig's placement_strategy).
- sweeps: a bundle for each trial's driver plus its training workers, and the number
  of trials that run at once.
Ray itself is imported only by `reserve` and `cluster_resources`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

from augft.core.errors import AugftError

STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")


@dataclass(frozen=True)
class PlacementSpec:
    """Bundles for a Ray placement group, plus the config keys that produced them."""

    bundles: List[Dict[str, float]]
    strategy: str
    keys: str = ""
    """Config keys to name when the cluster cannot fit this spec."""
    label: str = ""
    """What the group is for (in error messages and the group's name)."""

    def total(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for b in self.bundles:
            for k, v in b.items():
                out[k] = out.get(k, 0.0) + v
        return out


def _positive(value, key: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise AugftError(f"config key '{key}' must be {'>= 0' if allow_zero else '> 0'}, got {value}")


def _bundle(cpus: float, gpus: float) -> Dict[str, float]:
    # Ray rejects zero-valued resources in bundles only when all are zero; keep them out.
    b = {}
    if cpus:
        b["CPU"] = float(cpus)
    if gpus:
        b["GPU"] = float(gpus)
    return b or {"CPU": 0.001}


def augment_replica(cfg) -> PlacementSpec:
    """One augmentation engine replica, from the augment section.

    vllm: one bundle per tensor-parallel GPU (`augment.vllm.tensor_parallel_size`), the
    first also holding `augment.actor_cpus`; with more than one GPU the strategy is
    STRICT_PACK, because tensor-parallel ranks exchange activations every layer and
    must share a node. hf/openai: one CPU bundle per engine actor.
    """
    a = cfg.augment
    _positive(a.actor_cpus, "augment.actor_cpus", allow_zero=True)
    if a.engine != "vllm":
        return PlacementSpec([_bundle(a.actor_cpus, 0)], "PACK", "augment.actor_cpus",
                             "augment engine actor")
    tp = a.vllm.tensor_parallel_size
    _positive(tp, "augment.vllm.tensor_parallel_size")
    bundles = [_bundle(a.actor_cpus, 1)] + [_bundle(0, 1) for _ in range(tp - 1)]
    return PlacementSpec(bundles, "STRICT_PACK" if tp > 1 else "PACK",
                         "augment.vllm.tensor_parallel_size, augment.actor_cpus", "augment replica")


def augment_replicas(cfg) -> int:
    """How many engine replicas run at once (`augment.vllm.replicas` or `augment.num_actors`)."""
    a = cfg.augment
    n, key = (a.vllm.replicas, "augment.vllm.replicas") if a.engine == "vllm" else (
        a.num_actors, "augment.num_actors")
    _positive(n, key)
    return int(n)


def vllm_parallel(cfg) -> Dict[str, object]:
    """Parallelism arguments for a vLLM engine built inside a replica's placement group."""
    tp = augment_replica(cfg).total().get("GPU", 0)
    return {
        "tensor_parallel_size": int(tp),
        # One GPU runs in the actor's own process; more need vLLM's Ray executor so its
        # workers are scheduled into the replica's placement group.
        "distributed_executor_backend": "ray" if tp > 1 else None,
    }


def train_workers(cfg) -> PlacementSpec:
    """The training workers' bundles (one per worker, `train.num_workers` of them)."""
    c, t = cfg.cluster, cfg.train
    _positive(t.num_workers, "train.num_workers")
    _positive(c.train_cpus_per_worker, "cluster.train_cpus_per_worker", allow_zero=True)
    if c.train_placement_strategy not in STRATEGIES:
        raise AugftError(f"config key 'cluster.train_placement_strategy' must be one of "
                         f"{', '.join(STRATEGIES)}, got '{c.train_placement_strategy}'")
    gpus = c.train_gpus_per_worker if t.use_gpu else 0
    if t.use_gpu:
        _positive(gpus, "cluster.train_gpus_per_worker")
    bundles = [_bundle(c.train_cpus_per_worker, gpus) for _ in range(t.num_workers)]
    return PlacementSpec(bundles, c.train_placement_strategy,
                         "train.num_workers, train.use_gpu, cluster.train_gpus_per_worker, "
                         "cluster.train_cpus_per_worker", "train workers")


def train_scaling(cfg) -> Dict[str, object]:
    """Keyword arguments for `ray.train.ScalingConfig(**train_scaling(cfg))`."""
    spec = train_workers(cfg)
    per_worker = dict(spec.bundles[0])
    return {
        "num_workers": len(spec.bundles),
        "use_gpu": bool(cfg.train.use_gpu),
        "resources_per_worker": per_worker,
        "placement_strategy": spec.strategy,
    }


def trial(cfg, with_train_workers: bool = True) -> PlacementSpec:
    """One sweep trial: its driver's bundle first, then its training workers' bundles.

    Ray Tune reserves the whole group per trial (`tune.PlacementGroupFactory`), so a
    trial never starts without room for the workers it will launch.
    """
    c = cfg.cluster
    _positive(c.trial_cpus, "cluster.trial_cpus", allow_zero=True)
    _positive(c.trial_gpus, "cluster.trial_gpus", allow_zero=True)
    bundles = [_bundle(c.trial_cpus, c.trial_gpus)]
    keys = "cluster.trial_cpus, cluster.trial_gpus"
    strategy = "PACK"
    if with_train_workers:
        workers = train_workers(cfg)
        bundles += workers.bundles
        keys += ", " + workers.keys
        strategy = workers.strategy
    return PlacementSpec(bundles, strategy, keys, "sweep trial")


def tune_settings(cfg, with_train_workers: bool = True) -> Dict[str, object]:
    """What a Ray Tune sweep needs: `tune.with_resources(fn, resources=...)` and
    `tune.TuneConfig(max_concurrent_trials=...)`."""
    from ray import tune

    _positive(cfg.cluster.max_concurrent_trials, "cluster.max_concurrent_trials")
    spec = trial(cfg, with_train_workers)
    return {
        "resources": tune.PlacementGroupFactory(spec.bundles, strategy=spec.strategy),
        "max_concurrent_trials": int(cfg.cluster.max_concurrent_trials),
    }


def entrypoint_resources(cfg) -> Dict[str, float]:
    """Resources for a submitted job's driver (`JobSubmissionClient.submit_job`)."""
    c = cfg.cluster
    _positive(c.entrypoint_num_cpus, "cluster.entrypoint_num_cpus", allow_zero=True)
    _positive(c.entrypoint_num_gpus, "cluster.entrypoint_num_gpus", allow_zero=True)
    return {"entrypoint_num_cpus": float(c.entrypoint_num_cpus),
            "entrypoint_num_gpus": float(c.entrypoint_num_gpus)}


def check_fits(spec: PlacementSpec, nodes: List[Dict[str, float]], copies: int = 1) -> None:
    """Raise AugftError, naming the config keys, when `copies` of `spec` cannot fit.

    `nodes` is each alive node's total resources. The check is necessary, not
    sufficient (other work may hold resources): totals must fit the cluster, and a
    STRICT_PACK group must fit on a single node.
    """
    need = spec.total()
    have: Dict[str, float] = {}
    for n in nodes:
        for k, v in n.items():
            have[k] = have.get(k, 0.0) + v
    for k, v in need.items():
        if v * copies > have.get(k, 0.0) + 1e-9:
            raise AugftError(
                f"{spec.label or 'placement group'} needs {v * copies:g} {k} "
                f"({copies} x {v:g}) but the cluster has {have.get(k, 0.0):g}; "
                f"lower {spec.keys} or add nodes")
    if spec.strategy == "STRICT_PACK" and len(spec.bundles) > 1:
        if not any(all(n.get(k, 0.0) + 1e-9 >= v for k, v in need.items()) for n in nodes):
            biggest = max((n.get("GPU", 0.0) for n in nodes), default=0.0)
            raise AugftError(
                f"{spec.label or 'placement group'} needs {need} on one node (STRICT_PACK) "
                f"but the largest node has {biggest:g} GPU; lower {spec.keys}")
    if spec.strategy == "STRICT_SPREAD" and len(spec.bundles) > len(nodes):
        raise AugftError(f"{spec.label or 'placement group'} spreads {len(spec.bundles)} bundles "
                         f"over {len(nodes)} node(s) (STRICT_SPREAD); lower {spec.keys}")


def cluster_nodes() -> List[Dict[str, float]]:
    """Total resources of each alive node of the connected Ray cluster."""
    import ray

    return [dict(n["Resources"]) for n in ray.nodes() if n.get("Alive")]


def reserve(spec: PlacementSpec, timeout_s: float, name: str = "",
            nodes: Optional[List[Dict[str, float]]] = None):
    """Create a placement group for `spec` and wait until it is placed.

    Fails fast (AugftError naming the config keys) when the cluster can never fit it,
    and after `timeout_s` when it is busy. The caller removes the group when done
    (`ray.util.remove_placement_group`).
    """
    import ray
    from ray.util.placement_group import placement_group, remove_placement_group

    check_fits(spec, cluster_nodes() if nodes is None else nodes)
    pg = placement_group(spec.bundles, strategy=spec.strategy, name=name or spec.label)
    ready, _ = ray.wait([pg.ready()], timeout=timeout_s)
    if not ready:
        remove_placement_group(pg)
        raise AugftError(f"{spec.label or 'placement group'} ({spec.total()}, {spec.strategy}) "
                         f"was not placed within {timeout_s:g} s (cluster.placement_timeout_s); "
                         f"the cluster is busy or lacks resources: check {spec.keys}")
    return pg
