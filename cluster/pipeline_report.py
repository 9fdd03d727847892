"""The study's report: one results table (conditions x splits, with 95% CIs), a plot
and a cost table, merged from the per-condition eval outputs."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from augft.tracking.compare import condition_order, format_table


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _augment_flops(manifests: List[str], n_params) -> Optional[float]:
    """Sum over all of a condition's augmentation runs (eval's cost model takes one per label)."""
    from augft.core.errors import AugftError

    try:
        from augft.eval.costs import augment_flops
    except ImportError:
        return None
    total = 0.0
    for m in manifests:
        try:
            total += augment_flops(m, m, int(n_params))
        except AugftError:
            return None
    return total


def merge_results(eval_dirs: Mapping[str, Path], manifests: Optional[Mapping[str, List[str]]] = None) -> dict:
    """{condition: eval folder} -> one results dict in eval's format (conditions, costs).

    The cost table is rebuilt over all conditions with eval's cost model, so break-even
    pairs every fine-tuned condition with every ICL condition across the eval folders."""
    merged: dict = {"conditions": {}, "costs": {"conditions": {}, "break_even": {}}}
    entries: Dict[str, dict] = {}
    for cond, folder in eval_dirs.items():
        res = _load(folder / "results.json")
        body = res.get("conditions", {})
        # An eval folder evaluates one condition; take it by name, else its only entry.
        entry = body.get(cond) or (next(iter(body.values())) if len(body) == 1 else None)
        if entry is not None:
            merged["conditions"][cond] = entry
        for k in ("scoring", "bootstrap", "n_questions"):
            if k in res:
                merged.setdefault(k, res[k])
        ce = (res.get("costs") or {}).get("conditions", {})
        if cond in ce:
            entries[cond] = ce[cond]
    if entries and all({"n_params", "tokens_per_query", "icl"} <= set(e) for e in entries.values()):
        from augft.eval.costs import cost_table

        one_off = {c: {"train_flops": e.get("train_flops"), "augment_flops": e.get("augment_flops")}
                   for c, e in entries.items()}
        for c, paths in (manifests or {}).items():
            if c in entries and len(paths) > 1:
                summed = _augment_flops(paths, entries[c]["n_params"])
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
    number of queries after which it is cheaper than ICL (ICL pays its context every query)."""
    rows = []
    per = merged["costs"].get("conditions", {})
    icl_q = _num(per.get("icl", {}).get("flops_per_query"))
    for cond in sorted(merged["conditions"], key=condition_order):
        c = per.get(cond, {})
        sc = stage_costs.get(cond, {})
        aug = _num(c.get("augment_flops"))
        train = _num(c.get("train_flops"))
        if train is None:
            train = _num(sc.get("train_flops"))
        per_q = _num(c.get("flops_per_query"))
        be_entry = merged["costs"].get("break_even", {}).get(f"{cond} vs icl")
        be = _num(be_entry.get("queries")) if be_entry else None
        one_off = (aug or 0.0) + (train or 0.0)
        if be is None and icl_q is not None and per_q is not None and one_off > 0 and icl_q > per_q:
            be = float(math.ceil(one_off / (icl_q - per_q)))
        rows.append({"condition": cond, "augment_flops": aug, "train_flops": train,
                     "per_query_flops": per_q, "break_even_queries": be,
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


def cost_table(rows: List[dict]) -> str:
    head = "| condition | augmentation FLOPs | training FLOPs | FLOPs per query | break-even queries vs ICL | augment / train / eval wall |"
    lines = [head, "|---|---|---|---|---|---|"]
    for r in rows:
        walls = " / ".join(_fmt(r[k], "s") for k in ("augment_wall_s", "train_wall_s", "eval_wall_s"))
        lines.append(f"| {r['condition']} | {_fmt(r['augment_flops'])} | {_fmt(r['train_flops'])} | "
                     f"{_fmt(r['per_query_flops'])} | {_fmt(r['break_even_queries'], 'q')} | {walls} |")
    return "\n".join(lines)


def markdown_table(tab: Dict[str, Dict[str, dict]]) -> str:
    splits = sorted({s for row in tab.values() for s in row})
    lines = ["| condition | " + " | ".join(splits) + " |", "|---" * (len(splits) + 1) + "|"]
    for cond in sorted(tab, key=condition_order):
        cells_ = []
        for s in splits:
            m = tab[cond].get(s)
            if not m or m.get("accuracy") is None:
                cells_.append("-")
            else:
                ci = (f" [{m['ci_low']:.2f}, {m['ci_high']:.2f}]"
                      if m.get("ci_low") is not None and m.get("ci_high") is not None else "")
                cells_.append(f"{m['accuracy']:.3f}{ci}")
        lines.append(f"| {cond} | " + " | ".join(cells_) + " |")
    chance = {s: m.get("chance") for row in tab.values() for s, m in row.items() if m.get("chance") is not None}
    ns = {s: m.get("n") for row in tab.values() for s, m in row.items() if m.get("n") is not None}
    if chance or ns:
        lines.append("")
        lines.append("Chance / questions per split: " + ", ".join(
            f"{s}: {_fmt(chance.get(s))} / {ns.get(s, '-')}" for s in splits) + ".")
    return "\n".join(lines)


def plot(tab: Dict[str, Dict[str, dict]], path: Path) -> Optional[Path]:
    """Grouped bars: one group per split, one bar per condition, 95% CI whiskers, chance lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = sorted(tab, key=condition_order)
    splits = sorted({s for row in tab.values() for s in row})
    if not conds or not splits:
        return None
    width = 0.8 / len(conds)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(splits) * max(1, len(conds) / 3)), 4))
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
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=cond)
    for j, s in enumerate(splits):
        ch = next((tab[c][s].get("chance") for c in conds if s in tab[c] and tab[c][s].get("chance") is not None), None)
        if ch is not None:
            ax.hlines(ch, j - 0.45, j + 0.45, colors="gray", linestyles="dashed")
    ax.set_xticks(range(len(splits)), splits)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (95% CI); dashed: chance")
    # Below the axes: inside, it hides the bars that reach 1.0.
    ax.legend(fontsize=7, ncol=min(4, len(conds)), loc="upper center", bbox_to_anchor=(0.5, -0.1),
              frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(folder: Path, merged: dict, stage_costs: Mapping[str, Mapping[str, float]],
                 title: str = "augft study") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tab = cells(merged)
    rows = cost_rows(merged, stage_costs)
    merged = {**merged, "cost_table": rows}
    (folder / "results.json").write_text(json.dumps(merged, indent=2, default=str))
    png = plot(tab, folder / "plot.png")
    md = [f"# {title}", "", "## Accuracy per split and condition (95% bootstrap CI)", "",
          markdown_table(tab), ""]
    if png:
        md += ["![accuracy per split and condition](plot.png)", ""]
    md += ["## Costs", "", "One-off compute (augmentation, training) against the per-query compute; "
           "break-even is the number of queries after which the condition costs less than ICL, "
           "which pays for its context on every query.", "", cost_table(rows), ""]
    (folder / "report.md").write_text("\n".join(md))
    return folder / "report.md"


def console_table(merged: dict) -> str:
    return format_table(cells(merged), "accuracy per split (95% CI)")
