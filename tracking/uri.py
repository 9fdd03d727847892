"""Where MLflow logs go, and whether that place answers before any work starts.

Resolution order: `tracking.uri` in the config > $MLFLOW_TRACKING_URI > a sqlite
store `mlflow.db` in the working directory (the embedded default). `tracking.offline`
forces the local sqlite store whatever else is set.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from augft.core.errors import AugftError

LOCAL_DB = "mlflow.db"


class TrackingError(AugftError):
    """The tracking store cannot be used (unreachable server, unwritable folder)."""


def local_uri(cwd: Optional[Path] = None) -> str:
    """The embedded default: sqlite store `mlflow.db` in the working directory."""
    path = (cwd or Path.cwd()) / LOCAL_DB
    return f"sqlite:///{path.resolve()}"


def resolve_uri(tcfg) -> str:
    """The tracking URI for a `tracking` config section."""
    if getattr(tcfg, "offline", False):
        return local_uri()
    uri = (tcfg.uri or "").strip() or os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if not uri:
        return local_uri()
    if "://" not in uri and not uri.startswith(("databricks", "sqlite:")):
        # A bare folder: MLflow's file store (kept for old setups).
        return Path(uri).expanduser().resolve().as_uri()
    return uri


def _sqlite_path(uri: str) -> Optional[Path]:
    # sqlite:///relative.db and sqlite:////abs/path.db; memory stores have no file.
    rest = uri[len("sqlite://"):]
    if rest in ("", "/", "/:memory:"):
        return None
    return Path(rest[1:] if rest.startswith("/") else rest)


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """Raise TrackingError with a fix if `uri` cannot be logged to. Cheap: no MLflow import."""
    scheme = urlparse(uri).scheme
    offline_hint = ("Start the server, point tracking.uri (or $MLFLOW_TRACKING_URI) at one "
                    "that runs, or log locally with tracking.offline=true "
                    "(or turn tracking off with tracking.enabled=false).")
    if scheme in ("http", "https"):
        import requests

        url = uri.rstrip("/") + "/health"
        try:
            resp = requests.get(url, timeout=timeout)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise TrackingError(
                f"MLflow tracking server {uri} is unreachable ({reason} within {timeout:g} s; from tracking.uri "
                f"or $MLFLOW_TRACKING_URI; wait longer with tracking.timeout_s). {offline_hint}") from None
        if resp.status_code != 200:
            raise TrackingError(
                f"MLflow tracking server {uri} answered {resp.status_code} on /health; "
                f"it is not a working MLflow server. {offline_hint}")
        return
    if scheme == "sqlite":
        path = _sqlite_path(uri)
        if path is None:
            return
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise TrackingError(f"tracking store {uri}: folder {folder} does not exist or is not writable")
        return
    if scheme == "file":
        folder = Path(urlparse(uri).path)
        probe = folder if folder.exists() else folder.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK):
            raise TrackingError(f"tracking store {uri}: folder {probe} does not exist or is not writable")
        return
    # Other schemes (databricks, postgresql, ...) are checked by MLflow on first use.


def preflight(tcfg) -> Optional[str]:
    """Resolve and check the URI; None when tracking is disabled."""
    if not tcfg.enabled:
        return None
    uri = resolve_uri(tcfg)
    timeout = float(tcfg.timeout_s)
    check_reachable(uri, timeout)
    # MLflow's later requests: bounded by the same key (its default retries a dead server for minutes)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, int(timeout))))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    return uri
