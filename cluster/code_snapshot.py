"""The augft code a submitted job runs: a copy of the installed package, shipped with the job.

`augft submit` uploads this copy as a Ray `py_modules` entry, so the job (and every task,
actor and training worker it starts) imports `augft.*` from exactly the version that
submitted it, whatever the cluster's image holds and whatever the job's working dir
contains (a user's `train.py` or `core/` cannot shadow it: everything is under `augft.`).
`--code installed` skips the upload and uses the cluster's own augft.
"""
from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path

# The folders installed under the augft namespace (pyproject's [tool.setuptools.package-dir]).
PACKAGES = ("core", "augment", "train", "eval", "tracking", "cluster", "ingest")


def package_dirs() -> dict:
    """augft subpackage name -> its folder, for the packages this installation has."""
    out = {}
    for name in PACKAGES:
        try:
            mod = importlib.import_module(f"augft.{name}")
        except ImportError:
            continue
        if mod.__file__ is not None:  # None for a namespace package: no folder of its own
            out[name] = Path(mod.__file__).parent
    return out


def snapshot(dest: Path) -> Path:
    """Copy the running augft into `dest/augft` (a regular package); returns that folder."""
    root = Path(dest) / "augft"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text('"""augft, as shipped with a Ray job by `augft submit`."""\n')
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name, src in package_dirs().items():
        shutil.copytree(src, root / name, ignore=ignore)
    return root


def temp_snapshot() -> Path:
    """A snapshot in a new temporary folder (the caller removes its parent when done)."""
    return snapshot(Path(tempfile.mkdtemp(prefix="augft-code-")))
