"""The manifest records what generated the records (replicas, tensor parallelism, GPU count and
type) for a plain-loop run here and a Ray run of engine actors on a local Ray cluster whose
logical GPUs carry an accelerator type. Augment runs inside one `keep_engines` block (a study's
strategies) share one engine."""
import pytest

from augft.augment.api import augment
from augft.core.artifacts import AugmentOutput, EngineResources
from augft.core.config import load_config

ARGS = ["model.name=tiny-random-llama", "augment.strategies=[local]", "augment.unit_size=4",
        "augment.max_new_tokens=4", "augment.num_candidates=1", "augment.batch_size=4",
        "augment.require_source_overlap=false", "augment.verify_min_pmi=-1000", "augment.engine=hf"]


def test_a_plain_loop_run_records_one_engine_on_the_cpu(tmp_path, make_corpus):
    data = make_corpus(tmp_path / "data", 4)
    m = augment(load_config(None, [*ARGS, "augment.use_ray=false", "model.device=cpu"]), data, tmp_path / "out")
    want = EngineResources(replicas=1, tensor_parallel=1, gpus=0.0, gpu_type="cpu")
    assert m.resources == want
    assert AugmentOutput(tmp_path / "out").manifest().resources == want  # written, and read back


@pytest.mark.slow
def test_a_ray_run_records_its_actors_gpus_and_the_clusters_gpu_type(tmp_path, make_corpus):
    import ray

    data = make_corpus(tmp_path / "data", 8)
    # Logical GPUs (none is real here): the actors ask one each, the type is Ray's resource.
    ray.init(address="local", num_cpus=2, num_gpus=2, resources={"accelerator_type:H100": 1},
             include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        cfg = load_config(None, [*ARGS, "augment.use_ray=true", "augment.num_actors=2", "augment.actor_cpus=0.5",
                                 "augment.actor_gpus=1", "model.device=cpu"])
        m = augment(cfg, data, tmp_path / "out")
    finally:
        ray.shutdown()
    assert m.resources == EngineResources(replicas=2, tensor_parallel=1, gpus=2.0, gpu_type="H100")
    assert AugmentOutput(tmp_path / "out").manifest().resources == m.resources


def test_runs_inside_keep_engines_share_one_engine_until_the_block_ends(tmp_path, make_corpus, monkeypatch):
    """A study's strategies start the teacher once: two augment runs (local, then global) inside
    one keep_engines block build one engine, which closes when the block ends; outside a block
    each run builds and closes its own."""
    from augft.augment import hosts
    from augft.augment.api import keep_engines
    from augft.augment.engines import base

    built, closed = [], []
    real = base.make_engine

    def counting(cfg):
        engine = real(cfg)
        built.append(engine)
        close = engine.close
        engine.close = lambda: (closed.append(engine), close())[1]
        return engine

    monkeypatch.setattr(base, "make_engine", counting)
    data = make_corpus(tmp_path / "data", 4)
    cfg = lambda s: load_config(None, [*ARGS, f"augment.strategies=[{s}]", "augment.use_ray=false", "model.device=cpu"])
    with keep_engines():
        augment(cfg("local"), data, tmp_path / "local")
        augment(cfg("global"), data, tmp_path / "global")
        assert len(built) == 1 and not closed and hosts.keeper() is not None
    assert closed == built and hosts.keeper() is None
    augment(cfg("local"), data, tmp_path / "again")
    assert len(built) == 2 and closed == built  # no block: built and closed by the run


def test_another_engine_closes_the_kept_one_first(tmp_path, make_corpus, monkeypatch):
    from augft.augment.hosts import EngineKeeper

    keeper = EngineKeeper()
    a = keeper.get(load_config(None, [*ARGS, "augment.temperature=0.1"]))
    assert keeper.get(load_config(None, [*ARGS, "augment.temperature=0.9"])) is a  # sampling: same engines
    b = keeper.get(load_config(None, [*ARGS, "model.name=smollm2-135m-instruct"]))
    assert b is not a and keeper.engines is b
    keeper.close()
