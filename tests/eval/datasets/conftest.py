"""Benchmarks generated once per test session at their default sizes (fast: no model)."""
import pytest

from augft.core.config import load_config
from augft.eval.datasets.api import BENCHMARKS, build


@pytest.fixture(scope="session")
def default_cfg():
    return load_config()


@pytest.fixture(scope="session")
def generated(default_cfg):
    return {name: build(name, default_cfg) for name in BENCHMARKS}
