"""core/io.py: atomic writes keep the process umask's permissions."""
import os
import stat

import pytest

from augft.core.io import atomic_path, atomic_write_json, atomic_write_text


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)
    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_umask_0022_gives_0644(tmp_path, umask):
    umask(0o022)
    assert _mode(atomic_write_text(tmp_path / "a.txt", "x")) == 0o644
    assert _mode(atomic_write_json(tmp_path / "sub" / "b.json", {"a": 1})) == 0o644
    with atomic_path(tmp_path / "c.bin") as tmp:
        tmp.write_bytes(b"1")
    assert _mode(tmp_path / "c.bin") == 0o644


def test_umask_0077_gives_0600(tmp_path, umask):
    umask(0o077)
    assert _mode(atomic_write_text(tmp_path / "a.txt", "x")) == 0o600
