"""Cached stage runners shared by `augft run` and `augft sweep`.

Each runner derives its stage's key from the stage's own identity (`<stage>/identity.py`: an
allow-list of the config keys that change its output, which the stage's resume guard also
starts from) and its inputs' keys, runs the stage's public function (from the stage contracts) into
`<out>/<stage>/<label>-<key>` unless that folder is already done, and returns a
StageResult. The stage functions are injectable (StageFns) so the caching and the
graph can be tested with small fakes.
"""
from __future__ import annotations

import importlib
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, Mapping, Optional, Sequence

from augft.cluster import stage_cache as cache
from augft.cluster.augment_command import record_quality
from augft.core.artifacts import AugmentOutput, TrainOutput
from augft.core import chains
from augft.core.conditions import Condition, family_of
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
    generate: Callable = field(default_factory=lambda: _lazy("augft.eval.datasets.api:generate"))
    """generate(name, cfg, out) -> sizes"""
    augment: Callable = field(default_factory=lambda: _lazy("augft.augment.api:augment_request"))
    """augment_request(request: AugmentRequest, settings: AugmentSettings) -> Manifest"""
    train: Callable = field(default_factory=lambda: _lazy("augft.train.api:train_request"))
    """train_request(request: TrainRequest, settings: TrainSettings) -> TrainSummary"""
    evaluate: Callable = field(default_factory=lambda: _lazy("augft.eval.api:evaluate_request"))
    """evaluate_request(request: EvalRequest, settings: EvalSettings) -> EvalResults"""
    targets: Callable = field(default_factory=lambda: _lazy("augft.augment.targets.api:targets_request"))
    """targets_request(request: TargetsRequest, settings: TargetsSettings) -> manifest (the teacher's targets)"""
    keep_engines: Callable = field(default_factory=lambda: _lazy("augft.augment.api:keep_engines"))
    """keep_engines() -> a context manager inside which augment runs share their engines"""


@dataclass
class StageResult:
    kind: str
    label: str
    key: str
    dir: Path
    cached: bool
    wall_s: float
    hashed: dict = field(default_factory=dict)
    corpus_key: str = ""
    """A data folder's key over the files every stage but eval reads (its corpus side): fixing a
    question re-evaluates without re-augmenting or retraining. Empty: `key`."""

    @property
    def corpus(self) -> str:
        return self.corpus_key or self.key


_BEFORE_RUN: ContextVar[Optional[Callable[[Path], None]]] = ContextVar("augft_before_run", default=None)


@contextmanager
def before_run(hook: Callable[[Path], None]) -> Iterator[None]:
    """Within the block, `hook(folder)` runs when a stage is about to run into `folder` (not when
    it is cached), before anything is written there: the study's budget check, which raises to
    refuse the stage."""
    token = _BEFORE_RUN.set(hook)
    try:
        yield
    finally:
        _BEFORE_RUN.reset(token)


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
        hook = _BEFORE_RUN.get()
        if hook is not None:
            hook(folder)
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
        return StageResult("data", data.name or "data", cache.data_key(data), data, True, 0.0,
                           corpus_key=cache.data_key(data, cache.CORPUS_FILES))
    from augft.eval.datasets.identity import identity

    return run_cached(out, "benchmark", cfg.benchmark.name, identity(cfg.benchmark), {},
                      lambda d: fns.generate(cfg.benchmark.name, cfg, d), use_cache)


def augment_stage(cfg, strategy: str, data: StageResult, out: Path, fns: StageFns,
                  use_cache: bool = True, max_generated_tokens: int = 0,
                  upstream: Optional[StageResult] = None) -> StageResult:
    """One strategy's augment stage; `max_generated_tokens` caps what it generates in all (the
    study's pipeline.budget.tokens left; 0: no cap): at the cap it stops, resumably. A chained
    strategy (`reverse<compose`, core/chains.py) needs its `upstream`'s stage: it reads that
    folder's kept records, and its key holds that stage's key, so a change to the upstream's keys
    re-runs it (and nothing that does not read it)."""
    from augft.augment.registry import spec

    if chains.is_chain(strategy):
        return _chained_stage(cfg, strategy, data, out, fns, use_cache, upstream, max_generated_tokens)
    if spec(strategy).writer == "benchmark":  # copied from the data folder, no model
        from augft.augment.oracle import write_oracle_output

        if data.kind == "benchmark" and not (data.dir / str(spec(strategy).data_file)).is_file():
            # A benchmark folder generated before this file existed (oracle2): the same generator and
            # seed write the same files again, now with it.
            fns.generate(cfg.benchmark.name, cfg, data.dir)

        return run_cached(out, "augment", strategy, {"strategy": strategy}, {"data": data.corpus},
                          lambda d: (write_oracle_output(data.dir, d, 0, strategy), record_quality(data.dir, d)),
                          use_cache)
    from augft.augment.identity import identity
    from augft.augment.request import AugmentRequest

    # Keyed by augment's own identity of the folder (augment/identity.py), which its resume
    # fingerprint starts from: moving a study onto a cluster reuses its augmentations, and
    # another strategy's keys do not touch this one's.
    req = AugmentRequest(str(data.dir), "", (str(strategy),), int(max_generated_tokens))
    settings = AugmentSettings.of(cfg)

    def body(folder: Path):
        fns.augment(replace(req, out=str(folder)), settings)
        record_quality(data.dir, folder)

    return run_cached(out, "augment", strategy, identity(req, settings), {"data": data.corpus}, body, use_cache)


def _chained_stage(cfg, label: str, data: StageResult, out: Path, fns: StageFns, use_cache: bool,
                   upstream: Optional[StageResult], max_generated_tokens: int = 0) -> StageResult:
    from augft.augment.identity import identity
    from augft.augment.request import AugmentRequest

    if upstream is None:
        raise AugftError(f"augment stage {label}: its upstream '{chains.upstream(label)}' has no stage")
    req = AugmentRequest(str(data.dir), "", (label,), int(max_generated_tokens), upstream=str(upstream.dir.resolve()))
    settings = AugmentSettings.of(cfg)

    def body(folder: Path):
        fns.augment(replace(req, out=str(folder)), settings)
        record_quality(data.dir, folder)

    return run_cached(out, "augment", label, identity(req, settings), {"data": data.corpus, "upstream": upstream.key},
                      body, use_cache)


def augment_stages(cfg, strategies: Sequence[str], data: StageResult, out: Path, fns: StageFns,
                   use_cache: bool = True) -> Dict[str, StageResult]:
    """The augment stages `strategies` need, upstreams of chains first (core/chains.py)."""
    augs: Dict[str, StageResult] = {}
    for s in chains.with_upstreams(strategies):
        up = chains.upstream(s)
        augs[s] = augment_stage(cfg, s, data, out, fns, use_cache, upstream=augs[up] if up else None)
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


def targets_stage(cfg, source: str, data: StageResult, augs: Mapping[str, StageResult], out: Path,
                  fns: StageFns, use_cache: bool = True) -> StageResult:
    """The teacher's targets for one source's texts (`corpus` or a strategy's augmentations), so
    distill[local] and distill[local+global] share the corpus's and local's targets."""
    from augft.augment.targets.identity import identity
    from augft.augment.targets.request import TargetsRequest

    inputs = {"data": data.corpus, **({f"augment.{source}": augs[source].key} if source != "corpus" else {})}
    folders = (str(augs[source].dir.resolve()),) if source != "corpus" else ()
    req, settings = TargetsRequest(str(data.dir), "", (source,), folders), TargetsSettings.of(cfg)

    def body(folder: Path):
        fns.targets(replace(req, out=str(folder)), settings)

    return run_cached(out, "targets", source, identity(req, settings), inputs, body, use_cache)


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
    if family_of(label) in ("ft", "aug_ft"):
        label = Condition.fine_tuned(strategies).trained_label
    elif targets is not None:
        label = "distill[" + "+".join(strategies) + "]" if strategies else "distill"
    from augft.train.identity import identity
    from augft.train.request import TrainRequest

    mix = train_mix(strategies, weight)
    inputs = {"data": data.corpus, **{f"augment.{s}": augs[s].key for s in strategies}}
    if targets is not None:
        inputs.update({f"targets.{s}": targets[s].key for s in mix})
    if base_model is not None:
        inputs["init"] = base_model.key
    req = TrainRequest(str(data.dir), "", mix, tuple(str(augs[s].dir.resolve()) for s in strategies), "",
                       str(base_model.dir / "model") if base_model is not None else "",
                       tuple(str(targets[s].dir.resolve()) for s in mix) if targets else ())
    settings = TrainSettings.of(cfg)

    def body(folder: Path):
        from augft.train.checkpoints import latest_checkpoint

        # A stage that crashed left its checkpoints in this folder: continue from them (train's
        # resume key, built from the same identity, checks they are this training's).
        return fns.train(replace(req, out=str(folder), resume="auto" if latest_checkpoint(folder) else ""), settings)

    return run_cached(out, "train", label, identity(req, settings), inputs, body, use_cache)


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

    return run_cached(out, "index", retriever, {"index": spec.identity()}, {"data": data.corpus}, body, use_cache)


def eval_stage(cfg, condition, data: StageResult, out: Path, fns: StageFns,
               model: Optional[StageResult] = None, augs: Mapping[str, StageResult] = {},
               splits: Optional[Sequence[str]] = None, use_cache: bool = True,
               index: Optional[StageResult] = None, one_off: Optional[Mapping[str, float]] = None) -> StageResult:
    """Evaluate one condition (base, icl, rag, a trained model, or trained+icl / +rag)."""
    from augft.eval.identity import identity
    from augft.eval.request import EvalRequest

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
    req = EvalRequest(str(data.dir), "", (condition.label,), models, chosen, summaries, manifests, indexes,
                      {condition.label: dict(one_off)} if one_off else {})
    settings = EvalSettings.of(cfg)

    def body(folder: Path):
        fns.evaluate(replace(req, out=str(folder)), settings)

    return run_cached(out, "eval", condition.label, identity(req, settings), inputs, body, use_cache)
