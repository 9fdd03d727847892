"""Local augmentation quality on the people (reversal-curse) benchmark, embedded model:
zero-shot "rewrite" prompt (one sample) vs the few-shot prompt with sampled candidates and filters.

Every kept statement is checked by the benchmark's exact reasoner; a statement is a
reversal when it covers a test target (description first, name last). Prints and writes
benchmarks/results/augment_quality.json.

    .venv/bin/python benchmarks/augment_quality.py [--statements 60] [--candidates 4]

`--model tiny-random-llama --out DIR` is the smallest run (seconds, random text, nothing kept):
tests/benchmarks runs it so the script keeps working on the current code.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from augft.augment.api import augment, read_augmentations
from augft.augment.engines.hf import HFEngine
from augft.core.config import load_config
from augft.core.models import load_model
from augft.core.records import read_corpus, write_records
from augft.eval.datasets.api import generate, load_checker
from augft.eval.datasets.quality import augmentation_quality

RESULTS = Path(__file__).resolve().parent / "results"


def run(name, overrides, data, work, lm, checker, people):
    cfg = load_config(None, overrides + ["augment.use_ray=false", "augment.strategies=[local]"])
    eng = HFEngine(cfg.model, batch_size=int(cfg.augment.batch_size), loaded=lm)
    t = time.perf_counter()
    m = augment(cfg, data, work / name, engine_factory=lambda: eng)
    wall = time.perf_counter() - t
    recs = read_augmentations(work / name, ["local"])
    reversal_ids = {r.id for r in recs if checker.covered([r.text])}
    sources_with_reversal = {r.source_ids[0] for r in recs if r.id in reversal_ids}
    covered = checker.covered([r.text for r in recs])
    s, q = m.strategies["local"], augmentation_quality(data, work / name).strategies["local"]
    return {"prompt_set": cfg.augment.prompt_set, "candidates": int(cfg.augment.num_candidates),
            "inputs": s.inputs, "kept": s.ok, "filtered": s.filtered, "failed": s.failed,
            "true": q.true, "false": q.false, "uncheckable": q.uncheckable,
            "reversal_statements": len(reversal_ids),
            "source_statements_with_a_reversal": len(sources_with_reversal),
            "people_covered": len(covered), "people_in_subset": len(people),
            "completion_tokens": s.completion_tokens, "wall_s": round(wall, 1)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--statements", type=int, default=60)
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--reuse-zero-shot", action="store_true",
                    help="take the zero-shot result from an earlier run's results file "
                         "(same statements, model and token limit) instead of regenerating it")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for augment_quality.json")
    ap.add_argument("overrides", nargs="*", help="config overrides for both runs (key=value)")
    args = ap.parse_args(argv)
    results = args.out
    prev = {}
    if args.reuse_zero_shot and (results / "augment_quality.json").is_file():
        prev = json.loads((results / "augment_quality.json").read_text())
    work = Path(tempfile.mkdtemp(prefix="augft-quality-"))
    try:
        full = work / "people"
        generate("people", load_config(None, ["benchmark.name=people"]), full)
        docs = read_corpus(full)[: args.statements]
        data = work / "subset"
        data.mkdir()
        write_records(data / "corpus.jsonl", docs)
        for f in ("questions.jsonl", "benchmark.json"):
            shutil.copy(full / f, data / f)
        checker = load_checker(data)
        people = {d.meta["fact_ids"][0] for d in docs}
        lm = load_model(args.model)
        common = [f"model.name={args.model}", f"augment.max_new_tokens={args.max_new_tokens}",
                  "augment.batch_size=8", "augment.temperature=0.8", *args.overrides]
        out = {"model": args.model, "statements": len(docs), "benchmark": "people"}
        out["max_new_tokens"] = args.max_new_tokens
        same = all(prev.get(k) == out.get(k) for k in ("model", "statements", "max_new_tokens"))
        if prev.get("zero_shot") and same:
            out["zero_shot"] = dict(prev["zero_shot"], reused_from_earlier_run=True)
        else:
            out["zero_shot"] = run("zeroshot", common + ["augment.prompt_set=zeroshot-v1",
                                                          "augment.num_candidates=1"],
                                   data, work, lm, checker, people)
            results.mkdir(parents=True, exist_ok=True)  # saved early: the few-shot half takes much longer
            (results / "augment_quality.json").write_text(json.dumps(out, indent=2) + "\n")
        print(json.dumps(out["zero_shot"]), flush=True)
        out["few_shot"] = run("fewshot", common + ["augment.prompt_set=fewshot-v1",
                                                    f"augment.num_candidates={args.candidates}"],
                              data, work, lm, checker, people)
        zs, fs = out["zero_shot"], out["few_shot"]
        out["ratio_reversal_statements"] = round(fs["reversal_statements"] / max(1, zs["reversal_statements"]), 2)
        out["ratio_people_covered"] = round(fs["people_covered"] / max(1, zs["people_covered"]), 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.mkdir(parents=True, exist_ok=True)
    (results / "augment_quality.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
