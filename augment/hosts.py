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

import contextlib
import json
import logging
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from augft.core.artifacts import EngineResources

log = logging.getLogger(__name__)


GPU_PROMPTS_IN_FLIGHT = 256
"""augment.vllm.prompts_in_flight=0 on GPUs."""


class SerialEngine:
    """An engine behind a lock. A host takes `augment.vllm.calls_in_flight` calls at once, so one
    call's rendering, filtering and writing overlap another's generation; vLLM's `LLM` runs one
    generate at a time, which the lock keeps."""

    def __init__(self, engine):
        self.engine, self._lock = engine, threading.Lock()
        self.name, self.model_name = engine.name, engine.model_name

    def generate(self, requests, sampling):
        with self._lock:
            return self.engine.generate(requests, sampling)

    def yes_probability(self, prompts):
        with self._lock:
            return self.engine.yes_probability(prompts)

    def continuation_logprobs(self, pairs):
        with self._lock:
            return self.engine.continuation_logprobs(pairs)

    def close(self) -> None:
        with self._lock:
            self.engine.close()


class EngineHost:
    """One engine replica as a Ray actor: runs whole units (renders, generates, filters, writes)
    for any augment stage; the stage's `Job` (its output folder, templates, record settings)
    comes with each call, so one replica serves every strategy of a study."""

    def __init__(self, cfg_yaml: str):
        from omegaconf import OmegaConf

        from augft.augment.engines.base import make_engine

        self.engine = SerialEngine(make_engine(OmegaConf.create(cfg_yaml)))

    def run_many(self, unit_jsons: List[str], job) -> List[str]:
        from augft.augment.executor import run_many_or_resume
        from augft.augment.units import Unit

        stats = run_many_or_resume(self.engine, [Unit.from_json(u) for u in unit_jsons], job)
        return [json.dumps(s) for s in stats]

    def close(self) -> None:
        self.engine.close()


class Router:
    """Which host runs a unit: the least loaded one (prompts assigned so far), except that every
    unit of a global window goes where the window's first unit went, so the window's prompts
    share that replica's prefix cache. Balanced where a hash of the unit left about a third of
    the replicas idle. One per run, as a Ray actor, so every proxy sees the same loads."""

    def __init__(self, n_hosts: int):
        self.load = [0] * int(n_hosts)
        self.sticky: Dict[str, int] = {}

    def assign(self, group: str, prompts: int) -> int:
        return self.assign_batch([(group, prompts)])[0]

    def assign_batch(self, keys: List[Tuple[str, int]]) -> List[int]:
        """Hosts for one proxy batch of (window, prompts): a window already placed goes to its
        host, every other unit to the host least loaded now, so the batch's prompts fill one
        replica's engine call rather than spreading a few over each."""
        free = min(range(len(self.load)), key=lambda j: (self.load[j], j))
        out = []
        for group, prompts in keys:
            i = self.sticky.get(group, free) if group else free
            if group:
                self.sticky[group] = i
            self.load[i] += max(1, int(prompts))
            out.append(i)
        return out


def route_key(unit_json: str) -> Tuple[str, int]:
    """(the unit's window, or '' for a unit without one; its prompt count)."""
    d = json.loads(unit_json)
    return str(d.get("window") or ""), len(d.get("items") or ())


class HostProxy:
    """Ray Data callable class: hands a batch of units to the engine hosts the run's router picks
    (a unit stays on one host; a window's units share one), one call per host with all of that
    host's units, so a replica generates the batch's prompts together."""

    def __init__(self, hosts: List, job, router=None):
        self.hosts, self.job, self.router = hosts, job, router
        self._local = Router(len(hosts)) if router is None else None

    def __call__(self, batch):
        import ray

        units = [str(u) for u in batch["unit"]]
        keys = [route_key(u) for u in units]
        where = self._local.assign_batch(keys) if self._local else ray.get(self.router.assign_batch.remote(keys))
        by_host: Dict[int, List[int]] = {}
        for pos, h in enumerate(where):
            by_host.setdefault(h, []).append(pos)
        calls = {h: self.hosts[h].run_many.remote([units[p] for p in ps], self.job) for h, ps in by_host.items()}
        out: List[str] = [""] * len(units)
        for h, ps in by_host.items():
            for p, stats in zip(ps, ray.get(calls[h])):
                out[p] = stats
        return {"stats": out}


def _start_hosts(cfg) -> tuple:
    """(host handles, placement groups, router, whether on GPUs) for `augment.vllm.replicas` replicas."""
    import ray
    from omegaconf import OmegaConf
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    from augft.augment.engines.vllm import placement_spec, replica_options, use_gpus
    from augft.core.resources import check_cluster

    v = cfg.augment.vllm
    gpus = use_gpus(v, float(ray.cluster_resources().get("GPU", 0)), cuda_build=None)
    check_cluster(*placement(cfg, gpus))  # replicas that can never be placed would wait forever
    opts = dict(replica_options(v, gpus), max_restarts=3, max_task_retries=3,
                max_concurrency=int(v.calls_in_flight))
    cls = ray.remote(EngineHost)
    hosts, groups = [], []
    for _ in range(int(v.replicas)):
        o = dict(opts)
        if gpus and int(v.tensor_parallel_size) > 1:
            pg = ray.util.placement_group(**placement_spec(int(v.tensor_parallel_size), float(v.cpus_per_replica)))
            groups.append(pg)
            # the replica's actor in the bundle that carries its CPUs; vLLM's rank workers join it
            o["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                pg, placement_group_bundle_index=0, placement_group_capture_child_tasks=True)
        hosts.append(cls.options(**o).remote(OmegaConf.to_yaml(cfg)))
    log.info("vLLM: %d replica(s) on %s", len(hosts), "GPUs" if gpus else "CPUs")
    return hosts, groups, ray.remote(num_cpus=0)(Router).remote(len(hosts)), gpus


def placement(cfg, gpus: Optional[bool] = None) -> list:
    """The run's engines' fit checks (core.resources specs): vLLM replicas when hosted, else the
    actor pool's `augment.num_actors` actors of `augment.actor_cpus/actor_gpus`. `gpus`: whether
    vLLM replicas take GPUs (None: as `augment.vllm.device` says for the connected cluster)."""
    from augft.core.resources import actors_spec

    a = cfg.augment
    if bool(a.use_ray) and str(a.engine) == "vllm":
        import ray

        from augft.augment.engines.vllm import replicas_placement, use_gpus

        if gpus is None:
            gpus = use_gpus(a.vllm, float(ray.cluster_resources().get("GPU", 0)), cuda_build=None)
        return replicas_placement(a.vllm, gpus)
    return [actors_spec(max(1, int(a.num_actors)), float(a.actor_cpus), float(a.actor_gpus),
                        "augment.num_actors, augment.actor_cpus, augment.actor_gpus", "augment's engine actors")]


class RunEngines:
    """Engines for one run (see the module docstring); close() releases them."""

    def __init__(self, cfg, engine_factory: Optional[Callable] = None):
        self.cfg, self.engine_factory = cfg, engine_factory
        self._local: Optional[Any] = None  # an engine (or the hosts' router)
        self._hosts: List = []
        self._groups: List = []
        self.router = None
        """The run's Router actor (hosted runs), shared by every pipeline's proxies."""
        self.on_gpus = False
        """Whether the hosted replicas run on GPUs (known once they start)."""

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
            self._hosts, self._groups, self.router, self.on_gpus = _start_hosts(self.cfg)
        return self._hosts

    def units_per_call(self) -> int:
        """Units a proxy hands its host at once: about augment.vllm.prompts_in_flight prompts (0:
        256 on GPUs, one unit on CPUs; see the key)."""
        a = self.cfg.augment
        unit = max(1, int(a.unit_size))
        prompts = int(a.vllm.prompts_in_flight) or (GPU_PROMPTS_IN_FLIGHT if self.on_gpus else unit)
        return max(1, prompts // unit)

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
            for h in [*self._hosts, *([self.router] if self.router is not None else [])]:
                ray.kill(h)
            for pg in self._groups:
                ray.util.remove_placement_group(pg)
        self._hosts, self._groups, self.router, self.on_gpus = [], [], None, False

    def __enter__(self) -> "RunEngines":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


ENGINE_KEYS = ("engine", "model", "use_ray", "vllm", "openai", "batch_size", "num_actors", "actor_cpus", "actor_gpus")
"""The augment keys that decide which engines a run builds (a run with other sampling, prompts or
strategies can use the same ones)."""


def engine_key(cfg) -> str:
    """Which engines `cfg` needs: runs with equal keys can share them."""
    from omegaconf import OmegaConf

    a = OmegaConf.to_container(cfg.augment, resolve=True)
    assert isinstance(a, dict)  # a config section is a mapping
    return json.dumps({"augment": {k: a.get(k) for k in ENGINE_KEYS}, "seed": cfg.seed,
                       "model": OmegaConf.to_container(cfg.model, resolve=True)}, sort_keys=True, default=str)


class EngineKeeper:
    """The engines of every augment run inside one `keep_engines` block (a study's augment
    stages): runs needing the same engines share them, so a vLLM teacher starts once per study
    rather than once per strategy. One set at a time: another key closes the previous set first
    (two teachers at once would not fit where one fills the GPUs)."""

    def __init__(self):
        self.key: Optional[str] = None
        self.engines: Optional[RunEngines] = None
        self.owns_ray = False
        """Whether Ray was started by a run inside the block (shut down when the block ends)."""

    def get(self, cfg) -> RunEngines:
        key = engine_key(cfg)
        if key != self.key:
            self.close()
            self.key, self.engines = key, RunEngines(cfg)
        assert self.engines is not None  # set just above, or kept from the same key
        return self.engines

    def close(self) -> None:
        if self.engines is not None:
            self.engines.close()
        self.key, self.engines = None, None


_KEEPER: Optional[EngineKeeper] = None


def keeper() -> Optional[EngineKeeper]:
    """The open `keep_engines` block's keeper, if any."""
    return _KEEPER


@contextlib.contextmanager
def keep_engines() -> Iterator[EngineKeeper]:
    """Keep engines open across the augment runs of this block (see EngineKeeper)."""
    global _KEEPER
    outer, _KEEPER = _KEEPER, EngineKeeper()
    kept = _KEEPER
    try:
        yield kept
    finally:
        _KEEPER = outer
        kept.close()
        if kept.owns_ray and outer is None:
            import ray

            ray.shutdown()
        elif kept.owns_ray and outer is not None:
            outer.owns_ray = True


@contextlib.contextmanager
def run_engines(cfg, engine_factory: Optional[Callable] = None) -> Iterator[RunEngines]:
    """One augment run's engines: the open keeper's (left open for the next run), or new ones
    closed when the run ends. A caller's engine_factory is never kept."""
    if _KEEPER is None or engine_factory is not None:
        with RunEngines(cfg, engine_factory) as engines:
            yield engines
        return
    yield _KEEPER.get(cfg)


def engine_resources(cfg, hosted: bool) -> EngineResources:
    """What this run's engines held (the manifest's `resources`): `hosted` runs vLLM replicas on
    Ray, other Ray runs `augment.num_actors` actors, a plain loop one engine in this process."""
    from augft.core.gpus import detect_gpu_type

    a = cfg.augment
    engine = str(a.engine)
    if engine == "openai":  # the server's hardware is not known here
        return EngineResources(replicas=0, tensor_parallel=1, gpus=0.0, gpu_type="unknown")
    tp = int(a.vllm.tensor_parallel_size) if engine == "vllm" else 1
    if hosted:
        import ray

        from augft.augment.engines.vllm import use_gpus

        replicas = int(a.vllm.replicas)
        on_gpu = use_gpus(a.vllm, float(ray.cluster_resources().get("GPU", 0)), cuda_build=None)
        gpus = float(replicas * tp) if on_gpu else 0.0
    elif bool(a.use_ray):
        replicas, tp = max(1, int(a.num_actors)), 1
        gpus = replicas * float(a.actor_gpus)
    else:
        replicas = 1
        device = str(a.vllm.device) if engine == "vllm" else str(cfg.model.device)
        gpus = float(tp) if device != "cpu" and _cuda_here() else 0.0
    return EngineResources(replicas=replicas, tensor_parallel=tp, gpus=gpus,
                           gpu_type=detect_gpu_type() if gpus > 0 else "cpu")


def _cuda_here() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - no usable torch build: no GPU here
        return False
