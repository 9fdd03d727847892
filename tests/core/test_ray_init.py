"""Joining a Ray cluster has a deadline (cluster.connect_timeout_s): an address with no cluster
behind it fails within it, naming the address and the key that set it."""
import socket
import time

import pytest

from augft.core.config import load_config
from augft.core.config.checks import ConfigError
from augft.core.errors import AugftError
from augft.core.io import free_port
from augft.core.ray_init import _host_port, init_ray


def _cluster(*overrides):
    return load_config(None, list(overrides)).cluster


def test_unused_port_fails_within_the_deadline(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    address = f"127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(AugftError, match=f"cluster.address={address}: no Ray cluster answers there .* within 3 s"):
        init_ray(_cluster(f"cluster.address={address}", "cluster.connect_timeout_s=3"))
    assert time.monotonic() - t0 < 3 + 2


def test_ray_address_from_the_environment_is_named(monkeypatch):
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("RAY_ADDRESS", address)
    with pytest.raises(AugftError, match=r"\$RAY_ADDRESS=127.0.0.1:\d+: no Ray cluster answers"):
        init_ray(_cluster("cluster.connect_timeout_s=1"))


@pytest.mark.slow
def test_a_port_that_answers_but_is_no_ray_head_is_bounded(monkeypatch):
    """Ray's own connect attempt runs ~30 s in C++ before the deadline can interrupt it."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        address = f"127.0.0.1:{s.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(AugftError, match="the port answers but no Ray cluster joined within 2 s"):
            init_ray(_cluster(f"cluster.address={address}", "cluster.connect_timeout_s=2"))
        assert time.monotonic() - t0 < 2 + 60
    import ray

    assert not ray.is_initialized()


def test_addresses_parse():
    assert _host_port("10.0.0.1:6379") == ("10.0.0.1", 6379)
    assert _host_port("ray://head:10001") == ("head", 10001)
    assert _host_port("ray://head") == ("head", 10001)
    assert _host_port("auto") is None and _host_port("local") is None


def test_connect_timeout_must_be_positive():
    with pytest.raises(ConfigError, match="cluster.connect_timeout_s"):
        load_config(None, ["cluster.connect_timeout_s=0"])


def test_an_address_without_a_port_is_refused_at_once(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    t0 = time.monotonic()
    with pytest.raises(AugftError, match="cluster.address=myhead: not a Ray address; expected host:port"):
        init_ray(_cluster("cluster.address=myhead"))
    assert time.monotonic() - t0 < 1
