"""Shared fixtures. Each test folder may add its own conftest.py for its stage."""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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
    from core.models import resolve_model_path

    resolve_model_path("tiny-random-llama")
    return "tiny-random-llama"


@pytest.fixture(scope="session")
def embedded_model_path() -> Path:
    """Local folder of the embedded SmolLM2 (converted from GGUF once)."""
    from core.models import resolve_model_path

    return resolve_model_path("smollm2-135m-instruct")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def augft_cli(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Run the real `augft` console script in a subprocess."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(BIN / "augft"), *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return augft_cli
