"""Human-facing results: a rich table on the terminal, report.md and one bar chart per split."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Set

from augft.core.artifacts import EvalResults
from augft.core.io import atomic_path, atomic_write_text
from augft.core.tables import (RETENTION_HEADER, accuracy_cell, accuracy_grid, footer_rows, interval_label,
                               render_markdown, retention_rows)

def _splits(results: EvalResults) -> List[str]:
    names: Set[str] = set()
    for c in results.conditions.values():
        names.update(c.splits)
    return sorted(names)


def _fmt_num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and x >= 1e5:
        return f"{x:.3g}"
    return f"{x:,.0f}" if isinstance(x, (int, float)) else str(x)


def _cells(results: EvalResults) -> dict:
    return {c: v.splits for c, v in results.conditions.items()}


def table_rows(results: EvalResults) -> tuple:
    """(header, rows): conditions in the order evaluated, then chance and n."""
    cells = _cells(results)
    header, rows = accuracy_grid(cells, order=False)
    return header, rows + footer_rows(cells)


def print_table(results: EvalResults) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    header, rows = table_rows(results)
    t = Table(title=f"accuracy ({results.scoring} scoring, {interval_label(results.interval)})")
    for h in header:
        t.add_column(h)
    for r in rows:
        t.add_row(*(Text(c) for c in r))  # plain text: "rag[bm25]" is not rich markup
    Console().print(t)


def _by_kind(results: EvalResults) -> List[str]:
    kinds = [[cond, k, accuracy_cell(s), str(s.n), "-" if s.chance is None else f"{s.chance:.3f}"]
             for cond, c in results.conditions.items() for k, s in c.kinds.items()]
    splits = _splits(results)
    scorings = [[cond, sc, *(f"{per[s]:.3f}" if s in per else "-" for s in splits)]
                for cond, c in results.conditions.items() for sc, per in c.by_scoring.items()]
    return ["## By kind", "", render_markdown(["condition", "split/kind", "accuracy", "n", "chance"], kinds),
            "", "## Other scorings (accuracy per split)", "",
            render_markdown(["condition", "scoring", *splits], scorings)]


def _costs(results: EvalResults) -> List[str]:
    costs = results.costs
    rows = [[cond, _fmt_num(c.n_params), f"{c.prompt_tokens_per_query:.1f}", _fmt_num(c.flops_per_query),
             _fmt_num(c.one_off_flops or None), f"{c.seconds_per_query:.3f}"] for cond, c in costs.conditions.items()]
    lines = ["## Costs", "", "FLOPs = 2 x params x tokens read per query (context + prompt + all choices).", "",
             render_markdown(["condition", "params", "prompt tokens/query", "FLOPs/query", "one-off FLOPs",
                              "measured s/query"], rows)]
    if costs.break_even:
        even = [[k, "never" if b.queries is None else _fmt_num(b.queries),
                 "" if b.one_off_known else "one-off cost not given (eval.costs.*)"]
                for k, b in costs.break_even.items()]
        lines += ["", render_markdown(["fine-tuned vs ICL", "queries until cheaper", "note"], even)]
    return lines


def markdown(results: EvalResults) -> str:
    header, rows = table_rows(results)
    lines = ["# augft eval report", "",
             f"{results.n_questions} questions; scoring: {results.scoring}; "
             f"cells are accuracy [{interval_label(results.interval)}].", "",
             render_markdown(header, rows), "", *_by_kind(results)]
    if any(c.retention for c in results.conditions.values()):
        lines += ["", "## Gain and retention", "",
                  "Retention: general-knowledge questions unrelated to the corpus (those the base model "
                  "answers correctly) and perplexity on general text; a drop is what fine-tuning forgot.", "",
                  render_markdown(RETENTION_HEADER, retention_rows(results.conditions))]
    lines += ["", *_costs(results), *rag_lines(results)]
    if results.decision and len(results.decision.rows) > 1:
        from augft.core.decision import markdown as decision_markdown

        lines += ["", "## Which to use", "", decision_markdown(results.decision)]
        if results.decision.plot:
            lines += ["", f"![accuracy against total cost]({results.decision.plot})"]
    for cond, c in results.conditions.items():
        if c.icl:
            i = c.icl
            lines += ["", f"ICL context for {cond}: {i.docs_used}/{i.docs_total} documents, "
                      f"{i.context_tokens} tokens (budget {i.budget_tokens}, "
                      f"{'seeded subsample, seed ' + str(i.seed) if i.subsampled else 'whole corpus'})."]
    return "\n".join(lines) + "\n"


def rag_lines(results: EvalResults) -> List[str]:
    """Retrieval per rag condition: what was retrieved and recall@k of the questions' source
    documents (a rag loss with high recall is a reading failure, with low recall a retrieval one)."""
    rag = {c: v.rag for c, v in results.conditions.items() if v.rag}
    if not rag:
        return []
    splits = sorted({s for r in rag.values() for s in r.recall_at_k})
    rows = [[cond, str(r.retriever), str(r.k), f"{r.docs_per_query:.1f}", f"{r.context_tokens_per_query:.0f}",
             *(f"{r.recall_at_k[s]:.2f}" if r.recall_at_k.get(s) is not None else "-" for s in splits)]
            for cond, r in rag.items()]
    header = ["condition", "retriever", "k", "docs/query", "tokens/query", *(f"recall@k {s}" for s in splits)]
    return ["", "## Retrieval", "", "recall@k: share of a question's source documents among the k retrieved.", "",
            render_markdown(header, rows)]


def plot_split(results: EvalResults, split: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conds = [c for c, v in results.conditions.items() if split in v.splits]
    stats = [results.conditions[c].splits[split] for c in conds]
    acc = [s.accuracy for s in stats]
    err = [[max(0.0, a - (s.ci_low if s.ci_low is not None else a)) for a, s in zip(acc, stats)],
           [max(0.0, (s.ci_high if s.ci_high is not None else a) - a) for a, s in zip(acc, stats)]]
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(conds), 3.6))
    ax.bar(conds, acc, yerr=err, capsize=4, color="#4c78a8")
    if stats[0].chance is not None:
        ax.axhline(stats[0].chance, ls="--", color="grey", label="chance")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(f"{split} (n={stats[0].n}, 95% CI)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def write_all(results: EvalResults, out: Path) -> Dict[str, str]:
    files = {}
    for split in _splits(results):
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in split)
        p = out / f"plot_{safe}.png"
        plot_split(results, split, p)
        files[split] = p.name
    if results.decision and len(results.decision.rows) > 1:
        from augft.core.decision import plot as decision_plot

        if decision_plot(results.decision, out / "plot_which_to_use.png"):
            results.decision.plot = "plot_which_to_use.png"
    atomic_write_text(out / "report.md", markdown(results))
    return files
