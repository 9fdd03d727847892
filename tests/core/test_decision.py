"""The "Which to use" recommendation: pooled accuracy, one-off and per-query costs, break-even
against ICL and RAG, and the cheapest condition not below the best one's interval."""
import math

from types import SimpleNamespace

from augft.core.artifacts import Priced, SplitStats
from augft.core.decision import break_even, decide, markdown, plot, pooled


def _results(acc, per_query, one_off, n=100):
    return [Priced(c, {"reversal": SplitStats(accuracy=acc[c], n=n), "retention": SplitStats(accuracy=0.5, n=10)},
                   per_query[c], dict(one_off.get(c, {})), sum(one_off.get(c, {}).values()))
            for c in acc]


def test_pooled_accuracy_counts_every_question():
    p = pooled({"a": SplitStats(accuracy=1.0, n=10), "b": SplitStats(accuracy=0.0, n=30)}, ["a", "b"])
    assert p.accuracy == 0.25 and p.n == 40 and p.ci_low < 0.25 < p.ci_high
    assert pooled({}, ["a"]) is None


def _cost(per_query, one_off):
    return SimpleNamespace(per_query_flops=per_query, one_off_flops=one_off)


def test_break_even_formula():
    icl = _cost(10.0, 0.0)
    assert break_even(_cost(1.0, 90.0), icl) == 10
    assert break_even(_cost(11.0, 90.0), icl) is None
    assert break_even(_cost(5.0, 0.0), icl) == 0


def test_clear_winner_is_picked_and_overlap_is_said():
    acc = {"base": 0.3, "icl": 0.9, "rag": 0.5, "ft": 0.4}
    pq = {"base": 1.0, "icl": 100.0, "rag": 20.0, "ft": 1.0}
    d = decide(_results(acc, pq, {"ft": {"train_flops": 1e4}}), 10, 10)
    assert d.splits == ["reversal"] and d.best == "icl" and d.pick == "icl" and not d.overlap
    assert "Use icl" in d.text
    rows = {r.condition: r for r in d.rows}
    assert rows["ft"].break_even_vs_icl == math.ceil(1e4 / 99) and rows["ft"].break_even_vs_rag == math.ceil(1e4 / 19)
    assert rows["icl"].break_even_vs_icl is None and rows["icl"].total_flops == 100 * 100.0
    # Within the interval: aug_ft (0.86) is not below icl's ci_low; at high volume it is cheaper.
    acc["aug_ft[local]"], pq["aug_ft[local]"] = 0.86, 1.0
    d = decide(_results(acc, pq, {"aug_ft[local]": {"augment_flops": 1e3, "train_flops": 1e4}}), 1000, 365)
    assert d.best == "icl" and d.overlap and d.pick == "aug_ft[local]"
    assert set(d.candidates) == {"icl", "aug_ft[local]"} and "intervals overlap" in d.text
    # At a handful of queries the one-off cost dominates: icl is the cheaper of the two.
    assert decide(_results(acc, pq, {"aug_ft[local]": {"augment_flops": 1e5}}), 1, 1).pick == "icl"
    md = markdown(d)
    assert "(pick)" in md and "| reversal | icl |" in md


def test_plot_is_written(tmp_path):
    d = decide(_results({"a": 0.5, "b": 0.7}, {"a": 1.0, "b": 10.0}, {}), 10, 1)
    assert plot(d, tmp_path / "p.png").stat().st_size > 1000


def test_a_control_stays_in_the_table_and_is_never_the_pick():
    from augft.core.conditions import is_control

    assert is_control("aug_ft[oracle]") and is_control("distill[local+oracle]") and is_control("aug_ft[oracle]+rag")
    assert not any(is_control(c) for c in ("aug_ft[local]", "ft", "icl", "rag[bm25]", "my_model"))
    # The oracle control is the most accurate and the cheapest: it would be the pick on merit.
    acc = {"icl": 0.6, "ft": 0.3, "aug_ft[local]": 0.45, "aug_ft[oracle]": 0.99}
    pq = {"icl": 100.0, "ft": 1.0, "aug_ft[local]": 1.0, "aug_ft[oracle]": 1.0}
    d = decide(_results(acc, pq, {"aug_ft[local]": {"augment_flops": 1e3}}), 100, 10)
    assert d.best == d.pick == "icl" and "aug_ft[oracle]" not in d.candidates
    assert all(p.pick != "aug_ft[oracle]" and "aug_ft[oracle]" not in p.candidates for p in d.per_split.values())
    rows = {r.condition: r for r in d.rows}
    assert rows["aug_ft[oracle]"].control and not rows["icl"].control
    md = markdown(d)
    assert "| aug_ft[oracle] (control) |" in md and "| icl **(pick)** |" in md
    assert "aug_ft[oracle] is a control" in d.text and "never the pick" in d.text
    # Only controls: nothing to recommend.
    only = decide(_results({"aug_ft[oracle]": 0.9}, {"aug_ft[oracle]": 1.0}, {}), 1, 1)
    assert only.pick is None and len(only.rows) == 1


def test_one_break_even_for_the_cost_table_and_the_recommendation():
    """eval's cost table and the recommendation ask the same formula (core.flops): an ICL
    reference's own one-off cost (ft+icl's training) counts against it in both."""
    from augft.core.artifacts import OneOffCost, QueryCost
    from augft.eval.costs import cost_table

    per = {"ft+icl": QueryCost(n_params=100, icl=True, finetuned=True, prompt_tokens_per_query=1000,
                               tokens_per_query=1010),
           "aug_ft": QueryCost(n_params=100, icl=False, finetuned=True, prompt_tokens_per_query=10,
                               tokens_per_query=20)}
    t = cost_table(per, {"aug_ft": OneOffCost(train_flops=3e6), "ft+icl": OneOffCost(train_flops=1e6)})
    a, f = t.conditions["aug_ft"], t.conditions["ft+icl"]
    expected = break_even(_cost(a.flops_per_query, a.one_off_flops), _cost(f.flops_per_query, f.one_off_flops))
    assert t.break_even["aug_ft vs ft+icl"].queries == expected == -(-2e6 // (2 * 100 * 990))
