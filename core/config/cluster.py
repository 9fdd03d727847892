"""Cluster section: where Ray runs and what jobs, training workers and sweep trials ask of it.

Each stage turns its keys into its own resource request (train: the Ray Train ScalingConfig;
the sweep: one placement group per trial; `augft submit`: the job driver's resources), so
the same command runs on a laptop, a Ray cluster or KubeRay with only config changes.
docs/cluster.md maps every key.
"""
from dataclasses import dataclass, field
from typing import List

from augft.core.config.checks import Choice, require


class PlacementStrategy(Choice):
    PACK = "PACK"
    SPREAD = "SPREAD"
    STRICT_PACK = "STRICT_PACK"
    STRICT_SPREAD = "STRICT_SPREAD"


@dataclass
class ClusterConfig:
    address: str = ""
    """Ray address; empty starts (or joins via $RAY_ADDRESS) a local Ray."""
    connect_timeout_s: float = 60.0
    """Seconds to wait for the Ray cluster at cluster.address (or $RAY_ADDRESS) to answer before
    failing with its address; a cluster that is still starting gets this long."""
    num_cpus: int = 0
    """CPUs for a local Ray (0 = all)."""
    storage: str = ""
    """Shared storage root for jobs (a PVC mount or a mounted bucket); relative --data and
    --out paths of a job resolve under it. Empty uses $AUGFT_STORAGE, else the job's
    working directory (which Ray deletes after the job)."""
    shared_paths: List[str] = field(default_factory=list)
    """Absolute local folders every node of the Ray cluster sees (an NFS or PVC mount). On a
    cluster of more than one node, a local --out, --data, model path or model cache must lie under
    one of them (or under cluster.storage / $AUGFT_STORAGE), else the command stops before any
    work; URIs (s3://...) are shared anyway. docs/cluster.md, "Storage across nodes"."""
    train_gpus_per_worker: float = 1.0
    """GPUs per training worker when train.use_gpu is on (workers = train.num_workers)."""
    train_cpus_per_worker: float = 1.0
    """CPUs reserved per training worker."""
    train_placement_strategy: PlacementStrategy = PlacementStrategy.PACK
    """Ray placement strategy for the training workers: PACK (co-locate for ZeRO, spill if
    needed), STRICT_PACK (one node only), SPREAD or STRICT_SPREAD."""
    max_concurrent_trials: int = 1
    """Sweep trials that run at once (`augft sweep`)."""
    trial_cpus: float = 1.0
    """CPUs reserved for each sweep trial's driver."""
    trial_gpus: float = 0.0
    """GPUs reserved for each sweep trial's driver (its training workers ask for their own)."""
    entrypoint_num_cpus: float = 1.0
    """CPUs reserved for a submitted job's driver process (`augft submit`)."""
    entrypoint_num_gpus: float = 0.0
    """GPUs reserved for a submitted job's driver process (`augft submit`)."""

    def __post_init__(self):
        for key in ("num_cpus", "train_gpus_per_worker", "train_cpus_per_worker", "trial_cpus", "trial_gpus",
                    "entrypoint_num_cpus", "entrypoint_num_gpus"):
            require(getattr(self, key) >= 0, f"cluster.{key}", f"must be >= 0, got {getattr(self, key)}")
        require(self.connect_timeout_s > 0, "cluster.connect_timeout_s",
                f"must be > 0 seconds, got {self.connect_timeout_s}")
        for i, path in enumerate(self.shared_paths):
            require("://" in str(path) or str(path).startswith("/"), f"cluster.shared_paths[{i}]",
                    f"must be an absolute folder (the same on every node), got {path!r}")
        require(self.max_concurrent_trials >= 1, "cluster.max_concurrent_trials", "must be >= 1")
