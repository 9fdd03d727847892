"""The study's report: one results table (conditions x splits, with 95% CIs), a plot
and a cost table, merged from the per-condition eval outputs."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from augft.core.artifacts import AugmentOutput, EvalOutput
from augft.core.errors import AugftError
from augft.core.io import atomic_path, atomic_write_json, atomic_write_text
from augft.core.tables import (RETENTION_HEADER, accuracy_grid, condition_order, footer_rows, interval_label,
                               render_markdown, render_text, retention_rows)
from augft.eval.costs import augment_flops, cost_table
from augft.eval.questions.report import test_set_markdown


def _augment_flops(aug_dirs: List[Path], n_params: int) -> Optional[float]:
    """Sum over all of a condition's augmentation runs (eval's cost model takes one per label)."""
    total = 0.0
    for d in aug_dirs:
        try:
            total += augment_flops(str(AugmentOutput(d).manifest_path), "study", int(n_params))
        except AugftError:
            return None
    return total


def _condition_entry(label: str, folder: Path) -> Tuple[Optional[dict], dict, dict]:
    """(results entry, cost entry, file-level keys) of one condition's eval folder."""
    try:
        res = EvalOutput(folder).results()
        entry = EvalOutput(folder).condition(label)
    except AugftError:
        return None, {}, {}
    cost = (res.get("costs") or {}).get("conditions", {}).get(label, {})
    return entry, cost, {k: res[k] for k in ("scoring", "interval", "n_questions") if k in res}


def _add_retained(merged: dict, eval_dirs: Mapping[str, Path]) -> None:
    """Each condition's accuracy on the retention questions the base model answers correctly."""
    from augft.eval.retention import retained

    if "base" not in eval_dirs or "base" not in merged["conditions"]:
        return
    try:
        base_rows = list(EvalOutput(eval_dirs["base"]).predictions())
        for cond, folder in eval_dirs.items():
            if cond in merged["conditions"]:
                kept = retained(base_rows, EvalOutput(folder).predictions())
                if kept is not None:
                    merged["conditions"][cond].setdefault("retention", {})["retained"] = kept
    except OSError:  # a folder without predictions (older outputs): no retention row
        return


def merge_results(eval_dirs: Mapping[str, Path], manifests: Optional[Mapping[str, List[Path]]] = None,
                  aug_dirs: Optional[Mapping[str, Path]] = None) -> dict:
    """{condition: eval folder} -> one results dict in eval's format (conditions, costs, quality).

    The cost table is rebuilt over all conditions with eval's cost model, so break-even
    pairs every fine-tuned condition with every ICL condition across the eval folders."""
    merged: dict = {"conditions": {}, "costs": {"conditions": {}, "break_even": {}}}
    entries: Dict[str, dict] = {}
    for cond, folder in eval_dirs.items():
        entry, cost, keys = _condition_entry(cond, Path(folder))
        if entry is not None:
            merged["conditions"][cond] = entry
        for k, v in keys.items():
            merged.setdefault(k, v)
        if cost:
            entries[cond] = cost
    _add_retained(merged, eval_dirs)
    merged["quality"] = {s: AugmentOutput(d).quality().get(s) for s, d in (aug_dirs or {}).items()
                         if AugmentOutput(d).quality().get(s)}
    if entries and all({"n_params", "tokens_per_query", "icl"} <= set(e) for e in entries.values()):
        one_off = {c: {"train_flops": e.get("train_flops"), "augment_flops": e.get("augment_flops"),
                       **{k: e[k] for k in ("index_flops", "teacher_flops") if e.get(k) is not None}}
                   for c, e in entries.items()}
        for c, dirs in (manifests or {}).items():
            if c in entries and len(dirs) > 1:
                summed = _augment_flops(list(dirs), entries[c]["n_params"])
                if summed is not None:
                    one_off[c]["augment_flops"] = summed
        merged["costs"] = cost_table(entries, one_off)
    else:
        merged["costs"]["conditions"] = entries
    return merged


def cells(merged: dict) -> Dict[str, Dict[str, dict]]:
    return {c: dict(b.get("splits", {})) for c, b in merged["conditions"].items()}


def _num(x) -> Optional[float]:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def cost_rows(merged: dict, stage_costs: Mapping[str, Mapping[str, float]]) -> List[dict]:
    """Per condition: one-off compute (augmentation, training), per-query compute, and the
    number of queries after which it is cheaper than ICL (eval's cost model's break-even)."""
    rows = []
    per = merged["costs"].get("conditions", {})
    for cond in sorted(merged["conditions"], key=condition_order):
        c = per.get(cond, {})
        sc = stage_costs.get(cond, {})
        train = _num(c.get("train_flops"))
        be_entry = merged["costs"].get("break_even", {}).get(f"{cond} vs icl")
        rows.append({"condition": cond, "augment_flops": _num(c.get("augment_flops")),
                     "train_flops": train if train is not None else _num(sc.get("train_flops")),
                     "per_query_flops": _num(c.get("flops_per_query")),
                     "break_even_queries": _num(be_entry.get("queries")) if be_entry else None,
                     "augment_wall_s": sc.get("augment_wall_s"), "train_wall_s": sc.get("train_wall_s"),
                     "eval_wall_s": sc.get("eval_wall_s")})
    return rows


def _fmt(x, kind: str = "g") -> str:
    if x is None:
        return "-"
    if kind == "s":
        return f"{x:.0f}s"
    if kind == "q":
        return f"{x:,.0f}"
    return f"{x:.3g}"


def cost_markdown(rows: List[dict]) -> str:
    head = "| condition | augmentation FLOPs | training FLOPs | FLOPs per query | break-even queries vs ICL | augment / train / eval wall |"
    lines = [head, "|---|---|---|---|---|---|"]
    for r in rows:
        walls = " / ".join(_fmt(r[k], "s") for k in ("augment_wall_s", "train_wall_s", "eval_wall_s"))
        lines.append(f"| {r['condition']} | {_fmt(r['augment_flops'])} | {_fmt(r['train_flops'])} | "
                     f"{_fmt(r['per_query_flops'])} | {_fmt(r['break_even_queries'], 'q')} | {walls} |")
    return "\n".join(lines)


def markdown_table(tab: Dict[str, Dict[str, dict]]) -> str:
    lines = [render_markdown(*accuracy_grid(tab))]
    chance, ns = footer_rows(tab)
    splits = accuracy_grid(tab)[0][1:]
    if splits:
        lines += ["", "Chance / questions per split: " + ", ".join(
            f"{s}: {c} / {n}" for s, c, n in zip(splits, chance[1:], ns[1:])) + "."]
    return "\n".join(lines)


def quality_markdown(quality: Mapping[str, dict]) -> str:
    """The exact checker's verdicts on each strategy's augmentations (built-in benchmarks)."""
    lines = ["| strategy | statements | true | false | uncheckable | targets covered |", "|---|---|---|---|---|---|"]
    for s, q in quality.items():
        lines.append(f"| {s} | {q['n']} | {q['true']} | {q['false']} | {q['uncheckable']} | "
                     f"{q['covered']}/{q['targets']} |")
    return "\n".join(lines)


def _legend_row_major(handles: list, ncol: int) -> list:
    """Handles reordered so a legend that fills column by column reads row by row."""
    return [handles[row * ncol + col] for col in range(ncol) for row in range(-(-len(handles) // ncol))
            if row * ncol + col < len(handles)]


def _split_labels(tab: Dict[str, Dict[str, dict]], conds: List[str], splits: List[str]) -> List[str]:
    out = []
    for s in splits:
        n = next((tab[c][s].get("n") for c in conds if s in tab[c] and tab[c][s].get("n")), None)
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
            if not m or m.get("accuracy") is None:
                continue
            a = m["accuracy"]
            xs.append(j + (i - (len(conds) - 1) / 2) * width)
            ys.append(a)
            lo.append(max(0.0, a - m.get("ci_low", a)))
            hi.append(max(0.0, m.get("ci_high", a) - a))
        bars = ax.bar(xs, [max(y, 0.006) for y in ys], width, yerr=[lo, hi], capsize=2, label=cond,
                      edgecolor="black", linewidth=0.4)
        handles.append(bars)
        for x, y, top in zip(xs, ys, hi):
            if y == 0:  # above its whisker, which would hide it
                ax.text(x, top + 0.015, "0", ha="center", va="bottom", fontsize=7)
    return handles


def plot(tab: Dict[str, Dict[str, dict]], path: Path, title: str = "", model: str = "") -> Optional[Path]:
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
        ch = next((tab[c][s].get("chance") for c in conds if s in tab[c] and tab[c][s].get("chance") is not None), None)
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


def write_report(folder: Path, merged: dict, stage_costs: Mapping[str, Mapping[str, float]],
                 title: str = "augft study", model: str = "", report_cfg=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tab = cells(merged)
    rows = cost_rows(merged, stage_costs)
    merged = {**merged, "cost_table": rows}
    which = which_to_use(folder, merged, report_cfg)
    atomic_write_json(folder / "results.json", merged)
    png = plot(tab, folder / "plot.png", title, model)
    warn = [f"> **Degenerate augmentation:** {line}" for line in degenerate_lines(merged)]
    md = [f"# {title}", "", *(warn + [""] if warn else []), f"## Accuracy per split and condition ({interval_label(merged.get('interval'))})",
          "", markdown_table(tab), ""]
    if png:
        md += ["![accuracy per split and condition](plot.png)", ""]
    if any(c.get("retention") for c in merged["conditions"].values()):
        md += ["## Gain and retention", "", "Retention: general-knowledge questions unrelated to the corpus "
               "(those the base model answers correctly) and perplexity on general text shipped with "
               "Python; a drop is what fine-tuning forgot.", "",
               render_markdown(RETENTION_HEADER, retention_rows(merged["conditions"])), ""]
    if merged.get("test_set"):
        md += ["## Test set", "", test_set_markdown(merged["test_set"]), ""]
    if merged.get("augmentations"):
        md += ["## Augmentations", "", "What each strategy's model wrote: kept (trained on), filtered "
               "(by the filter that dropped it) and failed.", "", augmentations_markdown(merged), ""]
    if merged.get("quality"):
        md += ["## Augmentations, by the benchmark's exact checker", "", quality_markdown(merged["quality"]), ""]
    md += ["## Costs", "", "One-off compute (augmentation, training) against the per-query compute; "
           "break-even is the number of queries after which the condition costs less than ICL, "
           "which pays for its context on every query.", "", cost_markdown(rows), ""]
    md += which
    return atomic_write_text(folder / "report.md", "\n".join(md))


def which_to_use(folder: Path, merged: dict, report_cfg=None) -> List[str]:
    """The "Which to use" section (core/decision.py) and its plot; merged["decision"] is set
    (and written to results.json) in place."""
    from augft.core.decision import decide, markdown, plot as decision_plot

    if len((merged.get("costs") or {}).get("conditions", {})) < 2:
        return []
    qpd, days, splits = (1000.0, 365.0, []) if report_cfg is None else (
        float(report_cfg.queries_per_day), float(report_cfg.horizon_days), [str(s) for s in report_cfg.splits])
    d = merged["decision"] = decide(merged, qpd, days, splits)
    md = ["## Which to use", "", "Per condition: accuracy pooled over the splits with its 95% interval, what was "
          "paid once (augmentation, teacher targets, training, index) and per query; the pick is the cheapest "
          "condition at this query volume whose accuracy is not below the most accurate one's interval.", "",
          markdown(d), ""]
    if decision_plot(d, folder / "which_to_use.png"):
        d["plot"] = "which_to_use.png"
        md += ["![accuracy against total cost](which_to_use.png)", ""]
    atomic_write_json(folder / "results.json", merged)
    return md


def degenerate_lines(merged: dict) -> List[str]:
    return [a["degenerate"] for a in (merged.get("augmentations") or {}).values() if a.get("degenerate")]


def augmentations_markdown(merged: dict) -> str:
    from augft.cluster.augment_health import StrategyCounts, markdown

    augs = merged["augmentations"]
    return markdown({s: StrategyCounts(a["kept"], dict(a["filtered"]), a["failed"]) for s, a in augs.items()},
                    {s: a["degenerate"] for s, a in augs.items() if a.get("degenerate")})


def console_table(merged: dict) -> str:
    return render_text(*accuracy_grid(cells(merged)),
                       title=f"accuracy per split ({interval_label(merged.get('interval'))})")
