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


def folder_state(folder) -> dict:
    """Every file under `folder` (relative path -> size, mtime and content hash); {} when it is absent."""
    import hashlib

    root = Path(folder)
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns,
                                            hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


def refused(args, folder, cwd=None, env=None, timeout=300) -> str:
    """Run `augft *args` and check a bad input is refused as users should see it: exit 2, one
    `augft: error:` line, no traceback, and `folder` (the output folder the command was given)
    exactly as it was before. Returns that error line, for the test to check what it says."""
    return _refusal(args, folder, cwd, env, timeout)[0]


def expect_refusal(args, message: str, folder, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    """`refused`, with the error line holding `message` (a substring); the finished process."""
    line, r = _refusal(args, folder, cwd, env, timeout)
    assert message in line, f"{line!r} does not say {message!r}\nstderr:\n{r.stderr[-3000:]}"
    return r


def _refusal(args, folder, cwd, env, timeout):
    before = folder_state(folder)
    r = augft_cli(*args, cwd=cwd, env=env, timeout=timeout)
    said = f"exit {r.returncode}\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode == 2, said
    errors = [line for line in r.stderr.splitlines() if line.startswith("augft: error:")]
    assert len(errors) == 1, said
    assert "Traceback" not in r.stderr, said
    assert folder_state(folder) == before, f"{folder} changed\n{said}"
    return errors[0], r


def s3_names(s3fs, prefix: str) -> set:
    """The files under `prefix` of a pyarrow S3 filesystem, relative to it."""
    from pyarrow import fs as pafs

    infos = s3fs.get_file_info(pafs.FileSelector(prefix, recursive=True, allow_not_found=True))
    return {i.path[len(prefix) + 1:] for i in infos if i.type == pafs.FileType.File}
