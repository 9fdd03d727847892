"""Helpers shared by tests (importable as `helpers`: tests/ is on pytest's pythonpath)."""
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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
