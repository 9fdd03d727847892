"""`augft sweep`: search space, validation split, and a real Ray Tune sweep with MLflow runs."""
import json
import sys
from pathlib import Path

import pytest

import fakes as outputs

from augft.cluster.stages import StageFns
from augft.cluster.sweep import search_space, sweep, validation_split
from augft.cluster.sweep_trial import condition_for, trial_cfg, weights
from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.core.records import Document, Question, write_records


def _data(folder: Path, splits=("forward", "reversal")):
    docs = [Document(f"d{i}", f"Person {i} wrote book {i}.") for i in range(3)]
    qs = [Question(f"q{i}-{s}", s, s, f"Book {i} was written by", [f"Person {i}", "Nobody"], 0)
          for i in range(3) for s in splits]
    write_records(folder / "corpus.jsonl", docs)
    write_records(folder / "questions.jsonl", qs)
    return folder


class SweepFakes:
    """Contract-shaped fake stages whose validation accuracy rises with the local weight and
    with each epoch, so the best trial is known. One train attempt fails once."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "calls").mkdir(parents=True, exist_ok=True)

    def _log(self, what):
        with open(self.folder / "calls" / "log.txt", "a") as f:
            f.write(what + "\n")

    def augment(self, req, cfg):
        (s,), out_dir = req.strategies, req.out
        self._log(f"augment {s} {cfg.augment.num_candidates} {cfg.augment.temperature:.4f}")
        from augft.core.records import Augmentation
        write_records(Path(out_dir) / s / "part-00000.parquet",
                      [Augmentation(f"{s}0", "x y z", s, ["d0"], "h", "m")])
        outputs.manifest(out_dir, {s: outputs.entry(1)})

    def train(self, req, cfg):
        mix, init, out_dir = dict(req.mix), req.model(cfg), req.out
        depth = json.loads((Path(init) / "config.json").read_text())["depth"] + 1 if Path(init).is_dir() else 1
        marker = self.folder / "failed-once"
        if mix.get("local") == 2.0 and depth == 1 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("injected trial failure")
        self._log(f"train {sorted(mix.items())} depth={depth}")
        (Path(out_dir) / "model").mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "model" / "config.json").write_text(json.dumps({"mix": mix, "depth": depth}))
        outputs.train_summary(out_dir, 1.0)

    def evaluate(self, req, cfg):
        (cond,), out_dir = req.conditions, req.out
        (path,) = req.models.values()
        m = json.loads((Path(path) / "config.json").read_text())
        acc = 0.2 + 0.1 * m["mix"].get("local", 0.0) + 0.01 * m["depth"]
        self._log(f"eval {cond} {list(req.splits)}")
        return outputs.eval_results(out_dir, cond, {s: outputs.stats(acc, 3, acc - 0.1, acc + 0.1) for s in req.splits})

    def fns(self):
        return StageFns(generate=None, augment=self.augment, train=self.train, evaluate=self.evaluate)


def test_search_space_and_trial_config():
    cfg = load_config(None, ["pipeline.sweep.strategies=[local,oracle]"])
    space = search_space(cfg)
    assert set(space) == {"w_local", "w_oracle", "num_candidates", "temperature", "split"}
    params = {"w_local": 2.0, "w_oracle": 0.0, "num_candidates": 2, "temperature": 0.7, "split": "cumulative"}
    t = trial_cfg(cfg, params)
    assert t.augment.num_candidates == 2 and t.train.split == "cumulative" and t.train.epochs == 1.0
    assert weights(params) == {"local": 2.0}
    assert condition_for(weights(params)).label == "aug_ft[local]"
    assert condition_for({}).label == "ft"
    with pytest.raises(AugftError, match="pipeline.sweep.strategies"):
        search_space(load_config(None, ["pipeline.sweep.strategies=[nope]"]))


def test_trials_with_equal_augmentation_keys_share_one_augmentation():
    """Every augmentation parameter is drawn from a discrete set: 30 trials drawn from the search
    space land on at most |temperatures| x |candidates| augment stage keys (a continuous
    temperature gave every trial its own augmentation)."""
    from augft.augment.identity import identity
    from augft.augment.request import AugmentRequest
    from augft.cluster import stage_cache
    from augft.core.config.settings import AugmentSettings

    cfg = load_config(None, ["pipeline.sweep.strategies=[local]", "pipeline.sweep.temperature_choices=[0.5,1.0]",
                             "pipeline.sweep.candidates_choices=[2,4]"])
    space = search_space(cfg)
    keys = set()
    for _ in range(30):
        params = {k: v.sample() if hasattr(v, "sample") else v for k, v in space.items()}
        hashed = identity(AugmentRequest("", "", ("local",)), AugmentSettings.of(trial_cfg(cfg, params)))
        keys.add(stage_cache.stage_key("augment", hashed, {"data": "d"}))
    assert 1 <= len(keys) <= 4
    with pytest.raises(AugftError, match="pipeline.sweep.temperature_choices"):
        load_config(None, ["pipeline.sweep.temperature_choices=[]"])


def test_validation_split_is_rephrase_then_forward(tmp_path):
    cfg = load_config()
    assert validation_split(cfg, _data(tmp_path / "a", ("forward", "reversal"))) == "forward"
    assert validation_split(cfg, _data(tmp_path / "b", ("rephrase", "reversal"))) == "rephrase"
    with pytest.raises(AugftError, match="no validation split"):
        validation_split(cfg, _data(tmp_path / "c", ("reversal",)))


@pytest.mark.slow
def test_sweep_on_local_ray_logs_every_trial(tmp_path):
    import cloudpickle

    from augft.tracking.runs import Tracker

    import ray

    for pickler in (cloudpickle, ray.cloudpickle):  # Ray workers cannot import tests
        pickler.register_pickle_by_value(sys.modules[__name__])
        pickler.register_pickle_by_value(outputs)
    data = _data(tmp_path / "data")
    fakes = SweepFakes(tmp_path / "fakes")
    db = tmp_path / "mlflow.db"
    cfg = load_config(None, [
        f"tracking.uri=sqlite:///{db}", "tracking.experiment=sweep-test", "tracking.run_name=s1",
        "model.name=tiny-random-llama", "train.launcher=torchrun",
        "cluster.num_cpus=2", "cluster.max_concurrent_trials=2",
        "pipeline.sweep.num_samples=4", "pipeline.sweep.max_epochs=2", "pipeline.sweep.search=random",
        "pipeline.sweep.strategies=[local]", "pipeline.sweep.weight_choices=[0.0,1.0,2.0]",
        "pipeline.sweep.candidates_choices=[1]", "pipeline.sweep.split_choices=[independent]",
        "pipeline.sweep.max_failures=1"])
    summary = sweep(cfg, data, tmp_path / "out", fakes.fns())

    assert summary["validation_split"] == "forward" and summary["trials"] == 4
    trials = json.loads((tmp_path / "out" / "trials.json").read_text())
    assert len(trials) == 4
    # The best report over all trials and epochs; test splits are evaluated once, without "forward".
    best_w = max(t["config"]["w_local"] for t in trials if t["status"] == "TERMINATED")
    assert summary["best_config"]["w_local"] == best_w
    assert summary["best_val_accuracy"] == pytest.approx(0.2 + 0.1 * best_w + 0.01 * summary["best_epoch"])
    assert set(summary["test"]) == {"reversal"}
    log = (fakes.folder / "calls" / "log.txt").read_text().splitlines()
    assert sum(1 for ln in log if ln.startswith("eval") and "'reversal'" in ln) == 1
    assert all("'reversal'" not in ln for ln in log if ln.startswith("eval") and "best" not in ln
               and "'forward'" in ln)

    tracker = Tracker(f"sqlite:///{db}", "sweep-test")
    runs = tracker.client.search_runs([tracker.experiment_id],
                                      f"tags.`mlflow.parentRunId` = '{summary['run_id']}'")
    trial_runs = [r for r in runs if r.data.tags.get("augft.kind") == "trial"]
    # Every trial has a run; a failed attempt keeps its FAILED run beside the retry's.
    assert len({r.data.tags["augft.trial_id"] for r in trial_runs}) == 4
    injected = (fakes.folder / "failed-once").exists()
    assert injected == (2.0 in [t["config"]["w_local"] for t in trials])
    if injected:
        failed = [r for r in trial_runs if r.info.status == "FAILED"]
        assert len(failed) == 1 and "injected" in failed[0].data.tags["augft.error"]
    assert all(r.info.status in ("FINISHED", "FAILED", "KILLED") for r in trial_runs)
    assert all("val_accuracy" in r.data.metrics for r in trial_runs if r.info.status == "FINISHED")
    best_runs = [r for r in runs if r.data.tags.get("augft.kind") == "condition"]
    assert len(best_runs) == 1 and "accuracy.reversal" in best_runs[0].data.metrics
    parent = tracker.client.get_run(summary["run_id"])
    assert parent.data.metrics["trials"] == 4 and parent.info.status == "FINISHED"


def test_compose_in_a_sweep_is_augmented_once_whatever_the_trial_samples(tmp_path):
    """Compose decodes greedily with its own keys: trials that differ in the shared temperature
    share its augment stage (and still search its mix weight)."""
    from augft.cluster.stages import augment_stage, prepare_data

    cfg = load_config(None, ["pipeline.sweep.strategies=[local,compose]"])
    assert "w_compose" in search_space(cfg)
    fakes = SweepFakes(tmp_path)
    data = prepare_data(cfg, _data(tmp_path / "data"), tmp_path / "cache", fakes.fns())
    params = {"w_compose": 1.0, "num_candidates": 2, "temperature": 0.3, "split": "independent"}
    first = augment_stage(trial_cfg(cfg, params), "compose", data, tmp_path / "cache", fakes.fns())
    again = augment_stage(trial_cfg(cfg, {**params, "temperature": 0.9}), "compose", data, tmp_path / "cache",
                          fakes.fns())
    assert again.key == first.key and again.cached
    local = [augment_stage(trial_cfg(cfg, {**params, "temperature": t}), "local", data, tmp_path / "cache",
                           fakes.fns()).key for t in (0.3, 0.9)]
    assert local[0] != local[1]


def test_objective_accuracy_or_accuracy_per_cost():
    from augft.cluster.sweep_trial import objective

    from augft.core.artifacts import ConditionCost, CostTable, EvalResults

    cost = ConditionCost(n_params=10, icl=False, finetuned=True, prompt_tokens_per_query=1.0, tokens_per_query=1.0,
                         flops_per_query=1e9, augment_flops=1e17)
    res = EvalResults({}, CostTable({"aug_ft[local]": cost}))
    cfg = load_config(None, ["report.queries_per_day=1000", "report.horizon_days=100"])
    value, total = objective(cfg, 0.5, res, "aug_ft[local]", 3e17)
    assert value == 0.5 and total == 1e17 + 3e17 + 1e5 * 1e9
    cfg = load_config(None, ["report.queries_per_day=1000", "report.horizon_days=100",
                             "pipeline.sweep.objective=accuracy_per_cost"])
    value, total = objective(cfg, 0.5, res, "aug_ft[local]", 3e17)
    assert value == 0.5 / (total / 1e18)
    # A cheaper trial of the same accuracy scores higher.
    assert objective(cfg, 0.5, res, "aug_ft[local]", 1e17)[0] > value


def test_sweep_trials_can_distill_and_retrieve():
    from augft.cluster.sweep_trial import condition_for, trial_condition

    assert condition_for({"local": 1.0}, "distill").label == "distill[local]"
    assert condition_for({"local": 1.0}, "distill").distill and condition_for({}, "distill").label == "distill"
    assert condition_for({"local": 1.0}, "aug_ft", rag=True).label == "aug_ft[local]+rag"
    cfg = load_config(None, ["pipeline.sweep.method=distill", "pipeline.sweep.rag=true"])
    c = trial_condition(cfg, {"local": 1.0, "global": 0.5})
    assert c.label == "distill[local+global]+rag" and c.trained == "distill[local+global]"


def test_a_rungs_train_flops_are_read_from_its_summary(tmp_path):
    # The objective's training cost: it read 0.0 for every rung before (a missing method, caught).
    from augft.cluster.sweep_trial import _train_flops
    outputs.train_summary(tmp_path, train_flops=3.0e12)
    assert _train_flops(tmp_path) == 3.0e12
    assert _train_flops(tmp_path / "absent") == 0.0
