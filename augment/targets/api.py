"""The teacher-target stage: `targets_request(TargetsRequest, TargetsSettings) -> manifest`.

Plans the training texts and each one's context (plan.py), splits them into units of
train.distill.unit_size texts (grouped by context, so a context is computed once per group), and
for each unit not yet done runs the teacher (hf, or vllm's prompt log-probabilities) and writes
`part-<unit>.parquet`, then its stats file. A rerun after a crash skips the finished units; the
manifest is written last, from the units' stats, so a folder with a manifest is complete.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from augft.augment.targets.identity import fingerprint
from augft.augment.targets.plan import Contexts, Text, groups, training_texts
from augft.augment.targets.request import TargetsRequest
from augft.core.config.settings import TargetsSettings
from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.core.targets import SourceCount, TargetRow, TargetsManifest, TargetsOutput

log = logging.getLogger(__name__)


def _units(texts_by_group: List[Tuple[tuple, List[Text]]], size: int) -> List[List[Tuple[tuple, Text]]]:
    flat = [(ctx, t) for ctx, ts in texts_by_group for t in ts]
    return [flat[i:i + size] for i in range(0, len(flat), size)]


def _engine(cfg, model_path: str, k: int):
    """The teacher: hf, or vllm's prompt log-probabilities (loaded where the units run)."""
    if str(cfg.distill.engine) == "vllm":
        from augft.augment.targets.vllm import VllmTeacher

        return VllmTeacher(cfg, model_path, k)
    from augft.augment.targets.hf import HfTeacher
    from augft.core.models import load_model

    m = load_model(model_path, cfg.model.cache_dir, cfg.model.device, cfg.model.dtype, cfg.model.trust_remote_code)
    return HfTeacher(m.model, m.tokenizer, k, int(cfg.distill.batch_size))


def _model_facts(cfg) -> tuple:
    """(tokenizer, parameter count, context window) without loading the weights on the driver."""
    from transformers import AutoConfig

    from augft.core.models import count_parameters, load_tokenizer, resolve_model_path

    m = cfg.model
    tok = load_tokenizer(str(m.name), m.cache_dir, m.trust_remote_code)
    conf = AutoConfig.from_pretrained(resolve_model_path(str(m.name), m.cache_dir), trust_remote_code=m.trust_remote_code)
    window = int(m.max_context or getattr(conf, "max_position_embeddings", 0) or 2048)
    return tok, count_parameters(str(m.name), m.cache_dir, m.trust_remote_code), window


def _encode(tok, text: str) -> List[int]:
    """As training tokenizes a text: no special tokens, then EOS."""
    return tok(text, add_special_tokens=False).input_ids + [tok.eos_token_id]


def run_unit(teacher, tok, contexts: Contexts, unit: Sequence[Tuple[tuple, Text]]) -> Tuple[List[TargetRow], Dict]:
    rows: List[TargetRow] = []
    before = teacher.prompt_tokens
    i = 0
    while i < len(unit):
        ctx = unit[i][0]
        group = [t for c, t in unit[i:] if c == ctx]
        group = group[:next((j for j, (c, _) in enumerate(unit[i:]) if c != ctx), len(unit) - i)]
        ctx_text = contexts.text_of(ctx)
        ctx_ids = tok(ctx_text).input_ids if ctx_text else []
        ids = [_encode(tok, t.text) for t in group]
        for t, tid, (top, lp) in zip(group, ids, teacher.targets(ctx_ids, ids)):
            import numpy as np

            rows.append(TargetRow(t.id, t.source, list(t.source_ids), t.text, contexts.ids_of(ctx),
                                  np.asarray(tid, dtype=np.uint32), top, lp))
        i += len(group)
    per: Dict[str, Dict[str, int]] = {}
    for r in rows:
        s = per.setdefault(r.source, {"texts": 0, "tokens": 0})
        s["texts"] += 1
        s["tokens"] += len(r.tokens)
    return rows, {"sources": per, "prompt_tokens": teacher.prompt_tokens - before}


def _write_unit(out: TargetsOutput, name: str, rows: List[TargetRow], stats: dict, fingerprint: str) -> None:
    """The unit's shard, then its stats file (which marks it done)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from augft.core.io import atomic_path

    with atomic_path(out.shard(name)) as tmp:
        pq.write_table(pa.Table.from_pylist([r.to_row() for r in rows]), tmp)
    atomic_write_json(out.stats_path(name), {**stats, "fingerprint": fingerprint})


def _done(out: TargetsOutput, name: str, fingerprint: str) -> Dict:
    p = out.stats_path(name)
    if not p.is_file():
        return {}
    stats = json.loads(p.read_text())
    return stats if stats.get("fingerprint") == fingerprint else {}


def _plan(cfg, req: TargetsRequest, tok, window: int) -> Tuple[Contexts, list]:
    """The contexts and the units (texts grouped by context, unit_size each)."""
    from augft.core.records import read_corpus

    d = cfg.distill
    corpus = read_corpus(Path(req.data))
    if not corpus:
        raise AugftError(f"teacher targets: {req.data} has no documents for the teacher to read")
    # A strategy that kept nothing gives no texts: an empty output (training then draws nothing
    # from it, as aug_ft does), not an error.
    texts = training_texts(corpus, req.sources, req.augmentations)
    longest = max((len(_encode(tok, t.text)) for t in texts), default=1)
    budget = int(d.context_tokens) or window - longest - 1
    contexts = Contexts(corpus, lambda s: len(tok(s, add_special_tokens=False).input_ids), str(d.context), budget,
                        int(cfg.seed))
    return contexts, _units(groups(texts, contexts), int(d.unit_size))


def targets_request(req: TargetsRequest, settings: TargetsSettings) -> TargetsManifest:
    """Write the teacher targets the request asks for (resuming finished units); returns the manifest."""
    out = TargetsOutput(Path(req.out))
    Path(req.out).mkdir(parents=True, exist_ok=True)
    out.manifest_path.unlink(missing_ok=True)
    tok, n_params, window = _model_facts(settings)
    contexts, units = _plan(settings, req, tok, window)
    job = UnitJob(settings, str(req.out), fingerprint(req, settings), contexts)
    stats: Dict[int, dict] = {u: _done(out, f"{u:05d}", job.fingerprint) for u in range(len(units))}
    todo = [u for u, done in stats.items() if not done]
    t0 = time.time()
    if todo and settings.distill.use_ray:
        stats.update(_run_ray(settings, job, {u: units[u] for u in todo}))
    elif todo:
        stats.update(_run_here(job, {u: units[u] for u in todo}))
    return _manifest(out, settings, req, [stats[u] for u in range(len(units))], len(units), n_params, contexts,
                     time.time() - t0)


class UnitJob:
    """What a worker needs to turn units into files: the config, the output, the contexts."""

    def __init__(self, cfg, out: str, fingerprint: str, contexts: Contexts):
        self.cfg, self.out, self.fingerprint, self.contexts = cfg, out, fingerprint, contexts
        self.teacher: Optional[Any] = None  # loaded on first use (in the Ray actor)
        self.tok: Optional[Any] = None

    def run(self, u: int, unit) -> dict:
        """One unit, written (shard, then its stats); returns the stats."""
        if self.teacher is None:  # once per process: a Ray actor keeps its model between units
            from augft.core.models import load_tokenizer

            m = self.cfg.model
            self.teacher = _engine(self.cfg, str(m.name), int(self.cfg.distill.top_k))
            self.tok = load_tokenizer(str(m.name), m.cache_dir, m.trust_remote_code)
        rows, stats = run_unit(self.teacher, self.tok, self.contexts, unit)
        _write_unit(TargetsOutput(Path(self.out)), f"{u:05d}", rows, stats, self.fingerprint)
        return {**stats, "fingerprint": self.fingerprint}

    def close(self) -> None:
        if self.teacher is not None and hasattr(self.teacher, "close"):  # vLLM's engine-core process
            self.teacher.close()

    def on_device(self, device: str) -> "UnitJob":
        """This job with the teacher loading on `device` (the one Ray assigned its actor)."""
        from dataclasses import replace

        from augft.core.resources import model_on

        return UnitJob(replace(self.cfg, model=model_on(self.cfg.model, device)), self.out, self.fingerprint,
                       self.contexts)


def _run_here(job: UnitJob, units: Dict[int, list]) -> Dict[int, dict]:
    from tqdm import tqdm

    try:
        return {u: job.run(u, unit) for u, unit in tqdm(units.items(), desc="teacher targets", unit="unit")}
    finally:
        job.close()


class _Actor:
    """A Ray Data actor: one teacher per process (on the device Ray assigned it:
    train.distill.actor_gpus), the units of its batches written by it."""

    def __init__(self, job: UnitJob):
        from augft.core.resources import actor_device

        d = job.cfg.distill
        self.device = actor_device(str(job.cfg.model.device), float(d.actor_gpus), "train.distill.actor_gpus")
        self.job = job.on_device(self.device)

    def __call__(self, batch: dict) -> dict:
        import pickle

        import numpy as np

        done = [self.job.run(int(u), pickle.loads(bytes(p))) for u, p in zip(batch["u"], batch["unit"])]
        return {"u": np.asarray(batch["u"]), "stats": np.asarray([json.dumps(d) for d in done], dtype=object)}


KEYS = "train.distill.num_actors, train.distill.actor_cpus, train.distill.actor_gpus"


def placement(cfg):
    """What the teacher actors ask of Ray at once (core.resources' spec, checked before work)."""
    from augft.core.resources import actors_spec

    d = cfg.distill
    return actors_spec(int(d.num_actors), float(d.actor_cpus), float(d.actor_gpus), KEYS, "teacher-target actors")


def _run_ray(cfg, job: UnitJob, units: Dict[int, list], actor=_Actor) -> Dict[int, dict]:
    """train.distill.use_ray: the units on a Ray Data actor pool (train.distill.num_actors teachers,
    each writing its units' files; only the small stats come back)."""
    import pickle

    import ray

    from augft.core.ray_init import ray_session
    from augft.core.resources import actor_options, check_cluster

    d = cfg.distill
    with ray_session(cfg.cluster):
        check_cluster(placement(cfg))  # an actor pool that can never be placed waits forever
        ds = ray.data.from_items([{"u": u, "unit": pickle.dumps(unit)} for u, unit in units.items()],
                                 override_num_blocks=max(1, len(units)))
        rows = ds.map_batches(actor, fn_constructor_kwargs={"job": job}, batch_size=1, batch_format="numpy",
                              concurrency=int(d.num_actors),
                              **actor_options(float(d.actor_cpus), float(d.actor_gpus))).take_all()
    return {int(r["u"]): json.loads(r["stats"]) for r in rows}


def _manifest(out: TargetsOutput, cfg, req, stats: List[dict], n_units: int, n_params: int,
              contexts: Contexts, wall: float) -> TargetsManifest:
    sources: Dict[str, SourceCount] = {s: SourceCount() for s in req.sources}
    for st in stats:
        for s, v in st["sources"].items():
            e = sources.setdefault(s, SourceCount())
            e.texts += v["texts"]
            e.tokens += v["tokens"]
    m = TargetsManifest(top_k=int(cfg.distill.top_k), model=str(cfg.model.name), model_params=int(n_params),
                        engine=str(cfg.distill.engine), context=contexts.mode, context_budget=int(contexts.budget),
                        sources=sources, prompt_tokens=sum(int(st["prompt_tokens"]) for st in stats),
                        units=[f"{u:05d}" for u in range(n_units)], wall_s=round(wall, 3),
                        augmentations=list(req.augmentations))
    out.write_manifest(m)
    log.info("teacher targets: %d texts, context %s, %d prompt tokens", sum(v.texts for v in sources.values()),
             contexts.mode, m.prompt_tokens)
    return m
