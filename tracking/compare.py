"""`augft compare`: a side-by-side table of tracked studies (conditions x splits) from MLflow.

Each `augft run` (or `augft sweep`) is a parent run; its condition runs carry the
metrics `accuracy.<split>`, `ci_low.<split>`, `ci_high.<split>` and the tag
`augft.condition`. This prints one table per parent run, newest first.
"""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List, Optional, Sequence

from augft.core.artifacts import SplitStats
from augft.core.errors import AugftError
from augft.core.tables import accuracy_grid, render_text
from augft.tracking.runs import KIND_TAG, PARENT_TAG
from augft.tracking.uri import check_reachable, local_uri

CONDITION_TAG = "augft.condition"


def _quote(v: str) -> str:
    return "'" + v.replace("'", "\\'") + "'"


def parse_filters(items: Sequence[str]) -> str:
    """`tag=value` pairs -> an MLflow filter string on tags."""
    parts = []
    for item in items:
        if "=" not in item:
            raise AugftError(f"--filter '{item}' must look like tag=value")
        k, v = item.split("=", 1)
        parts.append(f"tags.`{k.strip()}` = {_quote(v.strip())}")
    return " and ".join(parts)


def format_table(cells: Dict[str, Dict[str, SplitStats]], title: str = "") -> str:
    """cells[condition][split] -> aligned text table."""
    return render_text(*accuracy_grid(cells), title=title)


def run_cells(runs) -> Dict[str, Dict[str, SplitStats]]:
    """Condition runs -> cells[condition][split], from their `<stat>.<split>` metrics."""
    cells: Dict[str, Dict[str, SplitStats]] = {}
    for run in runs:
        cond = run.data.tags.get(CONDITION_TAG)
        if not cond:
            continue
        stats: Dict[str, Dict[str, float]] = {}
        for key, val in run.data.metrics.items():
            stat, _, split = key.partition(".")
            if stat in ("accuracy", "ci_low", "ci_high", "n", "chance") and split:
                stats.setdefault(split, {})[stat] = val
        cells[cond] = {s: SplitStats(accuracy=m["accuracy"], n=int(m.get("n", 0)), ci_low=m.get("ci_low"),
                                     ci_high=m.get("ci_high"), chance=m.get("chance"))
                       for s, m in stats.items() if "accuracy" in m}
    return cells


COST_KEYS = ("flops_per_query", "one_off_flops", "augment_flops", "teacher_flops", "train_flops", "index_flops")


def run_costs(runs) -> Dict[str, dict]:
    """Condition runs -> the cost entry each logged (`cost.conditions.<label>.<key>`; one condition
    per run, so the label's MLflow-safe spelling does not matter)."""
    out: Dict[str, dict] = {}
    for run in runs:
        cond = run.data.tags.get(CONDITION_TAG)
        if not cond:
            continue
        for key, val in run.data.metrics.items():
            name = key.rsplit(".", 1)[-1]
            if key.startswith("cost.conditions.") and name in COST_KEYS:
                out.setdefault(cond, {})[name] = val
    return out


def which_to_use(cells: Dict[str, Dict[str, SplitStats]], costs: Dict[str, dict], queries_per_day: float,
                 horizon_days: float) -> str:
    """The study's "Which to use" table and recommendation (core/decision.py), from MLflow."""
    from augft.core.artifacts import Priced
    from augft.core.decision import ONE_OFF, decide, markdown

    rows = [Priced(c, cells[c], float(v["flops_per_query"]), {k: float(v[k]) for k in ONE_OFF if v.get(k)},
                   float(v.get("one_off_flops") or 0.0))
            for c, v in costs.items() if c in cells and "flops_per_query" in v]
    if len(rows) < 2:
        return ""
    return "Which to use\n" + markdown(decide(rows, queries_per_day, horizon_days))


def _get_run(client, run_id: str):
    """The run with this id, or an AugftError naming it (MLflow raises its own for an unknown id)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        raise AugftError(f"--run-id {run_id}: no MLflow run with this id at {client.tracking_uri} "
                         "(list the studies with `augft compare`)") from None


def collect(client, experiment_ids: List[str], filter_string: str = "", limit: int = 3,
            run_id: Optional[str] = None):
    """[(parent run, cells)] for the newest `limit` studies matching the filter."""
    if run_id:
        parents = [_get_run(client, run_id)]
    else:
        parents = []
        for kind in ("study", "sweep"):  # MLflow's IN does not apply to tags
            flt = " and ".join(p for p in (f"tags.`{KIND_TAG}` = '{kind}'", filter_string) if p)
            parents += client.search_runs(experiment_ids, flt, max_results=limit,
                                          order_by=["attributes.start_time DESC"])
        parents = sorted(parents, key=lambda r: r.info.start_time, reverse=True)[:limit]
    out = []
    for parent in parents:
        children = client.search_runs(
            experiment_ids or [parent.info.experiment_id],
            f"tags.`{PARENT_TAG}` = '{parent.info.run_id}' and tags.`{KIND_TAG}` = 'condition'",
            max_results=1000)
        out.append((parent, run_cells(children), run_costs(children)))
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="augft compare", description=__doc__.split("\n")[0])
    p.add_argument("--experiment", action="append", default=None,
                   help="MLflow experiment name (repeatable; default: all experiments)")
    p.add_argument("--filter", action="append", default=[], metavar="TAG=VALUE",
                   help="only studies with this tag value (repeatable, all must match)")
    p.add_argument("--tracking-uri", default="",
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    p.add_argument("--limit", type=int, default=3, help="how many studies, newest first (default 3)")
    p.add_argument("--run-id", default=None, help="one study by its parent run id")
    p.add_argument("--queries-per-day", type=float, default=1000.0,
                   help="query volume the recommendation prices conditions at (default 1000)")
    p.add_argument("--horizon-days", type=float, default=365.0, help="days served (default 365)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    import os

    args = build_parser().parse_args(argv)
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or local_uri()
    check_reachable(uri)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    if args.experiment:
        names, ids = args.experiment, []
        for name in names:
            exp = client.get_experiment_by_name(name)
            if exp is None:
                raise AugftError(f"no MLflow experiment named '{name}' at {uri}")
            ids.append(exp.experiment_id)
    else:
        exps = client.search_experiments()
        names, ids = [e.name for e in exps], [e.experiment_id for e in exps]
        if not ids:
            raise AugftError(f"no MLflow experiments at {uri} (run `augft run` first)")
    studies = collect(client, ids, parse_filters(args.filter), args.limit, args.run_id)
    if not studies:
        print(f"no studies (augft run / augft sweep) in experiment(s) {names} match", file=sys.stderr)
        return 1
    for parent, cells, costs in studies:
        name = parent.info.run_name or parent.info.run_id
        title = f"{name}  (run {parent.info.run_id}, {parent.info.status})"
        if not cells:
            print(title + "\n  (no condition results)\n")
            continue
        print(format_table(cells, title) + "\n")
        which = which_to_use(cells, costs, args.queries_per_day, args.horizon_days)
        if which:
            print(which + "\n")
    return 0
