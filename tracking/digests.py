"""Content digests of files and folders (for MLflow datasets and the pipeline cache)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Union

PathLike = Union[str, Path]
_CHUNK = 1 << 20


def file_digest(path: PathLike) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def tree_digest(path: PathLike, patterns: Iterable[str] = ("**/*",)) -> str:
    """sha256 over the relative names and contents of the files under a folder (or one file)."""
    p = Path(path)
    if p.is_file():
        return file_digest(p)
    h = hashlib.sha256()
    files = sorted({f for pat in patterns for f in p.glob(pat) if f.is_file()})
    for f in files:
        h.update(f.relative_to(p).as_posix().encode())
        h.update(b"\0")
        h.update(file_digest(f).encode())
    return h.hexdigest()


def json_digest(obj) -> str:
    """sha256 of a JSON-serialisable object in canonical form."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
