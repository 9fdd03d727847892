"""Tracking URI resolution and the reachability check (no server needed)."""
import pytest

from augft.core.config import load_config
from helpers import free_port
from augft.tracking.uri import TrackingError, check_reachable, preflight, resolve_uri


def test_resolution_order(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load_config()
    assert resolve_uri(cfg.tracking) == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    assert resolve_uri(cfg.tracking) == "http://127.0.0.1:1"
    cfg = load_config(None, ["tracking.uri=http://127.0.0.1:2"])
    assert resolve_uri(cfg.tracking) == "http://127.0.0.1:2"
    cfg = load_config(None, ["tracking.uri=http://127.0.0.1:2", "tracking.offline=true"])
    assert resolve_uri(cfg.tracking).endswith("/mlflow.db")
    assert preflight(load_config(None, ["tracking.enabled=false"]).tracking) is None


def test_unreachable_server_is_a_clear_error():
    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingError) as err:
        check_reachable(uri, timeout=2)
    msg = str(err.value)
    assert uri in msg and "unreachable" in msg and "tracking.offline=true" in msg


def test_unwritable_sqlite_folder(tmp_path):
    with pytest.raises(TrackingError, match="does not exist"):
        check_reachable(f"sqlite:///{tmp_path}/missing/mlflow.db")
    check_reachable(f"sqlite:///{tmp_path}/mlflow.db")
