"""core.children: a command started with run_owned dies with the process that started it."""
import os
import signal
import subprocess
import sys
import time

import psutil

SCRIPT = """
import sys
from augft.core.children import run_owned
run_owned([sys.executable, "-c", "import time; time.sleep(300)"])
"""


def _start_and_find_child():
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT])
    deadline = time.time() + 60
    while not psutil.Process(parent.pid).children():
        assert parent.poll() is None and time.time() < deadline
        time.sleep(0.1)
    time.sleep(0.3)  # past the child's start, so its parent-death signal is set
    return parent, psutil.Process(parent.pid).children()[0]


def test_sigkill_of_the_owner_kills_the_child():
    parent, child = _start_and_find_child()
    assert child.pid != parent.pid and os.getpgid(child.pid) == child.pid  # its own process group
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    gone, alive = psutil.wait_procs([child], timeout=5)
    assert not alive


def test_interrupt_of_the_owner_kills_the_child_group():
    parent, child = _start_and_find_child()
    os.kill(parent.pid, signal.SIGINT)  # KeyboardInterrupt inside run_owned's wait
    parent.wait(10)
    gone, alive = psutil.wait_procs([child], timeout=5)
    assert not alive
