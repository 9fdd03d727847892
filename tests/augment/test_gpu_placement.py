"""Augment's and the teacher's actors on a real Ray cluster of 2 nodes x 8 logical GPUs: vLLM
replica placement groups for tensor parallelism 2 and 4 schedule (the replica's CPUs in the first
bundle, one GPU per rank, one node), replicas x TP above the cluster fail before any actor starts,
naming the keys; teacher-target and hf engine actors get GPUs and load on cuda; units spread
evenly over engine hosts while a window's units share one. No CUDA and no vLLM here: probes stand
in for the engines and record what Ray gave them."""
import json
import sys
from collections import Counter

import pytest

from augft.augment import hosts as H
from augft.augment.engines.vllm import placement_spec, replica_options
from augft.core.config import load_config
from augft.core.errors import AugftError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # probes travel by value
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 4, "num_gpus": 8, "include_dashboard": False})
    c.add_node(num_cpus=4, num_gpus=8)
    ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()
    c.shutdown()


class ReplicaProbe:
    """Where a replica's actor runs and where vLLM's rank workers (1 GPU, no CPU each) land."""

    def ranks(self, pg, tp: int):
        import ray
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        def rank():
            return ray.get_runtime_context().get_node_id(), [str(g) for g in ray.get_gpu_ids()]

        tasks = [ray.remote(num_cpus=0, num_gpus=1)(rank).options(
            scheduling_strategy=PlacementGroupSchedulingStrategy(pg, placement_group_bundle_index=i)).remote()
            for i in range(tp)]
        return ray.get_runtime_context().get_node_id(), ray.get(tasks, timeout=60)


@pytest.mark.parametrize("tp", [2, 4])
def test_tensor_parallel_replica_schedules_with_its_cpus(cluster, tp):
    ray = cluster
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    v = load_config(None, ["augment.engine=vllm", "augment.vllm.device=gpu", f"augment.vllm.tensor_parallel_size={tp}",
                           "augment.vllm.cpus_per_replica=3"]).augment.vllm
    spec = placement_spec(tp, float(v.cpus_per_replica))
    assert spec["bundles"] == [{"CPU": 3.0, "GPU": 1.0}] + [{"GPU": 1.0}] * (tp - 1)
    pg = ray.util.placement_group(**spec)
    ray.get(pg.ready(), timeout=60)
    opts = replica_options(v, gpus=True)
    assert opts == {"num_cpus": 3.0, "num_gpus": 0}  # the actor's 3 CPUs: only the first bundle has them
    host = ray.remote(ReplicaProbe).options(**opts, scheduling_strategy=PlacementGroupSchedulingStrategy(
        pg, placement_group_bundle_index=0, placement_group_capture_child_tasks=True)).remote()
    node, ranks = ray.get(host.ranks.remote(pg, tp), timeout=90)
    assert {n for n, _ in ranks} == {node}  # every rank on the replica's node (STRICT_PACK)
    gpus = [g for _, ids in ranks for g in ids]
    assert len(gpus) == tp == len(set(gpus))
    ray.kill(host)
    ray.util.remove_placement_group(pg)


def test_replicas_beyond_the_cluster_fail_before_any_actor(cluster):
    cfg = load_config(None, ["augment.engine=vllm", "augment.vllm.device=gpu", "augment.vllm.tensor_parallel_size=8",
                             "augment.vllm.replicas=3"])
    from ray._private.state import actors  # from the GCS: this cluster runs no dashboard for ray.util.state

    def alive():  # a killed actor of an earlier test may still be on its way out: count the living
        return sum(1 for a in actors().values() if a.get("State") == "ALIVE")

    before = alive()
    with pytest.raises(AugftError, match=r"needs 24 GPU .*augment.vllm.replicas, augment.vllm.tensor_parallel_size"):
        H._start_hosts(cfg)
    wide = load_config(None, ["augment.engine=vllm", "augment.vllm.device=gpu", "augment.vllm.tensor_parallel_size=16"])
    with pytest.raises(AugftError, match="STRICT_PACK.*augment.vllm.tensor_parallel_size"):
        H._start_hosts(wide)
    assert alive() <= before  # no replica actor was started


class TargetsProbe:
    """Stand-in for the teacher actor: the real constructor's device decision, no model."""

    def __call__(self, batch):
        import numpy as np
        import ray

        s = json.dumps({"gpus": [str(g) for g in ray.get_gpu_ids()], "device": self.device,
                        "model": str(self.job.cfg.model.device)})
        return {"u": np.asarray(batch["u"]), "stats": np.asarray([s] * len(batch["u"]), dtype=object)}


def test_teacher_target_actors_receive_gpus(cluster, tmp_path):
    from augft.augment.targets import api
    from augft.core.config.settings import TargetsSettings

    probe = type("Probe", (TargetsProbe, api._Actor), {})
    settings = TargetsSettings.of(load_config(None, ["train.distill.actor_gpus=1", "train.distill.num_actors=2",
                                                     "train.distill.actor_cpus=0.5"]))
    job = api.UnitJob(settings, str(tmp_path), "fp", None)
    stats = api._run_ray(settings, job, {u: [] for u in range(4)}, actor=probe)
    assert sorted(stats) == [0, 1, 2, 3]
    assert all(len(s["gpus"]) == 1 and s["device"] == "cuda" == s["model"] for s in stats.values())
    too_many = TargetsSettings.of(load_config(None, ["train.distill.actor_gpus=9", "train.distill.actor_cpus=0.5"]))
    with pytest.raises(AugftError, match="one actor needs .*train.distill.actor_gpus"):
        api._run_ray(too_many, job, {0: []}, actor=probe)


def test_hf_engine_actor_loads_on_the_gpu_ray_gave_it(cluster):
    from omegaconf import OmegaConf

    from augft.augment.executor import actor_cfg

    def device(yaml: str) -> str:
        return str(actor_cfg(yaml).model.device)

    gpu = OmegaConf.to_yaml(load_config(None, ["augment.engine=hf", "augment.actor_gpus=1"]))
    cpu = OmegaConf.to_yaml(load_config(None, ["augment.engine=hf"]))
    assert cluster.get(cluster.remote(num_cpus=0.5, num_gpus=1)(device).remote(gpu)) == "cuda"
    assert cluster.get(cluster.remote(num_cpus=0.5)(device).remote(cpu)) == "cpu"
    with pytest.raises(Exception, match="augment.actor_gpus=1 but Ray assigned this actor no GPU"):
        cluster.get(cluster.remote(num_cpus=0.5)(device).remote(gpu))


class FakeHost:
    def __init__(self, i: int):
        self.i = i
        self.calls = []

    def run_many(self, unit_jsons, job) -> list:
        self.calls.append(len(unit_jsons))
        return [json.dumps({"host": self.i, "window": json.loads(u)["window"]}) for u in unit_jsons]

    def call_sizes(self) -> list:
        return self.calls


def _engines(cfg, hosts, router, on_gpus=False):
    """The run's engines with these hosts already started (probes for vLLM replicas)."""
    e = H.RunEngines(cfg)
    e._hosts, e.router, e.on_gpus = hosts, router, on_gpus
    return e


def _units(windows):
    return [{"unit": json.dumps({"window": w, "items": [0] * 32})} for w in windows]


def test_units_spread_evenly_and_a_window_stays_on_one_host(cluster):
    from augft.augment.executor import _execute_ray

    ray = cluster
    hosts = [ray.remote(num_cpus=0)(FakeHost).remote(i) for i in range(3)]
    cfg = load_config(None, ["augment.use_ray=true", "augment.engine=vllm", "augment.vllm.prompts_in_flight=32"])
    engines = _engines(cfg, hosts, ray.remote(num_cpus=0)(H.Router).remote(3), on_gpus=True)  # one unit a call
    # 30 local units (no window): 10 per host, where a hash of the units left hosts idle
    local = list(_execute_ray(ray.data.from_items(_units([""] * 30)), cfg, None, engines))
    assert sorted(Counter(r["host"] for r in local).values()) == [10, 10, 10]
    # 12 windows of 3 units each (a fresh router): each window on one host, 4 windows per host
    engines.router = ray.remote(num_cpus=0)(H.Router).remote(3)
    windows = [f"w{i}" for i in range(12) for _ in range(3)]
    rows = list(_execute_ray(ray.data.from_items(_units(windows)), cfg, None, engines))
    by_window = {}
    for r in rows:
        by_window.setdefault(r["window"], set()).add(r["host"])
    assert all(len(h) == 1 for h in by_window.values())
    assert sorted(Counter(next(iter(h)) for h in by_window.values()).values()) == [4, 4, 4]


def test_a_host_generates_a_whole_batch_of_units_in_one_call(cluster):
    """prompts_in_flight=128 with units of 32 prompts: every call a host gets carries 4 units
    (where one unit a call left a GPU replica's batch at 32 sequences), and the 6 batches of 24
    units spread 2 per host."""
    from augft.augment.executor import _execute_ray

    ray = cluster
    hosts = [ray.remote(num_cpus=0)(FakeHost).remote(i) for i in range(3)]
    cfg = load_config(None, ["augment.use_ray=true", "augment.engine=vllm", "augment.unit_size=32",
                             "augment.vllm.prompts_in_flight=128"])
    engines = _engines(cfg, hosts, ray.remote(num_cpus=0)(H.Router).remote(3))
    rows = list(_execute_ray(ray.data.from_items(_units([""] * 24), override_num_blocks=6), cfg, None, engines))
    assert len(rows) == 24
    calls = [ray.get(h.call_sizes.remote()) for h in hosts]
    assert sorted(c for host in calls for c in host) == [4] * 6
    assert sorted(len(c) for c in calls) == [2, 2, 2]


def test_prompts_in_flight_auto_is_256_prompts_on_gpus_and_one_unit_on_cpus():
    cfg = load_config(None, ["augment.use_ray=true", "augment.engine=vllm", "augment.unit_size=32"])
    assert _engines(cfg, [], None, on_gpus=True).units_per_call() == 8
    assert _engines(cfg, [], None, on_gpus=False).units_per_call() == 1
    fixed = load_config(None, ["augment.engine=vllm", "augment.unit_size=32", "augment.vllm.prompts_in_flight=100"])
    assert _engines(fixed, [], None, on_gpus=True).units_per_call() == 3


def test_router_places_a_batch_on_one_host_but_keeps_windows_where_they_are():
    r = H.Router(2)
    assert r.assign_batch([("", 10), ("w", 5)]) == [0, 0]
    assert r.assign_batch([("", 3), ("w", 5), ("", 3)]) == [1, 0, 1]  # w stays on host 0
    assert r.load == [20, 6]


def test_router_balances_by_prompts():
    r = H.Router(2)
    assert [r.assign("", 10), r.assign("", 1), r.assign("", 1), r.assign("a", 5), r.assign("a", 5)] == [0, 1, 1, 1, 1]
    assert r.load == [10, 12]


def test_an_augment_run_whose_replicas_cannot_fit_stops_before_work(cluster, corpus_dir, tmp_path):
    from augft.augment.api import augment

    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.engine=vllm", "augment.use_ray=true",
                             "augment.vllm.device=gpu", "augment.vllm.tensor_parallel_size=4",
                             "augment.vllm.replicas=5"])
    with pytest.raises(AugftError, match=r"needs 20 GPU .*augment.vllm.replicas"):
        augment(cfg, corpus_dir, tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.parquet"))  # no unit ran
