"""The resource helper every stage shares: bundles, the fit check, the device an actor loads on."""
import pytest

from augft.core import resources as R
from augft.core.config import load_config
from augft.core.errors import AugftError


def test_bundle_and_actor_options():
    assert R.bundle(2, 1) == {"CPU": 2.0, "GPU": 1.0} and R.bundle(0, 0) == {"CPU": 0.001}
    assert R.actor_options(0.5, 1) == {"num_cpus": 0.5, "num_gpus": 1.0}
    spec = R.actors_spec(3, 1, 2, "eval.actor_gpus", "scoring")
    assert spec.total() == {"CPU": 3.0, "GPU": 6.0}


def test_check_fits_needs_every_bundle_on_one_node():
    nodes = [{"CPU": 8.0, "GPU": 4.0}, {"CPU": 8.0, "GPU": 4.0}]
    R.check_fits(R.actors_spec(2, 1, 4, "eval.actor_gpus", "scoring"), nodes)
    # 6 GPUs in total would fit the cluster, but no node holds one actor's 6
    with pytest.raises(AugftError, match="one actor needs .*eval.actor_gpus"):
        R.check_fits(R.actors_spec(1, 1, 6, "eval.actor_gpus", "scoring"), nodes)
    with pytest.raises(AugftError, match="needs 12 GPU .*train.num_workers"):
        R.check_fits(R.actors_spec(3, 1, 4, "train.num_workers", "workers"), nodes)


def test_actor_device_follows_what_ray_assigned():
    assert R.actor_device("auto", 1, "eval.actor_gpus", gpu_ids=[3]) == "cuda"
    assert R.actor_device("auto", 0, "eval.actor_gpus", gpu_ids=[]) == "cpu"
    assert R.actor_device("cpu", 1, "eval.actor_gpus", gpu_ids=[0]) == "cpu"  # an explicit choice stays
    with pytest.raises(AugftError, match="eval.actor_gpus=1 but Ray assigned this actor no GPU"):
        R.actor_device("auto", 1, "eval.actor_gpus", gpu_ids=[])
    with pytest.raises(AugftError, match="model.device=cuda .*set train.distill.actor_gpus"):
        R.actor_device("cuda", 0, "train.distill.actor_gpus", gpu_ids=[])


def test_model_on_copies_the_section():
    m = load_config(None, ["model.device=auto"]).model
    assert R.model_on(m, "cuda").device == "cuda" and m.device == "auto"
    with pytest.raises(AugftError, match="model.device"):  # the section's checks run on the copy
        R.model_on(m, "tpu")


@pytest.mark.parametrize("key", ["eval.actor_gpus", "augment.actor_gpus", "train.distill.actor_gpus"])
def test_gpu_keys_are_checked_at_load(key):
    assert load_config(None, [f"{key}=1"]) is not None
    with pytest.raises(AugftError, match=key):
        load_config(None, [f"{key}=-1"])
