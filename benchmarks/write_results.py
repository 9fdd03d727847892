"""Writes docs/results.md from benchmarks/results/*.json, and the generated blocks that the
README and docs embed (between `<!-- results:NAME -->` and `<!-- /results -->`).

Nothing in docs/results.md is typed by hand: each results file becomes a section (the command
that wrote it, the machine where the file names one, its headline ratios against the baseline
measured in the same run, and its tables). A few renderers serve every file by the shape of its
values: accuracy grids (condition x split, "accuracy [low, high]"), tables of entries compared
side by side (engines, sizes, strategies), and a key/value table for the rest.
`tests/docs/test_results.py` regenerates both and fails when a committed copy differs.

    .venv/bin/python benchmarks/write_results.py           # rewrite docs/results.md and the blocks
    .venv/bin/python benchmarks/write_results.py --check   # exit 1 when anything is stale
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from augft.core.tables import render_markdown

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_citations import BLOCK, CITE, check_doc, lookup  # noqa: E402,F401  (re-exported for the docs tests)

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
OUT = REPO / "docs" / "results.md"
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# The command that wrote each file (a file that records its own `command` wins).
COMMANDS = {
    "augment_batching": "python benchmarks/augment_batching.py",
    "augment_engines": "python benchmarks/augment_engines.py",
    "augment_kv_cache": "python benchmarks/augment_kv_cache.py",
    "augment_kv_cache_vllm": "python benchmarks/augment_kv_cache.py --engine vllm",
    "augment_pipeline": "python benchmarks/augment_pipeline.py",
    "augment_quality": "python benchmarks/augment_quality.py --statements 40 --candidates 2 --max-new-tokens 32",
    "augment_replicas": "python benchmarks/augment_replicas.py",
    "compose_settle": "python benchmarks/compose_settle.py",
    "demo_engines": "python benchmarks/demo_engines.py",
    "eval_engines": "python benchmarks/eval_engines.py --block-size 128",
    "eval_icl_cache": "python benchmarks/eval_icl_cache.py",
    "eval_throughput": "python benchmarks/eval_throughput.py",
    "global_quality": "python benchmarks/global_quality.py",
    "own_documents": "python benchmarks/own_documents.py",
    "pipeline_cache": "python benchmarks/pipeline_cache.py",
    "retrieval": "python benchmarks/retrieval.py --people 300 --k 4",
    "scale_augment": "python benchmarks/scale_augment.py",
    "scale_eval": "python benchmarks/scale_eval.py",
    "train_throughput": "python benchmarks/train_throughput.py --steps 8",
    "verify_quality": "python benchmarks/verify_quality.py",
}
# What the result is measured against (its baseline) and the paths of its headline numbers.
HEADLINES: Dict[str, Tuple[str, List[str]]] = {
    "augment_batching": ("batched (8) vs one-at-a-time generation, tokens/s", ["speedup_tokens_per_s"]),
    "augment_engines": ("vllm vs hf engine, local augmentation", ["ratios.gen_tokens_per_s", "ratios.wall"]),
    "entity_detection": ("the old \"not an English word\" detector on the same labelled sentences; headline: "
                         "the fresh test2 split, labelled before any detector ran on it",
                         ["detectors.rules.test2.exact.precision", "detectors.rules.test2.exact.recall",
                          "detectors.old_not_in_dictionary.test2.exact.precision",
                          "detectors.old_not_in_dictionary.test2.exact.recall"]),
    "augment_kv_cache": ("shared-window KV cache vs recomputing the window", ["speedup"]),
    "augment_replicas": ("augft's hosted vLLM path vs vLLM's own offline generate of the same prompts (tokens/s)",
                         ["ratios_to_offline.augft_one_unit_a_call", "ratios_to_offline.augft_batched",
                          "ratios_to_offline.augft_defaults"]),
    "questions_rules": ("rag on the ICL-checked test set (the rule before) vs the fair one, same corpus",
                        ["rag_by_rule.icl_checked.reversal.accuracy", "rag_by_rule.fair.reversal.accuracy"]),
    "augment_kv_cache_vllm": ("vLLM prefix caching on vs off", ["speedup"]),
    "augment_pipeline": ("Ray Data executor vs a plain loop (wall, lower is better)",
                         ["ratio_ray_over_loop", "ratio_including_ray_init"]),
    "augment_quality": ("few-shot vs zero-shot prompts (counts)", ["ratio_reversal_statements", "ratio_people_covered"]),
    "compose_settle": ("settling time and memory per statement, largest over smallest round",
                       ["us_per_statement_ratio_largest_to_smallest", "bytes_per_statement_ratio_largest_to_smallest"]),
    "demo_engines": ("the demo's study with vLLM vs hf", ["speedup_per_stage.augment", "speedup_per_stage.eval",
                                                         "speedup_total"]),
    "eval_engines": ("vLLM scorer vs the hf scorer", ["speedup_wall", "speedup_without_startup"]),
    "eval_icl_cache": ("ICL with the shared-context KV cache vs recomputing the context", ["speedup"]),
    "eval_throughput": ("augft scoring vs lm-evaluation-harness's HF backend", ["speedup"]),
    "global_quality": ("linked-context vs whole-window global prompts (wall)", ["linked_vs_window_speedup"]),
    "pipeline_cache": ("cached rerun vs cold; tracked vs untracked cold run",
                       ["speedup_cached_vs_cold", "tracking_overhead_ratio"]),
    "retrieval": ("searching the index vs a per-pair Python loop over the same scores (not an exact "
                  "numpy search)", ["rows.0.speedup_vs_scan", "rows.1.speedup_vs_scan"]),
    "scale_augment": ("the smallest corpus (docs/s smallest over largest; RSS largest over smallest)",
                      ["strategies.global.ratios.docs_per_s_smallest_over_largest",
                       "strategies.global.ratios.rss_largest_over_smallest",
                       "strategies.local.ratios.docs_per_s_smallest_over_largest",
                       "strategies.local.ratios.rss_largest_over_smallest"]),
    "scale_eval": ("the smallest size (questions/s smallest over largest; RSS largest over smallest)",
                   ["ratios.questions_per_s_smallest_over_largest", "ratios.rss_largest_over_smallest"]),
    "scale_train_data": ("parallel token-shard build vs the single-process builder",
                         ["speedup", "peak_rss_ratio", "rank_rss_fraction_of_shards"]),
    "train_throughput": ("augft's DeepSpeed loop vs Hugging Face Trainer, tokens/s",
                         ["ratio_vs_hf_same_blocks", "cpu_ratio_vs_hf_same_blocks", "ratio_vs_hf_padded"]),
}
SKIP = {"rewrites_to_read", "differences"}  # texts to read one by one, not measurements
MACHINE_KEYS = ("machine", "cpus", "torch_threads", "model", "model_tokenizer")


def fmt(v: Any) -> str:
    """One number format for every table: 4 significant digits, thousands separated."""
    if isinstance(v, bool) or v is None:
        return "-" if v is None else str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
            return f"{v:.3g}"
        if abs(v) >= 1000:
            return f"{int(v):,}" if v == int(v) else f"{v:,.1f}"
        return f"{v:.4g}"
    if isinstance(v, list):
        return ", ".join(fmt(x) for x in v) if all(not isinstance(x, (dict, list)) for x in v) else "…"
    return str(v).replace("|", "\\|").replace("\n", " ")


def flatten(data: Any, prefix: str = "") -> Dict[str, Any]:
    """Scalar leaves (and lists of scalars) under dotted keys."""
    out: Dict[str, Any] = {}
    items = data.items() if isinstance(data, Mapping) else enumerate(data)
    for k, v in items:
        if k in SKIP:
            continue
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) or (isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v)):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


# --- the renderers -------------------------------------------------------------------------

def _cell(v: Any) -> Optional[Tuple[float, Optional[float], Optional[float]]]:
    """An accuracy and its interval, from either shape the files use."""
    if isinstance(v, Mapping) and "accuracy" in v:
        ci = v.get("ci") or [None, None]
        return v["accuracy"], ci[0], ci[1]
    if isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v):
        return v[0], v[1], v[2]
    if isinstance(v, float):  # counts are ints; accuracies are floats even at 0.0 and 1.0
        return v, None, None
    return None


def accuracy_text(v: Any) -> str:
    c = _cell(v)
    if c is None:
        return "-"
    acc, lo, hi = c
    return f"{acc:.3f}" if lo is None else f"{acc:.3f} [{lo:.2f}, {hi:.2f}]"


def is_grid(v: Any) -> bool:
    """condition -> split -> accuracy (with or without its interval)."""
    return (isinstance(v, Mapping) and bool(v) and all(isinstance(r, Mapping) and r for r in v.values())
            and all(_cell(c) is not None for r in v.values() for c in r.values()))


def accuracy_grid(grid: Mapping[str, Mapping[str, Any]]) -> str:
    splits: List[str] = []
    for row in grid.values():
        splits += [s for s in row if s not in splits]
    rows = [[c] + [accuracy_text(grid[c].get(s)) for s in splits] for c in grid]
    return render_markdown(["condition", *splits], rows)


def entries_table(entries: Mapping[str, Any], label: str = "") -> str:
    """Entries compared side by side: one column per entry when there are few, else one row."""
    flat = {str(k): flatten(v) if isinstance(v, (Mapping, list)) else {"value": v} for k, v in entries.items()}
    keys: List[str] = []
    for f in flat.values():
        keys += [k for k in f if k not in keys]
    if len(flat) <= 4:
        return render_markdown([label or "measure", *flat], [[k] + [fmt(f.get(k)) for f in flat.values()]
                                                             for k in keys])
    return render_markdown([label or "entry", *keys], [[e] + [fmt(f.get(k)) for k in keys] for e, f in flat.items()])


def key_values(data: Mapping[str, Any]) -> str:
    return render_markdown(["key", "value"], [[k, fmt(v)] for k, v in flatten(data).items()])


def _scalars(data: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in data.items() if not isinstance(v, Mapping)
            and not (isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v))}


def _plain(v: Any) -> bool:
    """A section of measures (not a grid, not a table of entries)."""
    return isinstance(v, Mapping) and bool(v) and not is_grid(v) and not all(isinstance(x, Mapping) for x in v.values())


def generic(data: Mapping[str, Any]) -> List[str]:
    """Top-level scalars as key/value; sibling sections of measures side by side (engines, runs);
    each other section as a grid or compared entries."""
    data = {k: v for k, v in data.items() if k not in SKIP}
    parts = []
    scalars = _scalars(data)
    if scalars:
        parts.append(key_values(scalars))
    plain = [k for k, v in data.items() if _plain(v)]
    siblings = [k for k in plain if 2 * len(set(data[k]) & set(data[plain[0]])) >= len(data[k])]
    if len(siblings) >= 2:
        parts.append(entries_table({k: data[k] for k in siblings}))
        scalars = {**scalars, **{k: None for k in siblings}}
    for key, v in data.items():
        if key in scalars or not v:
            continue
        if isinstance(v, Mapping):
            v = {k: x for k, x in v.items() if k not in SKIP}
        if is_grid(v):
            parts.append(f"`{key}`:\n\n" + accuracy_grid(v))
        elif isinstance(v, list) and all(isinstance(x, Mapping) for x in v):
            entries = {str(x.get("retriever", i)): x for i, x in enumerate(v)}
            parts.append(f"`{key}`:\n\n" + entries_table(entries, "row"))
        elif isinstance(v, Mapping) and all(isinstance(x, Mapping) for x in v.values()):
            parts.append(f"`{key}`:\n\n" + entries_table(v))
        else:
            parts.append(f"`{key}`:\n\n" + key_values(v if isinstance(v, Mapping) else {key: v}))
    return parts


def study(data: Mapping[str, Any]) -> List[str]:
    """A strategy study: accuracy grid, the checker's counts per strategy, the decision table."""
    parts = [key_values({"study": data["study"], "config": data["config"],
                         "overrides": " ".join(data.get("overrides", [])) or "-",
                         "wall_s": data.get("wall_s"), **({"note": data["note"]} if "note" in data else {})}),
             "Accuracy with 95% Wilson intervals:\n\n" + accuracy_grid(data["accuracy"])]
    checker = data.get("checker") or {}
    if checker:
        rows = [[s, fmt(c.get("n")), fmt(c.get("true")), fmt(c.get("false")), fmt(c.get("uncheckable")),
                 f"{c.get('covered')} of {c.get('targets')}",
                 "-" if "multi_step" not in c else f"{c['multi_step']['covered']} of {c['multi_step']['targets']}"]
                for s, c in checker.items()]
        parts.append("The benchmark's exact checker on the kept statements:\n\n" + render_markdown(
            ["strategy", "kept", "true", "false", "uncheckable", "targets covered", "multi-step covered"], rows))
    longest = max(checker, key=lambda s: len(checker[s].get("rounds") or []), default=None)
    if longest and checker[longest].get("rounds"):
        plans = (data.get("filters", {}).get(longest) or {}).get("rounds") or []
        rounds = [[f"round {r['round']}", fmt(p.get("prompts")), fmt(r["n"]), fmt(r["true"]), fmt(r["false"]),
                   fmt(r["uncheckable"]), fmt(r.get("covered"))] for r, p in zip(checker[longest]["rounds"], plans)]
        parts.append(f"Per round of `{longest}` (the statements each round kept):\n\n" + render_markdown(
            ["round", "prompts", "kept", "true", "false", "uncheckable", "targets its statements cover"], rounds))
    filters = data.get("filters") or {}
    if filters:
        rows = [[s, fmt(f.get("kept")), ", ".join(f"{k} {v}" for k, v in sorted(
            (f.get("filtered") or {}).items(), key=lambda kv: -kv[1]))] for s, f in filters.items()]
        parts.append("What the filters dropped:\n\n" + render_markdown(["strategy", "kept", "dropped"], rows))
    if (data.get("decision") or {}).get("rows"):
        parts.append("Which to use (pooled accuracy, FLOPs, break-even queries):\n\n" + decision_table(data["decision"]))
    if data.get("recall_at_k"):
        parts.append("`recall_at_k`:\n\n" + entries_table(data["recall_at_k"], "condition"))
    return parts


def decision_table(dec: Mapping[str, Any]) -> str:
    """The study's "Which to use" rows and its sentence."""
    rows = [[c, f"{r['accuracy']:.3f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]", fmt(r["one_off_flops"]),
             fmt(r["per_query_flops"]), fmt(r["total_flops"]), fmt(r["break_even_vs_icl"]),
             fmt(r["break_even_vs_rag"])] for c, r in dec["rows"].items()]
    return render_markdown(["condition", "pooled", "one-off FLOPs", "FLOPs / query", "FLOPs in all",
                            "break-even vs icl", "break-even vs rag"], rows) + f"\n\n{dec['text']}"


def engines(data: Mapping[str, Any]) -> List[str]:
    """demo_engines: the stage times side by side, then each engine's accuracy grid."""
    parts = [key_values({k: v for k, v in data.items() if k not in ("hf", "vllm")}),
             entries_table({e: {"wall_s": data[e]["wall_s"], **data[e]["stage_wall_s"]} for e in ("hf", "vllm")},
                           "wall s")]
    parts += [f"Accuracy on the `{e}` engine (95% Wilson intervals):\n\n" + accuracy_grid(data[e]["accuracy"])
              for e in ("hf", "vllm")]
    return parts


def scale(data: Mapping[str, Any]) -> List[str]:
    """scale_augment: per strategy, its sizes side by side, then its ratios."""
    parts = [key_values(_scalars(data))]
    for name, st in data["strategies"].items():
        parts += [f"Strategy `{name}`, per corpus size (documents):\n\n" + entries_table(st["sizes"]),
                  key_values(st["ratios"])]
    return parts


RENDERERS: Dict[str, Callable[[Mapping[str, Any]], List[str]]] = {"demo_engines": engines, "scale_augment": scale}


def renderer(name: str) -> Callable[[Mapping[str, Any]], List[str]]:
    return RENDERERS.get(name, study if name.startswith("strategy_study_") else generic)


def command(name: str, data: Mapping[str, Any]) -> str:
    if isinstance(data.get("command"), str):
        return data["command"]
    if name.startswith("strategy_study_"):
        return f"python benchmarks/strategy_study.py --study {name[len('strategy_study_'):]}"
    return COMMANDS.get(name, f"python benchmarks/{name}.py")


def headline(name: str, data: Mapping[str, Any]) -> Tuple[str, str]:
    what, paths = HEADLINES.get(name, ("", []))
    return what or "-", "; ".join(f"`{p}` {fmt(lookup(data, p))}" for p in paths) or "-"


def machine(data: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {data[k]}" for k in MACHINE_KEYS if k in data) or "-"


def load_all() -> Dict[str, Dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("*.json"))}


def results_md(files: Mapping[str, Mapping[str, Any]]) -> str:
    head = ["# Measured results", "",
            "Generated by `python benchmarks/write_results.py` from `benchmarks/results/*.json`; do not edit",
            "by hand (`tests/docs/test_results.py` fails when this file differs from what the script writes).",
            "Every benchmark measures its baseline in the same run. Unless its section names another machine, a",
            "file was measured on the project's 2-core CPU machine with the embedded model (SmolLM2-135M); no",
            "GPU benchmark has been run. Accuracies carry 95% Wilson score intervals.", "",
            "## Summary", ""]
    rows = []
    for name, data in files.items():
        what, nums = headline(name, data)
        rows.append([f"[`{name}.json`](#{name.replace('_', '_').replace('.', '')})", what, nums, f"`{command(name, data)}`"])
    head.append(render_markdown(["file", "against", "headline", "command"], rows))
    body = []
    for name, data in files.items():
        body += ["", f"## {name}", "", f"`benchmarks/results/{name}.json`, written by `{command(name, data)}`."]
        if machine(data) != "-":
            body[-1] += f" Machine and model: {machine(data)}."
        what, nums = headline(name, data)
        if nums != "-":
            body += ["", f"Against the baseline ({what}): {nums}."]
        for part in renderer(name)(data):
            body += ["", part]
    return "\n".join(head + body) + "\n"


# --- blocks embedded in the README and docs ------------------------------------------------

def block(spec: str, files: Mapping[str, Mapping[str, Any]]) -> str:
    """`FILE:PATH` renders the value at PATH of results file FILE: an accuracy grid, or entries."""
    name, _, path = spec.partition(":")
    value = lookup(files[name.removesuffix(".json")], path)
    if path.endswith("decision"):
        return decision_table(value)
    if isinstance(value, str):
        return "> " + value
    return accuracy_grid(value) if is_grid(value) else entries_table(value)


def refresh_blocks(text: str, files: Mapping[str, Mapping[str, Any]]) -> str:
    return BLOCK.sub(lambda m: f"{m.group(1)}{block(m.group(2), files)}\n{m.group(4)}", text)


def outputs() -> Dict[Path, str]:
    """Every generated file's expected text: docs/results.md, and each doc with its blocks refreshed."""
    files = load_all()
    out = {OUT: results_md(files)}
    for doc in DOCS:
        if doc.is_file() and doc != OUT:
            text = doc.read_text(encoding="utf-8")
            if BLOCK.search(text):
                out[doc] = refresh_blocks(text, files)
    return out


# --- numbers cited in prose ---------------------------------------------------------------
# A measured number in a doc carries its source right after it: `1.005x <!-- r:FILE:PATH -->`,
def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    args = ap.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path.relative_to(REPO))
            if not args.check:
                path.write_text(text, encoding="utf-8")
    print(("stale: " if args.check else "wrote: ") + (", ".join(map(str, stale)) or "nothing"))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
