"""`augft compare`'s "Which to use": the condition runs' accuracy and cost metrics, priced at a
query volume (no MLflow server: runs as MLflow returns them)."""
from types import SimpleNamespace

from augft.tracking.compare import run_cells, run_costs, which_to_use


def _run(cond, acc, per_query, one_off=0.0):
    metrics = {"accuracy.reversal": acc, "ci_low.reversal": acc - 0.1, "ci_high.reversal": acc + 0.1,
               "n.reversal": 100, f"cost.conditions.{cond.replace('[', '_').replace(']', '_')}.flops_per_query": per_query,
               f"cost.conditions.{cond}.one_off_flops": one_off, "cost.conditions.x.n_params": 5}
    return SimpleNamespace(data=SimpleNamespace(tags={"augft.condition": cond}, metrics=metrics))


def test_compare_prices_the_conditions_and_picks():
    runs = [_run("icl", 0.8, 1e9), _run("aug_ft[local]", 0.78, 1e7, 1e12), _run("base", 0.3, 1e7)]
    cells, costs = run_cells(runs), run_costs(runs)
    assert cells["icl"]["reversal"].n == 100 and costs["aug_ft[local]"] == {"flops_per_query": 1e7,
                                                                             "one_off_flops": 1e12}
    text = which_to_use(cells, costs, 1000, 365)
    assert "aug_ft[local] **(pick)**" in text and "intervals overlap" in text
    assert "icl **(pick)**" in which_to_use(cells, costs, 1, 1)
    assert which_to_use(cells, {"icl": costs["icl"]}, 1, 1) == ""
