"""Helpers shared by tests (importable as `helpers`: tests/ is on pytest's pythonpath)."""
import os
import subprocess
import sys
from pathlib import Path

from augft.core.io import free_port  # noqa: F401  (tests import it from here)

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def augft_cli(*args, cwd=None, env=None, timeout=600) -> subprocess.CompletedProcess:
    """Run the real `augft` console script in a subprocess."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(BIN / "augft"), *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=timeout)
