"""Per-round counts of a compose augmentation as MLflow metric histories (step = round)."""
import fakes
import pytest

from augft.core.artifacts import (AugmentOutput, Coverage, Quality, RoundEntry, RoundQuality, StrategyEntry,
                                  StrategyQuality)
from augft.tracking.stage_log import log_stage_dir, round_rows


def _aug_dir(tmp_path):
    d = tmp_path / "aug"
    d.mkdir()
    rounds = [RoundEntry(round=k, ok=10 - 4 * k, prompts=20 // k, filtered={"contradiction": k},
                         prompt_tokens=1000 // k, completion_tokens=100 // k) for k in (1, 2)]
    fakes.manifest(d, {"compose": StrategyEntry(ok=8, filtered={"contradiction": 3}, prompt_tokens=1500,
                                                completion_tokens=150, rounds=rounds),
                       "local": StrategyEntry(ok=5)})
    rq = [RoundQuality(round=1, true=5, covered=4, cumulative=Coverage(covered=4)),
          RoundQuality(round=2, true=1, covered=1, cumulative=Coverage(covered=5))]
    AugmentOutput(d).write_quality(Quality({"compose": StrategyQuality(n=8, true=6, false=0, uncheckable=2,
                                                                       targets=9, covered=5, rounds=rq)}))
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
    log_stage_dir(run, _aug_dir(tmp_path), "augment")
    run.end()
    hist = tracker.client.get_metric_history(run.run_id, "rounds.compose.quality.true")
    assert sorted((m.step, m.value) for m in hist) == [(1, 5.0), (2, 1.0)]
    assert "quality.json" in {a.path for a in tracker.client.list_artifacts(run.run_id)}
