"""No simple surface heuristic solves a test split: each stays near or below chance."""
import pytest

from augft.eval.datasets.api import BENCHMARKS
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from shortcuts import evaluate  # noqa: E402

# Validation splits test recall of a trained fact; copying the context is the right
# strategy there, so copy heuristics are only judged on the generalization splits.
VALIDATION = {"rephrase", "forward"}
POSITION = {"first_choice", "last_choice"}


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_heuristics_stay_near_chance(name, generated):
    results = evaluate(generated[name])
    assert results
    for split, hs in results.items():
        for h, r in hs.items():
            if split in VALIDATION and h.startswith(("copy_",)):
                continue
            if h == "copy_first_premise" or h == "copy_last_premise":
                continue  # quantifier copying: judged in the syllogism test below
            assert r["accuracy"] <= r["chance"] + 0.15, (split, h, r)
            if h in POSITION:  # answer positions are balanced exactly
                assert abs(r["accuracy"] - r["chance"]) <= 0.05, (split, h, r)


def test_reversal_comparative_copy_fails_on_reversals(generated):
    r = evaluate(generated["reversal"])
    # Copying the comparative from the trained fact answers the forward question and
    # gets every reversal wrong: the split measures reversal, not copying.
    assert r["rephrase"]["copy_comparative"]["accuracy"] == 1.0
    assert r["reversal"]["copy_comparative"]["accuracy"] == 0.0
    assert r["reversal"]["first_choice"]["accuracy"] == 0.5


def test_syllogism_premise_order_gives_no_cue(generated):
    r = evaluate(generated["syllogism"])["syllogism"]
    # Term order: "repeat the subject of the last premise" stays near chance, and
    # so does picking a direction by the last premise once the quantifier is given.
    assert r["last_premise_subject"]["accuracy"] <= r["last_premise_subject"]["chance"] + 0.1
    assert abs(r["direction_by_last_premise"]["accuracy"] - 0.5) <= 0.15
    # The conclusion's quantifier follows from the premises' (logic, not surface), but
    # which premise comes last carries no extra cue.
    assert abs(r["copy_last_premise"]["accuracy"] - r["copy_first_premise"]["accuracy"]) <= 0.15


def test_fixed_premise_order_would_be_caught():
    """The measured failure mode (always "All A are B. All C are A.") is detected."""
    from augft.core.config import load_config
    from augft.eval.datasets.api import build

    g = build("syllogism", load_config())
    for q, it in zip(g.questions, g.truth["items"]):  # force Barbara, minor premise last
        s, m, p = (it["terms"][t] for t in "SMP")
        it["premises"] = [["all", m, p], ["all", s, m]]
        it["answer"] = ["all", s, p]
        target = f" all {s} are {p}"
        if target in q.choices:
            q.answer = q.choices.index(target)
    r = evaluate(g)["syllogism"]
    assert r["last_premise_subject"]["accuracy"] > r["last_premise_subject"]["chance"] + 0.5
