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


def test_full_disk_names_the_file_it_could_not_write(tmp_path, monkeypatch):
    import errno

    import pytest

    import augft.core.io as io
    from augft.cluster.preflight import os_error_message

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(io, "_fsync", full)
    target = tmp_path / "report" / "results.json"
    with pytest.raises(OSError) as info:
        io.atomic_write_json(target, {"a": 1})
    assert info.value.errno == errno.ENOSPC and not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left either
    assert os_error_message(info.value) == (f"no space left on the device writing {target}: "
                                            "free space or choose another --out")
