"""Chained strategies (augment/chain.py): local and reverse over compose's kept records, their
provenance, the manifest entry training reads, resume after a crash mid-chain, refusals."""
import json

import pytest
from fake_engines import HIERARCHY, ComposingEngine, Restating

from augft.augment.api import augment, augment_request
from augft.augment.engines.base import EngineUnavailable
from augft.augment.request import AugmentRequest
from augft.core.artifacts import AugmentOutput
from augft.core.config import load_config
from augft.core.config.settings import AugmentSettings
from augft.core.errors import AugftError

ARGS = ["model.name=tiny-random-llama", "augment.use_ray=false", "augment.compose.rounds=2", "augment.unit_size=2",
        "augment.verify=false", "augment.num_candidates=1"]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """A hierarchy corpus and compose's output over it (two rounds, model-free engine)."""
    d = tmp_path_factory.mktemp("chain") / "data"
    d.mkdir()
    with open(d / "corpus.jsonl", "w") as f:
        for i, t in enumerate(HIERARCHY):
            f.write(json.dumps({"id": f"d{i}", "text": t}) + "\n")
    (d / "questions.jsonl").write_text(json.dumps({"id": "q0", "split": "s", "kind": "k", "prompt": "A kind of trelk is",
                                                   "choices": [" the zeb", " the fly"], "answer": 0}) + "\n")
    up = d.parent / "compose"
    engine = ComposingEngine()
    augment(load_config(None, ARGS + ["augment.strategies=[compose]"]), d, up, engine_factory=lambda: engine)
    return d, up


def _chain(data, up, out, label, engine=None):
    cfg = load_config(None, ARGS)
    return augment_request(AugmentRequest(str(data), str(out), (label,), upstream=str(up)), AugmentSettings.of(cfg),
                           engine_factory=(lambda: engine) if engine else None)


def _rows(out, label):
    return sorted((r.id, r.text) for r in AugmentOutput(out).records([label]))


def test_local_over_compose_states_derived_facts_the_other_way_and_names_its_chain(upstream, tmp_path):
    data, up = upstream
    composed = {r.id: r for r in AugmentOutput(up).records(["compose"])}
    m = _chain(data, up, tmp_path / "out", "local<compose", Restating())
    entry = m.strategies["local<compose"]
    assert list(m.strategies) == ["local<compose"] and entry.chain == ["compose", "local"] and entry.folder == "local"
    recs = AugmentOutput(tmp_path / "out").records(["local<compose"])
    assert entry.prompts == len(composed) and len(recs) == entry.ok > 0  # one prompt per compose record
    for r in recs:
        assert r.meta["chain"] == ["compose", "local"]
        assert r.meta["upstream"] in composed  # the compose record it restates
        assert r.source_ids == composed[r.meta["upstream"]].source_ids  # the corpus documents behind both
        assert r.meta["round"] == composed[r.meta["upstream"]].meta["compose"]["round"]  # counted per round
    # the derived fact, now in the direction a question asks ("A kind of trelk is ... the zeb")
    assert "One kind of trelk is the zeb." in {r.text for r in recs}


def test_reverse_over_compose_needs_no_model_and_names_its_chain(upstream, tmp_path):
    data, up = upstream
    m = _chain(data, up, tmp_path / "out", "reverse<compose")
    recs = AugmentOutput(tmp_path / "out").records(["reverse<compose"])
    assert m.strategies["reverse<compose"].chain == ["compose", "reverse"] and recs
    assert all(r.meta["chain"] == ["compose", "reverse"] and ":compose:" in r.meta["upstream"] for r in recs)
    assert "Quorzel of kind a is zeb The." in {r.text for r in recs}


def test_a_chain_resumes_after_a_crash_mid_chain_with_no_lost_or_repeated_record(upstream, tmp_path):
    data, up = upstream
    prompts = _chain(data, up, tmp_path / "ref", "local<compose", Restating()).strategies["local<compose"].prompts
    reference = _rows(tmp_path / "ref", "local<compose")
    out = tmp_path / "out"
    with pytest.raises(EngineUnavailable):
        _chain(data, up, out, "local<compose", Restating(fail_after=1))
    done = sorted(p.name for p in (out / "local").glob("part-*.stats.json"))
    assert done and not (out / "manifest.json").exists()  # some units written, the run stopped
    again = Restating()
    _chain(data, up, out, "local<compose", again)
    assert len(again.prompts) == prompts - 2 * len(done)  # only the units the crash left undone (2 prompts each)
    assert _rows(out, "local<compose") == reference  # nothing lost, nothing twice


def test_a_chain_over_a_chain_and_another_upstream_refused_in_the_same_folder(upstream, tmp_path):
    data, up = upstream
    _chain(data, up, tmp_path / "out", "reverse<compose")
    m = _chain(data, tmp_path / "out", tmp_path / "deeper", "local<reverse<compose", Restating())
    assert m.strategies["local<reverse<compose"].chain == ["compose", "reverse", "local"]
    one_round = tmp_path / "compose1"  # other compose records: the same folder must not resume them
    engine = ComposingEngine()
    augment(load_config(None, ARGS + ["augment.strategies=[compose]", "augment.compose.rounds=1"]), data, one_round,
            engine_factory=lambda: engine)
    (tmp_path / "out" / "manifest.json").unlink()
    with pytest.raises(AugftError, match="different config or corpus"):
        _chain(data, one_round, tmp_path / "out", "reverse<compose")
    _chain(data, up, tmp_path / "out", "reverse<compose")  # the first upstream still resumes


@pytest.mark.parametrize("label, upstream_folder, words", [
    ("local<compose", "", "runs alone, over the folder of its upstream 'compose'"),
    ("local<local", "x", "chains 'local' onto itself"),
    ("local<reverse<local", "x", "is a cycle"),
    ("global<compose", "x", "global reads the corpus as a whole"),
    ("oracle<compose", "x", "oracle copies a benchmark's ground truth"),
    ("local<nope", "x", "unknown strategies ['nope']"),
])
def test_a_chain_that_cannot_run_is_refused_before_work(label, upstream_folder, words, tmp_path):
    with pytest.raises(AugftError, match=words.replace("[", r"\[").replace("]", r"\]")):
        AugmentRequest(str(tmp_path), str(tmp_path / "out"), (label,), upstream=upstream_folder)


def test_an_upstream_folder_without_the_upstream_strategy_is_named(upstream, tmp_path):
    data, up = upstream
    with pytest.raises(AugftError, match=r"reads the records of 'local', but .* holds \['compose'\]"):
        _chain(data, up, tmp_path / "out", "reverse<local")


def test_a_chain_over_an_upstream_that_kept_nothing_writes_an_empty_strategy(upstream, tmp_path):
    import fakes
    from augft.core.records import write_parquet

    data, _ = upstream
    up = AugmentOutput(tmp_path / "empty")
    write_parquet(up.strategy_dir("compose") / "part-r1-none.parquet", [])
    fakes.manifest(up.dir, {"compose": fakes.entry(0, shards=["part-r1-none.parquet"])})
    engine = Restating()
    m = _chain(data, up.dir, tmp_path / "out", "local<compose", engine)
    entry = m.strategies["local<compose"]
    assert (entry.ok, entry.prompts, entry.chain) == (0, 0, ["compose", "local"]) and engine.calls == 0
    assert AugmentOutput(tmp_path / "out").records(["local<compose"]) == []  # there, and empty: flagged, not missing


@pytest.mark.slow
def test_on_ray_a_chain_is_derived_and_planned_on_the_workers_and_writes_what_the_loop_writes(upstream, tmp_path):
    data, up = upstream
    _chain(data, up, tmp_path / "loop", "reverse<compose")
    cfg = load_config(None, ARGS + ["augment.use_ray=true", "cluster.num_cpus=2"])
    m = augment_request(AugmentRequest(str(data), str(tmp_path / "ray"), ("reverse<compose",), upstream=str(up)),
                        AugmentSettings.of(cfg))
    assert m.strategies["reverse<compose"].chain == ["compose", "reverse"]
    assert _rows(tmp_path / "ray", "reverse<compose") == _rows(tmp_path / "loop", "reverse<compose")
    stats = [json.loads(p.read_text()) for p in (tmp_path / "ray" / "reverse").glob("part-*.stats.json")]
    assert stats and all(s["node"] != "local" for s in stats)  # each shard written by a Ray task
