"""Cached stage runners shared by `augft run` and `augft sweep`.

Each runner derives its stage's key from the config section(s) it reads and its
inputs' keys, runs the stage's public function (from the stage contracts) into
`<out>/<stage>/<label>-<key>` unless that folder is already done, and returns a
StageResult. The stage functions are injectable (StageFns) so the caching and the
graph can be tested with small fakes.
"""
from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Sequence

from omegaconf import OmegaConf

from augft.cluster import stage_cache as cache
from augft.cluster.augment_command import record_quality
from augft.core.artifacts import AugmentOutput, TrainOutput
from augft.core import chains
from augft.core.conditions import Condition
from augft.core.config.augment import Strategy
from augft.core.config.settings import AugmentSettings, EvalSettings, TargetsSettings, TrainSettings
from augft.core.errors import AugftError

log = logging.getLogger(__name__)


def load_entry(target: str) -> Callable:
    """The function `module:name` names (a stage's entry point), imported now."""
    mod, fn = target.split(":")
    try:
        module = importlib.import_module(mod)
    except ImportError as exc:
        raise AugftError(f"the stage module {mod} is not available: {exc}") from None
    return getattr(module, fn)


def _lazy(target: str) -> Callable:
    """`target`'s function, imported at its first call (a stage's heavy imports wait until used)."""
    def call(*args, **kwargs):
        return load_entry(target)(*args, **kwargs)
    call.__name__ = target
    return call


@dataclass
class StageFns:
    """The stages' public functions (contracts); replaced by fakes in tests."""
    generate: Callable = field(default_factory=lambda: _lazy("augft.eval.benchmarks.api:generate"))
    """generate(name, cfg, out) -> sizes"""
    augment: Callable = field(default_factory=lambda: _lazy("augft.augment.api:augment_request"))
    """augment_request(request: AugmentRequest, settings: AugmentSettings) -> Manifest"""
    train: Callable = field(default_factory=lambda: _lazy("augft.train.api:train_request"))
    """train_request(request: TrainRequest, settings: TrainSettings) -> TrainSummary"""
    evaluate: Callable = field(default_factory=lambda: _lazy("augft.eval.api:evaluate_request"))
    """evaluate_request(request: EvalRequest, settings: EvalSettings) -> EvalResults"""
    targets: Callable = field(default_factory=lambda: _lazy("augft.augment.targets.api:targets_request"))
    """targets_request(request: TargetsRequest, settings: TargetsSettings) -> manifest (the teacher's targets)"""


@dataclass
class StageResult:
    kind: str
    label: str
    key: str
    dir: Path
    cached: bool
    wall_s: float
    hashed: dict = field(default_factory=dict)


def section(cfg, name: str, drop: Sequence[str] = ()) -> dict:
    d = OmegaConf.to_container(cfg[name], resolve=True)
    for k in drop:
        d.pop(k, None)
    return d


def run_cached(out: Path, kind: str, label: str, hashed: Mapping, inputs: Mapping[str, str],
               body: Callable[[Path], object], use_cache: bool = True) -> StageResult:
    """Run `body(folder)` unless the folder for this key is done. Locked per folder so
    concurrent sweep trials (or runs) that need the same stage run it once."""
    key = cache.stage_key(kind, hashed, inputs)
    folder = cache.stage_dir(out, kind, label, key)
    with cache.locked(folder):
        if use_cache and cache.is_done(folder, key):
            log.info("%s[%s]: cached (%s)", kind, label, folder)
            return StageResult(kind, label, key, folder, True, 0.0, dict(hashed))
        cache.begin(folder, key, {"kind": kind, "label": label, "config": hashed, "inputs": dict(inputs)})
        log.info("%s[%s]: running into %s", kind, label, folder)
        t0 = time.time()
        body(folder)
        wall = time.time() - t0
        cache.mark_done(folder, key, wall)
    return StageResult(kind, label, key, folder, False, wall, dict(hashed))


# ---- the stages -------------------------------------------------------------------------

def prepare_data(cfg, data: Optional[Path], out: Path, fns: StageFns, use_cache: bool = True) -> StageResult:
    """User data (keyed by its files' digests) or a generated benchmark (keyed by its config)."""
    if data is not None:
        for stem in ("corpus", "questions"):
            if not any((data / f"{stem}{s}").is_file() for s in (".jsonl", ".parquet")):
                raise AugftError(f"--data {data}: no {stem}.jsonl (or .parquet) in this folder")
        return StageResult("data", data.name or "data", cache.data_key(data), data, True, 0.0)
    hashed = {"benchmark": section(cfg, "benchmark"), "seed": cfg.seed}
    return run_cached(out, "benchmark", cfg.benchmark.name, hashed, {},
                      lambda d: fns.generate(cfg.benchmark.name, cfg, d), use_cache)


def augment_stage(cfg, strategy: str, data: StageResult, out: Path, fns: StageFns,
                  use_cache: bool = True, upstream: Optional[StageResult] = None) -> StageResult:
    """One strategy's augment stage. A chained strategy (`reverse<compose`, core/chains.py) needs
    its `upstream`'s stage: it reads that folder's kept records, and its key holds that stage's
    key, so a change to the upstream's keys re-runs it (and nothing that does not read it)."""
    from augft.augment.registry import spec

    if chains.is_chain(strategy):
        return _chained_stage(cfg, strategy, data, out, fns, use_cache, upstream)
    if spec(strategy).writer == "benchmark":  # copied from the data folder, no model
        from augft.augment.oracle import write_oracle_output

        if data.kind == "benchmark" and not (data.dir / str(spec(strategy).data_file)).is_file():
            # A benchmark folder generated before this file existed (oracle2): the same generator and
            # seed write the same files again, now with it.
            fns.generate(cfg.benchmark.name, cfg, data.dir)

        return run_cached(out, "augment", strategy, {"strategy": strategy}, {"data": data.key},
                          lambda d: (write_oracle_output(data.dir, d, 0, strategy), record_quality(data.dir, d)),
                          use_cache)
    from augft.augment.api import identity

    # Only what changes the records (augment's own identity of the folder, which its resume
    # fingerprint starts from): moving a study onto a cluster reuses its augmentations, and
    # another strategy's keys do not touch this one's.
    hashed = identity(AugmentSettings.of(cfg), [strategy])
    def body(folder: Path):
        from augft.augment.request import AugmentRequest

        fns.augment(AugmentRequest(str(data.dir), str(folder), (str(strategy),)), AugmentSettings.of(cfg))
        record_quality(data.dir, folder)

    return run_cached(out, "augment", strategy, hashed, {"data": data.key}, body, use_cache)


def _chained_stage(cfg, label: str, data: StageResult, out: Path, fns: StageFns, use_cache: bool,
                   upstream: Optional[StageResult]) -> StageResult:
    from augft.augment.api import identity

    if upstream is None:
        raise AugftError(f"augment stage {label}: its upstream '{chains.upstream(label)}' has no stage")
    hashed = identity(AugmentSettings.of(cfg), [label])

    def body(folder: Path):
        from augft.augment.request import AugmentRequest

        fns.augment(AugmentRequest(str(data.dir), str(folder), (label,), upstream=str(upstream.dir.resolve())),
                    AugmentSettings.of(cfg))
        record_quality(data.dir, folder)

    return run_cached(out, "augment", label, hashed, {"data": data.key, "upstream": upstream.key}, body, use_cache)


def augment_stages(cfg, strategies: Sequence[str], data: StageResult, out: Path, fns: StageFns,
                   use_cache: bool = True) -> Dict[str, StageResult]:
    """The augment stages `strategies` need, upstreams of chains first (core/chains.py)."""
    augs: Dict[str, StageResult] = {}
    for s in chains.with_upstreams(strategies):
        up = chains.upstream(s)
        augs[s] = augment_stage(cfg, s, data, out, fns, use_cache, augs[up] if up else None)
    return augs


def manifests_of(strategies: Sequence[str], augs: Mapping[str, StageResult]) -> tuple:
    """The augment manifests behind a mix: each strategy's and, for a chain, its upstreams' (their
    generation is part of what the chain cost)."""
    return tuple(str(AugmentOutput(augs[s].dir).manifest_path) for s in chains.with_upstreams(strategies)
                 if s in augs)


def canonical_strategies(strategies: Sequence[str]) -> tuple:
    """Strategies in the Strategy enum's order (the order of a mix never changes what it trains)."""
    order = [str(m) for m in Strategy]
    return tuple(sorted(strategies, key=lambda s: order.index(s) if s in order else len(order)))


def train_mix(strategies: Sequence[str], weight: float | Mapping[str, float]) -> Dict[str, float]:
    """The corpus at weight 1 plus each strategy at its weight."""
    mix = {"corpus": 1.0}
    for s in strategies:
        mix[s] = float(weight[s] if isinstance(weight, Mapping) else weight)
    return mix


TARGET_KEYS = ("top_k", "context", "context_tokens", "engine")
"""train.distill keys that change the teacher's targets (alpha changes only the training)."""


def targets_stage(cfg, source: str, data: StageResult, augs: Mapping[str, StageResult], out: Path,
                  fns: StageFns, use_cache: bool = True) -> StageResult:
    """The teacher's targets for one source's texts (`corpus` or a strategy's augmentations), so
    distill[local] and distill[local+global] share the corpus's and local's targets."""
    d = section(cfg, "train")["distill"]
    hashed = {"distill": {k: d[k] for k in TARGET_KEYS}, "model": section(cfg, "model"), "seed": cfg.seed,
              "source": source}
    inputs = {"data": data.key, **({f"augment.{source}": augs[source].key} if source != "corpus" else {})}

    def body(folder: Path):
        from augft.augment.targets.request import TargetsRequest

        folders = (str(augs[source].dir.resolve()),) if source != "corpus" else ()
        fns.targets(TargetsRequest(str(data.dir), str(folder), (source,), folders), TargetsSettings.of(cfg))

    return run_cached(out, "targets", source, hashed, inputs, body, use_cache)


def train_stage(cfg, label: str, strategies: Sequence[str], augs: Mapping[str, StageResult],
                data: StageResult, out: Path, fns: StageFns, weight: float | Mapping[str, float] = 1.0,
                base_model: Optional[StageResult] = None, use_cache: bool = True,
                targets: Optional[Mapping[str, StageResult]] = None) -> StageResult:
    """One fine-tuned model: corpus + the strategies' augmentations. `base_model` continues
    training from an earlier train stage's model (the sweep's per-epoch rungs); `targets` (per
    source) makes it a distilled model, trained on the teacher's targets of those sources.

    A model is identified by its content: aug_ft, aug_ft[global+local] and aug_ft[local+global]
    with the same strategies train once, into one folder named in the canonical order."""
    strategies = canonical_strategies(strategies)
    if label == "ft" or label.startswith("aug_ft"):
        label = Condition.fine_tuned(strategies).trained
    elif targets is not None:
        label = "distill[" + "+".join(strategies) + "]" if strategies else "distill"
    mix = train_mix(strategies, weight)
    # train.distill changes only distilled models: the others keep their keys (and caches).
    drop = ["augmentations", "mix", "resume", "targets"] + ([] if targets is not None else ["distill"])
    hashed = {"train": section(cfg, "train", drop),
              "model": section(cfg, "model"), "seed": cfg.seed, "mix": mix}
    inputs = {"data": data.key, **{f"augment.{s}": augs[s].key for s in strategies}}
    if targets is not None:
        inputs.update({f"targets.{s}": targets[s].key for s in mix})
    init = ""
    if base_model is not None:
        inputs["init"] = base_model.key
        init = str(base_model.dir / "model")
        hashed["model"] = {"init": base_model.key}

    def body(folder: Path):
        from augft.train.checkpoints import latest_checkpoint
        from augft.train.request import TrainRequest

        # A stage that crashed left its checkpoints in this folder: continue from them.
        return fns.train(TrainRequest(str(data.dir), str(folder), mix,
                                      tuple(str(augs[s].dir.resolve()) for s in strategies),
                                      "auto" if latest_checkpoint(folder) else "", init,
                                      tuple(str(targets[s].dir.resolve()) for s in mix) if targets else ()),
                         TrainSettings.of(cfg))

    return run_cached(out, "train", label, hashed, inputs, body, use_cache)


def index_stage(cfg, retriever: str, data: StageResult, out: Path, use_cache: bool = True) -> StageResult:
    """A retrieval index of the corpus (one per retriever), keyed by what changes its content: the
    retriever's settings and the corpus; built on Ray Data over the shards with eval.rag.use_ray
    or a named cluster."""
    from augft.eval.retrieval.spec import IndexSpec

    spec = IndexSpec.from_config(cfg.eval.rag, retriever)
    on_ray = bool(cfg.eval.rag.use_ray or cfg.cluster.address)

    def body(folder: Path):
        from augft.core.ray_init import ray_session
        from augft.eval.retrieval.build import build_index

        if not on_ray:
            return build_index(str(data.dir), spec, folder)
        with ray_session(cfg.cluster):
            return build_index(str(data.dir), spec, folder, use_ray=True)

    return run_cached(out, "index", retriever, {"index": spec.identity()}, {"data": data.key}, body, use_cache)


def eval_stage(cfg, condition, data: StageResult, out: Path, fns: StageFns,
               model: Optional[StageResult] = None, augs: Mapping[str, StageResult] = {},
               splits: Optional[Sequence[str]] = None, use_cache: bool = True,
               index: Optional[StageResult] = None, one_off: Optional[Mapping[str, float]] = None) -> StageResult:
    """Evaluate one condition (base, icl, rag, a trained model, or trained+icl / +rag)."""
    # eval.rag changes only retrieval conditions: the others keep their keys (and caches).
    # How scoring runs (on Ray or here) never changes what it measures.
    drop = ["conditions", "models", "costs", "use_ray", "num_actors", "actor_cpus", "ray_batch_size"] + \
        ([] if condition.rag is not None else ["rag"])
    hashed = {"eval": section(cfg, "eval", drop),
              "model": section(cfg, "model"), "seed": cfg.seed, "condition": condition.label}
    if splits is not None:
        hashed["eval"]["splits"] = list(splits)
    inputs = {"data": data.key}
    indexes: Dict[str, str] = {}
    if index is not None:
        inputs["index"] = index.key
        indexes[condition.retriever(str(cfg.eval.rag.retriever))] = str(index.dir)
    models: Dict[str, str] = {}
    summaries: Dict[str, str] = {}
    manifests: Dict[str, tuple] = {}
    if condition.trained:
        if model is None:
            raise AugftError(f"condition {condition.label} needs the trained model {condition.trained}")
        inputs["model"] = model.key
        models[condition.trained] = str(TrainOutput(model.dir).model_dir)
        # The cost model reads the one-off costs from these files: every strategy's manifest.
        summaries[condition.label] = str(TrainOutput(model.dir).summary_path)
        found = manifests_of(condition.strategies, augs)
        if found:
            manifests[condition.label] = found

    chosen = tuple(splits) if splits is not None else (tuple(str(s) for s in cfg.eval.splits) or None)

    def body(folder: Path):
        from augft.eval.request import EvalRequest

        fns.evaluate(EvalRequest(str(data.dir), str(folder), (condition.label,), models, chosen,
                                 summaries, manifests, indexes, {condition.label: dict(one_off)} if one_off else {}),
                     EvalSettings.of(cfg))

    return run_cached(out, "eval", condition.label, hashed, inputs, body, use_cache)
