"""Executing work units, resumable: a Ray Data actor pool, or a plain loop in this process.

units -> engine actors (map_batches, one unit per batch). The actor renders the unit's
prompts, generates, parses and filters, then writes `part-<stem>.parquet` and, last,
`part-<stem>.stats.json` to the output location itself (local folder or URI): records never
travel back. It returns the unit's stats (a few hundred bytes), which is all the driver sees;
the driver sums them for the manifest and the progress bar. A unit whose stats file exists is
not run again, only its stats are returned: that is how a rerun after a crash resumes.
Ray Data restarts a dead engine actor and retries its batch (actor pools default to
max_restarts=-1, max_task_retries=-1); a unit is written whole or not at all.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional

from augft.augment.storage import OutputStore
from augft.augment.units import Processed, RecordContext, Unit, UnitOutput, process_unit, run_units
from augft.core.errors import AugftError, user_error

log = logging.getLogger(__name__)


def unit_files(strategy: str, phase: str, stem: str):
    """(shard, stats) paths of a unit, relative to the output location. Entity extraction and
    compose units (settled after their round: augment.compose.rounds) write beside the shards
    training reads, not among them."""
    d = {"entity_extract": f"{strategy}/_extract", "compose": f"{strategy}/_pairs"}.get(phase, str(strategy))
    return f"{d}/part-{stem}.parquet", f"{d}/part-{stem}.stats.json"


def failed_file(strategy: str, phase: str, stem: str) -> str:
    """Where a unit's failed prompts are kept (with their reasons), relative to the output."""
    d = f"{strategy}/_extract" if phase == "entity_extract" else str(strategy)
    return f"{d}/failed/part-{stem}.parquet"


@dataclass(frozen=True)
class Job:
    """What a worker needs, besides its engine, to turn a unit into files."""
    store: OutputStore
    templates: Mapping[str, str]
    records: RecordContext


def node_id() -> str:
    """The Ray node this process runs on ('local' outside Ray): recorded in every unit's stats."""
    try:
        import ray

        if ray.is_initialized():
            return ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - provenance only, never worth failing a unit
        pass
    return "local"


def write_unit(store: OutputStore, p: Processed) -> Dict:
    """The unit's shard, then its stats file (which marks it done); returns the stats."""
    u = p.unit
    data, stats_path = unit_files(u.strategy, u.phase, u.stem)
    stats = dict(p.stats.to_dict(), unit_id=u.unit_id, stem=u.stem, strategy=u.strategy,
                 phase=u.phase, node=node_id(), pid=os.getpid(), plan=dict(u.plan))
    if u.phase == "entity_extract":  # each document's extracted entities, for the pair planning
        store.write_parquet(data, [{"id": k, "texts": list(v)} for k, v in p.entities.items()])
    else:
        store.write_parquet(data, p.records)
        stats["shard"] = data.rsplit("/", 1)[-1]
    if p.failures:
        store.write_parquet(failed_file(u.strategy, u.phase, u.stem), p.failures)
        stats["failed_shard"] = failed_file(u.strategy, u.phase, u.stem).split("/", 1)[1]
        stats["done_marker"] = stats_path
    store.write_json(stats_path, stats)
    return stats


def run_or_resume(engine, unit: Unit, job: Job) -> Dict:
    """A done unit's stats (marked `resumed`), or the stats of running it now."""
    return run_many_or_resume(engine, [unit], job)[0]


def run_many_or_resume(engine, units: List[Unit], job: Job) -> List[Dict]:
    """Each unit's stats, in order: done units' stored stats (marked `resumed`); the prompts of
    every other unit generated in one engine call per sampling (so a replica's batch holds all
    of them at once, augment.vllm.prompts_in_flight), then each unit processed and written on its
    own: a unit is still written whole or not at all."""
    out: List[Optional[Dict]] = [None] * len(units)
    todo = []
    for i, unit in enumerate(units):
        stats_path = unit_files(unit.strategy, unit.phase, unit.stem)[1]
        if job.store.exists(stats_path):
            out[i] = dict(job.store.read_json(stats_path), resumed=True)
        elif not unit.items:  # a shard with nothing to prompt: its planning counts only
            out[i] = dict(write_unit(job.store, process_unit(unit, UnitOutput([], 0.0), job.records)), resumed=False)
        else:
            todo.append(i)
    outputs = run_units([units[i] for i in todo], engine, job.templates)
    for i, unit_out in zip(todo, outputs):
        out[i] = dict(_finish(engine, units[i], unit_out, job), resumed=False)
    return [o for o in out if o is not None]


def _finish(engine, unit: Unit, out: UnitOutput, job: Job) -> Dict:
    """Process, verify and write one generated unit; its stats."""
    if out.results and all(r.error for r in out.results):
        # The engine is broken (bad sampling, a dead server), not one prompt: stop the run
        # with the cause instead of writing a manifest of failures.
        raise AugftError(f"augment unit {unit.stem} ({unit.strategy}): every prompt failed; "
                         f"first error: {out.results[0].error}")
    p = process_unit(unit, out, job.records)
    if job.records.verify_threshold is not None and unit.phase != "entity_extract":
        from augft.augment.verify import verify

        p = verify(engine, p, job.templates["verify"], job.records.verify_threshold, job.records.verify_method)
    return write_unit(job.store, p)


def actor_cfg(cfg_yaml: str):
    """An engine actor's config: the driver's resolved config, untyped (a worker whose copy of
    the schema differs, another version on a cluster, still reads the keys it needs), with the hf
    engine's model on the device Ray assigned the actor (augment.actor_gpus)."""
    from omegaconf import OmegaConf

    from augft.core.resources import actor_device

    cfg = OmegaConf.create(cfg_yaml)
    if str(cfg.augment.engine) == "hf":
        cfg.model.device = actor_device(str(cfg.model.device), float(cfg.augment.get("actor_gpus", 0.0)),
                                        "augment.actor_gpus")
    return cfg


class EngineActor:
    """Ray Data callable class: one engine per actor, one unit per batch."""

    def __init__(self, cfg_yaml: str, job: Job, engine_factory: Optional[Callable] = None):
        from augft.augment.engines.base import make_engine

        self.engine = engine_factory() if engine_factory else make_engine(actor_cfg(cfg_yaml))
        self.job = job

    def __call__(self, batch):
        stats = [json.dumps(run_or_resume(self.engine, Unit.from_json(u), self.job)) for u in batch["unit"]]
        return {"stats": stats}


def ensure_ray(cfg) -> None:
    """Join or start Ray (core.ray_init); our own bar reports rows/s and tokens/s."""
    import ray

    from augft.core.ray_init import init_ray, user_errors_as_themselves

    if init_ray(cfg.cluster, log_to_driver=False):
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False  # a run plans several Datasets; their logs keep this
    user_errors_as_themselves()


@contextlib.contextmanager
def ray_for_run(cfg, use_ray: bool) -> Iterator[None]:
    """Ray for one augment run when it uses Ray; shut down afterwards only if the run started it,
    so an in-process caller (a notebook, a test, the study) is left as it was."""
    if not use_ray:
        yield
        return
    import ray

    from augft.augment.hosts import keeper, placement
    from augft.core.resources import check_cluster

    started = not ray.is_initialized()
    ensure_ray(cfg)
    kept = keeper()
    if started and kept is not None:  # the block's later runs use the engines living on it
        kept.owns_ray, started = True, False
    try:
        check_cluster(*placement(cfg))  # engines that can never be placed would wait forever
        yield
    finally:
        if started:
            ray.shutdown()


def execute(units, cfg, job: Job, engines) -> Iterator[Dict]:
    """Every unit's stats, as units finish (done units: their stored stats).

    `units` is an iterable of Unit (built on the driver) or a Ray Dataset of {"unit": json}
    rows (built on the workers, the global windows). `engines` (augment.hosts.RunEngines) holds
    the run's engines, so every call of one run shares them.
    """
    if not cfg.augment.use_ray:
        yield from _execute_loop(units, job, engines)
        return
    yield from _execute_ray(units, cfg, job, engines)


def _execute_loop(units: Iterable[Unit], job: Job, engines) -> Iterator[Dict]:
    for u in units:
        done = not u.items or job.store.exists(unit_files(u.strategy, u.phase, u.stem)[1])
        yield run_or_resume(None if done else engines.local(), u, job)


def _pool_args(cfg, job: Job, engines) -> Dict:
    """`map_batches` arguments: proxies to the run's engine hosts (vllm), or an actor pool that
    builds its own engine (hf, openai)."""
    import ray
    from omegaconf import OmegaConf

    from augft.augment.hosts import HostProxy

    a = cfg.augment
    if engines.hosted:
        hosts = engines.hosts()
        # calls_in_flight proxies per host, each handing it about prompts_in_flight prompts
        return {"fn": HostProxy, "fn_constructor_kwargs": {"hosts": hosts, "job": job, "router": engines.router},
                "num_cpus": 0, "batch_size": engines.units_per_call(),
                "compute": ray.data.ActorPoolStrategy(size=len(hosts) * int(a.vllm.calls_in_flight))}
    from augft.core.resources import actor_options

    return {"fn": EngineActor, **actor_options(float(a.actor_cpus), float(a.actor_gpus)),
            "compute": ray.data.ActorPoolStrategy(size=max(1, int(a.num_actors))),
            "fn_constructor_kwargs": {"cfg_yaml": OmegaConf.to_yaml(cfg), "job": job,
                                      "engine_factory": engines.engine_factory}}


def _execute_ray(units, cfg, job: Job, engines) -> Iterator[Dict]:
    import ray

    ensure_ray(cfg)
    args = _pool_args(cfg, job, engines)
    per = int(args.pop("batch_size", 1))
    if isinstance(units, ray.data.Dataset):
        ds = units
    else:
        rows = [{"unit": u.to_json()} for u in units]
        if not rows:
            return
        ds = ray.data.from_items(rows, override_num_blocks=-(-len(rows) // per))  # a block per proxy batch
    ds = ds.map_batches(args.pop("fn"), batch_size=per, batch_format="numpy", **args)
    try:
        for row in ds.iter_rows():
            yield json.loads(row["stats"])
    except Exception as exc:
        cause = user_error(exc)
        if cause is None:
            raise
        raise cause from None  # its own message and type, not Ray's remote traceback
