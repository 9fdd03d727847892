"""The own-documents walk-through, measured: the `people` benchmark's corpus as a folder of
text files (its questions hidden) -> `augft ingest` -> `augft questions` -> `augft run`, then the
benchmark's own questions scored on the very models that study trained, so the two test sets
rank the same models (the baseline is in the same run: base, icl and ft beside aug_ft[local]),
with retrieval (rag with BM25 and dense, ft+rag, aug_ft[local]+rag) and context distillation
(distill[local]) beside them, and each table's "Which to use" recommendation.

Every step is the CLI a user runs (subprocesses of this venv's `augft`). Writes
benchmarks/results/own_documents.json (wall time per step, questions kept per split, both
accuracy tables, the augmentations dropped as held-out copies) and prints the tables.

    .venv/bin/python benchmarks/own_documents.py [--work out/own-documents]   # ~35 min on 2 cores
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Dict, List

from augft.core.artifacts import AugmentOutput, ConditionSummary, EvalOutput, StudyResults, read_typed

RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = "configs/quickstart.yaml"
CONDITIONS = '[base,icl,"rag[bm25]","rag[dense]",ft,ft+rag,"aug_ft[local]","aug_ft[local]+rag","distill[local]"]'


def _augft(*args: str) -> float:
    """Run one augft command (its output goes to this process's); its wall seconds."""
    exe = Path(sys.executable).with_name("augft")
    t = time.perf_counter()
    subprocess.run([str(exe), *args], check=True)
    return round(time.perf_counter() - t, 1)


def _write_docs(bench: Path, docs: Path) -> int:
    docs.mkdir(parents=True)
    n = 0
    for line in (bench / "corpus.jsonl").read_text().splitlines():
        d = json.loads(line)
        (docs / f"{d['id']}.txt").write_text(d["text"] + "\n")
        n += 1
    return n


def _table(conds: Dict[str, ConditionSummary]) -> Dict[str, Dict[str, float]]:
    return {label: {s: round(v.accuracy, 3) for s, v in c.splits.items() if s != "retention"}
            for label, c in conds.items()}


def _costs(study: Path, models: Dict[str, Path]) -> List[str]:
    """eval.costs overrides pricing the study's models in the second eval as the study priced them:
    training, the local augmentation, the teacher's targets."""
    summaries = "{" + ", ".join(f'"{k}": {v.parent / "summary.json"}' for k, v in models.items()) + "}"
    local = next(study.glob("augment/local-*/manifest.json")).resolve()
    targets = [str(p.resolve()) for p in sorted(study.glob("targets/*/targets.json"))]
    return [f"eval.costs.train_summaries={summaries}",
            f'eval.costs.augment_manifests={{"aug_ft[local]": [{local}], "distill[local]": [{local}]}}',
            f'eval.costs.teacher_targets={{"distill[local]": [{",".join(targets)}]}}']


def _decision(results) -> dict:
    """The report's "Which to use" of typed eval or study results: pick, candidates, the sentence."""
    d = results.decision
    return {"pick": d.pick, "best": d.best, "candidates": d.candidates, "text": d.text} if d else {}


def _jsonl(path: Path) -> List[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _question_quality(data: Path, n_read: int = 30) -> dict:
    """Questions with a distractor that contains, or lies inside, what the question is about
    (`meta.about`; target 0), and the first `n_read` accepted rewrites beside their source
    sentences, to be read and judged by a person (the count goes on the issue, not here)."""
    questions = _jsonl(data / "questions.jsonl")
    sources: Dict[str, List[str]] = {}
    for d in _jsonl(data / "heldout.jsonl"):
        if d.get("meta", {}).get("role") == "source":
            sources.setdefault(d["meta"]["question_id"], []).append(d["text"])
    bad = []
    for q in questions:
        about = [a.strip().lower() for a in q["meta"].get("about", []) if a.strip()]
        wrong = [c.strip().lower() for i, c in enumerate(q["choices"]) if i != q["answer"]]
        if any(a in d or d in a for a in about for d in wrong):
            bad.append(q["id"])
    rewrites = [q for q in questions if q["kind"].endswith("_rephrased")]
    return {"questions": len(questions), "distractor_contains_subject": len(bad), "first_bad": bad[:5],
            "rewrites": len(rewrites),
            "rewrites_to_read": [{"id": q["id"], "prompt": q["prompt"], "answer": q["choices"][q["answer"]],
                                  "sources": sources.get(q["id"], [])} for q in rewrites[:n_read]]}


def pair_orders(a: Dict[str, Dict[str, float]], b: Dict[str, Dict[str, float]], split: str) -> dict:
    """How two test sets order each pair of conditions on a split: alike, opposite, or tied in
    one set only (an exact ranking would call a tie in one set a disagreement)."""
    def sign(t, x, y):
        d = t[x].get(split, 0.0) - t[y].get(split, 0.0)
        return (d > 1e-9) - (d < -1e-9)

    out = {"alike": 0, "opposite": [], "tied_in_one": []}
    for x, y in combinations([c for c in a if c in b], 2):
        sa, sb = sign(a, x, y), sign(b, x, y)
        if sa == sb:
            out["alike"] += 1
        elif sa * sb < 0:
            out["opposite"].append([x, y])
        else:
            out["tied_in_one"].append([x, y])
    return out


def run(work: Path) -> dict:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    bench, docs, data, study = work / "people-bench", work / "people-docs", work / "my-data", work / "my-study"
    wall = {"benchmark": _augft("benchmark", "--config", CONFIG, "--out", str(bench))}
    n_files = _write_docs(bench, docs)
    wall["ingest"] = _augft("ingest", str(docs), "--out", str(data))
    wall["questions"] = _augft("questions", "--data", str(data))
    wall["run"] = _augft("run", "--config", CONFIG, "--data", str(data), "--out", str(study),
                         f"pipeline.conditions={CONDITIONS}", "tracking.enabled=false")
    models = {"ft": next(study.glob("train/ft-*/model")), "aug_ft[local]": next(study.glob("train/aug_ft_local-*/model")),
              "distill[local]": next(study.glob("train/distill_local-*/model"))}
    spec = "{" + ", ".join(f'"{k}": {v.resolve()}' for k, v in models.items()) + "}"
    wall["eval_benchmark_questions"] = _augft(
        "eval", "--config", CONFIG, "--data", str(bench), "--out", str(work / "bench-eval"),
        f"eval.conditions={CONDITIONS}", f"eval.models={spec}", "tracking.enabled=false", *_costs(study, models))
    report = json.loads((data / "questions.json").read_text())
    manifest = AugmentOutput(next(study.glob("augment/local-*"))).manifest()
    generated = _table(read_typed(study / "report" / "results.json", StudyResults, "study results").conditions)
    own = _table(EvalOutput(work / "bench-eval").results().conditions)
    return {"files": n_files, "wall_s": wall, "questions_kept": report.get("kept"),
            "question_quality": _question_quality(data),
            "heldout_statements": manifest.heldout_statements,
            "heldout_copy_dropped": manifest.strategies["local"].filtered.get("heldout_copy", 0),
            "generated_questions": generated, "benchmark_questions": own,
            "decision_generated": _decision(read_typed(study / "report" / "results.json", StudyResults, "study results")),
            "decision_benchmark": _decision(EvalOutput(work / "bench-eval").results()),
            "reversal_pair_orders": pair_orders(generated, own, "reversal")}


def _markdown(table: Dict[str, Dict[str, float]]) -> str:
    splits = sorted({s for c in table.values() for s in c})
    rows = [f"| condition | {' | '.join(splits)} |", "|---" * (len(splits) + 1) + "|"]
    rows += [f"| {c} | " + " | ".join(f"{v.get(s, float('nan')):.3f}" for s in splits) + " |"
             for c, v in table.items()]
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="out/own-documents", help="scratch folder (replaced)")
    res = run(Path(ap.parse_args().work))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "own_documents.json").write_text(json.dumps(res, indent=2) + "\n")
    print("generated questions:\n" + _markdown(res["generated_questions"]))
    print(res["decision_generated"]["text"])
    print("\nthe benchmark's own questions, same models:\n" + _markdown(res["benchmark_questions"]))
    print(res["decision_benchmark"]["text"])
    print(f"\nheld-out statements {res['heldout_statements']}, augmentations dropped as copies "
          f"{res['heldout_copy_dropped']}")
    po = res["reversal_pair_orders"]
    print(f"reversal, pairs of conditions the two test sets order alike: {po['alike']}; opposite: "
          f"{po['opposite'] or 'none'}; tied in one set only: {po['tied_in_one'] or 'none'}")
    qq = res["question_quality"]
    print(f"questions {qq['questions']}: {qq['distractor_contains_subject']} with a distractor containing "
          f"their subject; {qq['rewrites']} rewrites ({len(qq['rewrites_to_read'])} listed to read)")


if __name__ == "__main__":
    main()
