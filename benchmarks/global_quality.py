"""How true global augmentation is, against local, by the people benchmark's exact checker.

One generation run (embedded model, the demo's `people` sizes and augment settings, local and
global strategies, the global consistency filter off so every statement is seen), then:
- per strategy: statements kept, true / false / uncheckable, false share, reversal targets covered;
- for global: the same counts for the statements the entity-consistency filter keeps, and the
  filter's precision and recall against the checker (false statements dropped / all dropped,
  false statements dropped / all false).
Same generations for both global rows, so the comparison is the filter alone. Prints and writes
benchmarks/results/global_quality.json.

    .venv/bin/python benchmarks/global_quality.py [--config configs/quickstart.yaml]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from augft.augment.api import augment
from augft.augment.consistency import WindowEntities
from augft.core.artifacts import AugmentOutput
from augft.core.config import load_config
from augft.eval.benchmarks.api import checker_for, build, write

RESULTS = Path(__file__).resolve().parent / "results"


def _counts(checker, texts) -> dict:
    v = {"true": 0, "false": 0, "uncheckable": 0}
    for t in texts:
        v[checker.check(t)] += 1
    n = len(texts)
    covered = checker.covered(texts) & set(checker.targets())
    return {"kept": n, **v, "false_share": round(v["false"] / n, 3) if n else 0.0,
            "targets_covered": len(covered), "targets": len(checker.targets())}


def _filter_quality(checker, recs, docs) -> dict:
    """Global statements the consistency filter keeps, and its precision/recall vs the checker."""
    windows = {}
    kept, dropped = [], []
    for r in recs:
        key = tuple(r.source_ids)
        if key not in windows:
            windows[key] = WindowEntities(docs[i] for i in r.source_ids if i in docs)
        (kept if windows[key].consistent(r.text) else dropped).append(r.text)
    verdict = [checker.check(t) for t in dropped]
    n_false = sum(checker.check(r.text) == "false" for r in recs)
    return {"kept_by_filter": _counts(checker, kept), "dropped": len(dropped),
            "dropped_false": verdict.count("false"), "dropped_true": verdict.count("true"),
            "precision": round(verdict.count("false") / len(dropped), 3) if dropped else None,
            "recall": round(verdict.count("false") / n_false, 3) if n_false else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/quickstart.yaml")
    args = ap.parse_args()
    cfg = load_config(args.config, ["augment.strategies=[local,global]", "augment.global_consistency=false",
                                    "tracking.enabled=false"])
    g = build("people", cfg)
    checker = checker_for(g)
    docs = {d.id: d.text for d in g.documents}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write(g, data)
        t = time.perf_counter()
        m = augment(cfg, data, Path(tmp) / "aug")
        wall = time.perf_counter() - t
        out = AugmentOutput(Path(tmp) / "aug")
        local = out.records(["local"])
        glob = out.records(["global"])
    res = {"config": args.config, "documents": len(g.documents), "wall_s": round(wall, 1),
           "filtered": {s: m["strategies"][s]["filtered"] for s in ("local", "global")},
           "local": _counts(checker, [r.text for r in local]),
           "global": _counts(checker, [r.text for r in glob]),
           "global_consistency": _filter_quality(checker, glob, docs)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "global_quality.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
