"""Test helper: a real `mlflow server` on 127.0.0.1, stopped by its pid."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

from augft.core.io import free_port
from augft.tracking.uri import TrackingError


class LocalServer:
    """`with LocalServer(folder) as uri:` runs a sqlite-backed server with proxied artifacts."""

    def __init__(self, folder: Path, port: int = 0, startup_timeout: float = 90.0):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.proc: Optional[subprocess.Popen] = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        import requests

        self.folder.mkdir(parents=True, exist_ok=True)
        mlflow_bin = Path(sys.executable).parent / "mlflow"
        cmd = [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(self.port),
               "--backend-store-uri", f"sqlite:///{(self.folder / 'mlflow.db').resolve()}",
               "--artifacts-destination", str((self.folder / "artifacts").resolve()),
               "--workers", "1"]
        self._log = open(self.folder / "server.log", "w")
        # Own session: the server's uvicorn workers are stopped with it, by its pid's group.
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + self.startup_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise TrackingError(f"mlflow server exited with {self.proc.returncode}; "
                                    f"see {self.folder / 'server.log'}")
            try:
                if requests.get(self.uri + "/health", timeout=2).status_code == 200:
                    return self.uri
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise TrackingError(f"mlflow server did not answer within {self.startup_timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
