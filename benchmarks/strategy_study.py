"""Augmentation strategies compared in full studies: accuracy per split and condition, the
benchmark checker's true/false counts per strategy, and the filters' counts per strategy.

Each named study is one `augft run` (run_study, the same code path) on the embedded model;
studies that share an output folder reuse each other's stages (the stage cache), so adding a
condition costs only its own stages. The baseline of every row is in the same run: ft and
aug_ft[local] beside the strategy under test. Writes benchmarks/results/strategy_study_<name>.json
and prints the tables.

    .venv/bin/python benchmarks/strategy_study.py --study people        # ~25 min on 2 cores
    .venv/bin/python benchmarks/strategy_study.py --study people-trust  # qa, reverse, verify
    .venv/bin/python benchmarks/strategy_study.py --study semantic
    .venv/bin/python benchmarks/strategy_study.py --study semantic-compose  # also syllogism-, family-
    .venv/bin/python benchmarks/strategy_study.py --study people-decision    # issue 24's table
    .venv/bin/python benchmarks/strategy_study.py --study semantic-decision
    .venv/bin/python benchmarks/strategy_study.py --study family-chain       # issue 38: oracle2, reverse<compose
    .venv/bin/python benchmarks/strategy_study.py --study realdocs           # issue 35: real documents
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from augft.cluster.study import run_study
from augft.core.artifacts import AugmentOutput, StageRecord, StudyResults, encode
from augft.core.config import load_config

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
_SEMANTIC = ["benchmark.name=semantic", "benchmark.semantic.n_categories=24", "benchmark.semantic.n_holdout=4",
             "benchmark.semantic.docs_per_category=2", "benchmark.semantic.max_questions_per_split=30"]
_SYLLOGISM = ["benchmark.name=syllogism"]  # the paper's 69 items
_FAMILY = ["benchmark.name=family"]


@dataclass(frozen=True)
class Variant:
    """A further run of a study with more overrides (sharing its stage cache): its conditions are
    reported as `<label> <name>` (aug_ft[compose] rounds=2), its strategies' counts likewise."""
    name: str
    overrides: List[str]
    conditions: List[str]


_DECISION = ["base", "icl", "rag[bm25]", "rag[dense]", "ft", "ft+rag", "aug_ft[local]", "aug_ft[local]+rag",
             "distill[local]"]


@dataclass(frozen=True)
class StudySpec:
    out: str
    conditions: List[str]
    overrides: List[str] = field(default_factory=list)
    variants: List[Variant] = field(default_factory=list)
    name: str = ""
    """Names the first run's conditions like a variant's (empty: their plain labels)."""
    data: str = ""
    """A `--data` folder (a user's documents and questions) instead of the config's benchmark."""


def _compose(out: str, sizes: List[str]) -> StudySpec:
    """Issue 26: compose after 1, 2 and 3 rounds beside base, icl, ft, local and global; local+compose
    at the default 2 rounds. Every run shares the stage cache, so each adds only its compose stages."""
    r = "augment.compose.rounds="
    return StudySpec(out, ["base", "icl", "ft", "aug_ft[local]", "aug_ft[global]", "aug_ft[compose]"],
                     [*sizes, f"{r}1"], [Variant("rounds=2", [*sizes, f"{r}2"], ["aug_ft[compose]", "aug_ft[local+compose]"]),
                                         Variant("rounds=3", [*sizes, f"{r}3"], ["aug_ft[compose]"])],
                     name="rounds=1")


STUDIES: Dict[str, StudySpec] = {
    # Issue: does global help or hurt beside local on the demo's people sizes?
    "people": StudySpec("people", ["base", "icl", "ft", "aug_ft[local]", "aug_ft[global]",
                                   "aug_ft[local+global]"]),
    # The same with every global prompt showing its whole window (the old behaviour).
    "people-window": StudySpec("people", ["ft", "aug_ft[local]", "aug_ft[global]", "aug_ft[local+global]"],
                               ["augment.global_context=window"]),
    # Strategies that need no window: question-answer pairs and the model-free reversal.
    "people-strategies": StudySpec("people", ["ft", "aug_ft[local]", "aug_ft[qa]", "aug_ft[reverse]"]),
    # Self-verification forced on (it is off by default on a built-in benchmark).
    "people-verify": StudySpec("people", ["ft", "aug_ft[local]"], ["augment.verify=true"]),
    # The same with the yes/no verifier (P(Yes) to "does the text state or imply it?").
    "people-verify-yes_no": StudySpec("people", ["ft", "aug_ft[local]"],
                                      ["augment.verify=true", "augment.verify_method=yes_no"]),
    "semantic": StudySpec("semantic", ["base", "icl", "ft", "aug_ft[local]", "aug_ft[global]",
                                       "aug_ft[local+global]"], _SEMANTIC),
    "semantic-compose": _compose("semantic", _SEMANTIC),
    "syllogism-compose": _compose("syllogism", _SYLLOGISM),
    "family-compose": _compose("family", _FAMILY),
    # Issue 38: does the direction a derived fact is trained in stand between the model and the
    # questions? The oracle one way and both ways, compose alone and with its conclusions reversed.
    "family-chain": StudySpec("family", ["icl", "ft", "aug_ft[oracle]", "aug_ft[oracle2]", "aug_ft[compose]",
                                         "aug_ft[compose+reverse<compose]"], _FAMILY),
    # The decision a user makes (issue 24): retrieval, fine-tuning, augmented fine-tuning and
    # context distillation side by side, priced the same way.
    "people-decision": StudySpec("people", _DECISION),
    "semantic-decision": StudySpec("semantic", _DECISION, _SEMANTIC),
    # Issue 35: real documents with hand-written questions (benchmarks/data/realdocs): how global
    # and compose fare when entities are real names, and whether local states reversals there.
    # One model trains on all three strategies (each is still its own augment stage, with its
    # counts), so the study trains three models, not five.
    "realdocs": StudySpec("realdocs", ["base", "icl", "rag", "ft", "aug_ft[local]", "aug_ft[local+global+compose]"],
                          data=str(HERE / "data" / "realdocs")),
}


def _splits(merged: StudyResults) -> Dict[str, Dict[str, dict]]:
    out = {}
    for label, c in merged.conditions.items():
        out[label] = {s: {"accuracy": round(v.accuracy, 3), "ci": [round(v.ci_low, 2), round(v.ci_high, 2)],
                          "n": v.n} for s, v in c.splits.items()}
    return out


def _filters(stages: Dict[str, StageRecord]) -> Dict[str, dict]:
    """Per strategy: what the filters dropped and why, from the augment stages' manifests."""
    out = {}
    for name, st in stages.items():
        if not name.startswith("augment["):
            continue
        m = AugmentOutput(Path(st.dir)).manifest()
        for strategy, e in m.strategies.items():
            out[strategy] = {"kept": e.ok, "filtered": e.filtered, "wall_s": st.wall_s, "cached": st.cached,
                             "entities": dict(e.entities)}
            if e.rounds:  # compose: per round its prompts, kept, drops and tokens
                out[strategy]["rounds"] = [{k: getattr(r, k) for k in ("round", "prompts", "ok", "filtered",
                                                                       "prompt_tokens", "completion_tokens", "gen_s")}
                                           for r in e.rounds]
    return out


def _one(config: str, overrides: List[str], conditions: List[str], root: Path, data: str = "") -> dict:
    conds = "[" + ",".join(f'"{c}"' for c in conditions) + "]"
    cfg = load_config(config, [*overrides, f"pipeline.conditions={conds}", "tracking.enabled=false"])
    t0 = time.perf_counter()
    merged = run_study(cfg, Path(data) if data else None, root)
    res = {"wall_s": round(time.perf_counter() - t0, 1), "accuracy": _splits(merged),
           "checker": {s: encode(q) for s, q in merged.quality.items()}, "filters": _filters(merged.stages),
           "recall_at_k": {c: v.rag.recall_at_k for c, v in merged.conditions.items() if v.rag},
           "decision": _decision(merged)}
    if data:
        res["names"] = names_ledger(merged.stages, Path(data))
    return res


_WORDS_BEFORE = 3
"""A statement puts the name after its description when at least this many words precede it
("Detecting debuggers registered with sys.monitoring came in pytest-timeout 2.4.0"), so "In
pytest-timeout 2.4.0, ..." or "The pybase64 package ..." still count as naming it first."""


def _variants(name: str) -> List[str]:
    base = name.lower()
    return sorted({base, base.replace("-", "_"), base.replace("-", " "), base.replace("_", "-")})


def _name_position(text: str, names: List[str]) -> str:
    """`none`, `first` or `after` (see _WORDS_BEFORE) for the earliest of `names` in `text`."""
    low = text.lower()
    found = [i for n in names for v in _variants(n) for i in [low.find(v)] if i >= 0]
    if not found:
        return "none"
    return "after" if len(text[:min(found)].split()) >= _WORDS_BEFORE else "first"


def names_ledger(stages: Dict[str, StageRecord], data: Path) -> Dict[str, dict]:
    """Per strategy, over its kept statements on a folder whose documents name their subject
    (`meta.package`, as realdocs does): how many name it first, after its description (the order a
    reversed question asks: "Which package ...?" -> the name), or not at all."""
    subject = {}
    for line in (data / "corpus.jsonl").read_text().splitlines():
        doc = json.loads(line)
        subject[doc["id"]] = doc.get("meta", {}).get("package", "")
    out = {}
    for name, st in stages.items():
        if not name.startswith("augment["):
            continue
        for rec in AugmentOutput(Path(st.dir)).iter_records():
            names = [subject[i] for i in rec.source_ids if subject.get(i)]
            counts = out.setdefault(rec.strategy, {"kept": 0, "first": 0, "after": 0, "none": 0})
            counts["kept"] += 1
            counts[_name_position(rec.text, names)] += 1
    return out


_MERGED = ("accuracy", "checker", "filters", "recall_at_k")
"""Per-label results of a study's runs, merged (labels tagged with their run's variant)."""


def _named(res: dict, name: str) -> dict:
    """A run's compose conditions and strategy labelled with its variant (the other conditions,
    whose stages every run shares, keep their labels)."""
    if not name:
        return res
    tag = lambda k: f"{k} {name}" if "compose" in k else k  # noqa: E731
    return {"wall_s": res["wall_s"], "decision": res["decision"],
            **{k: {tag(s): v for s, v in res[k].items()} for k in _MERGED}}


def run(name: str, config: str, root: Path) -> dict:
    spec = STUDIES[name]
    runs = [Variant(spec.name, spec.overrides, spec.conditions), *spec.variants]
    res = {"study": name, "config": config, "overrides": spec.overrides,
           "conditions": [c for v in runs for c in v.conditions], "runs": [], "accuracy": {}, "checker": {},
           "filters": {}, "recall_at_k": {}}
    for v in runs:
        one = _named(_one(config, v.overrides, v.conditions, root / spec.out, spec.data), v.name)
        res.setdefault("names", {}).update(one.get("names", {}))
        res["runs"].append({"name": v.name, "overrides": v.overrides, "conditions": v.conditions,
                            "wall_s": one["wall_s"], "decision": one["decision"]})
        for k in _MERGED:
            res[k].update(one[k])
    res["wall_s"] = round(sum(r["wall_s"] for r in res["runs"]), 1)
    # One run: its decision, as every study reports it; several: each run's, in `runs`.
    res["decision"] = res["runs"][0]["decision"] if len(runs) == 1 else {}
    return res

def _decision(merged: StudyResults) -> dict:
    """The report's "Which to use": the pick, the candidates, the sentence and each row's costs."""
    d = merged.decision
    if d is None:
        return {}
    rows = {r.condition: {k: getattr(r, k) for k in ("accuracy", "ci_low", "ci_high", "one_off_flops",
                                                     "per_query_flops", "total_flops", "break_even_vs_icl",
                                                     "break_even_vs_rag")} for r in d.rows}
    return {"pick": d.pick, "best": d.best, "candidates": d.candidates, "queries": d.queries, "text": d.text,
            "rows": rows}


def markdown(res: dict) -> str:
    splits = sorted({s for c in res["accuracy"].values() for s in c})
    lines = ["| condition | " + " | ".join(splits) + " |", "|---" * (len(splits) + 1) + "|"]
    for label, c in res["accuracy"].items():
        cells = [f"{c[s]['accuracy']:.3f} [{c[s]['ci'][0]:.2f}, {c[s]['ci'][1]:.2f}]" if s in c else "-"
                 for s in splits]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "| strategy | kept | true | false | uncheckable | targets covered | multi-step covered | "
              "dropped by filter |", "|---|---|---|---|---|---|---|---|"]
    for s, q in res["checker"].items():
        f = res["filters"].get(s, {}).get("filtered", {})
        lines.append(_checker_row(s, q, q, f))
        counts = {r["round"]: r for r in res["filters"].get(s, {}).get("rounds", [])}
        for r in q.get("rounds", []):
            lines.append(_checker_row(f"{s}, round {r['round']} (stated up to it)", r, r["cumulative"],
                                      counts.get(r["round"], {}).get("filtered", {})))
    return "\n".join(lines + _names_lines(res))


def _names_lines(res: dict) -> List[str]:
    """Where the subject's name sits in each strategy's statements, and how global's prompts were
    built (linked documents or the whole window, the fallback when no entity links them)."""
    lines = []
    if res.get("names"):
        lines += ["", "| strategy | kept | name first | name after its description | name absent |", "|---|---|---|---|---|"]
        lines += [f"| {s} | {c['kept']} | {c['first']} | {c['after']} | {c['none']} |" for s, c in res["names"].items()]
    ents = {s: f["entities"] for s, f in res.get("filters", {}).items() if f.get("entities")}
    if ents:
        lines += ["", "| strategy | entity detection in its prompts |", "|---|---|"]
        lines += [f"| {s} | " + ", ".join(f"{k} {v}" for k, v in sorted(e.items())) + " |" for s, e in ents.items()]
    return lines


def _checker_row(name: str, q: dict, cov: dict, filtered: dict) -> str:
    drops = ", ".join(f"{k} {v}" for k, v in sorted(filtered.items())) or "-"
    multi = cov.get("multi_step", {})
    m = f"{multi['covered']}/{multi['targets']}" if multi.get("targets") else "-"
    return (f"| {name} | {q['n']} | {q['true']} | {q['false']} | {q['uncheckable']} | "
            f"{cov['covered']}/{cov['targets']} | {m} | {drops} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", choices=sorted(STUDIES), required=True)
    ap.add_argument("--config", default="configs/quickstart.yaml")
    ap.add_argument("--out", default="out/strategy-study", help="studies' output root (stage cache)")
    args = ap.parse_args()
    res = run(args.study, args.config, Path(args.out))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"strategy_study_{args.study}.json").write_text(json.dumps(res, indent=2) + "\n")
    print(markdown(res))
    if res.get("decision", {}).get("text"):
        print("\n" + res["decision"]["text"])


if __name__ == "__main__":
    main()
