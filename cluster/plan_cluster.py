"""The cluster `augft plan` prices a study on: a small YAML file, or a running Ray cluster.

    # configs/clusters/h100-4x8.yaml
    nodes: 4
    gpus_per_node: 8
    gpu: H100            # a type of core/gpus.py
    cpus_per_node: 96
    memory_gb: 1024

A running cluster (`--address`) gives each alive node's resources as Ray reports them; the GPU
type comes from its `accelerator_type:<X>` resources when present, else plan.gpu (`--gpu`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from augft.core.errors import AugftError
from augft.core.gpus import GpuType, find_gpu, gpu_type

FIELDS = {"nodes": int, "gpus_per_node": int, "gpu": str, "cpus_per_node": float, "memory_gb": float}


@dataclass(frozen=True)
class ClusterSpec:
    nodes: List[Dict[str, float]]
    """Each node's total resources (CPU, GPU, memory in bytes), as Ray reports them."""
    gpu: GpuType
    source: str
    """Where it was read: the YAML file, or the Ray address."""

    @property
    def gpus(self) -> int:
        return int(sum(n.get("GPU", 0.0) for n in self.nodes))

    def describe(self) -> str:
        per = {int(n.get("GPU", 0)) for n in self.nodes}
        shape = f"{len(self.nodes)} node(s) x {per.pop()} GPU" if len(per) == 1 else f"{len(self.nodes)} nodes"
        return f"{shape} ({self.gpus} {self.gpu.name} in all; {self.source})"


def _field(raw: dict, key: str, path: str):
    if key not in raw:
        raise AugftError(f"{path}: missing key '{key}' (a cluster file names {', '.join(FIELDS)})")
    v, kind = raw[key], FIELDS[key]
    ok = isinstance(v, str) if kind is str else (isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 and (kind is float or float(v).is_integer()))
    if not ok:
        raise AugftError(f"{path}: key '{key}' must be {'a GPU type' if kind is str else 'a number'}"
                         f"{' (whole)' if kind is int else ''}, got {v!r}")
    v = kind(v)
    if kind is not str and v < (1 if key == "nodes" else 0):
        raise AugftError(f"{path}: key '{key}' must be >= {1 if key == 'nodes' else 0}, got {v:g}")
    return v


def read_cluster_file(path) -> ClusterSpec:
    """A cluster YAML; every problem names the file and the key."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise AugftError(f"--cluster {p}: no such file")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise AugftError(f"{p}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise AugftError(f"{p}: a cluster file is a mapping of {', '.join(FIELDS)}")
    unknown = sorted(set(map(str, raw)) - set(FIELDS))
    if unknown:
        raise AugftError(f"{p}: unknown key(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    v = {k: _field(raw, k, str(p)) for k in FIELDS}
    gpu = gpu_type(v["gpu"], f"{p}: key 'gpu'")
    node = {"CPU": float(v["cpus_per_node"]), "GPU": float(v["gpus_per_node"]),
            "memory": float(v["memory_gb"]) * 2**30}
    return ClusterSpec([dict(node) for _ in range(v["nodes"])], gpu, str(p))


def ray_gpu_type(nodes: List[Dict[str, float]], fallback: str) -> GpuType:
    """The type Ray's `accelerator_type:<X>` resources name (the first known one), else `fallback`."""
    for n in nodes:
        for k in n:
            gpu = find_gpu(k.split(":", 1)[1]) if k.startswith("accelerator_type:") else None
            if gpu is not None:
                return gpu
    return gpu_type(fallback, "plan.gpu (--gpu)")


def read_ray_cluster(address: str, fallback_gpu: str) -> ClusterSpec:
    """The connected (or, with `address`, joined) Ray cluster's alive nodes."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address or "auto", log_to_driver=False)
    nodes = [dict(n["Resources"]) for n in ray.nodes() if n.get("Alive")]
    return ClusterSpec(nodes, ray_gpu_type(nodes, fallback_gpu), f"Ray at {address or 'auto'}")
