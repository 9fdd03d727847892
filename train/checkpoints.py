"""Checkpoint folders: OUT/checkpoints/step-NNNNNN/{ds/<ZeRO shards>, trainer_state.json}.

A folder counts as complete only when rank 0 has written trainer_state.json (after a
barrier that follows every rank's shard) and the optimizer state is present (one shard per
rank under ZeRO 1-3, rank 0's model-states file under ZeRO-0),
so a run killed mid-save is never resumed from a torn checkpoint.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List, Optional

PREFIX = "step-"


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
    ckpts = list_checkpoints(out)
    complete = [p for p in ckpts if is_complete(p)]
    keep_set = set(complete[-keep:])
    newest_kept = complete[-keep] if len(complete) >= keep else None
    for p in ckpts:
        if p in keep_set:
            continue
        if p in complete or (newest_kept is not None and p.name < newest_kept.name):
            shutil.rmtree(p, ignore_errors=True)
