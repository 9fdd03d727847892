"""Joining or starting Ray, the same way in every stage.

`cluster.address` (or $RAY_ADDRESS, which Ray sets inside a job) joins that cluster;
otherwise a local Ray starts with `cluster.num_cpus` CPUs (0: all of them, but at least
`min_cpus`, which a stage sets when it needs a CPU per worker plus one for its driver).
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from typing import Iterator, Optional, Tuple

from augft.core.errors import AugftError, user_error

DEFAULT_CONNECT_TIMEOUT_S = 60.0
RAY_CLIENT_PORT = 10001  # `ray://host` without a port


def _host_port(address: str) -> Optional[Tuple[str, int]]:
    """(host, port) a Ray address connects to; None for `auto`/`local` (Ray finds those itself)."""
    rest = address.split("://", 1)[1] if "://" in address else address
    rest = rest.split("/", 1)[0]
    if address in ("auto", "local") or not rest:
        return None
    host, _, port = rest.rpartition(":")
    if not host:
        return (rest, RAY_CLIENT_PORT) if address.startswith("ray://") else None
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None


def wait_for_address(address: str, timeout_s: float, key: str) -> None:
    """Return once something accepts TCP connections at `address`; AugftError naming the address and
    `key` when nothing does within `timeout_s` (Ray itself would retry for minutes)."""
    hp = _host_port(address)
    if hp is None:
        if address in ("auto", "local"):
            return
        raise AugftError(f"{key}={address}: not a Ray address; expected host:port (the head's GCS port, "
                         "6379 by default), ray://host[:port], auto or local")
    deadline = time.monotonic() + timeout_s
    why = ""
    while True:
        left = deadline - time.monotonic()
        try:
            with socket.create_connection(hp, timeout=max(0.1, min(5.0, left))):
                return
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
        if time.monotonic() + 1.0 > deadline:
            raise AugftError(f"{key}={address}: no Ray cluster answers there ({why}) within {timeout_s:g} s; "
                             f"start it, fix {key}, or wait longer with cluster.connect_timeout_s")
        time.sleep(1.0)


class _Expired(BaseException):
    """Not an Exception: Ray's connect loop retries on every Exception."""


@contextlib.contextmanager
def _deadline(seconds: float, message: str) -> Iterator[None]:
    """Raise AugftError(message) in the main thread if the block runs past `seconds` (a port that
    answers but is no Ray head would keep ray.init waiting); elsewhere, no limit."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        raise _Expired()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise AugftError(message) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def join_ray(address: str, log_to_driver: bool = True, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
             key: str = "cluster.address") -> bool:
    """Join the running cluster at `address` unless Ray is up already; True when this call joined.
    Fails within about `timeout_s` (twice at most: the port, then Ray's handshake) naming `key`."""
    import ray

    if ray.is_initialized():
        return False
    wait_for_address(address, timeout_s, key)
    with _deadline(timeout_s, f"{key}={address}: the port answers but no Ray cluster joined within "
                              f"{timeout_s:g} s (is it a Ray head's GCS port, 6379 by default?); "
                              "wait longer with cluster.connect_timeout_s"):
        ray.init(address=address, log_to_driver=log_to_driver)
    return True


def init_ray(cluster_cfg, min_cpus: int = 0, log_to_driver: bool = True) -> bool:
    """Make sure Ray is initialised; True when this call started it (the caller shuts it down)."""
    import ray

    if ray.is_initialized():
        return False
    address = cluster_cfg.address or os.environ.get("RAY_ADDRESS", "")
    if address:
        key = "cluster.address" if cluster_cfg.address else "$RAY_ADDRESS"
        join_ray(address, log_to_driver, float(cluster_cfg.connect_timeout_s), key)
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
