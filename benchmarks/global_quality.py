"""How true global augmentation is, against local, by the people benchmark's exact checker.

Generation runs on the embedded model at the demo's `people` sizes and augment settings, the
global consistency filter off so what it drops is seen (the text filters, negation included,
stay on): local once, global once per
`augment.global_context` (window: every prompt shows the whole window, the baseline; linked:
only the documents linked to the focal one), then for each:
- per strategy: statements kept, true / false / uncheckable, false share, reversal targets covered;
- for global: the same counts for the statements the entity-consistency filter keeps, and the
  filter's precision and recall against the checker (false statements dropped / all dropped,
  false statements dropped / all false).
The filter's rows use the same generations as the unfiltered ones, so they measure the filter
alone; window vs linked measures the context, including generation time. Prints and writes
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
from augft.eval.datasets.api import checker_for, build, write

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
    """Global statements the consistency filter keeps, and its precision/recall vs the checker.
    The filter sees a statement's whole window (as in the pipeline), not only what its prompt
    showed: a window's documents are those its records name."""
    members = {}
    for r in recs:
        members.setdefault(r.meta["window"], set()).update(r.source_ids)
    windows = {w: WindowEntities(docs[i] for i in sorted(ids) if i in docs) for w, ids in members.items()}
    kept, dropped = [], []
    for r in recs:
        (kept if windows[r.meta["window"]].consistent(r.text) else dropped).append(r.text)
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
    base = ["augment.global_consistency=false", "tracking.enabled=false"]
    g = build("people", load_config(args.config, base))
    checker = checker_for(g)
    docs = {d.id: d.text for d in g.documents}
    res = {"config": args.config, "documents": len(g.documents)}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write(g, data)
        runs = [("local", "local", []), ("global_window", "global", ["augment.global_context=window"]),
                ("global_linked", "global", ["augment.global_context=linked"])]
        for name, strategy, extra in runs:
            cfg = load_config(args.config, [*base, f"augment.strategies=[{strategy}]", *extra])
            t = time.perf_counter()
            m = augment(cfg, data, Path(tmp) / name).strategies[strategy]
            recs = AugmentOutput(Path(tmp) / name).records([strategy])
            res[name] = {"wall_s": round(time.perf_counter() - t, 1), "prompt_tokens": m.prompt_tokens,
                         "filtered": m.filtered, **_counts(checker, [r.text for r in recs])}
            if strategy == "global":
                res[name]["global_consistency"] = _filter_quality(checker, recs, docs)
    res["linked_vs_window_speedup"] = round(res["global_window"]["wall_s"] / res["global_linked"]["wall_s"], 2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "global_quality.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
