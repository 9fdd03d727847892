"""What a stage's Ray actors ask for, whether that can ever fit, and the device an actor got.

One helper for every stage (train's workers, eval's scoring actors, teacher-target actors,
augment's engine actors and vLLM replicas), so they build their requests, check them against
the cluster and name their keys the same way:
- `bundle(cpus, gpus)`: one actor's resources (Ray refuses an all-zero bundle);
- `PlacementSpec`: the bundles a stage needs at once, the strategy and the keys that set them;
- `check_fits(spec, cluster_nodes())`: before any work, an AugftError naming the keys when the
  request can never be placed (Ray would otherwise wait forever with no error);
- `actor_device(requested, gpus, key)`: inside an actor, `model.device=auto` follows what Ray
  assigned (GPU ids -> cuda, none -> cpu), and an actor that asked for GPUs and got none stops
  naming the key instead of running on CPU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from augft.core.errors import AugftError


def bundle(cpus: float, gpus: float = 0.0) -> Dict[str, float]:
    """One actor's (or worker's) Ray resources; zero entries left out."""
    b = {k: float(v) for k, v in (("CPU", cpus), ("GPU", gpus)) if v}
    return b or {"CPU": 0.001}  # Ray refuses a bundle whose resources are all zero


def actor_options(cpus: float, gpus: float = 0.0) -> Dict[str, float]:
    """`num_cpus` / `num_gpus` for `ray.remote(...).options` and Ray Data's `map_batches`."""
    return {"num_cpus": float(cpus), "num_gpus": float(gpus)}


@dataclass(frozen=True)
class PlacementSpec:
    """Bundles a stage needs at once, plus the config keys that produced them."""

    bundles: List[Dict[str, float]]
    strategy: str = "PACK"
    keys: str = ""
    """Config keys to name when the cluster cannot fit this spec."""
    label: str = ""

    def total(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for b in self.bundles:
            for k, v in b.items():
                out[k] = out.get(k, 0.0) + v
        return out

    def plus(self, other: "PlacementSpec") -> "PlacementSpec":
        """Both specs held at once (a job's driver and the workers it starts)."""
        keys = ", ".join(k for k in (self.keys, other.keys) if k)
        return PlacementSpec(self.bundles + other.bundles, "PACK", keys, f"{self.label} + {other.label}")


def actors_spec(n: int, cpus: float, gpus: float, keys: str, label: str) -> PlacementSpec:
    """`n` actors of `cpus`/`gpus` each (an actor pool); each must fit on some node."""
    return PlacementSpec([bundle(cpus, gpus)] * int(n), "PACK", keys, label)


def _fits(b: Dict[str, float], node: Dict[str, float]) -> bool:
    return all(node.get(k, 0.0) + 1e-9 >= v for k, v in b.items())


def check_fits(spec: PlacementSpec, nodes: List[Dict[str, float]], copies: int = 1) -> None:
    """Raise AugftError, naming the config keys, when `copies` of `spec` can never fit.

    `nodes` is each alive node's total resources. Necessary, not sufficient (other work may hold
    resources): totals must fit the cluster, every bundle some node, a STRICT_PACK group one
    node, a STRICT_SPREAD group one bundle per node.
    """
    name = spec.label or "placement group"
    need = spec.total()
    have: Dict[str, float] = {}
    for n in nodes:
        for k, v in n.items():
            have[k] = have.get(k, 0.0) + v
    for k, v in need.items():
        if v * copies > have.get(k, 0.0) + 1e-9:
            raise AugftError(f"{name}: needs {v * copies:g} {k} ({copies} x {v:g}) "
                             f"but the cluster has {have.get(k, 0.0):g}; lower {spec.keys} or add nodes")
    for b in spec.bundles:
        if not any(_fits(b, n) for n in nodes):
            raise AugftError(f"{name}: one actor needs {b} on one node, more than any node has; "
                             f"lower {spec.keys}")
    if spec.strategy == "STRICT_PACK" and len(spec.bundles) > 1:
        if not any(_fits(need, n) for n in nodes):
            raise AugftError(f"{name}: needs {need} on one node (STRICT_PACK), more than any node has; "
                             f"lower {spec.keys}")
    if spec.strategy == "STRICT_SPREAD" and len(spec.bundles) > len(nodes):
        raise AugftError(f"{name}: spreads {len(spec.bundles)} bundles over {len(nodes)} node(s) "
                         f"(STRICT_SPREAD); lower {spec.keys}")


def cluster_nodes() -> List[Dict[str, float]]:
    """Total resources of each alive node of the connected Ray cluster."""
    import ray

    return [dict(n["Resources"]) for n in ray.nodes() if n.get("Alive")]


def check_cluster(*specs: Optional[PlacementSpec]) -> None:
    """Check each spec against the connected cluster (Ray must be initialised); None is skipped."""
    nodes = cluster_nodes()
    for s in specs:
        if s is not None:
            check_fits(s, nodes)


def assigned_gpus() -> Sequence:
    """The GPU ids Ray assigned to this actor or task ([] outside Ray)."""
    try:
        import ray

        return list(ray.get_gpu_ids()) if ray.is_initialized() else []
    except Exception:  # noqa: BLE001 - not in a Ray worker: nothing assigned
        return []


def actor_device(requested: str, gpus: float, key: str, gpu_ids: Optional[Sequence] = None) -> str:
    """The device a model loads on inside a Ray actor that asked for `gpus` GPUs (`key`).

    Ray sets CUDA_VISIBLE_DEVICES to the GPUs it assigned, so `cuda` means the first of them.
    auto follows the assignment; an actor that asked for GPUs and got none, or one asked for
    `model.device=cuda` without asking Ray for a GPU, stops naming the key.
    """
    ids = list(assigned_gpus() if gpu_ids is None else gpu_ids)
    dev = str(requested)
    if gpus > 0 and not ids:
        raise AugftError(f"{key}={gpus:g} but Ray assigned this actor no GPU; the cluster declares "
                         "no GPU where it ran (lower the key to 0 to run on CPU)")
    if dev.startswith("cuda") and not ids:
        raise AugftError(f"model.device={dev} in a Ray actor that asked for no GPU: set {key} >= 1 "
                         "(or model.device=auto to run on CPU)")
    if dev == "auto":
        return "cuda" if ids else "cpu"
    return dev


def model_on(model_cfg, device: str):
    """A copy of a `model` config section loading on `device` (the one an actor was assigned),
    its checks rerun."""
    import dataclasses

    from omegaconf import OmegaConf

    from augft.core.config.load import merge_checked

    if OmegaConf.is_config(model_cfg):
        return merge_checked(model_cfg, {"device": device}, "model_on")
    return dataclasses.replace(model_cfg, device=device)  # a dataclass reruns __post_init__
