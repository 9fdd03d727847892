"""Comparing conditions: the one place that puts measured conditions side by side.

Each condition is measured alone (its accuracy per split, what a query reads, what it cost
once, its predictions); `compare` adds what needs several of them: retention against `base`
(accuracy on the retention questions base answers correctly) and the cost table with its
break-even rows. `augft eval` with several conditions and the study's report (one eval folder
per condition) both call it, so the two can never disagree.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Mapping

from augft.core.artifacts import ConditionSummary, EvalOutput, EvalResults, OneOffCost, QueryCost, Retention
from augft.eval.costs import cost_table


@dataclass
class Measured:
    """One condition as scored."""
    summary: ConditionSummary
    query: QueryCost
    one_off: OneOffCost
    predictions: Callable[[], Iterable[dict]]
    """Its prediction rows (read only when retention is computed)."""


def compare(measured: Mapping[str, Measured], scoring: str, interval: str, n_questions: int) -> EvalResults:
    """Every condition of `measured` with retention against base and the cost table."""
    conditions = {label: _with_retained(m, measured.get("base")) for label, m in measured.items()}
    costs = cost_table({k: m.query for k, m in measured.items()}, {k: m.one_off for k, m in measured.items()})
    return EvalResults(conditions=conditions, costs=costs, scoring=str(scoring), interval=str(interval),
                       n_questions=int(n_questions))


def _with_retained(m: Measured, base: "Measured | None") -> ConditionSummary:
    from augft.eval.retention import retained

    if base is None:
        return m.summary
    kept = retained(list(base.predictions()), m.predictions())
    if kept is None:
        return m.summary
    ret = dataclasses.replace(m.summary.retention or Retention(), retained=kept)
    return dataclasses.replace(m.summary, retention=ret)


def measured_in(folder: Path, label: str) -> Measured:
    """A condition as an eval output folder recorded it (the study's per-condition folders)."""
    out = EvalOutput(Path(folder))
    results = out.results()
    cost = results.costs.conditions[label] if label in results.costs.conditions else \
        next(iter(results.costs.conditions.values()))
    return Measured(out.condition(label), cost.query, cost.one_off,
                    lambda: (r for r in out.predictions() if r.get("condition") in (label, None)))


def compare_folders(folders: Mapping[str, Path]) -> EvalResults:
    """{condition: eval folder} compared as if one eval had scored them all."""
    measured: Dict[str, Measured] = {label: measured_in(f, label) for label, f in folders.items()}
    first = EvalOutput(Path(next(iter(folders.values())))).results() if folders else None
    return compare(measured, first.scoring if first else "sum", first.interval if first else "wilson",
                   first.n_questions if first else 0)
