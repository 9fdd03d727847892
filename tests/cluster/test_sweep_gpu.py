"""A sweep trial on logical GPUs: its reservation and the Ray Train workers it starts schedule
(nothing is reserved twice), on a real local Ray whose 2 GPUs are exactly what one trial needs."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from augft.cluster.jobs import resources as R
from augft.core.config import load_config

pytestmark = pytest.mark.slow
PROBE = Path(__file__).with_name("sweep_gpu_probe.py")


def test_trial_reserves_the_driver_only_under_train_v2():
    c = load_config(None, ["train.use_gpu=true", "train.num_workers=2", "cluster.trial_cpus=0.5"])
    s = R.tune_settings(c)
    assert R.train_places_own_workers()  # the installed Ray runs Train V2
    assert s["resources"].bundles == [{"CPU": 0.5}]
    # the fit check still covers the driver and the workers it will start
    assert s["spec"].bundles == [{"CPU": 0.5}] + [{"CPU": 1.0, "GPU": 1.0}] * 2


def test_trial_and_its_train_workers_schedule_on_two_logical_gpus(tmp_path):
    try:
        done = subprocess.run([sys.executable, str(PROBE), str(tmp_path)], capture_output=True, text=True,
                              timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("the sweep trial never scheduled: its GPUs were reserved twice")
    line = [x for x in done.stdout.splitlines() if x.startswith("PROBE ")]
    assert line, done.stdout[-3000:] + done.stderr[-3000:]
    out = json.loads(line[-1][6:])
    assert out["error"] == ""
    gpus = json.loads(out["gpus"])  # each worker's GPU ids: one each, the two distinct
    assert sorted(g for w in gpus for g in w) == ["0", "1"] and all(len(w) == 1 for w in gpus)
