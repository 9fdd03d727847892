"""`augft plan` for the demo against the demo's run: the plan of `configs/quickstart.yaml` is made
first (no model loaded), then the demo's study runs (run_study, the code path of `make demo`), and
each augment and train stage's planned counts are set beside what its manifest or training summary
recorded: prompts, prompt tokens, generated tokens (the plan's measured mean and its upper
bound), training tokens and FLOPs, with the run/plan ratio. The plan's counts do not depend on
the cluster named (its GPU type prices time, not tokens); `configs/clusters/h100-4x8.yaml` is used.

    .venv/bin/python benchmarks/plan_vs_demo.py [--out out/plan-vs-demo]   # ~12 min on 2 cores

Writes benchmarks/results/plan_vs_demo.json and prints the table.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Dict, List, Optional

from augft.cluster.plan import StageEstimate, plan_study
from augft.cluster.plan_cluster import read_cluster_file
from augft.cluster.study import run_study
from augft.core.artifacts import AugmentOutput, StageRecord, TrainOutput
from augft.core.config import load_config

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"


def _ratio(run: Optional[float], plan: Optional[float]) -> Optional[float]:
    return round(run / plan, 3) if run is not None and plan else None


def _augment_row(est: StageEstimate, stage: StageRecord) -> Dict[str, dict]:
    """Planned against recorded counts of one augment stage (its strategy is the stage's label)."""
    strategy = est.name[len("augment["):-1]
    e = AugmentOutput(Path(stage.dir)).manifest().strategies[strategy]
    pairs = {"prompts": (est.prompts, e.prompts), "prompt_tokens": (est.tokens_in, e.prompt_tokens),
             "generated_tokens": (est.out_measured, e.completion_tokens),
             "generated_tokens_bound": (est.out_bound, e.completion_tokens)}
    return {k: {"plan": p, "run": r, "run_over_plan": _ratio(r, p)} for k, (p, r) in pairs.items()}


def _train_row(est: StageEstimate, stage: StageRecord) -> Dict[str, dict]:
    s = TrainOutput(Path(stage.dir)).summary()
    pairs = {"train_tokens": (est.train_tokens, s.tokens), "train_flops": (est.flops, s.train_flops)}
    return {k: {"plan": p, "run": r, "run_over_plan": _ratio(r, p)} for k, (p, r) in pairs.items()}


def compare(stages: List[StageEstimate], records: Dict[str, StageRecord]) -> Dict[str, Dict[str, dict]]:
    """{stage: {quantity: plan, run, ratio}} for the augment and train stages the run recorded."""
    out = {}
    for est in stages:
        rec = records.get(est.name)
        if rec is None:
            continue
        if est.kind == "augment":
            out[est.name] = _augment_row(est, rec)
        elif est.kind == "train":
            out[est.name] = _train_row(est, rec)
    return out


def markdown(rows: Dict[str, Dict[str, dict]]) -> str:
    lines = ["| stage | quantity | plan | run | run / plan |", "|---|---|---|---|---|"]
    for stage, quantities in rows.items():
        for q, v in quantities.items():
            fmt = lambda x: "-" if x is None else f"{x:,.0f}" if abs(x) < 1e9 else f"{x:.3g}"  # noqa: E731
            lines.append(f"| {stage} | {q} | {fmt(v['plan'])} | {fmt(v['run'])} | {v['run_over_plan'] or '-'} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="configs/quickstart.yaml")
    ap.add_argument("--out", default="out/plan-vs-demo")
    args = ap.parse_args()
    cfg = load_config(args.config, ["tracking.enabled=false"])
    t0 = time.perf_counter()
    plan = plan_study(cfg, None, read_cluster_file(REPO / "configs" / "clusters" / "h100-4x8.yaml"))
    plan_s = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    merged = run_study(cfg, None, Path(args.out))
    rows = compare(plan.stages, merged.stages)
    res = {"config": args.config, "plan_s": plan_s, "run_s": round(time.perf_counter() - t0, 1), "stages": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "plan_vs_demo.json").write_text(json.dumps(res, indent=2) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
