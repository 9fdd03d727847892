"""The accuracy table every report prints: conditions x splits, "accuracy [low, high]" cells.

One renderer for the terminal (eval, `augft compare`, `augft run`) and for Markdown reports,
so the same numbers read the same everywhere.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from augft.core.artifacts import ConditionSummary, PlanActual, Retention, SplitStats
from augft.core.conditions import family_of

Cells = Mapping[str, Mapping[str, SplitStats]]  # condition -> split -> its accuracy and interval
_ORDER = ["base", "icl", "ft", "ft+icl"]


def condition_order(name: str):
    """base, icl, ft, aug_ft[...] (alphabetical), ft+icl, then anything else."""
    if family_of(name) == "aug_ft":
        return (3, name)
    if name == "ft+icl":
        return (4, name)
    return (_ORDER.index(name), name) if name in _ORDER else (5, name)


def accuracy_cell(m: Optional[SplitStats]) -> str:
    if m is None or m.accuracy is None:
        return "-"
    if m.ci_low is not None and m.ci_high is not None:
        return f"{m.accuracy:.3f} [{m.ci_low:.2f}, {m.ci_high:.2f}]"
    return f"{m.accuracy:.3f}"


def accuracy_grid(cells: Cells, order: bool = True) -> Tuple[List[str], List[List[str]]]:
    """(header, rows): one row per condition (in study order unless `order` is off)."""
    splits = sorted({s for row in cells.values() for s in row})
    conds = sorted(cells, key=condition_order) if order else list(cells)
    rows = [[c] + [accuracy_cell(cells[c].get(s)) for s in splits] for c in conds]
    return ["condition"] + splits, rows


def footer_rows(cells: Cells) -> List[List[str]]:
    """`chance` and `n` rows for the grid's splits (from any condition that has the split)."""
    splits = sorted({s for row in cells.values() for s in row})
    first: Dict[str, SplitStats] = {}
    for row in cells.values():
        for s, m in row.items():
            first.setdefault(s, m)
    chance = ["chance"] + [f"{first[s].chance:.3f}" if first[s].chance is not None else "-" for s in splits]
    n = ["n"] + [str(first[s].n) if first[s].n else "-" for s in splits]
    return [chance, n]


def render_text(header: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> str:
    """Aligned columns with a rule under the header."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title] if title else []
    lines.append("  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def render_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def interval_label(method: str) -> str:
    return "95% bootstrap CI" if str(method) == "bootstrap" else "95% Wilson CI"


def retention_rows(conditions: Mapping[str, ConditionSummary],
                   retention_split: str = "retention") -> List[List[str]]:
    """Per condition: mean accuracy gain over `base` on the corpus's splits, accuracy on the
    retention questions base answers correctly (n), and general-text perplexity (vs base)."""
    base = conditions.get("base")
    base_ppl = base.retention.general_ppl if base is not None and base.retention else None
    rows = []
    for cond in sorted(conditions, key=condition_order):
        c = conditions[cond]
        gains = [m.accuracy - base.splits[s].accuracy for s, m in c.splits.items()
                 if base is not None and s != retention_split and s in base.splits]
        ret = c.retention or Retention()
        kept, ppl = ret.retained, ret.general_ppl
        rows.append([cond, f"{sum(gains) / len(gains):+.3f}" if gains else "-",
                     f"{kept.accuracy:.3f} ({kept.n})" if kept else "-",
                     "-" if ppl is None else (f"{ppl:.2f}" + (f" ({ppl - base_ppl:+.2f})" if base_ppl else ""))])
    return rows


RETENTION_HEADER = ["condition", "gain vs base (corpus splits, mean)",
                    "retention: accuracy on what base knew (n)", "general-text perplexity (vs base)"]


PLAN_ACTUAL_HEADER = ["stage", "wall est.", "wall", "GPU-s est.", "GPU-s", "tokens est.", "tokens", "FLOPs est.",
                      "FLOPs"]


def _num(x: Optional[float], fmt: str = ".3g") -> str:
    return "-" if x is None else format(x, fmt)


def plan_actual_rows(rows: Sequence[PlanActual]) -> List[List[str]]:
    """Each stage's estimate beside what it spent (wall seconds, GPU-seconds, tokens, FLOPs); a
    cached stage shows what it spent when it ran."""
    out = []
    for r in rows:
        e, a = r.estimate, r.actual
        out.append([r.stage + (" (cached)" if r.cached else ""), _num(e.wall_s, ".0f"), _num(a.wall_s, ".0f"),
                    _num(e.gpu_s, ".0f"), _num(a.gpu_s, ".0f"), _num(e.tokens, ",.0f"), _num(a.tokens, ",.0f"),
                    _num(e.flops), _num(a.flops)])
    return out
