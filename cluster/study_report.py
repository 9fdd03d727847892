"""The study's report: one results table (conditions x splits, with 95% CIs), a plot
and a cost table, merged from the per-condition eval outputs."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

from augft.core.artifacts import (AugmentOutput, CostRow, Coverage, EvalOutput, EvalResults, RoundQuality, SplitStats,
                                  StrategyQuality, StudyResults, write_artifact)
from augft.core.io import atomic_path, atomic_write_text
from augft.core.tables import (PLAN_ACTUAL_HEADER, RETENTION_HEADER, accuracy_grid, condition_order, footer_rows,
                               interval_label, plan_actual_rows, render_markdown, render_text, retention_rows)
from augft.eval.compare import compare_folders
from augft.eval.questions.report import test_set_markdown


def merge_results(eval_dirs: Mapping[str, Path], aug_dirs: Optional[Mapping[str, Path]] = None) -> StudyResults:
    """{condition: eval folder} compared by eval's one comparison (retention against base, costs
    and break-even across every condition), plus each strategy's checker verdicts."""
    found = {c: Path(f) for c, f in eval_dirs.items() if EvalOutput(Path(f)).results_path.is_file()}
    compared = compare_folders(found)
    base = {f.name: getattr(compared, f.name) for f in dataclasses.fields(EvalResults)}
    quality = {s: q for s, d in (aug_dirs or {}).items()
               for name, q in AugmentOutput(d).quality().strategies.items() if name == s}
    return StudyResults(**base, quality=quality)


def cells(merged: EvalResults) -> Dict[str, Dict[str, SplitStats]]:
    return {c: dict(b.splits) for c, b in merged.conditions.items()}


def cost_rows(merged: EvalResults, stage_walls: Mapping[str, Mapping[str, Optional[float]]]) -> List[CostRow]:
    """Per condition: one-off compute (augmentation, training), per-query compute, the number of
    queries after which it is cheaper than ICL (eval's cost model), and the stages' wall times."""
    rows = []
    for cond in sorted(merged.conditions, key=condition_order):
        c = merged.costs.conditions.get(cond)
        walls = stage_walls.get(cond, {})
        be = merged.costs.break_even.get(f"{cond} vs icl")
        rows.append(CostRow(cond, augment_flops=c.augment_flops if c else None,
                            train_flops=c.train_flops if c else None,
                            per_query_flops=c.flops_per_query if c else None,
                            break_even_queries=be.queries if be else None,
                            augment_wall_s=walls.get("augment_wall_s"), train_wall_s=walls.get("train_wall_s"),
                            eval_wall_s=walls.get("eval_wall_s")))
    return rows


def _fmt(x, kind: str = "g") -> str:
    if x is None:
        return "-"
    if kind == "s":
        return f"{x:.0f}s"
    if kind == "q":
        return f"{x:,.0f}"
    return f"{x:.3g}"


COST_HEADER = ["condition", "augmentation FLOPs", "training FLOPs", "FLOPs per query", "break-even queries vs ICL",
               "augment / train / eval wall"]


def cost_markdown(rows: List[CostRow]) -> str:
    return render_markdown(COST_HEADER, [
        [r.condition, _fmt(r.augment_flops), _fmt(r.train_flops), _fmt(r.per_query_flops),
         _fmt(r.break_even_queries, "q"), " / ".join(_fmt(w, "s") for w in (r.augment_wall_s, r.train_wall_s,
                                                                            r.eval_wall_s))]
        for r in rows])


def markdown_table(tab: Dict[str, Dict[str, SplitStats]]) -> str:
    lines = [render_markdown(*accuracy_grid(tab))]
    chance, ns = footer_rows(tab)
    splits = accuracy_grid(tab)[0][1:]
    if splits:
        lines += ["", "Chance / questions per split: " + ", ".join(
            f"{s}: {c} / {n}" for s, c, n in zip(splits, chance[1:], ns[1:])) + "."]
    return "\n".join(lines)


QUALITY_HEADER = ["strategy", "statements", "true", "false", "uncheckable", "targets covered", "multi-step covered",
                  "covered: stated / other direction / both", "statements naming an individual (per individual)",
                  "depth"]


def quality_markdown(quality: Mapping[str, StrategyQuality]) -> str:
    """The exact checker's verdicts on each strategy's augmentations (built-in benchmarks); a
    strategy that runs in rounds (compose) gets a row per round, its coverage counted up to it."""
    rows = []
    for s, q in quality.items():
        rows.append(_quality_row(s, q, q))
        rows += [_quality_row(f"{s} round {r.round} (cumulative)", r, r.cumulative or r) for r in q.rounds]
    notes = ["", "Direction: `stated` counts targets stated in their own order (\"X is a grandparent of Y\"), "
             "`other` the other way round (\"A grandparent of Y is X\", the side a family question asks); "
             "depth: the most inference steps of a target stated (a round's own statements)."]
    table = [render_markdown(QUALITY_HEADER, rows)]
    return "\n".join(table + (notes if any(q.by_direction or q.ledger.individuals for q in quality.values()) else []))


def _quality_row(name: str, q: Union[StrategyQuality, RoundQuality],
                 cov: Union[StrategyQuality, RoundQuality, Coverage]) -> List[str]:
    m = f"{cov.multi_step.covered}/{cov.multi_step.targets}" if cov.multi_step.targets else "-"
    d = cov.by_direction
    direction = " / ".join(f"{d[k].covered}" for k in ("stated", "other", "both")) + f" of {d['stated'].targets}" \
        if d else "-"
    led = q.ledger
    named = f"{led.about_individuals} ({led.per_individual:.1f} over {led.individuals})" if led.individuals else "-"
    return [name, str(q.n), str(q.true), str(q.false), str(q.uncheckable), f"{cov.covered}/{cov.targets}", m,
            direction, named, str(led.depth or "-")]


def _legend_row_major(handles: list, ncol: int) -> list:
    """Handles reordered so a legend that fills column by column reads row by row."""
    return [handles[row * ncol + col] for col in range(ncol) for row in range(-(-len(handles) // ncol))
            if row * ncol + col < len(handles)]


def _split_labels(tab: Dict[str, Dict[str, SplitStats]], conds: List[str], splits: List[str]) -> List[str]:
    out = []
    for s in splits:
        n = next((tab[c][s].n for c in conds if s in tab[c] and tab[c][s].n), None)
        out.append(f"{s}\n(n={n})" if n else s)
    return out


def _bars(ax, tab, conds: List[str], splits: List[str]) -> list:
    """One bar per condition and split, with CI whiskers; a zero shows as an outlined stub and
    its value, so a condition that scored 0 is visibly there."""
    width = 0.8 / len(conds)
    handles = []
    for i, cond in enumerate(conds):
        xs, ys, lo, hi = [], [], [], []
        for j, s in enumerate(splits):
            m = tab[cond].get(s)
            if m is None or m.accuracy is None:
                continue
            a = m.accuracy
            xs.append(j + (i - (len(conds) - 1) / 2) * width)
            ys.append(a)
            lo.append(max(0.0, a - (a if m.ci_low is None else m.ci_low)))
            hi.append(max(0.0, (a if m.ci_high is None else m.ci_high) - a))
        bars = ax.bar(xs, [max(y, 0.006) for y in ys], width, yerr=[lo, hi], capsize=2, label=cond,
                      edgecolor="black", linewidth=0.4)
        handles.append(bars)
        for x, y, top in zip(xs, ys, hi):
            if y == 0:  # above its whisker, which would hide it
                ax.text(x, top + 0.015, "0", ha="center", va="bottom", fontsize=7)
    return handles


def plot(tab: Dict[str, Dict[str, SplitStats]], path: Path, title: str = "", model: str = "") -> Optional[Path]:
    """Grouped bars: one group per split (with its n), one bar per condition, 95% CI whiskers,
    chance lines; the title names the study and the model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = sorted(tab, key=condition_order)
    splits = sorted({s for row in tab.values() for s in row})
    if not conds or not splits:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(splits) * max(1, len(conds) / 3)), 4.4))
    handles = _bars(ax, tab, conds, splits)
    for j, s in enumerate(splits):
        ch = next((tab[c][s].chance for c in conds if s in tab[c] and tab[c][s].chance is not None), None)
        if ch is not None:
            ax.hlines(ch, j - 0.45, j + 0.45, colors="gray", linestyles="dashed")
    ax.set_xticks(range(len(splits)), _split_labels(tab, conds, splits))
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (95% CI); dashed: chance")
    heading = " - ".join(t for t in (title, f"model: {model}" if model else "") if t)
    if heading:
        ax.set_title(heading, fontsize=9)
    # Below the axes: inside, it hides the bars that reach 1.0.
    ncol = min(4, len(conds))
    ax.legend(_legend_row_major(handles, ncol), _legend_row_major(conds, ncol), fontsize=7, ncol=ncol,
              loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return path


def _sections(merged: StudyResults, rows: List[CostRow], png: Optional[Path]) -> List[str]:
    tab = cells(merged)
    warn = [f"> **Degenerate augmentation:** {line}" for line in degenerate_lines(merged)]
    md = [*(warn + [""] if warn else []), f"## Accuracy per split and condition ({interval_label(merged.interval)})",
          "", markdown_table(tab), ""]
    if png:
        md += ["![accuracy per split and condition](plot.png)", ""]
    if any(c.retention for c in merged.conditions.values()):
        md += ["## Gain and retention", "", "Retention: general-knowledge questions unrelated to the corpus "
               "(those the base model answers correctly) and perplexity on general text shipped with "
               "Python; a drop is what fine-tuning forgot.", "",
               render_markdown(RETENTION_HEADER, retention_rows(merged.conditions)), ""]
    if merged.test_set:
        md += ["## Test set", "", test_set_markdown(merged.test_set), ""]
    if merged.augmentations:
        md += ["## Augmentations", "", "What each strategy's model wrote: kept (trained on), filtered "
               "(by the filter that dropped it) and failed.", "", augmentations_markdown(merged), ""]
    if merged.quality:
        md += ["## Augmentations, by the benchmark's exact checker", "", quality_markdown(merged.quality), ""]
    md += ["## Costs", "", "One-off compute (augmentation, training) against the per-query compute; "
           "break-even is the number of queries after which the condition costs less than ICL, "
           "which pays for its context on every query.", "", cost_markdown(rows), ""]
    if merged.plan_vs_actual:
        md += ["## Plan against actual", "", "Each stage's estimate (augft plan's, on the cluster the study ran on) "
               "beside what it spent: wall seconds, GPU-seconds (wall x the GPUs it held), tokens (augment: "
               "generated; train: trained; eval: scored) and FLOPs.", "",
               render_markdown(PLAN_ACTUAL_HEADER, plan_actual_rows(merged.plan_vs_actual)), ""]
    return md


def write_report(folder: Path, merged: StudyResults, stage_walls: Mapping[str, Mapping[str, Optional[float]]],
                 title: str = "augft study", model: str = "", report_cfg=None) -> Path:
    """report.md, plot.png, which_to_use.png and results.json (the typed study results, cost rows
    and the decision included)."""
    folder.mkdir(parents=True, exist_ok=True)
    merged.cost_table = cost_rows(merged, stage_walls)
    which = which_to_use(folder, merged, report_cfg)
    write_artifact(folder / "results.json", merged)
    png = plot(cells(merged), folder / "plot.png", title, model)
    md = [f"# {title}", "", *_sections(merged, merged.cost_table, png), *which]
    return atomic_write_text(folder / "report.md", "\n".join(md))


def which_to_use(folder: Path, merged: StudyResults, report_cfg=None) -> List[str]:
    """The "Which to use" section (core/decision.py) and its plot; sets merged.decision."""
    from augft.core.decision import decide, markdown, plot as decision_plot, priced

    rows = priced(merged)
    if len(rows) < 2:
        return []
    qpd, days, splits = (1000.0, 365.0, []) if report_cfg is None else (
        float(report_cfg.queries_per_day), float(report_cfg.horizon_days), [str(s) for s in report_cfg.splits])
    d = merged.decision = decide(rows, qpd, days, splits)
    md = ["## Which to use", "", "Per condition: accuracy pooled over the splits with its 95% interval, what was "
          "paid once (augmentation, teacher targets, training, index) and per query; the pick is the cheapest "
          "condition at this query volume whose accuracy is not below the most accurate one's interval.", "",
          markdown(d), ""]
    if decision_plot(d, folder / "which_to_use.png"):
        d.plot = "which_to_use.png"
        md += ["![accuracy against total cost](which_to_use.png)", ""]
    return md


def degenerate_lines(merged: StudyResults) -> List[str]:
    return [a.degenerate for a in merged.augmentations.values() if a.degenerate]


def augmentations_markdown(merged: StudyResults) -> str:
    from augft.cluster.augment_health import markdown

    augs = merged.augmentations
    return markdown(augs, {s: a.degenerate for s, a in augs.items() if a.degenerate})


def console_table(merged: EvalResults) -> str:
    return render_text(*accuracy_grid(cells(merged)), title=f"accuracy per split ({interval_label(merged.interval)})")
