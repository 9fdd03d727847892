"""Real Ray: a local head on 127.0.0.1, jobs submitted through `augft submit`.

The pipeline is the chain benchmark -> augment (Ray Data, joining the job's cluster) ->
eval, one Ray job per stage sharing a storage root, as a cluster run would; with the
tiny config (tiny random model). Training is left out to keep the test under a minute
(a tiny `augft run` with train takes several minutes here); to submit the one-command
pipeline instead: PIPELINE_JOBS = [["run", "--config", TINY, "--out", "study"]].
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from augft.core.artifacts import AugmentOutput, EvalOutput
from helpers import REPO, augft_cli

sys.path.insert(0, str(Path(__file__).parent))
from ray_head import start_head, stop_head  # noqa: E402

pytestmark = pytest.mark.slow

TINY = "configs/tiny.yaml"  # relative to the uploaded working dir
PIPELINE_JOBS = [
    ["benchmark", "--config", TINY, "--out", "bench", "tracking.enabled=false"],
    # Two CPUs on the head: the driver and the engine actor take half a CPU each.
    ["augment", "--config", TINY, "--data", "bench", "--out", "aug", "augment.use_ray=true",
     "augment.actor_cpus=0.5", "cluster.entrypoint_num_cpus=0.5", "tracking.enabled=false"],
    ["eval", "--config", TINY, "--data", "bench", "--out", "eval", "eval.conditions=[base]",
     "tracking.enabled=false"],
]


@pytest.fixture(scope="module")
def head():
    h = start_head(num_cpus=2)
    try:
        yield h
    finally:
        stop_head(h)


def _submit(head, storage, *args, timeout=300):
    return augft_cli("submit", "--address", head.dashboard_url, "--working-dir", REPO,
                     "--env", f"AUGFT_STORAGE={storage}", "--timeout", "240", *args,
                     cwd=REPO, env={"RAY_ADDRESS": "", **head.env}, timeout=timeout)


def _ray_job_submit(head, storage, *args, timeout=300):
    """The same job through Ray's own CLI, as KubeRay's submitter runs it."""

    import os
    import subprocess

    from helpers import BIN

    renv = json.dumps({"env_vars": {"AUGFT_STORAGE": str(storage)}})
    env = {**os.environ, "RAY_ADDRESS": "", **head.env}
    return subprocess.run([str(BIN / "ray"), "job", "submit", "--address", head.dashboard_url,
                           "--working-dir", str(REPO), "--runtime-env-json", renv,
                           "--submission-id", f"augft-{args[0]}-raycli", "--",
                           "python", "-m", "augft.cluster.jobs", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_pipeline_job_runs_on_the_cluster(head, tmp_path, tiny_model):
    storage = tmp_path / "storage"
    for i, job in enumerate(PIPELINE_JOBS):
        # The first stage goes through `ray job submit`, the others through `augft submit`.
        res = (_ray_job_submit if i == 0 else _submit)(head, storage, *job)
        assert res.returncode == 0, f"job {job[0]} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        # Logs are streamed back, and the job ran through the job entrypoint.
        assert f"augft job augft-{job[0]}-" in res.stdout
        assert "succeeded" in (res.stderr + res.stdout).lower()
        if job[0] == "augment":
            # Inside the job, the stage joined this cluster rather than starting a Ray
            # (Ray hands the driver the GCS address under the node's own IP).
            port = head.gcs_address.rsplit(":", 1)[1]
            assert re.search(rf"augft job .* cluster\.address=\S+:{port} ", res.stdout), res.stdout[:2000]
    # Outputs landed on the shared storage root, not in Ray's per-job working dir.
    assert (storage / "bench" / "corpus.jsonl").stat().st_size > 0
    assert (storage / "bench" / "questions.jsonl").stat().st_size > 0
    manifest = AugmentOutput(storage / "aug").manifest()
    assert manifest.strategies["local"].inputs > 0
    splits = EvalOutput(storage / "eval").results().conditions["base"].splits
    assert splits and all(0.0 <= s.accuracy <= 1.0 and s.n > 0 for s in splits.values())


def test_failed_job_returns_its_exit_status(head, tmp_path):
    # The CLI inside the job exits 2 for a missing --data folder; submit must return 2.
    res = _submit(head, tmp_path, "eval", "--data", "no-such-folder", "--out", "e", timeout=180)
    assert res.returncode == 2, res.stdout[-3000:] + res.stderr[-3000:]
    assert "no-such-folder" in res.stdout
    assert "FAILED" in res.stderr


def test_placement_groups_on_a_real_cluster(head):
    import os
    import subprocess

    env = {**os.environ, **head.env, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, str(Path(__file__).parent / "pg_probe.py"),
                          head.gcs_address], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=180)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("PROBE ")]
    assert res.returncode == 0 and line, res.stdout[-3000:] + res.stderr[-3000:]
    out = json.loads(line[-1][6:])
    # Driver bundle + 2 worker bundles, on one node as the train strategy asks.
    assert out["trial"] == {"bundles": 3, "strategy": "STRICT_PACK", "state": "CREATED"}
    # 4 workers x 1 CPU + the driver cannot fit a 2-CPU head: fails at once, naming the keys.
    assert out["error"] and "cluster.train_cpus_per_worker" in out["error"]


SHADOW = "raise SystemExit(\"the user's own {} was imported instead of augft's\")\n"


def test_job_from_a_folder_that_shadows_stage_names(head, tmp_path, tiny_model):
    """A working dir with a user's train.py, eval.py and core/ runs augft's stages, from the
    code snapshot shipped with the job (not the working dir, not the cluster's install)."""
    import shutil

    from augft.core.artifacts import EvalOutput

    wd = tmp_path / "project"
    (wd / "core").mkdir(parents=True)
    for name in ("train.py", "eval.py", "core/__init__.py"):
        (wd / name).write_text(SHADOW.format(name))
    shutil.copy(REPO / "configs" / "tiny.yaml", wd / "tiny.yaml")
    storage = tmp_path / "storage"
    jobs = [["benchmark", "--config", "tiny.yaml", "--out", "bench", "tracking.enabled=false"],
            ["eval", "--config", "tiny.yaml", "--data", "bench", "--out", "ev", "eval.conditions=[base]",
             "eval.limit=4", "tracking.enabled=false"]]
    for job in jobs:
        res = augft_cli("submit", "--address", head.dashboard_url, "--working-dir", wd,
                        "--env", f"AUGFT_STORAGE={storage}", "--timeout", "240", *job,
                        cwd=wd, env={"RAY_ADDRESS": "", **head.env}, timeout=300)
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-4000:]
        assert "instead of augft" not in out
        # The job imported the snapshot Ray unpacked for it, not this checkout.
        ran_from = re.search(r"augft from (\S+)\)", res.stdout).group(1)
        assert not ran_from.startswith(str(REPO)) and ran_from.endswith("augft"), ran_from
    assert EvalOutput(storage / "ev").condition("base").splits


def test_import_from_a_folder_with_stage_named_files(tmp_path):
    import subprocess

    for name in ("train.py", "eval.py", "core.py", "cluster.py"):
        (tmp_path / name).write_text(SHADOW.format(name))
    res = subprocess.run([sys.executable, "-c", "import augft.train.api, augft.eval.api, augft.core.records, "
                          "augft.cluster.cli; print('ok')"], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
