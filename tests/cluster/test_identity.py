"""The study's stage keys are the stages' identities: a key that changes only logging, speed or
placement reruns nothing, and fixing a question of a user data folder re-evaluates only."""
import importlib.util
import json
from pathlib import Path

from augft.cluster.study import run_study
from augft.tracking.runs import Tracker

_spec = importlib.util.spec_from_file_location("study_fakes", Path(__file__).with_name("test_study.py"))
study = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(study)

CONDS = "pipeline.conditions=[base,ft,'aug_ft[local]']"


def _run(tmp_path, *overrides, data=None):
    fake = study.FakeStages()
    run_study(study._cfg(CONDS, *overrides), data, tmp_path / "out", fake.fns(), Tracker.disabled())
    return fake


def test_logging_speed_and_placement_keys_rerun_nothing(tmp_path):
    _run(tmp_path)
    fake = _run(tmp_path, "train.log_every=7", "train.peak_flops=1e12", "train.checkpoint_every=5",
                "train.launcher=torchrun", "eval.num_actors=3", "eval.use_ray=true", "augment.num_actors=2",
                "model.device=cpu", "cluster.num_cpus=1", "tracking.experiment=other", "seed=0")
    assert sum(fake.calls.values()) == 0, fake.calls
    fake = _run(tmp_path, "train.lr=1e-3")  # one that changes the model retrains it
    assert fake.calls[("train", "ft")] == 1 and fake.calls[("eval", "ft")] == 1


def test_stage_folder_records_the_identity_it_is_keyed_by(tmp_path):
    from augft.core.config.settings import TrainSettings
    from augft.train.identity import identity
    from augft.train.request import TrainRequest

    _run(tmp_path)
    folder = next((tmp_path / "out" / "train").glob("ft-*"))
    recorded = json.loads((folder / "stage.json").read_text())["config"]
    expected = identity(TrainRequest("d", "", {"corpus": 1.0}), TrainSettings.of(study._cfg(CONDS)))
    assert recorded == json.loads(json.dumps(expected))


def test_fixing_a_question_re_evaluates_without_retraining(tmp_path):
    data = tmp_path / "data"
    study.FakeStages().generate("x", study._cfg(), data)
    _run(tmp_path, data=data)
    questions = data / "questions.jsonl"
    questions.write_text(questions.read_text().replace("Book 0 was", "Book 0 was, in fact,"))
    fake = _run(tmp_path, data=data)
    assert not [k for k in fake.calls if k[0] in ("augment", "train")], fake.calls
    assert fake.calls[("eval", "base")] == 1 and fake.calls[("eval", "aug_ft[local]")] == 1
