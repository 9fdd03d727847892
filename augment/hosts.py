"""The engines of one augment run, built once and shared by its strategies and phases.

vLLM takes tens of seconds to start (about 45 s for the embedded model on a 2-core CPU), so a
run must not pay it per strategy or per phase (local, global, entity extraction, entity pairs).
`RunEngines` owns them for the run:
- plain loop (`augment.use_ray=false`): one engine in this process, built at first use;
- Ray with the vllm engine: `augment.vllm.replicas` long-lived `EngineHost` actors, built at
  first use; every Ray Data pipeline of the run streams its units through light `HostProxy`
  actors that hand each unit to a host, so records are still written on the workers and the
  driver sees only stats;
- Ray with hf/openai: nothing here; each pipeline's actor pool builds its own (cheap) engine.
"""
from __future__ import annotations

import json
import logging
import zlib
from typing import Callable, List, Optional

log = logging.getLogger(__name__)


class EngineHost:
    """One engine replica as a Ray actor: runs whole units (renders, generates, filters, writes)."""

    def __init__(self, cfg_yaml: str, job):
        from omegaconf import OmegaConf

        from augft.augment.engines.base import make_engine

        self.engine = make_engine(OmegaConf.create(cfg_yaml))
        self.job = job

    def run(self, unit_json: str) -> str:
        from augft.augment.executor import run_or_resume
        from augft.augment.units import Unit

        return json.dumps(run_or_resume(self.engine, Unit.from_json(unit_json), self.job))

    def close(self) -> None:
        self.engine.close()


class HostProxy:
    """Ray Data callable class: hands each unit to an engine host (a unit stays on one host, so
    a window's prompts share that replica's prefix cache)."""

    def __init__(self, hosts: List):
        self.hosts = hosts

    def __call__(self, batch):
        import ray

        return {"stats": [ray.get(self.hosts[zlib.crc32(u.encode()) % len(self.hosts)].run.remote(u))
                          for u in batch["unit"]]}


def _start_hosts(cfg, job) -> tuple:
    """(host handles, placement groups) for `augment.vllm.replicas` replicas."""
    import ray
    from omegaconf import OmegaConf
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    from augft.augment.engines.vllm import placement_spec, replica_options, use_gpus

    v = cfg.augment.vllm
    gpus = use_gpus(v, float(ray.cluster_resources().get("GPU", 0)))
    opts = dict(replica_options(v, gpus), max_restarts=3, max_task_retries=3)
    cls = ray.remote(EngineHost)
    hosts, groups = [], []
    for _ in range(int(v.replicas)):
        o = dict(opts)
        if gpus and int(v.tensor_parallel_size) > 1:
            pg = ray.util.placement_group(**placement_spec(int(v.tensor_parallel_size)))
            groups.append(pg)
            o["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                pg, placement_group_capture_child_tasks=True)
        hosts.append(cls.options(**o).remote(OmegaConf.to_yaml(cfg), job))
    log.info("vLLM: %d replica(s) on %s", len(hosts), "GPUs" if gpus else "CPUs")
    return hosts, groups


class RunEngines:
    """Engines for one run (see the module docstring); close() releases them."""

    def __init__(self, cfg, job, engine_factory: Optional[Callable] = None):
        self.cfg, self.job, self.engine_factory = cfg, job, engine_factory
        self._local = None
        self._hosts: List = []
        self._groups: List = []

    @property
    def hosted(self) -> bool:
        """Whether Ray pipelines go through long-lived hosts (the vllm engine)."""
        a = self.cfg.augment
        return bool(a.use_ray) and str(a.engine) == "vllm" and self.engine_factory is None

    def local(self):
        """This process's engine (plain loop), built once."""
        from augft.augment.engines.base import make_engine

        if self._local is None:
            self._local = self.engine_factory() if self.engine_factory else make_engine(self.cfg)
        return self._local

    def hosts(self) -> List:
        if not self._hosts:
            self._hosts, self._groups = _start_hosts(self.cfg, self.job)
        return self._hosts

    def close(self) -> None:
        if self._local is not None and self.engine_factory is None:  # a caller's engine stays open
            self._local.close()
        self._local = None
        if self._hosts:
            import ray

            try:  # let each host stop its engine-core process before the actor goes
                ray.get([h.close.remote() for h in self._hosts], timeout=60)
            except Exception as exc:  # noqa: BLE001 - a dead host has nothing left to close
                log.debug("closing engine hosts: %s", exc)
            for h in self._hosts:
                ray.kill(h)
            for pg in self._groups:
                ray.util.remove_placement_group(pg)
        self._hosts, self._groups = [], []

    def __enter__(self) -> "RunEngines":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
