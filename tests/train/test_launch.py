"""A training run owns its processes: SIGTERM, Ctrl-C (SIGINT) or SIGKILL of the `augft` process
ends torchrun and its workers within seconds, and a signal that can be handled ends with one
line of augft's own, no worker traceback."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from helpers import BIN, REPO

TINY = str(REPO / "configs" / "tiny.yaml")


def _data(folder: Path) -> Path:
    folder.mkdir()
    docs = [{"id": f"d{i}", "text": f"Femp{i} are more dangerous than glon{i}. Glon{i} live in Orsk."}
            for i in range(40)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    return folder


def _worker_started(proc: psutil.Process) -> bool:
    for p in proc.children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())  # a worker, not torchrun (whose command names the module too)
            if "augft.train.launch" in cmd and "--torchrun" not in cmd and time.time() - p.create_time() > 3:
                return True
        except psutil.NoSuchProcess:
            continue
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["term", "int", "kill"])
def test_signal_to_augft_ends_torchrun_and_workers(sig, tmp_path, tiny_model):
    data, out = _data(tmp_path / "data"), tmp_path / "ft"
    err_path = tmp_path / "stderr.txt"
    with open(tmp_path / "stdout.txt", "w") as so, open(err_path, "w") as se:
        augft = subprocess.Popen([str(BIN / "augft"), "train", "--config", TINY, "--data", str(data), "--out",
                                  str(out), "train.epochs=500", "tracking.enabled=false"],
                                 stdout=so, stderr=se, start_new_session=True)
    try:
        me = psutil.Process(augft.pid)
        deadline = time.time() + 300
        while not _worker_started(me):
            assert augft.poll() is None, err_path.read_text()[-3000:]
            assert time.time() < deadline, "the training worker never started"
            time.sleep(0.5)
        started = me.children(recursive=True)
        assert len(started) >= 2  # torchrun and its worker
        os.kill(augft.pid, sig)
        rc = augft.wait(timeout=60)
        gone, alive = psutil.wait_procs(started, timeout=10)
        assert not alive, f"left running after {sig.name}: {[(p.pid, p.cmdline()) for p in alive]}"
    finally:
        if augft.poll() is None:
            augft.kill()
    if sig != signal.SIGKILL:
        err = err_path.read_text()
        word, code = ("terminated", 143) if sig == signal.SIGTERM else ("interrupted", 130)
        assert rc == code, err[-3000:]
        assert err.count(f"augft: {word}") == 1 and "Traceback" not in err, err[-3000:]


def test_a_failed_worker_is_one_line_not_torchrun_traceback(tmp_path):
    import sys

    from augft.core.io import free_port

    worker = tmp_path / "worker.py"
    worker.write_text("import sys\nprint('worker: no space left on the device', file=sys.stderr)\nsys.exit(2)\n")
    r = subprocess.run([sys.executable, "-m", "augft.train.launch", "--torchrun", "--nproc_per_node=1", "--nnodes=1",
                        "--master_addr=127.0.0.1", f"--master_port={free_port()}", str(worker)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "augft train: worker rank 0 failed (exit code 2)" in r.stderr
