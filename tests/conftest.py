"""Shared fixtures. Each test folder may add its own conftest.py for its stage."""
from pathlib import Path

import pytest

from helpers import augft_cli


def pytest_collection_modifyitems(config, items):
    try:
        import torch
        has_gpu = torch.cuda.is_available()
    except Exception:
        has_gpu = False
    skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def tiny_model() -> str:
    """Name of the tiny random test model (built once into the cache)."""
    from augft.core.models import resolve_model_path

    resolve_model_path("tiny-random-llama")
    return "tiny-random-llama"


@pytest.fixture(scope="session")
def embedded_model_path() -> Path:
    """Local folder of the embedded SmolLM2 (converted from GGUF once)."""
    from augft.core.models import resolve_model_path

    return resolve_model_path("smollm2-135m-instruct")


@pytest.fixture
def cli():
    return augft_cli


@pytest.fixture(autouse=True, scope="module")
def _ray_not_left_running():
    """A module that leaves Ray initialised in the test process would make the next
    module's `ray.init` fail ("called ray.init twice"): shut it down and say which one."""
    yield
    import sys
    import warnings

    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        warnings.warn("a test module left Ray initialised in the test process; shut down")
        ray.shutdown()
