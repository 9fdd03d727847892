"""A run owns the processes it starts: they end when it ends, however it ends.

`run_owned` starts a command in its own process group with Linux's parent-death signal set, so
SIGKILL of augft kills it too; Ctrl-C or SIGTERM of augft kills the whole group (no child is left
writing into a stage folder, and no worker prints a traceback of its own). A child that starts
children of its own (torchrun's workers) calls `die_with_parent` in them and `watch_owner` to
cover the moment before the signal was set.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

OWNER_ENV = "AUGFT_OWNER_PID"
PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the same cleanup, the same one-line message."""


def terminate_as_interrupt():
    """SIGTERM raises Terminated in the main thread (Python's default would end the process
    without running any cleanup). Returns the handler it replaced (None off the main thread)."""
    def handler(signum, frame):
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send `sig` to this process when its parent ends (PR_SET_PDEATHSIG); False
    where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig)) == 0
    except (OSError, AttributeError):
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_owner(poll_s: float = 0.5) -> None:
    """In a process started under a run ($AUGFT_OWNER_PID): exit as soon as that run's process is
    gone (the parent-death signal misses a parent that died before it was set)."""
    owner = int(os.environ.get(OWNER_ENV, "0") or 0)
    if owner <= 0:
        return

    def loop():
        while alive(owner):
            time.sleep(poll_s)
        os._exit(1)

    if not alive(owner):
        os._exit(1)
    threading.Thread(target=loop, name="augft-owner-watch", daemon=True).start()


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group `proc` leads and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_owned(cmd: List[str], env: Optional[Dict[str, str]] = None) -> int:
    """Run `cmd` to its end and return its exit code; it and its process group never outlive this
    process (Ctrl-C, SIGTERM, an error here, or this process killed)."""
    env = dict(os.environ if env is None else env)
    env[OWNER_ENV] = str(os.getpid())
    # Through this module's main (not preexec_fn, which may deadlock a process with threads): it
    # sets the parent-death signal, checks the parent is still this process, then execs `cmd`.
    proc = subprocess.Popen([sys.executable, "-m", "augft.core.children", *cmd], env=env, start_new_session=True)
    try:
        return proc.wait()
    except BaseException:
        kill_group(proc)
        raise


def _exec_owned(cmd: List[str]) -> None:
    """`python -m augft.core.children CMD...`: become CMD, killed when the owner ends (the signal
    is kept across exec); exit at once if the owner ended before the signal was set."""
    die_with_parent()
    owner = int(os.environ.get(OWNER_ENV, "0") or 0)
    if owner and os.getppid() != owner:
        os._exit(1)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    _exec_owned(sys.argv[1:])
