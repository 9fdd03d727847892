"""Which to use: every condition priced the same way, and the recommendation at a query volume.

Per condition (`Priced`: built from eval or study results by `priced`, or from MLflow by `augft compare`):
- accuracy pooled over the chosen splits (all their questions; Wilson 95% interval), and per split;
- one-off FLOPs: augmentation + teacher targets + training + index (what was paid once);
- per-query FLOPs: 2 x params x (context or retrieved tokens + prompt + choices), plus a dense
  retriever's query embedding;
- total at Q = queries_per_day x horizon_days queries: one_off + Q x per_query;
- break-even against a reference R (icl, rag): X pays off after
  (one_off(X) - one_off(R)) / (per_query(R) - per_query(X)) queries, when X is cheaper per query
  (0: cheaper from the first query; None: never).

The recommendation: the best condition is the most accurate; the candidates are every condition
whose accuracy is not below the best one's interval (ci_low); the pick is the candidate with the
lowest total cost at Q. When several are candidates the data does not separate their accuracy, and
the text says so rather than ranking them by accuracy. Controls (`aug_ft[oracle]`: trained on a
benchmark's ground truth, which no user's data has) stay in the table, marked, and take no part
in the recommendation: best, candidates and pick are among the conditions a user can run.
"""
from __future__ import annotations

import math
from typing import List, Mapping, Optional, Sequence

from augft.core.artifacts import Decision, DecisionRow, EvalResults, Pick, Priced, SplitStats
from augft.core.conditions import is_control
from augft.core.flops import break_even_queries
from augft.core.intervals import wilson_counts
from augft.core.tables import render_markdown

ONE_OFF = ("augment_flops", "teacher_flops", "train_flops", "index_flops")
EXCLUDED = ("retention",)
_NAN = float("nan")


def pooled(splits: Mapping[str, SplitStats], chosen: Sequence[str]) -> Optional[SplitStats]:
    """Accuracy over every question of the chosen splits, with its Wilson interval."""
    cells = [splits[s] for s in chosen if s in splits and splits[s].n]
    if not cells:
        return None
    n = sum(int(c.n) for c in cells)
    k = sum(round(float(c.accuracy) * int(c.n)) for c in cells)
    lo, hi = wilson_counts(k, n)
    return SplitStats(accuracy=k / n, n=n, ci_low=lo, ci_high=hi)


def break_even(x: DecisionRow, ref: DecisionRow) -> Optional[float]:
    """Queries after which x costs less in all than ref (0: from the start; None: never)."""
    return break_even_queries(x.one_off_flops, x.per_query_flops, ref.one_off_flops, ref.per_query_flops)


def _reference(labels: Sequence[str], kind: str) -> Optional[str]:
    """The plain in-context condition a break-even is measured against: icl, or the base
    model's rag (bm25 first)."""
    if kind == "icl":
        return "icl" if "icl" in labels else None
    for name in ("rag", "rag[bm25]", "rag[dense]"):
        if name in labels:
            return name
    return None


def _row(p: Priced, chosen: Sequence[str], queries: float) -> DecisionRow:
    one_off = {k: float(p.one_off.get(k) or 0.0) for k in ONE_OFF}
    total_one_off = float(p.one_off_flops or sum(one_off.values()))
    acc = pooled(p.splits, chosen) or SplitStats(accuracy=_NAN, n=0, ci_low=_NAN, ci_high=_NAN)
    low, high = (_NAN if x is None else x for x in (acc.ci_low, acc.ci_high))
    return DecisionRow(condition=p.condition, accuracy=acc.accuracy, ci_low=low, ci_high=high, n=acc.n,
                       splits={s: pooled(p.splits, [s]) or p.splits[s] for s in chosen if s in p.splits}, retained=p.retained,
                       one_off=one_off, one_off_flops=total_one_off, per_query_flops=float(p.per_query_flops),
                       total_flops=total_one_off + queries * float(p.per_query_flops), control=is_control(p.condition))


def priced(results: EvalResults) -> List[Priced]:
    """Every condition of eval (or study) results that has a cost."""
    out = []
    for label, c in results.conditions.items():
        cost = results.costs.conditions.get(label)
        if cost is None:
            continue
        one = cost.one_off
        kept = c.retention.retained.accuracy if c.retention and c.retention.retained else None
        out.append(Priced(label, dict(c.splits), cost.flops_per_query,
                          {k: v for k, v in zip(ONE_OFF, (one.augment_flops, one.teacher_flops, one.train_flops,
                                                            one.index_flops)) if v},
                          cost.one_off_flops, kept))
    return out


def chosen_splits(rows: Sequence[Priced], wanted: Sequence[str] = ()) -> List[str]:
    present = sorted({s for p in rows for s in p.splits})
    if wanted:
        return [s for s in wanted if s in present]
    return [s for s in present if s not in EXCLUDED]


def pick(rows: List[DecisionRow], accuracy=lambda r: (r.accuracy, r.ci_low)) -> Pick:
    """best, candidates (not below the best's interval), the cheapest candidate, and whether the
    data separates them; among the rows that are not controls."""
    scored = [r for r in rows if not r.control and not math.isnan(accuracy(r)[0])]
    if not scored:
        return Pick()
    best = max(scored, key=lambda r: (accuracy(r)[0], -r.total_flops))
    cands = [r for r in scored if accuracy(r)[0] >= accuracy(best)[1]]
    cheapest = min(cands, key=lambda r: (r.total_flops, -accuracy(r)[0]))
    return Pick(best.condition, [r.condition for r in cands], cheapest.condition, len(cands) > 1)


def decide(conditions: Sequence[Priced], queries_per_day: float, horizon_days: float,
           splits: Sequence[str] = ()) -> Decision:
    """The "Which to use" table and recommendation of priced conditions."""
    queries = float(queries_per_day) * float(horizon_days)
    chosen = chosen_splits(conditions, splits)
    rows = [_row(p, chosen, queries) for p in conditions]
    labels = [r.condition for r in rows]
    by = {r.condition: r for r in rows}
    for kind in ("icl", "rag"):
        ref = _reference(labels, kind)
        for r in rows:
            setattr(r, f"break_even_vs_{kind}", break_even(r, by[ref]) if ref and ref != r.condition else None)
            setattr(r, f"reference_{kind}", ref)  # which reference the column used (None: none in the study)
    best = pick(rows)
    per_split = {s: pick([r for r in rows if s in r.splits], lambda r, s=s: (r.splits[s].accuracy, r.splits[s].ci_low))
                 for s in chosen}
    d = Decision(best=best.best, candidates=best.candidates, pick=best.pick, overlap=best.overlap,
                 queries_per_day=float(queries_per_day), horizon_days=float(horizon_days), queries=queries,
                 splits=chosen, rows=rows, per_split=per_split)
    d.text = sentence(d)
    controls = [r.condition for r in rows if r.control]
    if controls:
        d.text += (f" {', '.join(controls)} {'is a control' if len(controls) == 1 else 'are controls'} "
                   "(trained on data no user has): in the table for comparison, never the pick.")
    return d


def _flops(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.3g}"


def sentence(d: Decision) -> str:
    """The recommendation in words."""
    if d.pick is None or d.best is None:  # pick() sets both or neither
        return "No condition has both an accuracy and a cost: nothing to recommend."
    by = {r.condition: r for r in d.rows}
    best, p = by[d.best], by[d.pick]
    volume = (f"{d.queries_per_day:,.0f} queries a day over {d.horizon_days:,.0f} days "
              f"({d.queries:,.0f} queries)")
    acc = f"{best.accuracy:.3f} [{best.ci_low:.2f}, {best.ci_high:.2f}]"
    if not d.overlap:
        return (f"Use {p.condition}: the most accurate ({acc} on {', '.join(d.splits)}), and no other "
                f"condition reaches its interval; at {volume} it costs {_flops(p.total_flops)} FLOPs in all.")
    others = [c for c in d.candidates if c != best.condition]
    head = (f"The intervals overlap: {', '.join(others)} {'is' if len(others) == 1 else 'are'} not below the "
            f"interval of the most accurate, {best.condition} ({acc}), so these data do not rank them by "
            f"accuracy. At {volume}")
    if p.condition == best.condition:
        return f"{head} the most accurate is also the cheapest of them: {p.condition} ({_flops(p.total_flops)} FLOPs in all)."
    return (f"{head} the cheapest of them is {p.condition} ({_flops(p.total_flops)} FLOPs in all, against "
            f"{_flops(best.total_flops)} for {best.condition}).")


def markdown(d: Decision) -> str:
    """The "Which to use" section (its heading is the caller's)."""
    head = ["condition", "accuracy (pooled) [95% CI]", "retained", "one-off FLOPs (aug / teacher / train / index)",
            "FLOPs per query", "total FLOPs at Q", "break-even vs ICL", "break-even vs RAG"]
    rows = [[r.condition + (" **(pick)**" if r.condition == d.pick else " (control)" if r.control else ""),
             f"{r.accuracy:.3f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
             "-" if r.retained is None else format(r.retained, ".2f"),
             " / ".join(_flops(r.one_off[k] or None) for k in ONE_OFF), _flops(r.per_query_flops),
             _flops(r.total_flops), _queries(r.break_even_vs_icl, r.reference_icl, r.condition),
             _queries(r.break_even_vs_rag, r.reference_rag, r.condition)]
            for r in sorted(d.rows, key=lambda r: r.total_flops)]
    splits = [[s, str(p.best), ", ".join(p.candidates), str(p.pick)] for s, p in d.per_split.items()]
    return "\n".join([f"Q = {d.queries_per_day:,.0f} queries/day x {d.horizon_days:,.0f} days = {d.queries:,.0f} "
                      f"queries; accuracy pooled over {', '.join(d.splits) or 'no split'}.", "",
                      render_markdown(head, rows), "", d.text, "",
                      "Per split (candidates: not below the best one's interval; pick: the cheapest of them):", "",
                      render_markdown(["split", "most accurate", "candidates", "cheapest candidate"], splits)])


def _queries(q: Optional[float], ref: Optional[str], label: str) -> str:
    if ref is None or ref == label:
        return "-"
    return "never" if q is None else f"{q:,.0f}"


def plot(d: Decision, path, title: str = ""):
    """Accuracy (pooled, 95% CI) against total cost at Q, log scale; the pick is ringed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from augft.core.io import atomic_path

    rows = [r for r in d.rows if r.total_flops > 0 and not math.isnan(r.accuracy)]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for r in rows:
        err = [[r.accuracy - r.ci_low], [r.ci_high - r.accuracy]]
        ax.errorbar([r.total_flops], [r.accuracy], yerr=err, fmt="o", capsize=3)
        ax.annotate(r.condition, (r.total_flops, r.accuracy), fontsize=7, xytext=(4, 3),
                    textcoords="offset points")
        if r.condition == d.pick:
            ax.scatter([r.total_flops], [r.accuracy], s=180, facecolors="none", edgecolors="red")
    ax.set_xscale("log")
    ax.set_xlabel(f"total FLOPs at {d.queries:,.0f} queries (one-off + per query)")
    ax.set_ylabel("accuracy, pooled (95% CI)")
    ax.set_ylim(0, 1.1)  # room above 1.0 for the labels of perfect conditions
    ax.set_title(title or "accuracy against total cost; red ring: the pick", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path
