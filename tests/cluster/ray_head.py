"""A real local Ray head for tests: 127.0.0.1 only, its own ports and temp dir.

Other people may run their own Ray on the same machine, so this never calls
`ray stop` (which stops every Ray of the user): it ends only the processes whose
command line names this head's private temp dir, by pid.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from augft.core.io import free_ports

BIN = Path(sys.executable).parent


@dataclass
class RayHead:
    gcs_address: str
    dashboard_url: str
    temp_dir: Path
    proc: subprocess.Popen
    env: Dict[str, str]
    """Variables a client needs to talk to this head (its private auth token)."""


def _pids_of(head: "RayHead") -> List[int]:
    """Processes of this head: its session (we started it with a new session) or any
    process whose command line names its private temp dir."""
    pids = []
    marker = str(head.temp_dir)
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().decode(errors="replace")
            stat = (d / "stat").read_text()
        except OSError:
            continue
        # stat: pid (comm) state ppid pgrp session ...; comm may hold spaces.
        fields = stat.rsplit(")", 1)[-1].split()
        if not fields or fields[0] == "Z":  # zombies are gone already; their parent reaps them
            continue
        session = int(fields[3]) if len(fields) > 3 else -1
        if marker in cmd or session == head.proc.pid:
            pids.append(int(d.name))
    return pids


def start_head(num_cpus: int = 2, timeout: float = 120, num_gpus: int = 0, resources: str = "") -> RayHead:
    """`num_gpus` are logical (Ray schedules by count); `resources` is `ray start --resources` JSON."""
    # Short path: Ray's unix sockets live under the temp dir (108-byte limit).
    temp_dir = Path(tempfile.mkdtemp(prefix="augft-ray-"))
    port, dash, *more = free_ports(9)
    env = dict(os.environ)
    # The job's entrypoint runs `python`: put this environment's first on PATH, as a
    # user with the venv activated would have it.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env.pop("RAY_ADDRESS", None)
    # Token auth with a token of its own: independent of any ~/.ray/auth_token, and the
    # way a shared cluster should run.
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env.update(auth)
    env.pop("RAY_AUTH_TOKEN_PATH", None)
    cmd = [str(BIN / "ray"), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
           "--port", str(port), "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dash),
           "--num-cpus", str(num_cpus), "--num-gpus", str(num_gpus), "--temp-dir", str(temp_dir),
           "--ray-client-server-port", str(more.pop()),
           "--dashboard-agent-listen-port", str(more.pop()),
           "--dashboard-agent-grpc-port", str(more.pop()),
           "--runtime-env-agent-port", str(more.pop()),
           "--metrics-export-port", str(more.pop()),
           "--node-manager-port", str(more.pop()),
           "--object-manager-port", str(more.pop()),
           "--object-store-memory", str(200 * 1024 * 1024),
           "--disable-usage-stats"] + (["--resources", resources] if resources else [])
    log = open(temp_dir / "head.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    head = RayHead(f"127.0.0.1:{port}", f"http://127.0.0.1:{dash}", temp_dir, proc, auth)
    deadline = time.monotonic() + timeout
    import requests

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = (temp_dir / "head.log").read_text()[-3000:]
            stop_head(head)
            raise RuntimeError(f"ray start exited {proc.returncode}:\n{text}")
        try:
            headers = {"Authorization": f"Bearer {auth['RAY_AUTH_TOKEN']}"}
            if requests.get(f"{head.dashboard_url}/api/version", headers=headers, timeout=2).ok:
                return head
        except requests.RequestException:
            pass
        time.sleep(1)
    text = (temp_dir / "head.log").read_text()[-3000:]
    stop_head(head)
    raise RuntimeError(f"Ray head did not come up in {timeout:g} s:\n{text}")


def stop_head(head: RayHead) -> None:
    # `ray start --block` shuts its node down on SIGTERM, but slowly (it waits on each
    # process in turn, 30 s and more on a busy machine). A throwaway test head keeps
    # nothing worth a graceful exit: after a short grace, SIGKILL what is left, by pid.
    if head.proc.poll() is None:
        head.proc.send_signal(signal.SIGTERM)
        try:
            head.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        pids = _pids_of(head)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    if head.proc.poll() is None:
        head.proc.kill()
    head.proc.wait()
    shutil.rmtree(head.temp_dir, ignore_errors=True)
