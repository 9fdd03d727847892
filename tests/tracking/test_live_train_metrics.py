"""Training logs its metric rows to the stage's run as it goes: the study names the run in
MLflow's own environment variables while the train stage runs, and the stage's end does not log
the rows a second time (a local sqlite store, no server)."""
import json
import os

import fakes

from augft.tracking.runs import Tracker
from augft.tracking.stage_log import log_stage_dir


def _stage(tmp_path, metrics_run):
    stage = tmp_path / "train"
    stage.mkdir()
    (stage / "metrics.jsonl").write_text("".join(json.dumps({"step": i, "loss": 1.0 / i}) + "\n" for i in (1, 2)))
    fakes.train_summary(stage, steps=2, metrics_run=metrics_run)
    return stage


def test_run_as_env_names_the_run_only_inside_the_block(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "kept")
    tracker = Tracker(f"sqlite:///{tmp_path / 'm.db'}", "t-live")
    run = tracker.start_run("train[ft]")
    with run.as_env():
        assert os.environ["MLFLOW_RUN_ID"] == run.run_id and os.environ["MLFLOW_TRACKING_URI"] == tracker.uri
    assert "MLFLOW_RUN_ID" not in os.environ and os.environ["MLFLOW_TRACKING_URI"] == "kept"
    with Tracker.disabled().start_run("x").as_env():  # tracking off: nothing to name
        assert "MLFLOW_RUN_ID" not in os.environ


def test_rows_logged_live_are_not_logged_again(tmp_path):
    tracker = Tracker(f"sqlite:///{tmp_path / 'm.db'}", "t-live")
    live = tracker.start_run("train[ft]")
    live.log_metric_rows([{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}])  # what the loop sent
    log_stage_dir(live, _stage(tmp_path, live.run_id), "train")
    assert sorted(m.step for m in tracker.client.get_metric_history(live.run_id, "loss")) == [1, 2]

    cached = tracker.start_run("train[ft] again")  # a cached stage logged into a new study's run
    log_stage_dir(cached, tmp_path / "train", "train")
    assert sorted(m.step for m in tracker.client.get_metric_history(cached.run_id, "loss")) == [1, 2]
