"""Which files an ingest reads: the PATH arguments expanded into work items, in a stable order."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from augft.core.errors import AugftError


@dataclass(frozen=True)
class SourceFile:
    path: Path
    rel: str
    """Path relative to its input root (a folder argument), POSIX separators: the id prefix."""


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str


def discover(paths: Sequence[Path], extensions: Sequence[str]) -> Tuple[List[SourceFile], List[Skipped]]:
    """Files to read and files not read (with why), both sorted by relative path.

    A file argument is its own root (its id prefix is its name); a folder argument is walked
    recursively. Hidden files and folders (a leading dot) and other extensions are listed as
    skipped, never dropped silently.
    """
    if not paths:
        raise AugftError("augft ingest needs at least one PATH (a file or a folder of documents)")
    exts = {e.lower() for e in extensions}
    files: List[SourceFile] = []
    skipped: List[Skipped] = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            candidates = [(root, root.name)]
        elif root.is_dir():
            candidates = [(p, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*"))
                          if not p.is_dir()]
        else:
            raise AugftError(f"{root}: no such file or folder")
        for p, rel in candidates:
            if any(part.startswith(".") for part in Path(rel).parts):
                skipped.append(Skipped(rel, "hidden file"))
            elif not p.is_file():
                skipped.append(Skipped(rel, "not a regular file"))
            elif p.suffix.lower() not in exts:
                skipped.append(Skipped(rel, f"unsupported file type '{p.suffix or '(none)'}'"))
            else:
                files.append(SourceFile(p, rel))
    seen: Dict[str, Path] = {}
    for f in files:
        if f.rel in seen:
            raise AugftError(f"{f.path} and {seen[f.rel]} have the same relative path '{f.rel}', so their "
                             "document ids would collide; pass their common parent folder instead")
        seen[f.rel] = f.path
    return sorted(files, key=lambda f: f.rel), sorted(skipped, key=lambda s: s.rel)
