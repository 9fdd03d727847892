"""A real `mlflow server` on 127.0.0.1 (sqlite backend), shared by the tracking tests."""
import pytest

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mlflow_server import LocalServer  # noqa: E402


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    server = LocalServer(tmp_path_factory.mktemp("mlflow-server"))
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()  # by its pid (its own process group)
