"""`augft plan`'s printout: a header of assumptions, one row per stage, and the notes."""
from __future__ import annotations

from typing import List, Optional

from augft.cluster.plan import StageEstimate, StudyPlan

COLUMNS = ("stage", "prompts", "tokens in", "out <=", "out ~", "train tokens", "FLOPs", "resources", "GPUs",
           "wall", "GPU-h")


def si(x: Optional[float]) -> str:
    if x is None:
        return "-"
    for div, unit in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.3g}" if x != int(x) else str(int(x))


def duration(s: Optional[float]) -> str:
    if s is None:
        return "-"
    for div, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if s >= div:
            return f"{s / div:.1f} {unit}"
    return f"{s:.2g} s"


def _cells(r: StageEstimate, plan: StudyPlan) -> List[str]:
    gpu_h = r.gpu_hours
    cells = [r.name, si(r.prompts), si(r.tokens_in), si(r.out_bound), si(r.out_measured), si(r.train_tokens),
             f"{r.flops:.3g}" if r.flops else "-", r.placement.describe() if r.placement else "-",
             str(r.gpus) if r.placement else "-", duration(r.wall_s), f"{gpu_h:.3g}" if gpu_h is not None else "-"]
    if plan.price:
        cells.append(f"{gpu_h * plan.price:,.2f}" if gpu_h is not None else "-")
    return cells


def _header(plan: StudyPlan) -> List[str]:
    g, r = plan.gpu, plan.rates
    gen = (f"generation {r['generation_tokens_per_s']:g} tokens/s/GPU (plan.generation_tokens_per_s)"
           if r["generation_tokens_per_s"] else f"generation {r['generation_efficiency']:.2f} of the decoding roofline")
    return [f"augft plan: {plan.documents} documents, {si(plan.corpus_tokens)} corpus tokens; student {plan.model} "
            f"({si(plan.n_params)} params), generator {plan.generator} ({si(plan.generator_params)} params)",
            f"cluster: {plan.cluster.describe()}",
            f"GPU {g.name}: {g.bf16_flops / 1e12:g} TFLOP/s bf16, {g.memory_gb:g} GB, {g.bandwidth_gbs:g} GB/s "
            f"(datasheet); assumed: train MFU {r['train_mfu']:.2f}, eval MFU {r['eval_mfu']:.2f}, {gen}, "
            f"{r['startup_s']:g} s start-up per GPU stage (core/gpus.py, plan.*)"]


def _table(cols: List[str], rows: List[List[str]]) -> List[str]:
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [fmt(cols), fmt(["-" * w for w in widths])] + [fmt(c) for c in rows]


def _costs(plan: StudyPlan) -> List[str]:
    """The report's cost table at the planned counts (eval.costs.cost_table)."""
    if plan.costs is None:
        return []
    rows = [[label, f"{c.tokens_per_query:.1f}", f"{c.flops_per_query:.3g}", f"{c.one_off_flops:.3g}"]
            for label, c in plan.costs.conditions.items()]
    return ["", "cost table at these counts (as the report prices a run):"] + _table(
        ["condition", "tokens/query", "FLOPs/query", "one-off FLOPs"], rows)


def render(plan: StudyPlan) -> str:
    from augft.cluster.plan_stages import totals

    cols = list(COLUMNS) + ([f"{plan.currency}"] if plan.price else [])
    rows = [_cells(s, plan) for s in plan.stages]
    tot = totals(plan)
    gpu_h = sum(s.gpu_hours or 0.0 for s in plan.stages)
    rows.append(["total", "", "", "", "", "", f"{tot.flops:.3g}", "", "", duration(tot.wall_s), f"{gpu_h:.3g}"]
                + ([f"{gpu_h * plan.price:,.2f}"] if plan.price else []))
    lines = _header(plan) + [""] + _table(cols, rows) + _costs(plan)
    notes = [f"  {s.name}: {s.note}" for s in plan.stages if s.note] + [f"  {n}" for n in plan.notes]
    return "\n".join(lines + (["", "notes:"] + notes if notes else []))
