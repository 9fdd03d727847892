"""pipeline.budget in `augft run` and plan against actual, with fake stages (the study's control
flow) and the real plan (`augft plan`'s estimators) for the estimates."""
import mlflow
import pytest

from augft.cluster import plan as plan_module
from augft.cluster.plan_placement import StagePlacement
from augft.cluster.study import run_study
from augft.core.artifacts import StudyResults, read_stage_spend, read_typed
from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.core.resources import PlacementSpec
from augft.tracking.runs import Tracker
from fake_stages import FakeStages

CONDS = "[base,ft,'aug_ft[local]','aug_ft[global]']"


def _cfg(*overrides):
    return load_config(None, ["tracking.enabled=false", f"pipeline.conditions={CONDS}",
                              "model.name=tiny-random-llama", "augment.strategies=[local,global]", *overrides])


def _study(tmp_path, *overrides, tracker=None):
    fake = FakeStages()
    return fake, run_study(_cfg(*overrides), None, tmp_path / "out", fake.fns(), tracker or Tracker.disabled())


@pytest.fixture
def one_gpu_train(monkeypatch):
    """Training's workers hold one GPU each in the plan (as with train.use_gpu on a GPU cluster),
    so its estimate has GPU-hours; the fake stages need no GPU."""
    real = plan_module.stage_placements

    def placements(cfg, gpus):
        out = real(cfg, gpus)
        spec = out["train"].spec
        out["train"] = StagePlacement(PlacementSpec([{"CPU": 1.0, "GPU": 1.0}], "PACK", spec.keys, spec.label), 1,
                                      "train")
        return out

    monkeypatch.setattr(plan_module, "stage_placements", placements)


def test_tokens_budget_stops_the_study_before_a_stage_and_a_larger_one_continues(tmp_path, tiny_model):
    # The fake augment generates 10 tokens per strategy: local spends the whole cap of 10.
    with pytest.raises(AugftError, match=r"pipeline\.budget\.tokens': not starting augment\[global\].*"
                                         r"only 0 generated tokens of 10 generated tokens is left"):
        _study(tmp_path, "pipeline.budget.tokens=10")
    out = tmp_path / "out"
    assert not list((out / "augment").glob("global-*"))  # refused before anything was written
    (local,) = (out / "augment").glob("local-*")
    assert read_stage_spend(local).spent.tokens == 10 and read_stage_spend(local).done

    fake, res = _study(tmp_path, "pipeline.budget.tokens=20")  # local is cached and still counts
    assert fake.calls[("augment", "local")] == 0 and fake.calls[("augment", "global")] == 1


def test_augmentation_stopped_at_the_tokens_left_is_not_done_and_a_rerun_continues(tmp_path, tiny_model):
    # local spends 10 of 15; global is started with 5 left, and stops itself there (the fake
    # stops as augment does: tests/augment/test_budget_cap.py runs the real one)
    with pytest.raises(AugftError, match=r"pipeline\.budget\.tokens': augment\[global\] stopped at what was "
                                         r"left of the budget \(stopped at the cap of 5 generated tokens\)"):
        _study(tmp_path, "pipeline.budget.tokens=15")
    (partial,) = (tmp_path / "out" / "augment").glob("global-*")
    assert not (partial / "done").exists() and read_stage_spend(partial).spent.tokens == 5
    assert not read_stage_spend(partial).done and read_stage_spend(partial).attempts == 1
    fake, res = _study(tmp_path, "pipeline.budget.tokens=25")
    assert fake.calls[("augment", "global")] == 1 and (partial / "done").is_file()
    assert read_stage_spend(partial).attempts == 2 and read_stage_spend(partial).done


def test_gpu_hours_and_money_stop_training_before_it_starts(tmp_path, tiny_model, one_gpu_train):
    # Each training is estimated at ~60 s start-up on one GPU (~0.017 GPU-hours).
    with pytest.raises(AugftError, match=r"pipeline\.budget\.gpu_hours': not starting train\[ft\]: its estimate "
                                         r"is 0\.01\d+ GPU-hours but only 0\.01 GPU-hours"):
        _study(tmp_path, "pipeline.budget.gpu_hours=0.01")
    assert not list((tmp_path / "out" / "train").glob("ft-*"))
    with pytest.raises(AugftError, match=r"pipeline\.budget\.money': not starting train\[ft\]: its estimate is "
                                         r"0\.0\d USD but only 0\.02 USD"):
        _study(tmp_path, "pipeline.budget.money=0.02", "plan.price_per_gpu_hour=2")


def test_report_and_mlflow_show_each_stage_estimate_beside_actual(tmp_path, tiny_model, one_gpu_train):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg_over = [f"tracking.uri={uri}", "tracking.enabled=true", "pipeline.budget.gpu_hours=1"]
    fake = FakeStages()
    res = run_study(_cfg(*cfg_over), None, tmp_path / "out", fake.fns(), Tracker.from_config(_cfg(*cfg_over).tracking))
    rows = {r.stage: r for r in res.plan_vs_actual}
    train = rows["train[aug_ft[local]]"]
    assert train.estimate.wall_s >= 60 and train.estimate.gpu_s == pytest.approx(train.estimate.wall_s)
    assert train.estimate.tokens > 0 and train.estimate.flops > 0
    assert train.actual.flops == 2e12 and 0 < train.actual.wall_s < 60  # the fake summary's, its wall
    assert rows["augment[local]"].actual.tokens == 10 and rows["augment[local]"].estimate.tokens > 0
    md = (tmp_path / "out" / "report" / "report.md").read_text()
    assert "## Plan against actual" in md
    line = next(ln for ln in md.splitlines() if ln.startswith("| train[aug_ft[local]] |"))
    assert f"| {train.estimate.wall_s:.0f} | {train.actual.wall_s:.0f} |" in line and "| 2e+12 |" in line
    saved = read_typed(tmp_path / "out" / "report" / "results.json", StudyResults, "study")
    assert [r.stage for r in saved.plan_vs_actual] == [r.stage for r in res.plan_vs_actual]
    client = mlflow.MlflowClient(uri)
    run = next(r for r in client.search_runs([client.get_experiment_by_name("augft").experiment_id])
               if r.info.run_name == "train[aug_ft[local]]")
    assert run.data.metrics["estimate_wall_s"] == pytest.approx(train.estimate.wall_s)
    assert run.data.metrics["actual_flops"] == 2e12 and "actual_gpu_s" in run.data.metrics
