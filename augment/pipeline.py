"""Executing work units: a Ray Data pipeline (or a plain loop), resumable.

read units -> engine actor pool (map_batches) -> parse/filter (map) -> write on
the driver. Each finished unit is written atomically as `part-NNNNN.parquet`
plus `part-NNNNN.stats.json` (the stats file last, so it marks the unit done);
a rerun skips done units. Ray Data restarts a dead engine actor and retries its
batch (actor pools default to max_restarts=-1, max_task_retries=-1).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional

from augft.core.records import write_jsonl, write_parquet

log = logging.getLogger(__name__)

# Test hook: path of a marker file; the first engine call that finds it missing
# creates it and kills its own process (an actor dying mid-batch).
FAULT_ENV = "AUGFT_FAULT_KILL_ACTOR_ONCE"


def unit_paths(out_dir: Path, unit: Dict):
    d = out_dir / unit["strategy"] / ("_extract" if unit["phase"] == "entity_extract" else "")
    stem = unit["unit_id"].split("-")[-1]
    return d / f"part-{stem}.parquet", d / f"part-{stem}.stats.json"


def is_done(out_dir: Path, unit: Dict) -> bool:
    return unit_paths(out_dir, unit)[1].is_file()


def write_unit(out_dir: Path, processed: Dict) -> None:
    unit = {"strategy": processed["strategy"], "phase": processed["phase"], "unit_id": processed["unit_id"]}
    data, stats = unit_paths(out_dir, unit)
    if processed["phase"] == "entity_extract":
        payload = dict(processed["stats"], entities=processed["entities"])
    else:
        write_parquet(data, processed["records"])
        payload = dict(processed["stats"], shard=data.name)
    write_jsonl(stats, [payload])  # atomic; its presence marks the unit done


def read_unit_stats(out_dir: Path, unit: Dict) -> Dict:
    return json.loads(unit_paths(out_dir, unit)[1].read_text())


class EngineActor:
    """Ray Data callable class: one engine per actor, one unit per batch."""

    def __init__(self, cfg_yaml: str, fault_marker: str = ""):
        from omegaconf import OmegaConf

        from augft.augment.engines.base import make_engine

        # The driver's resolved config, untyped: a worker whose copy of the schema
        # differs (another version on a cluster) still reads the keys it needs.
        cfg = OmegaConf.create(cfg_yaml)
        self.engine = make_engine(cfg)
        self.fault_marker = fault_marker

    def __call__(self, batch):
        from augft.augment.units import run_unit

        if self.fault_marker and not os.path.exists(self.fault_marker):
            Path(self.fault_marker).write_text(str(os.getpid()))
            os._exit(1)
        outs = [json.dumps(run_unit(self.engine, json.loads(u))) for u in batch["unit"]]
        return {"unit": list(batch["unit"]), "out": outs}


def _process_row(row, model_name: str, fcfg_d: Dict, engine_name: str):
    from augft.augment.filters import FilterConfig
    from augft.augment.units import process_unit

    res = process_unit(json.loads(row["unit"]), json.loads(row["out"]), model_name,
                       FilterConfig(**fcfg_d), engine_name)
    return {"processed": json.dumps(res)}


def ensure_ray(cfg) -> None:
    import ray

    if ray.is_initialized():
        return
    addr = cfg.cluster.address or os.environ.get("RAY_ADDRESS", "")
    if addr:
        ray.init(address=addr, log_to_driver=False)
    else:
        ray.init(num_cpus=int(cfg.cluster.num_cpus) or None, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # our own bar reports rows/s and tokens/s


def execute(units: List[Dict], cfg, out_dir: Path, model_name: str, fcfg_d: Dict,
            progress: Callable[[Dict], None], engine_factory: Optional[Callable] = None) -> None:
    """Run every unit not yet done; calls `progress(stats)` after each is written."""
    pending = [u for u in units if not is_done(out_dir, u)]
    if not pending:
        return
    engine_name = cfg.augment.engine
    if not cfg.augment.use_ray:
        from augft.augment.engines.base import make_engine
        from augft.augment.filters import FilterConfig
        from augft.augment.units import process_unit, run_unit

        engine = engine_factory() if engine_factory else make_engine(cfg)
        fcfg = FilterConfig(**fcfg_d)
        try:
            for u in pending:
                res = process_unit(u, run_unit(engine, u), model_name, fcfg, engine_name)
                write_unit(out_dir, res)
                progress(res["stats"])
        finally:
            if engine_factory is None:  # a caller's engine stays open for its next run
                engine.close()
        return
    _execute_ray(pending, cfg, out_dir, model_name, fcfg_d, progress)


def _execute_ray(pending, cfg, out_dir, model_name, fcfg_d, progress) -> None:
    import ray
    from omegaconf import OmegaConf

    from augft.augment.engines.vllm import actor_resources

    ensure_ray(cfg)
    acfg = cfg.augment
    rows = [{"unit": json.dumps(u)} for u in pending]
    ds = ray.data.from_items(rows, override_num_blocks=len(rows))
    res_args = actor_resources(cfg)
    res_args["compute"] = ray.data.ActorPoolStrategy(size=res_args.pop("concurrency"))
    ds = ds.map_batches(
        EngineActor, batch_size=1, batch_format="numpy",
        fn_constructor_kwargs={"cfg_yaml": OmegaConf.to_yaml(cfg),
                               "fault_marker": os.environ.get(FAULT_ENV, "")},
        **res_args)
    ds = ds.map(_process_row, fn_kwargs={"model_name": model_name, "fcfg_d": fcfg_d,
                                         "engine_name": acfg.engine}, num_cpus=0.1)
    for row in ds.iter_rows():
        res = json.loads(row["processed"])
        write_unit(out_dir, res)
        progress(res["stats"])
