"""`augft run`'s up-front placement check: every stage's actors, next to the job's driver.

Each stage checks its own placement when it starts (core.resources); on a named cluster the
study also checks, before any stage, what each stage will ask while the job's driver holds its
own resources. A submitted job's driver keeps `cluster.entrypoint_num_cpus/gpus` for the whole
run (`augft submit`), so a GPU given to the driver (for eval.use_ray=false) is a GPU training
workers cannot have: 32 workers on a 32-GPU cluster would wait forever, with no error.
"""
from __future__ import annotations

import os
from typing import List, Optional, Sequence

from augft.core.errors import AugftError
from augft.core.resources import PlacementSpec, bundle

JOB_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"
"""Set by Ray in a submitted job's driver process."""


def in_ray_job() -> bool:
    return JOB_ENV in os.environ


def driver_spec(cfg) -> Optional[PlacementSpec]:
    """What a submitted job's driver holds while the study runs (None outside a Ray job)."""
    if not in_ray_job():
        return None
    c = cfg.cluster
    return PlacementSpec([bundle(float(c.entrypoint_num_cpus), float(c.entrypoint_num_gpus))], "PACK",
                         "cluster.entrypoint_num_cpus, cluster.entrypoint_num_gpus", "the job's driver")


def stage_specs(cfg, conditions: Sequence) -> List[PlacementSpec]:
    """What each Ray stage of the study asks at once (stages that run in the driver: none)."""
    from augft.augment.hosts import placement as augment_placement
    from augft.augment.targets.api import placement as targets_placement
    from augft.core.config.settings import EvalSettings
    from augft.eval import distributed
    from augft.train.resources import train_resources

    specs: List[PlacementSpec] = []
    if bool(cfg.augment.use_ray) and any(c.strategies for c in conditions):
        specs += augment_placement(cfg)
    if any(c.distill for c in conditions) and bool(cfg.train.distill.use_ray):
        specs.append(targets_placement(cfg.train))
    if any(c.trained for c in conditions) and str(cfg.train.launcher) == "ray":
        specs.append(train_resources(cfg).spec())
    settings = EvalSettings.of(cfg)
    if distributed.use_ray(settings):
        specs.append(distributed.placement(settings))
    return specs


def check_driver_device(cfg) -> None:
    """eval.use_ray=false scores in the driver: with model.device=cuda a job's driver needs a GPU."""
    from augft.core.config.settings import EvalSettings
    from augft.eval import distributed

    if (in_ray_job() and not distributed.use_ray(EvalSettings.of(cfg)) and str(cfg.model.device).startswith("cuda")
            and float(cfg.cluster.entrypoint_num_gpus) <= 0):
        raise AugftError("eval scores in the job's driver (eval.use_ray=false) with model.device="
                         f"{cfg.model.device}, but the driver reserves no GPU: set cluster.entrypoint_num_gpus=1 "
                         "(and leave room for the training workers), or eval.use_ray=true with eval.actor_gpus=1")


def check_study(cfg, conditions: Sequence) -> None:
    """Before any stage: on a named (or already joined) Ray cluster, every stage's placement,
    plus the job driver's resources, can fit; otherwise an AugftError naming the keys."""
    import ray

    from augft.core.ray_init import ray_session
    from augft.core.resources import check_cluster

    check_driver_device(cfg)
    if not (cfg.cluster.address or os.environ.get("RAY_ADDRESS") or ray.is_initialized()):
        return  # a local Ray is started per stage, sized for it; each stage checks itself
    with ray_session(cfg.cluster, log_to_driver=False):
        driver = driver_spec(cfg)
        check_cluster(*[driver.plus(s) if driver else s for s in stage_specs(cfg, conditions)])
