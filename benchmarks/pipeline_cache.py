"""How much a rerun of `augft run` saves through the stage cache, and what tracking costs.

Runs the tiny study (configs/tiny.yaml, the real stages on the tiny random model) three
times into fresh folders: cold with tracking off (the baseline), cold with tracking to a
local sqlite store, and a rerun of the tracked study with everything cached. Prints the
ratios and writes them to benchmarks/results/pipeline_cache.json.

    .venv/bin/python benchmarks/pipeline_cache.py [key=value ...]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    from augft.cluster.study import run_study
    from augft.core.config import load_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("overrides", nargs="*", help="config overrides for every run (key=value)")
    extra = list(ap.parse_args(argv).overrides)
    tmp = Path(tempfile.mkdtemp(prefix="augft-bench-"))
    base = ["tracking.experiment=bench-cache", *extra]

    def timed(out: Path, *overrides) -> float:
        cfg = load_config(REPO / "configs" / "tiny.yaml", [*base, *overrides])
        t0 = time.perf_counter()
        run_study(cfg, None, out)
        return time.perf_counter() - t0

    cold = timed(tmp / "a", "tracking.enabled=false")
    cold_tracked = timed(tmp / "b", f"tracking.uri=sqlite:///{tmp / 'mlflow.db'}")
    cached = timed(tmp / "b", f"tracking.uri=sqlite:///{tmp / 'mlflow.db'}")
    res = {"config": "configs/tiny.yaml", "overrides": extra,
           "cold_untracked_s": round(cold, 2), "cold_tracked_s": round(cold_tracked, 2),
           "cached_rerun_tracked_s": round(cached, 2),
           "speedup_cached_vs_cold": round(cold_tracked / cached, 2),
           "tracking_overhead_ratio": round(cold_tracked / cold, 3)}
    out = REPO / "benchmarks" / "results" / "pipeline_cache.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
