"""Runs, params, metric histories, datasets, artifacts and `augft compare` against a real server."""
import json

import pytest

import fakes

from augft.tracking.compare import collect, format_table, main as compare_main
from augft.tracking.runs import Tracker
from augft.tracking.stage_log import log_stage_dir

pytestmark = pytest.mark.slow


def _condition(tracker, parent, cond, acc):
    run = tracker.start_run(f"eval[{cond}]", parent=parent, kind="condition",
                            tags={"augft.condition": cond})
    run.log_metrics({"accuracy.reversal": acc, "ci_low.reversal": acc - 0.1,
                     "ci_high.reversal": acc + 0.1, "accuracy.forward": 0.9})
    run.end()
    return run


def test_nested_runs_metrics_datasets_artifacts(mlflow_server, tmp_path):
    tracker = Tracker(mlflow_server, "t-runs", {"team": "x"})
    parent = tracker.start_run("study", kind="study")
    child = tracker.start_run("train[ft]", parent=parent)
    stage = tmp_path / "train"
    (stage / "model").mkdir(parents=True)
    (stage / "model" / "config.json").write_text("{}")
    (stage / "metrics.jsonl").write_text("".join(
        json.dumps({"step": i, "loss": 1.0 / (i + 1), "lr": 1e-4, "note": "x"}) + "\n" for i in range(4)))
    fakes.train_summary(stage, 2e12, steps=4)
    (stage / "report.md").write_text("# hi\n")
    child.log_params({"train.lr": 1e-4, "train.mix": {"corpus": 1.0}, "long": "v" * 7000})
    log_stage_dir(child, stage, "train")
    data = tmp_path / "data"
    data.mkdir()
    (data / "corpus.jsonl").write_text('{"id": "a", "text": "x"}\n')
    digest = child.log_dataset(data / "corpus.jsonl", "corpus", "training")
    child.end()
    parent.end()

    c = tracker.client
    run = c.get_run(child.run_id)
    assert run.data.tags["mlflow.parentRunId"] == parent.run_id and run.data.tags["team"] == "x"
    assert run.data.params["train.lr"] == "0.0001" and len(run.data.params["long"]) == 6000
    assert run.data.metrics["summary.train_flops"] == 2e12
    hist = c.get_metric_history(child.run_id, "loss")
    assert [m.step for m in sorted(hist, key=lambda m: m.step)] == [0, 1, 2, 3]
    assert "note" not in run.data.metrics  # strings are not metrics
    assert run.data.tags["augft.model_path"].endswith("model")
    inputs = run.inputs.dataset_inputs
    assert [(d.dataset.name, d.dataset.digest) for d in inputs] == [("corpus", digest)]
    assert len(digest) == 32
    arts = {a.path for a in c.list_artifacts(child.run_id)}
    assert {"metrics.jsonl", "summary.json", "report.md", "model_ref.json"} <= arts
    assert run.info.status == "FINISHED"


def test_failed_run_is_marked(mlflow_server):
    tracker = Tracker(mlflow_server, "t-fail")
    with pytest.raises(ValueError):
        with tracker.start_run("x") as run:
            raise ValueError("no")
    assert tracker.client.get_run(run.run_id).info.status == "FAILED"


def test_compare_table_filters_and_cli(mlflow_server, capsys, cli):
    tracker = Tracker(mlflow_server, "t-compare")
    a = tracker.start_run("study-a", kind="study", tags={"bench": "people"})
    _condition(tracker, a, "ft", 0.25)
    _condition(tracker, a, "aug_ft[local]", 0.6)
    _condition(tracker, a, "base", 0.3)
    a.end()
    b = tracker.start_run("study-b", kind="study", tags={"bench": "reversal"})
    _condition(tracker, b, "icl", 0.5)
    b.end()

    exp = tracker.experiment_id
    studies = collect(tracker.client, [exp], "tags.`bench` = 'people'")
    assert [p.info.run_name for p, *_ in studies] == ["study-a"]
    table = format_table(studies[0][1])
    lines = table.splitlines()
    assert lines[0].split() == ["condition", "forward", "reversal"]
    # Paper order: base, then ft, then the augmented conditions.
    assert [ln.split()[0] for ln in lines[2:]] == ["base", "ft", "aug_ft[local]"]
    assert "0.600 [0.50, 0.70]" in table

    assert compare_main(["--tracking-uri", mlflow_server, "--experiment", "t-compare",
                         "--filter", "bench=reversal"]) == 0
    out = capsys.readouterr().out
    assert "study-b" in out and "icl" in out and "study-a" not in out

    # Without --experiment every experiment is searched.
    assert compare_main(["--tracking-uri", mlflow_server, "--filter", "bench=people"]) == 0
    out = capsys.readouterr().out
    assert "study-a" in out and "study-b" not in out

    proc = cli("compare", "--tracking-uri", mlflow_server, "--experiment", "t-compare", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    assert "study-a" in proc.stdout and "study-b" in proc.stdout and "aug_ft[local]" in proc.stdout
    proc = cli("compare", "--tracking-uri", mlflow_server, "--experiment", "nope")
    assert proc.returncode == 2 and "no MLflow experiment named 'nope'" in proc.stderr
