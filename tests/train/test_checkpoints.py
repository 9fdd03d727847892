"""Checkpoints are written under a staging name and renamed when whole; a full disk while saving
is said as such, naming the folder, and leaves the last complete checkpoint the one resumed."""
import errno
import json
from pathlib import Path

import pytest

import augft.train.checkpoints as ck
from augft.core.errors import AugftError


def _shards(d: Path, world: int = 1) -> None:
    (d / "ds").mkdir(parents=True, exist_ok=True)
    for r in range(world):
        (d / "ds" / f"zero_pp_rank_{r}_mp_rank_00_optim_states.pt").write_bytes(b"x" * 16)


def _save(out: Path, step: int) -> Path:
    tmp = ck.staging_dir(out, step)
    _shards(tmp)
    with ck.disk_full_reported(out, f"checkpoint step-{step:06d}", tmp):
        return ck.commit_checkpoint(tmp, ck.checkpoint_dir(out, step),
                                    {"step": step, "world_size": 1, "zero_stage": 2})


def test_a_checkpoint_gets_its_name_only_when_whole(tmp_path):
    out = tmp_path / "ft"
    d = _save(out, 2)
    assert ck.latest_checkpoint(out) == d and not ck.staging_dir(out, 2).exists()
    torn = ck.staging_dir(out, 4)  # a save killed half-way: shards, no trainer_state.json
    _shards(torn)
    assert ck.list_checkpoints(out) == [d] and ck.latest_checkpoint(out) == d
    _save(out, 6)
    ck.prune_checkpoints(out, keep=1)
    assert not torn.exists() and [p.name for p in ck.list_checkpoints(out)] == ["step-000006"]


def test_full_disk_while_saving_is_named_and_the_last_whole_checkpoint_stays(tmp_path, monkeypatch):
    out = tmp_path / "ft"
    first = _save(out, 2)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ck, "atomic_write_json", full)
    with pytest.raises(ck.DiskFull, match=f"no space left on the device writing checkpoint step-000004 in {out}"):
        _save(out, 4)
    assert ck.latest_checkpoint(out) == first and ck.list_checkpoints(out) == [first]
    assert not ck.staging_dir(out, 4).exists()  # the partial save is gone (the space it took, too)
    assert "no space left" in ck.worker_error(out)


def test_torch_save_words_for_a_full_disk_count_too():
    assert ck.no_space(RuntimeError("[enforce fail at inline_container.cc] : file write failed: "
                                    "No space left on device"))
    assert not ck.no_space(RuntimeError("CUDA out of memory"))


def test_launcher_reports_the_workers_note_not_an_exit_code(tmp_path, monkeypatch):
    import augft.train.launch as launch

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({}))

    def worker_fills_the_disk(cmd, env):
        (tmp_path / ck.ERROR_NOTE).write_text("no space left on the device writing checkpoint step-000004 in x\n")
        return 1

    monkeypatch.setattr(launch, "run_owned", worker_fills_the_disk)
    with pytest.raises(AugftError, match="^no space left on the device writing checkpoint step-000004"):
        launch.launch_torchrun(plan, 1)
