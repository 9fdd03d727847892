"""Accuracy, bootstrap CIs, scoring variants, conditions and the cost model."""
import json

import pytest

import fakes
from augft.core.artifacts import OneOffCost, PhaseCounts, QueryCost, RoundEntry, SamplingParams, encode
from augft.core.errors import AugftError
from augft.eval.conditions import resolve
from augft.eval.costs import augment_flops, cost_table, train_flops
from augft.eval.metrics import bootstrap_ci, choose, summarize


def test_bootstrap_ci_brackets_the_mean_and_is_seeded():
    correct = [True] * 30 + [False] * 20
    lo, hi = bootstrap_ci(correct, 2000, seed=0)
    assert lo < 0.6 < hi and 0.4 < lo and hi < 0.8
    assert (lo, hi) == bootstrap_ci(correct, 2000, seed=0)
    assert bootstrap_ci([True] * 10, 500) == (1.0, 1.0)


def test_summarize_groups_and_chance():
    rows = [{"split": "a", "correct": True, "choices": ["x", "y"]},
            {"split": "a", "correct": False, "choices": ["x", "y", "z", "w"]},
            {"split": "b", "correct": True, "choices": ["x", "y", "z"]}]
    s = summarize(rows, "split", 100)
    assert s["a"].accuracy == 0.5 and s["a"].n == 2
    assert s["a"].chance == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert s["b"].chance == pytest.approx(1 / 3)


def test_scoring_variants():
    lps, n, neutral = [-6.0, -4.0], [3, 1], [-5.5, -1.0]
    assert choose(lps, n, "sum") == [-6.0, -4.0]
    assert choose(lps, n, "mean") == [-2.0, -4.0]
    assert choose(lps, n, "calibrated", neutral) == [-0.5, -3.0]


def test_conditions_resolve_models():
    conds = resolve(["base", "icl", "ft", "ft+icl", "aug_ft[local]"],
                    {"ft": "m/ft", "aug_ft[local]": "m/aug"}, "smol")
    got = {c.label: (c.model, c.condition.icl) for c in conds}
    assert got == {"base": ("smol", False), "icl": ("smol", True), "ft": ("m/ft", False),
                   "ft+icl": ("m/ft", True), "aug_ft[local]": ("m/aug", False)}
    with pytest.raises(AugftError, match="eval.models has no 'aug_ft' entry"):
        resolve(["aug_ft"], {}, "smol")


def test_break_even_queries():
    per = {"icl": QueryCost(n_params=100, icl=True, finetuned=False, prompt_tokens_per_query=1000,
                            tokens_per_query=1010),
           "aug_ft": QueryCost(n_params=100, icl=False, finetuned=True, prompt_tokens_per_query=10,
                               tokens_per_query=20)}
    t = cost_table(per, {"aug_ft": OneOffCost(train_flops=1e6, augment_flops=5e5)})
    assert t.conditions["icl"].flops_per_query == 2 * 100 * 1010
    assert t.conditions["aug_ft"].one_off_flops == 1.5e6
    saving = 2 * 100 * (1010 - 20)
    b = t.break_even["aug_ft vs icl"]
    assert b.queries == -(-1.5e6 // saving) and b.one_off_known
    # A fine-tuned model that reads more per query than ICL never pays off.
    per["aug_ft"].tokens_per_query = 5000
    assert cost_table(per, {}).break_even["aug_ft vs icl"].queries is None


def test_cost_inputs_from_files(tmp_path):
    fakes.train_summary(tmp_path, 1.2e12)
    assert train_flops(str(tmp_path / "summary.json"), "k") == 1.2e12
    # Per strategy, the entity strategy with its extraction phase: every token counts once.
    fakes.manifest(tmp_path, {"local": fakes.entry(5, prompt_tokens=300, completion_tokens=400),
                              "entity": fakes.entry(0, completion_tokens=200, extract=PhaseCounts(completion_tokens=100))},
                   sampling=SamplingParams(max_new_tokens=96))
    assert augment_flops(str(tmp_path / "manifest.json"), "k", n_params=10) == 2 * 10 * 1000
    bad = tmp_path / "bad" / "summary.json"
    written = encode(fakes.train_summary(bad.parent, 1.0))
    del written["train_flops"]
    bad.write_text(json.dumps(written))
    with pytest.raises(AugftError, match=r"bad/summary.json: field 'train_flops': missing"):
        train_flops(str(bad), "eval.costs.train_summaries.ft")
    with pytest.raises(AugftError, match="does not exist"):
        train_flops(str(tmp_path / "nope.json"), "eval.costs.train_summaries.ft")


def test_compose_rounds_are_priced_once_each_and_nothing_to_prompt_costs_nothing(tmp_path):
    """A compose entry's totals sum its rounds; the per-round copies beside them are not added
    again. A strategy that had no pair to prompt has no tokens, and that is no error."""
    m = str(tmp_path / "manifest.json")
    rounds = [RoundEntry(round=1, prompt_tokens=600, completion_tokens=60),
              RoundEntry(round=2, prompt_tokens=300, completion_tokens=40)]
    fakes.manifest(tmp_path, {"compose": fakes.entry(4, prompts=12, prompt_tokens=900, completion_tokens=100,
                                                     rounds=rounds)})
    assert augment_flops(m, "k", n_params=10) == 2 * 10 * 1000
    fakes.manifest(tmp_path, {"compose": fakes.entry(0, prompts=0, rounds=[RoundEntry(round=1)])})
    assert augment_flops(m, "k", n_params=10) == 0.0
    fakes.manifest(tmp_path, {"local": fakes.entry(3)})  # records written, but no tokens counted
    with pytest.raises(AugftError, match="no token counts"):
        augment_flops(m, "k", n_params=10)
