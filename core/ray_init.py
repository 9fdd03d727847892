"""Joining or starting Ray, the same way in every stage.

`cluster.address` (or $RAY_ADDRESS, which Ray sets inside a job) joins that cluster;
otherwise a local Ray starts with `cluster.num_cpus` CPUs (0: all of them, but at least
`min_cpus`, which a stage sets when it needs a CPU per worker plus one for its driver).
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator


def join_ray(address: str, log_to_driver: bool = True) -> bool:
    """Join the running cluster at `address` unless Ray is up already; True when this call joined."""
    import ray

    if ray.is_initialized():
        return False
    ray.init(address=address, log_to_driver=log_to_driver)
    return True


def init_ray(cluster_cfg, min_cpus: int = 0, log_to_driver: bool = True) -> bool:
    """Make sure Ray is initialised; True when this call started it (the caller shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    address = cluster_cfg.address or os.environ.get("RAY_ADDRESS", "")
    if address:
        join_ray(address, log_to_driver)
    else:
        cpus = int(cluster_cfg.num_cpus) or max(os.cpu_count() or 1, int(min_cpus)) or None
        # "local": without it Ray joins whatever cluster its bootstrap file names (a user's
        # `ray start`, or a stale file a killed cluster left), where num_cpus is an error.
        ray.init(address="local", num_cpus=cpus, include_dashboard=False,
                 log_to_driver=log_to_driver, configure_logging=False)
    return True


@contextlib.contextmanager
def ray_session(cluster_cfg, min_cpus: int = 0, log_to_driver: bool = True) -> Iterator[None]:
    """Ray for the duration of a block; shut down afterwards only if the block started it."""
    started = init_ray(cluster_cfg, min_cpus, log_to_driver)
    try:
        yield
    finally:
        if started:
            import ray

            ray.shutdown()
