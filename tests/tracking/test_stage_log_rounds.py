"""Per-round counts of a compose augmentation as MLflow metric histories (step = round)."""
import json

import pytest

from augft.tracking.stage_log import log_stage_dir, round_rows


def _aug_dir(tmp_path):
    d = tmp_path / "aug"
    d.mkdir()
    rounds = [{"round": k, "ok": 10 - 4 * k, "prompts": 20 // k, "filtered": {"contradiction": k},
               "prompt_tokens": 1000 // k, "completion_tokens": 100 // k} for k in (1, 2)]
    (d / "manifest.json").write_text(json.dumps({"strategies": {
        "compose": {"ok": 8, "filtered": {"contradiction": 3}, "prompt_tokens": 1500, "completion_tokens": 150,
                    "shards": [], "rounds": rounds},
        "local": {"ok": 5, "filtered": {}, "shards": []}}}))
    (d / "quality.json").write_text(json.dumps({"compose": {"n": 8, "rounds": [
        {"round": 1, "true": 5, "covered": 4, "cumulative": {"covered": 4}},
        {"round": 2, "true": 1, "covered": 1, "cumulative": {"covered": 5}}]}}))
    return d


def test_round_rows_read_the_manifest_and_the_checker(tmp_path):
    rows = round_rows(_aug_dir(tmp_path))
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[1]["rounds.compose.ok"] == 2 and rows[1]["rounds.compose.filtered.contradiction"] == 2
    assert rows[1]["rounds.compose.quality.cumulative.covered"] == 5
    assert not any(k.startswith("rounds.local") for r in rows for k in r)


@pytest.mark.slow
def test_rounds_are_logged_as_histories(mlflow_server, tmp_path):
    from augft.tracking.runs import Tracker

    tracker = Tracker(mlflow_server, "t-rounds")
    run = tracker.start_run("augment[compose]")
    log_stage_dir(run, _aug_dir(tmp_path))
    run.end()
    hist = tracker.client.get_metric_history(run.run_id, "rounds.compose.quality.true")
    assert sorted((m.step, m.value) for m in hist) == [(1, 5.0), (2, 1.0)]
    assert "quality.json" in {a.path for a in tracker.client.list_artifacts(run.run_id)}
