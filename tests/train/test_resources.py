"""The training workers' reservation comes from the config: a changed key changes what Ray
reserves. The check runs Ray Train itself (through `ray_launch.fit`, as `augft train` does)
on a real local 2-node Ray cluster and reads the placement group it created."""
import json

import pytest

from augft.core.config import load_config
from augft.train.resources import train_resources

pytestmark = pytest.mark.slow


def test_resources_from_config_keys():
    r = train_resources(load_config(None, ["train.num_workers=3", "cluster.train_cpus_per_worker=2",
                                           "cluster.train_placement_strategy=SPREAD"]))
    assert r.bundles() == [{"CPU": 2.0}] * 3 and r.strategy == "SPREAD" and not r.use_gpu
    g = train_resources(load_config(None, ["train.use_gpu=true", "cluster.train_gpus_per_worker=0.5"]))
    assert g.per_worker == {"CPU": 1.0, "GPU": 0.5} and g.total() == {"CPU": 2.0, "GPU": 1.0}
    sc = g.scaling_config()
    assert sc.num_workers == 2 and sc.use_gpu and sc.resources_per_worker == {"CPU": 1.0, "GPU": 0.5}


def _probe(config: dict) -> None:
    """A training loop that records the placement group its worker runs in."""
    import ray
    import ray.train
    from ray.util import get_current_placement_group, placement_group_table

    pg = get_current_placement_group()
    table = placement_group_table(pg)
    rank = ray.train.get_context().get_world_rank()
    with open(f"{config['dir']}/rank-{rank}.json", "w") as fh:
        json.dump({"bundles": table["bundles"], "strategy": table["strategy"],
                   "nodes": sorted(set(table["bundles_to_node_id"].values())),
                   "node": ray.get_runtime_context().get_node_id()}, fh)


@pytest.fixture(scope="module")
def two_nodes():
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 3, "include_dashboard": False})
    cluster.add_node(num_cpus=3)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address)
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.mark.parametrize("overrides,bundle,strategy,n_nodes", [
    (["cluster.train_cpus_per_worker=1", "cluster.train_placement_strategy=STRICT_PACK"], {"CPU": 1.0}, "STRICT_PACK", 1),
    (["cluster.train_cpus_per_worker=1.5", "cluster.train_placement_strategy=STRICT_SPREAD"], {"CPU": 1.5},
     "STRICT_SPREAD", 2),
])
def test_ray_train_reserves_what_the_config_says(two_nodes, tmp_path, overrides, bundle, strategy, n_nodes):
    from augft.train.ray_launch import fit

    cfg = load_config(None, ["train.num_workers=2", *overrides])
    fit(_probe, {"dir": str(tmp_path)}, train_resources(cfg), 0, tmp_path / "ray")
    seen = [json.loads((tmp_path / f"rank-{r}.json").read_text()) for r in (0, 1)]
    for s in seen:
        assert [b for b in s["bundles"].values()] == [bundle, bundle]
        assert s["strategy"] == strategy
        assert len(s["nodes"]) == n_nodes
    assert len({s["node"] for s in seen}) == n_nodes  # where the workers actually ran
