"""Config -> Ray resources: placement bundles, scaling, fit checks (no Ray needed)."""
import pytest

from augft.cluster.jobs import resources as R
from augft.core.config import load_config
from augft.core.errors import AugftError


def cfg(*overrides):
    return load_config(None, list(overrides))


def test_tensor_parallel_replica_is_strict_pack_one_gpu_per_bundle():
    c = cfg("augment.engine=vllm", "augment.vllm.tensor_parallel_size=4", "augment.actor_cpus=2")
    spec = R.augment_replica(c)
    assert spec.strategy == "STRICT_PACK"
    assert spec.bundles == [{"CPU": 2.0, "GPU": 1.0}] + [{"GPU": 1.0}] * 3
    assert spec.total() == {"CPU": 2.0, "GPU": 4.0}
    assert R.vllm_parallel(c) == {"tensor_parallel_size": 4, "distributed_executor_backend": "ray"}


def test_single_gpu_replica_and_replica_count():
    c = cfg("augment.engine=vllm", "augment.vllm.replicas=3")
    assert R.augment_replica(c).bundles == [{"CPU": 1.0, "GPU": 1.0}]
    assert R.augment_replica(c).strategy == "PACK"
    assert R.vllm_parallel(c) == {"tensor_parallel_size": 1, "distributed_executor_backend": None}
    assert R.augment_replicas(c) == 3
    assert R.augment_replicas(cfg("augment.engine=hf", "augment.num_actors=2")) == 2


def test_cpu_actor_for_the_hf_engine():
    spec = R.augment_replica(cfg("augment.engine=hf", "augment.actor_cpus=2"))
    assert spec.bundles == [{"CPU": 2.0}] and spec.strategy == "PACK"


@pytest.mark.parametrize("overrides,key", [
    (["augment.engine=vllm", "augment.vllm.tensor_parallel_size=0"], "augment.vllm.tensor_parallel_size"),
    (["augment.engine=vllm", "augment.vllm.replicas=0"], "augment.vllm.replicas"),
    (["augment.actor_cpus=-1"], "augment.actor_cpus"),
])
def test_bad_augment_resources_name_the_key(overrides, key):
    with pytest.raises(AugftError, match=key):
        c = cfg(*overrides)
        R.augment_replica(c)
        R.augment_replicas(c)


def test_train_scaling_follows_train_and_cluster_sections():
    c = cfg("train.num_workers=4", "train.use_gpu=true", "cluster.train_gpus_per_worker=1",
            "cluster.train_cpus_per_worker=8")
    assert R.train_scaling(c) == {"num_workers": 4, "use_gpu": True,
                                  "resources_per_worker": {"CPU": 8.0, "GPU": 1.0},
                                  "placement_strategy": "PACK"}
    # GPUs per worker only count when training on GPUs.
    assert R.train_scaling(cfg("train.num_workers=2"))["resources_per_worker"] == {"CPU": 1.0}
    with pytest.raises(AugftError, match="cluster.train_placement_strategy"):
        R.train_workers(cfg("cluster.train_placement_strategy=CLOSE"))
    with pytest.raises(AugftError, match="train.num_workers"):
        R.train_workers(cfg("train.num_workers=0"))


def test_trial_reserves_driver_and_workers():
    c = cfg("train.num_workers=2", "cluster.trial_cpus=1", "cluster.train_cpus_per_worker=2")
    spec = R.trial(c)
    assert spec.bundles == [{"CPU": 1.0}, {"CPU": 2.0}, {"CPU": 2.0}]
    assert R.trial(c, with_train_workers=False).bundles == [{"CPU": 1.0}]
    settings = R.tune_settings(cfg("cluster.max_concurrent_trials=3"))
    assert settings["max_concurrent_trials"] == 3
    assert settings["resources"].bundles == R.trial(cfg()).bundles


def test_entrypoint_resources():
    assert R.entrypoint_resources(cfg("cluster.entrypoint_num_gpus=1")) == {
        "entrypoint_num_cpus": 1.0, "entrypoint_num_gpus": 1.0}


def test_fit_check_names_keys_and_respects_strict_pack():
    spec = R.augment_replica(cfg("augment.engine=vllm", "augment.vllm.tensor_parallel_size=4"))
    two_nodes = [{"CPU": 16.0, "GPU": 2.0}, {"CPU": 16.0, "GPU": 2.0}]
    # 4 GPUs exist in total, but not on one node.
    with pytest.raises(AugftError, match="one node.*augment.vllm.tensor_parallel_size"):
        R.check_fits(spec, two_nodes)
    R.check_fits(spec, [{"CPU": 16.0, "GPU": 8.0}])
    with pytest.raises(AugftError, match=r"needs 8 GPU \(2 x 4\) but the cluster has 4"):
        R.check_fits(spec, two_nodes + [{"CPU": 1.0}], copies=2)
    spread = R.PlacementSpec([{"CPU": 1.0}] * 3, "STRICT_SPREAD", "train.num_workers")
    with pytest.raises(AugftError, match="STRICT_SPREAD"):
        R.check_fits(spread, two_nodes)
