"""Storage across nodes: on a Ray cluster of more than one node, refuse paths only one node sees.

A worker on another node opens the same path in its own filesystem: a local `--out` there is a
different (empty) folder, a model cache under `~/.cache` is another node's cache, and MLflow's
default sqlite file lands in whichever working directory the process had. So, before any work,
a command whose stages run on Ray checks, when the cluster has more than one alive node:

- every local path it will read or write (`--data`, `--out`, the model paths or the model
  cache) lies under a folder declared shared: `cluster.shared_paths`, `cluster.storage` or
  $AUGFT_STORAGE. A URI (`s3://...`, any `scheme://`) is shared by definition.
- MLflow tracking, when on, has a URI (`tracking.uri` or $MLFLOW_TRACKING_URI); the sqlite
  fallback in the working directory is refused (`tracking.offline=true` keeps it on purpose).

"Shared" is what the user declares; nothing probes the mounts (a probe cannot tell an NFS
mount from a same-named local folder without writing on every node).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

from augft.core.errors import AugftError

SHARED_KEYS = "cluster.shared_paths (or cluster.storage / $AUGFT_STORAGE)"


def uses_ray(cfg, command: str) -> bool:
    """Whether `command` runs any of its work on Ray with this config."""
    from augft.core.config.settings import EvalSettings
    from augft.eval import distributed

    augment = bool(cfg.augment.use_ray)
    train = str(cfg.train.launcher) == "ray"
    evaluate = distributed.use_ray(EvalSettings.of(cfg))
    targets = bool(cfg.train.distill.use_ray)
    return {"augment": augment, "train": train, "eval": evaluate, "targets": targets,
            "sweep": True,  # Tune trials are Ray tasks, on any node
            "run": augment or train or evaluate or targets}.get(command, False)


def shared_roots(cfg) -> List[str]:
    """The declared shared folders, absolute, in the order the keys are listed."""
    roots = [str(p) for p in cfg.cluster.shared_paths]
    roots += [r for r in (str(cfg.cluster.storage), os.environ.get("AUGFT_STORAGE", "")) if r]
    return roots


def is_shared(location, roots: Sequence[str]) -> bool:
    """A URI, or a local path under one of `roots` (both resolved, so `..` and links cannot escape)."""
    text = str(location)
    if "://" in text:
        return True
    path = Path(text).expanduser().resolve()
    for root in roots:
        if "://" in root:
            continue
        base = Path(root).expanduser().resolve()
        if path == base or base in path.parents:
            return True
    return False


def _model_locations(cfg, command: str) -> Iterator[Tuple[str, str]]:
    """(key, local folder) of each model the command loads: the folder itself when the name is a
    path, else the cache it is built or looked up in."""
    from augft.core.models import cache_root

    names = [("model.name", str(cfg.model.name))]
    if cfg.augment.model and command in ("augment", "run", "sweep") and str(cfg.augment.engine) != "openai":
        names.append(("augment.model", str(cfg.augment.model)))
    if command in ("eval", "run", "sweep"):
        names += [(f"eval.models.{k}", str(v)) for k, v in dict(cfg.eval.models).items()]
    cache_key = "model.cache_dir (or $AUGFT_CACHE)"
    for key, name in names:
        if "://" in name:
            continue
        path = Path(name).expanduser()
        if path.exists():
            yield key, str(path)
        elif name.count("/") == 1 and not name.startswith((".", "/")):  # a Hub name: Hugging Face's cache
            from huggingface_hub import constants

            yield f"{key} (a Hub name, read from $HF_HOME)", str(constants.HF_HUB_CACHE)
        else:
            yield cache_key, str(cache_root(str(cfg.model.cache_dir)))


def _uri_copies(cfg, command: str, data, out) -> Iterator[Tuple[str, str]]:
    """The work folder that holds the local copies of URI locations, for commands that use copies
    (cluster/remote.py): its workers open those copies, so it must be shared too."""
    from augft.cluster.remote import STREAMS_URIS
    from augft.core.uri import work_root

    if command not in STREAMS_URIS and any("://" in str(x) for x in (data, out) if x is not None):
        yield ("the local copies of s3:// --data/--out ($AUGFT_WORK, else cluster.storage)",
               str(work_root(str(cfg.cluster.storage), str(cfg.model.cache_dir))))


def storage_problems(cfg, command: str, data, out) -> List[str]:
    """What is not shared among what `command` reads and writes (empty: all shared)."""
    roots = shared_roots(cfg)
    places = [("--data", data), ("--out", out), *_model_locations(cfg, command), *_uri_copies(cfg, command, data, out)]
    problems, seen = [], set()
    for key, location in places:
        if location is None or (key, str(location)) in seen:
            continue
        seen.add((key, str(location)))
        if not is_shared(location, roots):
            problems.append(f"{key} {location} is a local path outside the shared folders")
    if cfg.tracking.enabled and not cfg.tracking.offline:
        if not (str(cfg.tracking.uri).strip() or os.environ.get("MLFLOW_TRACKING_URI", "").strip()):
            problems.append("MLflow tracking has no URI, so it would write a sqlite file in this node's working "
                            "directory: set tracking.uri (or $MLFLOW_TRACKING_URI) to a server every node "
                            "reaches, or tracking.enabled=false, or tracking.offline=true for a local store on purpose")
    return problems


def alive_nodes(cfg) -> int:
    """Alive nodes of the Ray cluster this command would use; 1 when it would start a local Ray."""
    import ray

    from augft.core.ray_init import ray_session

    if not (cfg.cluster.address or os.environ.get("RAY_ADDRESS") or ray.is_initialized()):
        return 1  # a local Ray started per stage: one node
    with ray_session(cfg.cluster, log_to_driver=False):
        return sum(1 for n in ray.nodes() if n.get("Alive"))


def check_storage(cfg, command: str, data=None, out=None, nodes: Optional[int] = None) -> None:
    """Before any work: on a multi-node Ray cluster, every location is shared (AugftError naming the keys)."""
    if not uses_ray(cfg, command):
        return
    problems = storage_problems(cfg, command, data, out)
    if not problems:
        return
    nodes = alive_nodes(cfg) if nodes is None else nodes
    if nodes <= 1:
        return
    roots = shared_roots(cfg)
    declared = f"declared shared: {', '.join(roots)}" if roots else "no folder is declared shared"
    raise AugftError(f"the Ray cluster has {nodes} nodes, and workers on other nodes would not see these "
                     f"({declared}):\n  - " + "\n  - ".join(problems) +
                     f"\nPut them on storage every node mounts and list that folder in {SHARED_KEYS}, "
                     "or use s3:// URIs. docs/cluster.md, \"Storage across nodes\".")
