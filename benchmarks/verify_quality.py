"""The self-verification filter (augment.verify) against each benchmark's exact checker.

Local augmentation with the embedded model on the first `--docs` documents of each benchmark,
verification off (every statement that passes the text filters is kept), then every statement
scored against its source document by both methods (augment.verify_method: pmi, the default,
and yes_no), and for each method and threshold: statements the filter would drop, and against
the checker
- precision: share of the dropped statements that are false,
- recall: share of the false statements that are dropped,
- true kept: share of the true statements that survive.
Same generations for every method and threshold, so the numbers are the filter's alone. Prints and writes
benchmarks/results/verify_quality.json.

    .venv/bin/python benchmarks/verify_quality.py [--benchmarks people family reversal] [--docs 40]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from augft.augment.api import augment
from augft.augment.engines.hf import HFEngine
from augft.augment.prompts import BUILTIN
from augft.augment.verify import support_scores
from augft.core.artifacts import AugmentOutput
from augft.core.config import load_config
from augft.eval.datasets.api import build, checker_for, write

RESULTS = Path(__file__).resolve().parent / "results"


def _at(scored, threshold: float) -> dict:
    dropped = [v for s, v in scored if s < threshold]
    false = sum(v == "false" for _, v in scored)
    true = sum(v == "true" for _, v in scored)
    n_false_dropped = sum(v == "false" for v in dropped)
    return {"threshold": threshold, "dropped": len(dropped),
            "precision": round(n_false_dropped / len(dropped), 3) if dropped else None,
            "recall": round(n_false_dropped / false, 3) if false else None,
            "true_kept": round(1 - sum(v == "true" for v in dropped) / true, 3) if true else None}


THRESHOLDS = {"pmi": (1.0, 2.0, 3.0), "yes_no": (0.3, 0.5, 0.7)}


def run(name: str, docs: int, config: str, engine: HFEngine) -> dict:
    cfg = load_config(config, [f"benchmark.name={name}", "augment.strategies=[local]", "augment.verify=false",
                               f"augment.limit={docs}"])
    g = build(name, cfg)
    checker = checker_for(g)
    texts = {d.id: d.text for d in g.documents}
    with tempfile.TemporaryDirectory() as tmp:
        write(g, Path(tmp) / "data")
        t = time.perf_counter()
        m = augment(cfg, Path(tmp) / "data", Path(tmp) / "aug")
        recs = AugmentOutput(Path(tmp) / "aug").records(["local"])
    verdicts = [checker.check(r.text) for r in recs]
    pairs = [(texts[r.source_ids[0]], r.text) for r in recs]
    methods = {}
    for method, ths in THRESHOLDS.items():
        scored = list(zip(support_scores(engine, method, BUILTIN["fewshot-v1"]["verify"], pairs), verdicts))
        methods[method] = [_at(scored, th) for th in ths]
    counts = {v: verdicts.count(v) for v in ("true", "false", "uncheckable")}
    return {"documents": docs, "statements": len(recs), **counts, "wall_s": round(time.perf_counter() - t, 1),
            "filtered_before_verify": m.strategies["local"].filtered, "methods": methods}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", nargs="+", default=["people", "family", "reversal"])
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--config", default="configs/quickstart.yaml")
    args = ap.parse_args()
    cfg = load_config(args.config)
    engine = HFEngine(cfg.model, batch_size=int(cfg.augment.batch_size))
    res = {"config": args.config, "model": cfg.model.name,
           "benchmarks": {b: run(b, args.docs, args.config, engine) for b in args.benchmarks}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "verify_quality.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
