"""The test set's keep rule and what it does to the conditions scored on it: `augft questions`
builds the test set of one corpus twice, with `questions.keep_rule=icl_checked` (kept when ICL
with the source documents answers and the base model does not: the rule before) and with
`questions.keep_rule=fair` (valid by its text and sources, not prior knowledge by the base
model's confidence; no condition that reads the sources is asked), and `augft eval` scores
`base`, `icl` and `rag` on each. The old rule selects what reading the source answers, so `icl`
and `rag` score high on its set by construction; the fair set shows them on questions picked
without them. The baseline (the old rule) runs in the same run, on the same corpus and model.

Corpus: the `people` benchmark's corpus as user data (its own questions hidden), as the
own-documents walk-through uses it, or any data folder with `--data`.

    .venv/bin/python benchmarks/questions_rules.py [--people 10] [--per-split 60] [--model NAME]
    .venv/bin/python benchmarks/questions_rules.py --people 4 --per-split 5 --model tiny-random-llama \\
        --config configs/tiny.yaml --json /tmp/questions_rules.json     # seconds: proves it runs

Writes benchmarks/results/questions_rules.json (or --json): per rule, the questions kept per
split, the rule's outcomes per reason, and each condition's accuracy per split with its 95%
interval; the questions both sets share; wall time per step. Every step is the CLI a user runs.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from augft.core.artifacts import EvalOutput

RESULTS = Path(__file__).resolve().parent / "results"
RULES = ("icl_checked", "fair")


def _augft(*args: str) -> float:
    """Run one augft command (its output goes to this process's); its wall seconds."""
    exe = Path(sys.executable).with_name("augft")
    t = time.perf_counter()
    subprocess.run([str(exe), *args], check=True)
    return round(time.perf_counter() - t, 1)


def _corpus(args, work: Path, common: List[str]) -> Path:
    """A data folder holding only a corpus: --data's corpus, or the people benchmark's."""
    data = work / "data"
    data.mkdir(parents=True)
    if args.data:
        src = Path(args.data)
    else:
        src = work / "bench"
        _augft("benchmark", "--name", "people", "--out", str(src), *common,
               f"benchmark.people.n_people={args.people}")
    for name in ("corpus.jsonl", "corpus.parquet"):
        if (src / name).is_file():
            shutil.copyfile(src / name, data / name)
    return data


def _accuracy(folder: Path) -> Dict[str, Dict[str, dict]]:
    out: Dict[str, Dict[str, dict]] = {}
    for label, cond in EvalOutput(folder).results().conditions.items():
        out[label] = {s: {"accuracy": round(v.accuracy, 3), "n": v.n,
                          "ci": [None if v.ci_low is None else round(v.ci_low, 3),
                                 None if v.ci_high is None else round(v.ci_high, 3)]}
                      for s, v in cond.splits.items() if s != "retention"}
    return out


def _one_rule(rule: str, data: Path, work: Path, common: List[str], args) -> dict:
    qdir, edir = work / f"questions-{rule}", work / f"eval-{rule}"
    try:
        wall = {"questions": _augft("questions", "--data", str(data), "--out", str(qdir), *common,
                                    f"questions.keep_rule={rule}", f"questions.per_split={args.per_split}")}
    except subprocess.CalledProcessError:  # no question passed the rule: its outcomes say why
        report = json.loads((qdir / "questions.json").read_text())
        return {"kept": {}, "outcomes": report["judge"]["outcomes"], "rule": report["judge"]["rule"],
                "accuracy": {}, "_ids": []}
    report = json.loads((qdir / "questions.json").read_text())
    wall["eval"] = _augft("eval", "--data", str(qdir), "--out", str(edir), *common,
                          f"eval.conditions=[{args.conditions}]", "eval.retention=false")
    ids = [json.loads(x)["id"] for x in (qdir / "questions.jsonl").read_text().splitlines() if x.strip()]
    return {"kept": {s: sum(k.values()) for s, k in report["kept"].items()},
            "outcomes": report["judge"]["outcomes"], "rule": report["judge"]["rule"],
            "base_correct_of_kept": report["judge"].get("base_correct_of_kept", {}),
            "accuracy": _accuracy(edir), "wall_s": wall, "_ids": ids}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="out/questions-rules", help="scratch folder (replaced)")
    ap.add_argument("--people", type=int, default=10, help="people benchmark size (benchmark.people.n_people)")
    ap.add_argument("--data", default="", help="a data folder with corpus.jsonl instead of the people corpus")
    ap.add_argument("--per-split", type=int, default=60, help="questions.per_split of both sets")
    ap.add_argument("--model", default="", help="model.name (default: the config's, the embedded model)")
    ap.add_argument("--config", default="configs/quickstart.yaml", help="augft config every step reads")
    ap.add_argument("--conditions", default="base,icl,rag", help="eval.conditions, comma-separated")
    ap.add_argument("--json", default=str(RESULTS / "questions_rules.json"), help="results file")
    args = ap.parse_args(argv)
    if args.people < 2 or args.per_split < 1:
        ap.error("--people must be at least 2 and --per-split at least 1")
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    common = ["--config", args.config, "tracking.enabled=false"] + ([f"model.name={args.model}"] if args.model else [])
    t0 = time.perf_counter()
    data = _corpus(args, work, common)
    rules = {rule: _one_rule(rule, data, work, common, args) for rule in RULES}
    shared = set(rules["icl_checked"].pop("_ids")) & set(rules["fair"].pop("_ids"))
    out = {"command": "python benchmarks/questions_rules.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "model": args.model or "(config default)", "config": args.config,
           "corpus": args.data or f"people benchmark corpus, n_people={args.people}",
           "rules": rules, "shared_questions": len(shared),
           "rag_by_rule": {rule: r["accuracy"].get("rag", {}) for rule, r in rules.items()},
           "wall_s": round(time.perf_counter() - t0, 1)}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    for rule, r in rules.items():
        print(f"{rule:12s} kept {r['kept']}")
        for label, splits in r["accuracy"].items():
            print(f"  {label:8s} " + "  ".join(f"{s} {v['accuracy']:.3f} {v['ci']}" for s, v in splits.items()))
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
