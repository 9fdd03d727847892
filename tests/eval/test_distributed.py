"""Scoring on Ray (eval.use_ray): the questions stream through an actor pool and only counts
reach the driver; the results equal the single-process scorer's."""
import pytest

from augft.core.artifacts import EvalOutput
from augft.core.config import load_config
from augft.eval.api import evaluate

TINY = "model.name=tiny-random-llama"


def _run(tmp_path, data, name, *extra):
    cfg = load_config(None, [TINY, "eval.conditions=[base,icl]", "eval.calibrate=true", *extra])
    return evaluate(cfg, data, tmp_path / name), EvalOutput(tmp_path / name)


def test_scoring_on_ray_equals_one_process(tmp_path, mc_data, tiny_model):
    import ray

    ray.shutdown()
    one, one_out = _run(tmp_path, mc_data, "one")
    # Two actors and batches of 7 questions: several parts per condition, written by the actors.
    many, many_out = _run(tmp_path, mc_data, "ray", "eval.use_ray=true", "eval.num_actors=2",
                          "eval.actor_cpus=0.5", "eval.ray_batch_size=7", "cluster.num_cpus=2")
    assert not ray.is_initialized()  # the Ray it started is shut down again
    assert not many_out.predictions_path.exists() and len(list(many_out.predictions_dir.glob("*.parquet"))) > 4
    a = {(r["condition"], r["id"]): r for r in one_out.predictions()}
    b = {(r["condition"], r["id"]): r for r in many_out.predictions()}
    assert set(a) == set(b) and len(a) == 2 * (12 + 66)
    assert all(a[k]["pred"] == b[k]["pred"] and a[k]["by_scoring"] == b[k]["by_scoring"] for k in a)
    diff = max(abs(x - y) for k in a for x, y in zip(a[k]["logprob"], b[k]["logprob"]))
    assert diff < 1e-4, diff
    for label in ("base", "icl"):
        s1, s2 = one.conditions[label], many.conditions[label]
        assert s1.splits == s2.splits and s1.kinds == s2.kinds and s1.by_scoring == s2.by_scoring
        assert s1.icl == s2.icl and s1.retention == s2.retention
        c1, c2 = one.costs.conditions[label], many.costs.conditions[label]
        assert (c1.prompt_tokens_per_query, c1.tokens_per_query) == pytest.approx(
            (c2.prompt_tokens_per_query, c2.tokens_per_query))
    assert one.n_questions == many.n_questions == 12 + 66
    assert many.costs.break_even == one.costs.break_even
