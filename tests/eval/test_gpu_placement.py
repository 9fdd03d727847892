"""Eval's scoring actors on a real local Ray with 2 logical GPUs: each actor gets a GPU
(eval.actor_gpus) and its model would load on cuda; a pool that can never fit fails before work,
naming the keys. No CUDA here: the probe actor records the device instead of loading a model."""
import json
import sys
from types import SimpleNamespace

import pytest

from augft.core.config import load_config
from augft.core.config.settings import EvalSettings
from augft.core.errors import AugftError
from augft.eval import distributed as D

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_gpus():
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the probe class travels by value
    ray.init(address="local", num_cpus=2, num_gpus=2, include_dashboard=False, logging_level="ERROR",
             log_to_driver=False)
    yield ray
    ray.shutdown()


class Probe(D.ScoringActor):
    """The real actor's constructor (its device decision), no model: reports what Ray gave it."""

    def _session(self, settings, model):
        self.model_device = str(settings.model.device)

    def __call__(self, batch):
        import ray

        return {"stats": [json.dumps({"gpus": [str(g) for g in ray.get_gpu_ids()], "device": self.device,
                                      "model_device": self.model_device})] * len(batch["question"])}


def test_scoring_actors_receive_gpus_and_load_on_cuda(ray_gpus, tmp_path):
    settings = EvalSettings.of(load_config(None, ["eval.actor_gpus=1", "eval.num_actors=2", "eval.ray_batch_size=1",
                                                  "eval.actor_cpus=0.5"]))
    qds = ray_gpus.data.from_items([{"question": str(i)} for i in range(8)])
    rows = [json.loads(r["stats"]) for r in D._pool(qds, settings, "m", [], None, str(tmp_path), actor=Probe).iter_rows()]
    assert len(rows) == 8
    assert all(len(r["gpus"]) == 1 and r["device"] == "cuda" == r["model_device"] for r in rows)
    assert {g for r in rows for g in r["gpus"]} <= {"0", "1"}


def test_cpu_actors_stay_on_cpu(ray_gpus, tmp_path):
    settings = EvalSettings.of(load_config(None, ["eval.ray_batch_size=4", "eval.actor_cpus=0.5"]))
    qds = ray_gpus.data.from_items([{"question": str(i)} for i in range(4)])
    rows = [json.loads(r["stats"]) for r in D._pool(qds, settings, "m", [], None, str(tmp_path), actor=Probe).iter_rows()]
    assert all(r["gpus"] == [] and r["device"] == "cpu" for r in rows)


def test_a_pool_that_cannot_fit_fails_before_work_naming_the_keys(ray_gpus, tmp_path):
    settings = EvalSettings.of(load_config(None, ["eval.actor_gpus=1", "eval.num_actors=3", "eval.actor_cpus=0.5",
                                                  "eval.use_ray=true"]))
    req = SimpleNamespace(data=str(tmp_path / "no-such-data"), out=str(tmp_path / "out"), splits=None)
    with pytest.raises(AugftError, match="needs 3 GPU .*eval.num_actors, eval.actor_cpus, eval.actor_gpus"):
        D.score_on_ray(settings, req, [], None)
    assert not (tmp_path / "out").exists()
