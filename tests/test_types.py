"""The type checker over the whole `augft` package: zero errors.

mypy's settings are pyproject's `[tool.mypy]`. The stage folders install as `augft.<stage>`
through setuptools' package-dir mapping, which mypy cannot follow (an editable install is an
import hook), so the check runs over a tree of links, `augft/<stage> -> <stage>/`, kept in
`.mypy_cache/` beside mypy's own cache (a warm run rereads only what changed).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_tree(cache: Path) -> Path:
    """`cache/tree/augft/<stage>` links to each stage folder, as pyproject maps them."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    pkg = cache / "tree" / "augft"
    pkg.mkdir(parents=True, exist_ok=True)
    for name, folder in mapping.items():
        link = pkg / name.split(".", 1)[1]
        if not link.is_symlink() or link.resolve() != (ROOT / folder).resolve():
            link.unlink(missing_ok=True)
            link.symlink_to(ROOT / folder, target_is_directory=True)
    return pkg.parent


def run_mypy(cache: Path) -> subprocess.CompletedProcess:
    tree = package_tree(cache)
    env = {**os.environ, "MYPYPATH": str(tree)}
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache / "cache")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_package_type_checks_clean():
    proc = run_mypy(ROOT / ".mypy_cache")
    # Errors name the link tree's paths; report them as the repository's own.
    out = proc.stdout.replace(str(ROOT / ".mypy_cache" / "tree" / "augft") + os.sep, "")
    out = out.replace(".mypy_cache/tree/augft/", "")
    assert proc.returncode == 0, f"mypy found errors:\n{out}\n{proc.stderr}"
    # A tree that lost a stage would check fewer files and still pass: count them.
    checked = int(re.search(r"in (\d+) source files", out).group(1))
    assert checked >= 200, f"mypy checked only {checked} files:\n{out}"
