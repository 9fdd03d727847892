"""Cluster section (owned by cluster/)."""
from dataclasses import dataclass


@dataclass
class ClusterConfig:
    address: str = ""
    """Ray address; empty starts (or joins via $RAY_ADDRESS) a local Ray."""
    num_cpus: int = 0
    """CPUs for a local Ray (0 = all)."""
