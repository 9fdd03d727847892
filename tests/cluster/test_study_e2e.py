"""`augft run` and `augft sweep` end to end with the real stages on the tiny random model."""
import json
import re
from pathlib import Path

import pytest

from augft.core.artifacts import StudyResults, TrainOutput, read_typed

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny.yaml"
# Fewer people and shorter generations than configs/tiny.yaml: the same code paths, less CPU.
SMALL = ["benchmark.people.n_people=4", "benchmark.people.n_train_templates=2",
         "augment.max_new_tokens=8"]


def test_run_end_to_end_with_tracking_and_compare(tmp_path, cli, tiny_model):
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["run", "--config", TINY, "--out", tmp_path / "out", f"tracking.uri={db}",
            "tracking.run_name=e2e", "pipeline.conditions=[base,'aug_ft[local]']", *SMALL]
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "aug_ft[local]" in proc.stdout and "accuracy per split" in proc.stdout
    rep = tmp_path / "out" / "report"
    results = read_typed(rep / "results.json", StudyResults, "study results")
    assert set(results.conditions) == {"base", "aug_ft[local]"}
    # people: forward (held-out templates) and reversal splits, 4 choices each.
    for cond in results.conditions.values():
        assert {"forward", "reversal"} <= set(cond.splits)
        assert cond.splits["reversal"].chance == pytest.approx(0.25)
    assert (rep / "plot.png").is_file() and "break-even" in (rep / "report.md").read_text()

    again = cli(*args, cwd=tmp_path)  # everything cached now
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count(": cached (") == 5  # benchmark, augment, train and 2 evals
    comp = cli("compare", "--tracking-uri", db, "--experiment", "augft-tiny", "--limit", "2", cwd=tmp_path)
    assert comp.returncode == 0, comp.stderr
    # Each run heading starts its line with the run name (a run id is hex and can contain "e2e").
    assert len(re.findall(r"^e2e\s+\(run ", comp.stdout, re.M)) == 2 and "aug_ft[local]" in comp.stdout


def test_sweep_end_to_end_on_local_ray(tmp_path, cli, tiny_model):
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = cli("sweep", "--config", TINY, "--out", tmp_path / "sweep", f"tracking.uri={db}",
               "tracking.experiment=tiny-sweep", "cluster.num_cpus=2", "cluster.max_concurrent_trials=1",
               "pipeline.sweep.num_samples=2", "pipeline.sweep.max_epochs=1", "pipeline.sweep.search=optuna",
               "pipeline.sweep.strategies=[oracle]", "pipeline.sweep.weight_choices=[0.0,1.0]",
               "pipeline.sweep.candidates_choices=[1]", "pipeline.sweep.split_choices=[independent]",
               *SMALL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    best = json.loads((tmp_path / "sweep" / "best.json").read_text())
    assert best["validation_split"] == "forward" and set(best["test"]) == {"reversal"}
    assert "test splits (evaluated once)" in proc.stdout

    from augft.tracking.runs import Tracker

    tracker = Tracker(db, "tiny-sweep")
    runs = tracker.client.search_runs([tracker.experiment_id], "")
    trials = [r for r in runs if r.data.tags.get("augft.kind") == "trial"]
    assert len(trials) == 2 and all("val_accuracy" in r.data.metrics for r in trials)


def test_run_decides_between_rag_fine_tuning_and_distillation(tmp_path, cli, tiny_model):
    """rag, ft+rag and distill[local] through the real stages (index, teacher targets, distilled
    training under DeepSpeed), the Which-to-use section, and augft compare pricing them."""
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["run", "--config", TINY, "--out", tmp_path / "out", f"tracking.uri={db}", "tracking.run_name=decide",
            "pipeline.conditions=[base,rag,'rag[dense]',ft,ft+rag,'distill[local]']", "train.distill.top_k=4",
            *SMALL]
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "out"
    results = read_typed(out / "report" / "results.json", StudyResults, "study results")
    assert set(results.conditions) == {"base", "rag", "rag[dense]", "ft", "ft+rag", "distill[local]"}
    assert results.conditions["rag"].rag.recall_at_k["reversal"] > 0
    costs = results.costs.conditions
    assert costs["distill[local]"].teacher_flops > 0 and costs["rag[dense]"].index_flops > 0
    d = results.decision
    assert d.pick in d.candidates and {r.condition for r in d.rows} == set(results.conditions)
    assert "## Which to use" in (out / "report" / "report.md").read_text()
    summary = TrainOutput(next(out.glob("train/distill_local-*"))).summary()
    assert summary.distill["top_k"] == 4 and len(summary.targets) == 2
    comp = cli("compare", "--tracking-uri", db, "--experiment", "augft-tiny", "--limit", "1", cwd=tmp_path)
    assert comp.returncode == 0 and "Which to use" in comp.stdout and "(pick)" in comp.stdout
