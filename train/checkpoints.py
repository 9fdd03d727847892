"""Checkpoint folders: OUT/checkpoints/step-NNNNNN/{ds/<ZeRO shards>, trainer_state.json}.

Every rank writes its shard into a staging folder (`.tmp-step-NNNNNN`); after a barrier rank 0
writes trainer_state.json there and renames the folder to its real name, so a `step-*` folder
is always whole: a run killed (or a disk filled) mid-save leaves only a staging folder, which is
never loaded and is removed at the next save. A folder also counts as complete only when its
trainer_state.json and optimizer state are present (one shard per rank under ZeRO 1-3, rank 0's
model-states file under ZeRO-0), which covers folders older runs wrote in place.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path
from typing import Iterator, List, Optional

from augft.core.errors import AugftError
from augft.core.io import atomic_write_json

PREFIX = "step-"
STAGING = ".tmp-"
ERROR_NOTE = ".worker_error.txt"
"""A worker's one-line reason for failing, which the launcher reports instead of an exit code."""


class DiskFull(AugftError):
    """No space left on the device while training wrote into its folder."""


def staging_dir(out: Path, step: int) -> Path:
    return Path(out) / "checkpoints" / f"{STAGING}{PREFIX}{step:06d}"


def commit_checkpoint(staging: Path, final: Path, state: dict) -> Path:
    """Rank 0, once every rank's shard is in `staging`: mark it complete and give it its real name."""
    atomic_write_json(Path(staging) / "trainer_state.json", state, indent=1)
    if Path(final).exists():  # a torn folder an older run wrote in place at this step
        shutil.rmtree(final)
    os.replace(staging, final)
    return Path(final)


def no_space(exc: BaseException) -> bool:
    """Whether `exc` is a full disk (torch.save reports it as a RuntimeError with the OS's words)."""
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


@contextlib.contextmanager
def disk_full_reported(out: Path, what: str, staging: Optional[Path] = None) -> Iterator[None]:
    """A full disk inside the block becomes DiskFull naming the folder: the partial `staging`
    folder is removed (which frees room for) a one-line note the launcher reports."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        if not no_space(exc):
            raise
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        message = (f"no space left on the device writing {what} in {Path(out).resolve()}: free space there "
                   "(or set train.keep_checkpoints lower), then rerun the same command to resume")
        with contextlib.suppress(OSError):
            (Path(out) / ERROR_NOTE).write_text(message + "\n", encoding="utf-8")
        raise DiskFull(message) from None


def worker_error(out: Path) -> Optional[str]:
    """The note a failed worker left (see disk_full_reported), if any."""
    try:
        return (Path(out) / ERROR_NOTE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def checkpoint_dir(out: Path, step: int) -> Path:
    return Path(out) / "checkpoints" / f"{PREFIX}{step:06d}"


def read_state(d: Path) -> Optional[dict]:
    try:
        return json.loads((Path(d) / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return None


def is_complete(d: Path) -> bool:
    state = read_state(d)
    if not state:
        return False
    ds = Path(d) / "ds"
    if int(state.get("zero_stage", 0)) == 0:
        # Without ZeRO, DeepSpeed keeps the optimizer in rank 0's model-states file.
        return (ds / "mp_rank_00_model_states.pt").is_file()
    return len(list(ds.glob("*optim_states.pt"))) == int(state.get("world_size", 0))


def list_checkpoints(out: Path) -> List[Path]:
    root = Path(out) / "checkpoints"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def latest_checkpoint(out: Path) -> Optional[Path]:
    done = [p for p in list_checkpoints(out) if is_complete(p)]
    return done[-1] if done else None


def prune_checkpoints(out: Path, keep: int) -> None:
    """Delete all but the newest `keep` complete checkpoints (and older torn ones)."""
    if keep <= 0:
        return
    for stale in (Path(out) / "checkpoints").glob(f"{STAGING}{PREFIX}*"):  # saves that never finished
        shutil.rmtree(stale, ignore_errors=True)
    ckpts = list_checkpoints(out)
    complete = [p for p in ckpts if is_complete(p)]
    keep_set = set(complete[-keep:])
    newest_kept = complete[-keep] if len(complete) >= keep else None
    for p in ckpts:
        if p in keep_set:
            continue
        if p in complete or (newest_kept is not None and p.name < newest_kept.name):
            shutil.rmtree(p, ignore_errors=True)
