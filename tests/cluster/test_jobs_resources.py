"""The orchestrator's resource specs: sweep trials (driver + train's workers), job drivers, fit checks."""
import pytest

from augft.cluster.jobs import resources as R
from augft.core.config import load_config
from augft.core.errors import AugftError


def cfg(*overrides):
    return load_config(None, list(overrides))


def test_trial_is_the_driver_then_trains_own_worker_bundles():
    from augft.train.resources import train_resources

    c = cfg("train.num_workers=3", "train.batch_size=12", "cluster.train_cpus_per_worker=2", "cluster.trial_cpus=0.5",
            "cluster.train_placement_strategy=STRICT_PACK")
    spec = R.trial(c)
    assert spec.bundles == [{"CPU": 0.5}] + train_resources(c).bundles() == [{"CPU": 0.5}] + [{"CPU": 2.0}] * 3
    assert spec.strategy == "STRICT_PACK" and "cluster.train_cpus_per_worker" in spec.keys
    assert R.trial(c, with_train_workers=False).bundles == [{"CPU": 0.5}]
    gpu = R.trial(cfg("train.use_gpu=true", "train.num_workers=2", "cluster.trial_gpus=0"))
    assert gpu.bundles[1:] == [{"CPU": 1.0, "GPU": 1.0}] * 2


def test_tune_settings_and_entrypoint():
    settings = R.tune_settings(cfg("cluster.max_concurrent_trials=3"))
    assert settings["max_concurrent_trials"] == 3
    # Ray Train V2 reserves the workers itself: the trial's own group holds its driver only
    assert settings["resources"].bundles == R.trial(cfg(), with_train_workers=False).bundles
    assert settings["spec"].bundles == R.trial(cfg()).bundles
    assert R.entrypoint_resources(cfg("cluster.entrypoint_num_gpus=1")) == {
        "entrypoint_num_cpus": 1.0, "entrypoint_num_gpus": 1.0}


def test_bad_values_fail_at_load_naming_the_key():
    with pytest.raises(AugftError, match="cluster.train_placement_strategy"):
        cfg("cluster.train_placement_strategy=CLOSE")
    with pytest.raises(AugftError, match="cluster.trial_cpus"):
        cfg("cluster.trial_cpus=-1")


def test_check_fits_names_the_keys():
    spec = R.PlacementSpec([{"GPU": 1.0}] * 4, "STRICT_PACK", "augment.vllm.tensor_parallel_size")
    two_nodes = [{"CPU": 8.0, "GPU": 2.0}, {"CPU": 8.0, "GPU": 2.0}]
    with pytest.raises(AugftError, match="one node .*augment.vllm.tensor_parallel_size"):
        R.check_fits(spec, two_nodes)
    R.check_fits(spec, [{"CPU": 16.0, "GPU": 8.0}])
    with pytest.raises(AugftError, match="needs 8 GPU"):
        R.check_fits(spec, two_nodes + [{"CPU": 1.0}], copies=2)
    spread = R.PlacementSpec([{"CPU": 1.0}] * 3, "STRICT_SPREAD", "train.num_workers")
    with pytest.raises(AugftError, match="STRICT_SPREAD"):
        R.check_fits(spread, two_nodes)
