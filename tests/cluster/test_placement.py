"""`augft run`'s up-front check on a real local Ray with 2 logical GPUs: a job's driver holding a
GPU (for eval.use_ray=false) leaves 2 training workers unplaceable, and the study stops before any
stage, naming the keys, instead of waiting forever."""
import pytest

from augft.cluster import placement as P
from augft.cluster.study import run_study
from augft.core.conditions import parse_all
from augft.core.config import load_config
from augft.core.errors import AugftError

pytestmark = pytest.mark.slow
GPU_RUN = ["train.use_gpu=true", "train.num_workers=2", "train.batch_size=2", "cluster.train_cpus_per_worker=0.5",
           "eval.use_ray=false", "pipeline.conditions=[base,ft]", "tracking.enabled=false"]


@pytest.fixture(scope="module")
def ray_gpus():
    import ray

    ray.init(address="local", num_cpus=4, num_gpus=2, include_dashboard=False, logging_level="ERROR",
             log_to_driver=False)
    yield ray
    ray.shutdown()


def _conditions(cfg):
    return parse_all(cfg.pipeline.conditions, [str(s) for s in cfg.augment.strategies], key="pipeline.conditions")


def test_a_driver_gpu_that_leaves_training_unplaceable_stops_the_study(ray_gpus, tmp_path, monkeypatch):
    monkeypatch.setenv(P.JOB_ENV, "{}")  # as Ray sets it in a submitted job's driver
    cfg = load_config(None, [*GPU_RUN, "cluster.entrypoint_num_gpus=1", "model.device=cuda"])
    with pytest.raises(AugftError, match="the job's driver \\+ training workers: needs 3 GPU .*"
                                         "cluster.entrypoint_num_gpus.*train.num_workers"):
        run_study(cfg, None, tmp_path / "study")
    assert not (tmp_path / "study").exists()  # nothing ran


def test_fits_when_the_driver_holds_no_gpu(ray_gpus, monkeypatch):
    monkeypatch.setenv(P.JOB_ENV, "{}")
    cfg = load_config(None, [*GPU_RUN, "cluster.entrypoint_num_gpus=0"])
    P.check_study(cfg, _conditions(cfg))
    specs = P.stage_specs(cfg, _conditions(cfg))
    assert [s.label for s in specs] == ["training workers"]


def test_a_cuda_driver_without_a_gpu_is_named(monkeypatch):
    monkeypatch.setenv(P.JOB_ENV, "{}")
    cfg = load_config(None, [*GPU_RUN, "model.device=cuda"])
    with pytest.raises(AugftError, match="cluster.entrypoint_num_gpus=1"):
        P.check_driver_device(cfg)
    monkeypatch.delenv(P.JOB_ENV)
    assert P.driver_spec(cfg) is None
    P.check_driver_device(cfg)  # outside a job the driver is not reserved


def test_the_questions_judge_runs_on_a_gpu_ray_assigned(ray_gpus):
    from augft.cluster import questions_command as Q

    def probe(cfg, cands, docs, gpus):
        from augft.core.resources import actor_device

        import ray

        return [actor_device(str(cfg.model.device), gpus, "questions.judge_gpus"), [str(g) for g in ray.get_gpu_ids()]]

    cfg = load_config(None, ["questions.judge_gpus=1", "questions.judge_cpus=0.5"])
    device, ids = Q._judge(cfg, [], [], judge_fn=probe)
    assert device == "cuda" and len(ids) == 1
    with pytest.raises(AugftError, match="questions.judge_gpus"):
        Q._judge(load_config(None, ["questions.judge_gpus=3"]), [], [], judge_fn=probe)
