"""A stage folder is logged as the contract of the stage kind that wrote it."""
import pytest

from augft.core.targets import SourceCount, TargetsManifest, TargetsOutput
from augft.tracking.runs import RunHandle
from augft.tracking.stage_log import STAGE_KINDS, log_stage_dir


def _targets_dir(tmp_path):
    d = tmp_path / "targets"
    d.mkdir()
    TargetsOutput(d).write_manifest(TargetsManifest(4, "m", 100, "hf", "corpus", 0,
                                                    {"local": SourceCount(texts=3, tokens=30)}, 7, ["u0"]))
    return d


def test_unknown_kind_is_named(tmp_path):
    with pytest.raises(ValueError, match="unknown stage kind 'augmnet'.*targets"):
        log_stage_dir(RunHandle(None, None), tmp_path, "augmnet")
    assert {"augment", "targets", "train", "eval", "index", "data", "benchmark"} == set(STAGE_KINDS)


@pytest.mark.slow
def test_targets_folder_is_read_as_targets(mlflow_server, tmp_path):
    """The kind decides how a folder is read: a teacher-target folder's manifest (targets.json,
    once manifest.json like augment's) is logged as the targets contract."""
    from augft.tracking.runs import Tracker

    tracker = Tracker(mlflow_server, "t-kinds")
    run = tracker.start_run("targets[corpus]")
    log_stage_dir(run, _targets_dir(tmp_path), "targets")
    run.end()
    got = tracker.client.get_run(run.run_id).data.metrics
    assert got["targets.top_k"] == 4.0 and got["targets.sources.local.texts"] == 3.0
    assert "targets.json" in {a.path for a in tracker.client.list_artifacts(run.run_id)}
