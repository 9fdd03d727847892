"""Augmentation at scale, for real: a three-node Ray cluster on 127.0.0.1 writing into a folder
that stands for shared storage (every strategy planned where the shards are, the driver never
reading the corpus), duplicate ids across shards, prompts that fail, and an S3-compatible server
(moto) on 127.0.0.1 that holds the corpus shards and receives the output shards through s3://."""
import json
import os
from pathlib import Path

import pytest

from augft.augment.api import augment, read_augmentations
from augft.core.artifacts import AugmentOutput, Manifest, from_json
from augft.core.config import load_config
from augft.core.records import RecordError
import fake_engines

ARGS = ["model.name=tiny-random-llama", "augment.strategies=[global]", "augment.window_tokens=60",
        "augment.max_new_tokens=8", "augment.num_candidates=1", "augment.require_source_overlap=false",
        # The random model's statements have no support to measure: verification runs, keeps all.
        "augment.verify_min_pmi=-1000"]


def _records(out: Path):
    return sorted((r.id, r.text, tuple(r.source_ids)) for r in read_augmentations(out))


def _shard(folder: Path, n_shards: int = 2) -> Path:
    """Split a corpus.jsonl into corpus-NNNNN.jsonl shards (the sharded layout)."""
    lines = (folder / "corpus.jsonl").read_text().splitlines(keepends=True)
    (folder / "corpus.jsonl").unlink()
    per = -(-len(lines) // n_shards)
    for i in range(n_shards):
        (folder / f"corpus-{i:05d}.jsonl").write_text("".join(lines[i * per:(i + 1) * per]))
    return folder


def _forbid_corpus_reads_here(monkeypatch) -> None:
    """The driver must never open a corpus shard: its readers raise in this process (Ray's
    workers import their own, unpatched)."""
    import augft.core.corpus as corpus_mod

    def refuse(*a, **k):
        raise AssertionError("the driver read the corpus")

    for name in ("_jsonl_objects", "_parquet_objects", "shard_digest"):
        monkeypatch.setattr(corpus_mod, name, refuse)


SCALE_STRATEGIES = {"global": ["augment.strategies=[global]"],
                    "local-entity-reverse": ["augment.strategies=[local,entity,reverse]", "augment.unit_size=4"],
                    # compose's rounds: pairs across shards (the people share surnames), settled in a task
                    "local-compose": ["augment.strategies=[local,compose]", "augment.unit_size=4",
                                      "augment.compose.rounds=2"]}


@pytest.mark.slow
@pytest.mark.parametrize("which", sorted(SCALE_STRATEGIES))
def test_strategies_on_a_three_node_cluster_equal_a_single_node_run(tmp_path, make_corpus, monkeypatch, which):
    """Every strategy is planned and written on the worker nodes (the head has no CPU for them)
    with the driver never reading the corpus, and writes what a single-process run writes."""
    import ray
    from ray.cluster_utils import Cluster

    args = ARGS + SCALE_STRATEGIES[which]
    data = _shard(make_corpus(tmp_path / "data", 24))
    ref = tmp_path / "single"
    augment(load_config(None, args + ["augment.use_ray=false"]), data, ref)
    ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "object_store_memory": 150 << 20, "include_dashboard": False})
    # Each worker node fits one engine actor (2 CPUs) and keeps a CPU for Ray Data's tasks.
    workers = [cluster.add_node(num_cpus=3, object_store_memory=150 << 20) for _ in range(2)]
    cluster.wait_for_nodes()
    shared = tmp_path / "shared"
    try:
        ray.init(address=cluster.address, log_to_driver=False)
        head = ray.get_runtime_context().get_node_id()
        _forbid_corpus_reads_here(monkeypatch)
        cfg = load_config(None, args + ["augment.num_actors=2", "augment.actor_cpus=2",
                                        f"cluster.address={cluster.address}"])
        m = augment(cfg, data, shared)
    finally:
        monkeypatch.undo()
        ray.shutdown()
        cluster.shutdown()
    stats = [json.loads(p.read_text()) for p in shared.glob("**/part-*.stats.json")]
    nodes = {s["node"] for s in stats}
    assert len(stats) >= 2 * len(m.strategies)  # every strategy, more than one unit each
    # Shards are written by the engine replicas' (and Ray Data tasks') processes on the worker
    # nodes, never on the driver's node (how many units each node takes is Ray's).
    assert nodes and nodes <= {w.node_id for w in workers} and head not in nodes, (nodes, head)
    assert all(s["pid"] != os.getpid() for s in stats)
    assert _records(shared) == _records(ref) and len(_records(ref)) > 0
    for name, e in AugmentOutput(ref).manifest().strategies.items():
        got = m.strategies[name]
        assert (got.ok, got.filtered, got.inputs, got.documents) == (e.ok, e.filtered, e.inputs, e.documents), name


def _upload(s3fs, folder: Path, prefix: str) -> None:
    for p in sorted(folder.glob("corpus-*.jsonl")):
        with s3fs.open_output_stream(f"{prefix}/{p.name}") as fh:
            fh.write(p.read_bytes())


@pytest.mark.slow
def test_s3_corpus_in_and_shards_out(tmp_path, make_corpus, s3):
    import pyarrow.parquet as pq
    import ray

    s3fs, opts = s3
    data = _shard(make_corpus(tmp_path / "data", 16))
    _upload(s3fs, data, "augft/data")
    args = ARGS[:1] + ["augment.strategies=[local,global]"] + ARGS[2:] + ["cluster.num_cpus=2"]
    ref = tmp_path / "local-run"
    augment(load_config(None, args + ["augment.use_ray=false"]), data, ref)
    ray.shutdown()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # workers inherit the AWS_* env
    try:
        m = augment(load_config(None, args), f"s3://augft/data?{opts}", f"s3://augft/out?{opts}")
    finally:
        ray.shutdown()
    got = []
    for strat in ("local", "global"):
        assert m.strategies[strat].shards, strat
        for name in m.strategies[strat].shards:
            assert s3fs.get_file_info(f"augft/out/{strat}/{name.replace('.parquet', '.stats.json')}").size > 0
            for r in pq.read_table(f"augft/out/{strat}/{name}", filesystem=s3fs).to_pylist():
                got.append((r["id"], r["text"], tuple(r["source_ids"])))
    written = from_json(Manifest, json.loads(s3fs.open_input_stream("augft/out/manifest.json").read()), "s3", "manifest")
    assert written.strategies.keys() == {"local", "global"}
    assert sorted(got) == _records(ref) and len(got) > 0
    # A bad record behind a URI is named by its URI and line.
    with s3fs.open_output_stream("augft/bad/corpus-00000.jsonl") as fh:
        fh.write(b'{"id": "a", "text": "Fine."}\n{"id": "b", "text": 3}\n')
    with pytest.raises(RecordError, match=r"s3://augft/bad/corpus-00000\.jsonl:2: field 'text'"):
        augment(load_config(None, args + ["augment.use_ray=false"]), f"s3://augft/bad?{opts}",
                f"s3://augft/bad-out?{opts}")


def test_global_resume_reruns_only_missing_units(tmp_path, make_corpus):
    """Units whose stats file is missing (a crash before they finished) run again on rerun, and
    the result equals the uninterrupted run: nothing lost, nothing duplicated."""
    data = _shard(make_corpus(tmp_path / "data", 12), n_shards=3)
    cfg = load_config(None, ARGS + ["augment.use_ray=false"])
    out = tmp_path / "out"
    first = augment(cfg, data, out)
    before = _records(out)
    stats = sorted((out / "global").glob("part-*.stats.json"))
    assert len(stats) >= 3
    for p in stats[::2]:  # as if the driver died before these units were written
        p.unlink()
        p.with_name(p.name.replace(".stats.json", ".parquet")).unlink()
    (out / "manifest.json").unlink()
    again = augment(cfg, data, out)
    assert _records(out) == before and len(before) > 0
    g1, g2 = first.strategies["global"], again.strategies["global"]
    assert (g2.ok, g2.inputs, g2.units, g2.shards) == (g1.ok, g1.inputs, g1.units, g1.shards)


@pytest.mark.slow
def test_a_duplicate_id_across_shards_is_named_in_both_places_before_any_work(tmp_path, make_corpus):
    import ray

    data = _shard(make_corpus(tmp_path / "data", 8))
    second = data / "corpus-00001.jsonl"
    lines = second.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"id": "d6"', '"id": "d1"')  # d1 is line 2 of the first shard
    second.write_text("".join(lines))
    ray.shutdown()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        for strategies in ("[local]", "[global]"):
            with pytest.raises(RecordError, match=r"corpus-00001\.jsonl:3: duplicate id 'd1' \(first at "
                                                  r".*corpus-00000\.jsonl:2\)"):
                augment(load_config(None, ARGS + [f"augment.strategies={strategies}"]), data, tmp_path / "o")
    finally:
        ray.shutdown()
    assert not list((tmp_path / "o").glob("**/part-*.stats.json"))  # nothing generated


@pytest.mark.parametrize("use_ray", [False, True])
def test_failed_prompts_are_kept_with_their_reason_and_the_run_finishes(tmp_path, make_corpus, use_ray):
    import pyarrow.parquet as pq
    import ray

    ray.cloudpickle.register_pickle_by_value(fake_engines)  # Ray workers cannot import tests
    data = _shard(make_corpus(tmp_path / "data", 12))
    args = ARGS + ["augment.strategies=[local]", "augment.unit_size=4", f"augment.use_ray={str(use_ray).lower()}",
                   "augment.verify=false", "cluster.num_cpus=2"]
    ray.shutdown()
    try:
        m = augment(load_config(None, args + ["augment.max_failed_share=0.1"]), data, tmp_path / "o",
                    engine_factory=fake_engines.SomePromptsFail)
    finally:
        ray.shutdown()
    e = m.strategies["local"]
    assert e.failed_prompts == 1 and e.failed == 1 and "HTTP 400: refused" in e.errors[0]
    assert e.ok + sum(e.filtered.values()) + e.failed == e.inputs and e.prompts == 12
    (failed,) = e.failed_shards
    rows = pq.read_table(tmp_path / "o" / "local" / failed).to_pylist()
    assert [(r["key"], r["error"], r["source_ids"]) for r in rows] == [("d1", "HTTP 400: refused", ["d1"])]


def test_above_max_failed_share_the_run_stops_and_a_rerun_retries_those_units(tmp_path, make_corpus):
    from augft.core.errors import AugftError

    data = make_corpus(tmp_path / "data", 12)
    args = ARGS + ["augment.strategies=[local]", "augment.unit_size=4", "augment.use_ray=false",
                   "augment.verify=false", "augment.max_failed_share=0.05"]
    out = tmp_path / "o"
    fake_engines.SomePromptsFail.heal = False
    with pytest.raises(AugftError, match=r"1 of 12 prompts failed \(8\.3%, above augment\.max_failed_share=0\.05\); "
                                         r"first: d1:.*HTTP 400: refused.*rerun the same command"):
        augment(load_config(None, args), data, out, engine_factory=fake_engines.SomePromptsFail)
    assert not (out / "manifest.json").exists()
    assert len(list((out / "local").glob("part-*.stats.json"))) == 2  # the unit with d1 is undone
    fake_engines.SomePromptsFail.heal = True  # the server is fixed
    try:
        m = augment(load_config(None, args), data, out, engine_factory=fake_engines.SomePromptsFail)
    finally:
        fake_engines.SomePromptsFail.heal = False
    assert m.strategies["local"].failed_prompts == 0 and m.strategies["local"].prompts == 12
    assert any(r.source_ids == ["d1"] for r in read_augmentations(out))
