"""Content-addressed stage folders: `<out>/<stage>/<name>-<key>` with a `done` marker.

A stage's key hashes its config section(s) and the keys (or file digests) of its
inputs, so a rerun finds finished stages by key and a changed config produces a new
key only for the stages that depend on it. `done` is written last: a stage that
crashed has no marker and is rerun into the same folder (the stages resume their
own partial work: augment skips finished units, train resumes checkpoints).

A stage runs under `locked(folder)`, a file lock beside the folder: two sweep trials or two
runs that need the same stage at once run it once (the second waits for the lock, then finds
the `done` marker and reuses the folder).
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Mapping, Optional

from augft.core.artifacts import artifact_schemas
from augft.tracking.digests import file_digest, json_digest

DONE = "done"
STAGE_FILE = "stage.json"
KEY_LEN = 12
_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def stage_key(stage: str, config: Mapping, inputs: Mapping[str, str]) -> str:
    """Hash of what determines a stage's output: its config and its inputs' keys."""
    # The artifacts' schema versions: a folder written in another format is not reused.
    return json_digest({"stage": stage, "config": config, "inputs": dict(inputs),
                        "schemas": artifact_schemas()})[:KEY_LEN]


CORPUS_FILES = ("corpus.jsonl", "corpus.parquet", "oracle.jsonl", "benchmark.json", "heldout.jsonl")
"""What augment, targets, train and indexes read of a data folder (a benchmark.json turns
augment's self-verification off; heldout.jsonl is what augmentation must not copy)."""
QUESTION_FILES = ("questions.jsonl", "questions.parquet")
"""What only eval reads: fixing a question re-evaluates, never re-augments or retrains."""


def data_key(data_dir: Path, names=CORPUS_FILES + QUESTION_FILES) -> str:
    """Key of a user data folder: digests of the files `names` (default: every file a stage reads)."""
    files = {}
    for name in names:
        p = data_dir / name
        if p.is_file():
            files[name] = file_digest(p)
    return json_digest(files)[:KEY_LEN]


def stage_dir(out: Path, stage: str, label: str, key: str) -> Path:
    """`<out>/<stage>/<label>-<key>` with the label made filesystem-safe."""
    safe = _SAFE.sub("_", label).strip("_") or stage
    return out / stage / f"{safe}-{key}"


def locked(folder: Path):
    """An exclusive lock for running the stage into `folder`, held across processes and hosts
    (an flock on `<stage>/.<folder>.lock`, beside the folder so deleting the folder keeps it)."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder.parent / f".{folder.name}.lock"))


def is_done(folder: Path, key: str) -> bool:
    marker = folder / DONE
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("key") == key
    except (OSError, json.JSONDecodeError):
        return False


def begin(folder: Path, key: str, description: Mapping) -> None:
    """Record what the folder is for (before the stage runs); clears a stale marker."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    _atomic_write(folder / STAGE_FILE, json.dumps({"key": key, **description}, indent=2,
                                                  sort_keys=True, default=str))


def mark_done(folder: Path, key: str, wall_s: float, extra: Optional[Mapping] = None) -> None:
    _atomic_write(folder / DONE, json.dumps({"key": key, "wall_s": round(wall_s, 3),
                                             "finished": time.time(), **(extra or {})}))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def done_wall(folder: Path) -> Optional[float]:
    """Wall time the stage took when it actually ran (kept in its done marker)."""
    try:
        return float(json.loads((folder / DONE).read_text())["wall_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
