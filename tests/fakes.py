"""Stage outputs written the way the stages write them (typed values through core.artifacts),
for tests whose stages are fakes (importable as `fakes`: tests/ is on pytest's pythonpath)."""
from pathlib import Path
from typing import Dict, Iterable, Optional

from augft.core.artifacts import (AugmentOutput, ConditionSummary, EvalOutput, Manifest, OneOffCost, QueryCost,
                                  SplitStats, StrategyEntry, TrainOutput, TrainSummary)
from augft.eval.compare import Measured, compare


def manifest(out_dir, strategies: Dict[str, StrategyEntry], model: str = "m", **kw) -> Manifest:
    """Write `<out_dir>/manifest.json` with these strategy entries."""
    m = Manifest(strategies=dict(strategies), model=model, **kw)
    AugmentOutput(Path(out_dir)).write_manifest(m)
    return m


def entry(ok: int = 1, shards=("part-00000.parquet",), **kw) -> StrategyEntry:
    return StrategyEntry(ok=ok, shards=list(shards), **kw)


def train_summary(out_dir, train_flops: float = 1.0, steps: int = 3, **kw) -> TrainSummary:
    """Write `<out_dir>/summary.json`."""
    s = TrainSummary(steps=steps, resumed_from=0, tokens=0, wall_s=0.1, train_flops=float(train_flops),
                     n_params=1000, world_size=1, **kw)
    TrainOutput(Path(out_dir)).write_summary(s)
    return s


def stats(accuracy: float, n: int = 3, low: Optional[float] = None, high: Optional[float] = None,
          chance: float = 0.5) -> SplitStats:
    return SplitStats(accuracy=accuracy, n=n, ci_low=accuracy if low is None else low,
                      ci_high=accuracy if high is None else high, chance=chance)


def eval_results(out_dir, cond: str, splits: Dict[str, SplitStats], query: Optional[QueryCost] = None,
                 one_off: Optional[OneOffCost] = None, predictions: Iterable[dict] = ()):
    """Write `<out_dir>/results.json` (and predictions.jsonl) for one condition."""
    from augft.core.records import write_jsonl

    query = query or QueryCost(n_params=1000, icl="icl" in cond, finetuned=cond not in ("base", "icl"),
                               prompt_tokens_per_query=5.0, tokens_per_query=5.0)
    rows = list(predictions)
    summary = ConditionSummary(model="m", model_label=cond, splits=dict(splits))
    res = compare({cond: Measured(summary, query, one_off or OneOffCost(), lambda: rows)}, "sum", "wilson", 6)
    EvalOutput(Path(out_dir)).write_results(res)
    write_jsonl(EvalOutput(Path(out_dir)).predictions_path, rows)
    return res
