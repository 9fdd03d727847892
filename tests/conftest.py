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


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on 127.0.0.1 with one bucket; yields (pyarrow S3 filesystem, URI options)."""
    from moto.server import ThreadedMotoServer
    from pyarrow import fs as pafs

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(k, v)
    from helpers import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3fs = pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", region="us-east-1",
                                 access_key="testing", secret_key="testing", allow_bucket_creation=True)
        s3fs.create_dir("augft")
        # moto keeps its buckets in the process, across server instances: start every test empty
        s3fs.delete_dir_contents("augft", missing_dir_ok=True)
        yield s3fs, f"endpoint_override=127.0.0.1:{port}&scheme=http&region=us-east-1"
    finally:
        server.stop()


@pytest.fixture
def uri_work(tmp_path, monkeypatch):
    """tmp_path, with URI copies (core/uri.py) kept in its `work` folder."""
    monkeypatch.setenv("AUGFT_WORK", str(tmp_path / "work"))
    return tmp_path
