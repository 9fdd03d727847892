"""Joining or starting Ray, the same way in every stage.

`cluster.address` (or $RAY_ADDRESS, which Ray sets inside a job) joins that cluster;
otherwise a local Ray starts with `cluster.num_cpus` CPUs (0: all of them, but at least
`min_cpus`, which a stage sets when it needs a CPU per worker plus one for its driver).
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

from augft.core.errors import user_error


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


def _not_while_handling_a_user_error(record) -> bool:
    """Console filter: False for a record Ray Data logs while it handles an AugftError (a bad
    record, a server gone), whose message the caller prints itself; the file log keeps it."""
    exc = sys.exc_info()[1] or (record.exc_info[1] if record.exc_info else None)
    return exc is None or user_error(exc) is None


def user_errors_as_themselves() -> None:
    """Ray Data on this driver lets a worker's AugftError reach the caller as itself, and keeps
    its own console quiet about it: by default Ray wraps the error in a UserCodeException whose
    cause does not survive pickling, and the user sees a remote traceback instead of one line."""
    import logging

    import ray

    ray.data.DataContext.get_current().raise_original_map_exception = True
    for h in logging.getLogger("ray.data").handlers:
        if not isinstance(h, logging.FileHandler) and _not_while_handling_a_user_error not in h.filters:
            h.addFilter(_not_while_handling_a_user_error)
