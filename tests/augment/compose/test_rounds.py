"""augment.compose end to end without a model: rounds, provenance, the manifest's per-round
counts, the contradiction filter across rounds, resume, and the plain loop against Ray."""
import pytest

from augft.augment.api import augment, read_augmentations
from augft.core.artifacts import AugmentOutput
from augft.core.config import load_config

ARGS = ["model.name=tiny-random-llama", "augment.strategies=[compose]", "augment.use_ray=false",
        "augment.compose.rounds=3", "augment.unit_size=2", "augment.verify=false"]


def _augment(data, out, engine, *extra):
    return augment(load_config(None, ARGS + list(extra)), data, out, engine_factory=lambda: engine)


def test_rounds_compose_chains_and_record_their_provenance(hierarchy, tmp_path, composing):
    m = _augment(hierarchy, tmp_path / "out", composing())
    recs = {r.text: r for r in read_augmentations(tmp_path / "out")}
    # round 1: one step; round 2: two steps (from a round-1 statement); round 3: three.
    assert recs["The zeb is a kind of quorzel."].meta["compose"]["round"] == 1
    two = recs["The zeb is a kind of trelk."]
    assert two.meta["compose"]["round"] == 2 and set(two.source_ids) == {"d0", "d1", "d2"}
    assert two.meta["compose"]["pair"][0].startswith("c1-")  # a round-1 record id: the chain goes on
    assert recs["The zeb can blorp."].meta["compose"]["round"] == 3
    assert set(recs["The zeb can blorp."].source_ids) == {"d0", "d1", "d2", "d3"}
    entry = m.strategies["compose"]
    assert [r.round for r in entry.rounds] == [1, 2, 3] and entry.documents == 5
    assert entry.ok == len(recs) == sum(r.ok for r in entry.rounds)
    assert entry.ok + sum(entry.filtered.values()) + entry.failed == entry.inputs
    # the cost model reads the totals once, not the per-round copies beside them
    out = AugmentOutput(tmp_path / "out")
    assert out.manifest().tokens == entry.prompt_tokens + entry.completion_tokens > 0
    assert entry.prompt_tokens == sum(r.prompt_tokens for r in entry.rounds)


def test_a_statement_that_makes_a_cycle_is_dropped_as_contradiction(hierarchy, tmp_path, composing):
    m = _augment(hierarchy, tmp_path / "out", composing(cycle=True))
    texts = {r.text for r in read_augmentations(tmp_path / "out")}
    assert "The quorzel is a kind of zeb." not in texts
    assert m.strategies["compose"].rounds[0].filtered.get("contradiction") == 1


def test_a_rerun_resumes_every_unit_and_writes_the_same_records(hierarchy, tmp_path, composing):
    _augment(hierarchy, tmp_path / "out", composing())
    first = sorted((r.id, r.text) for r in read_augmentations(tmp_path / "out"))
    (tmp_path / "out" / "manifest.json").unlink()
    again = composing()
    _augment(hierarchy, tmp_path / "out", again)
    assert again.prompts == []  # nothing generated twice
    assert sorted((r.id, r.text) for r in read_augmentations(tmp_path / "out")) == first


def test_rounds_stop_when_a_round_keeps_nothing(hierarchy, tmp_path):
    class Silent:
        def generate(self, requests, sampling):
            from augft.augment.engines.base import GenResult
            return [GenResult(id=r.id, texts=[" Nothing new."]) for r in requests]

        def close(self):
            pass

    m = _augment(hierarchy, tmp_path / "out", Silent())
    assert [r.round for r in m.strategies["compose"].rounds] == [1]
    assert m.strategies["compose"].rounds_asked == 3
    assert m.strategies["compose"].stopped_at == 1 and "no new statement" in m.strategies["compose"].stop_reason


def test_rounds_stop_when_coverage_stops_growing(hierarchy, tmp_path, composing):
    # The hierarchy keeps 4 statements in round 1, 2 in round 2 and 1 in round 3.
    full = _augment(hierarchy, tmp_path / "full", composing()).strategies["compose"]
    assert [r.ok for r in full.rounds] == [4, 2, 1] and (full.stopped_at, full.stop_reason) == (0, "")
    m = _augment(hierarchy, tmp_path / "out", composing(), "augment.compose.min_new=3")
    entry = AugmentOutput(tmp_path / "out").manifest().strategies["compose"]  # as written to manifest.json
    assert [r.round for r in entry.rounds] == [1, 2] and entry.rounds_asked == 3
    assert entry.stopped_at == 2 and "kept 2 new statements, fewer than augment.compose.min_new=3" in entry.stop_reason
    assert m.strategies["compose"].ok == 6


@pytest.mark.slow
def test_ray_planning_writes_what_the_plain_loop_writes(hierarchy, tmp_path, composing):
    _augment(hierarchy, tmp_path / "loop", composing())
    _augment(hierarchy, tmp_path / "ray", composing(), "augment.use_ray=true", "cluster.num_cpus=2")
    rows = lambda d: sorted((r.id, r.text, tuple(r.source_ids)) for r in read_augmentations(d))  # noqa: E731
    assert rows(tmp_path / "ray") == rows(tmp_path / "loop")
