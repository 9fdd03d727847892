"""`augft augment`: corpus -> augmentation shards + manifest.

Layout of the output location (a folder, or a URI such as s3://bucket/out):
    <strategy>/part-<stem>.parquet        Augmentation records of one work unit
    <strategy>/part-<stem>.stats.json     its counts (written last: marks the unit done)
    entity/_extract/part-<stem>.parquet   entities extracted per document (read by pair planning)
    plan.json                             fingerprint of config + corpus (resume guard)
    manifest.json                         written last, when every unit is done

A unit's stem starts with its corpus shard's number. The corpus (`data`) is a folder or URI of
shards (augft.core.corpus); every strategy is planned where the shards are and run on the
workers (augment/passes.py); the driver holds counts (docs/augment.md, "Data plane").
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Dict, List, Optional

from augft.augment import executor, passes
from augft.augment.corpus_scan import scan_corpus
from augft.augment.engine_choice import resolve_engine
from augft.augment.entities import ENTITY_COUNTS
from augft.augment.executor import Job
from augft.augment.filters import FilterConfig
from augft.augment import hosts
from augft.augment.hosts import run_engines
from augft.augment.prompts import resolve_templates, template_hash
from augft.augment.identity import generator_name, identity
from augft.augment.registry import spec
from augft.augment.request import AugmentRequest
from augft.augment.run import Run, sampling
from augft.augment.storage import OutputStore
from augft.augment.tally import Aggregate
from augft.augment.tokens import TokenCounter
from augft.augment.units import RecordContext
from augft.augment.verify import unsupported_rate
from augft.core import chains
from augft.core.artifacts import (AugmentOutput, Manifest, SamplingParams, StrategyEntry, Timings, VerifyInfo,
                                  artifact_json)
from augft.core.config.augment import VerifyMethod
from augft.core.config.settings import AugmentSettings
from augft.core.corpus import combine_digests, discover, heldout_texts, is_uri
from augft.core.errors import AugftError
from augft.core.records import Augmentation



def read_augmentations(aug_dir: Path, strategies: Optional[List[str]] = None) -> List[Augmentation]:
    """All records of an augment output folder (the strategies given, or all in the manifest)."""
    out = AugmentOutput(Path(aug_dir))
    if not out.finished():
        raise AugftError(f"{aug_dir}: no manifest.json (augmentation not finished or wrong folder)")
    return out.records(strategies)


def teacher(cfg):
    """The `model` section augmentation runs with: augment.model (the teacher) when set, else
    model.* (the student)."""
    from augft.core.models import with_name

    return with_name(cfg.model, cfg.augment.model)


def generator_params(cfg) -> Optional[int]:
    """The teacher's parameter count (for the cost table); None for a remote model."""
    from augft.core.models import ModelError, count_parameters

    m = teacher(cfg)
    try:
        return count_parameters(m.name, m.cache_dir, bool(m.trust_remote_code))
    except (ModelError, OSError, ValueError):
        if cfg.augment.engine == "openai":
            return None
        raise


def _token_counter(cfg):
    """(TokenCounter, max_context) without loading weights."""
    from augft.core.models import ModelError, resolve_model_path

    m = teacher(cfg)
    try:
        counter = TokenCounter(m.name, m.cache_dir, bool(m.trust_remote_code))
        counter("probe")
        from transformers import AutoConfig

        mc = AutoConfig.from_pretrained(resolve_model_path(m.name, m.cache_dir))
        return counter, int(m.max_context or getattr(mc, "max_position_embeddings", 2048))
    except ModelError:
        if cfg.augment.engine != "openai":
            raise
        # A remote model without a local tokenizer: estimate 4 characters per token.
        return TokenCounter(m.name, estimate=True), int(m.max_context or 4096)


def _location(p) -> str:
    # Absolute: engine actors write shards from their own working directory, which on a Ray
    # cluster (or inside a job that changed directory) is not the driver's.
    return str(p) if is_uri(str(p)) else str(Path(p).resolve())


def _prepare(cfg, req: AugmentRequest, engine_factory) -> Run:
    a = cfg.augment
    templates = resolve_templates(str(a.prompt_set), a.templates)
    data, out = _location(req.data), _location(req.out)
    strategies = tuple(chains.base(s) for s in req.strategies)
    source, up_digest, kept = data, "", -1
    if req.chain:  # the upstream's kept records are this run's corpus (augment/chain.py)
        from augft.augment.chain import derive_corpus, upstream_kept

        source, up_digest = derive_corpus(_location(req.upstream), req.chain, out, bool(a.use_ray))
        kept = upstream_kept(_location(req.upstream), req.chain)
    corpus = discover(source, max_tokens=int(cfg.max_document_tokens))
    for name, need in ((spec(st).name, spec(st).data_file) for st in strategies):
        if need and (is_uri(data) or not (Path(data) / need).is_file()):
            raise AugftError(f"augment.strategies has '{name}' but {data}/{need} does not "
                             "exist (only built-in benchmarks have an oracle)")
    if a.engine == "openai":
        from augft.augment.engines.openai import check_endpoint

        check_endpoint(a.openai.url, timeout=min(5.0, float(a.openai.timeout_s)))
    counter, max_context = _token_counter(cfg)
    fcfg = FilterConfig(min_words=int(a.min_words), max_chars=int(a.max_chars),
                        near_duplicate_threshold=float(a.near_duplicate_threshold),
                        require_source_overlap=bool(a.require_source_overlap),
                        global_consistency=bool(a.global_consistency), heldout=tuple(heldout_texts(data)))
    job = Job(store=OutputStore(out), templates=templates,
              records=RecordContext(generator_name(cfg), str(a.engine), fcfg,
                                    _verify_threshold(a) if _verify_on(cfg, data) else None, str(a.verify_method)))
    return Run(cfg, data, out, strategies, corpus, templates, counter, max_context, job, engine_factory,
               max_generated_tokens=int(req.max_generated_tokens), chain=req.chain,
               upstream_digest=up_digest, upstream_kept=kept)


def _verify_threshold(a) -> float:
    return float(a.verify_min_pmi) if a.verify_method == VerifyMethod.pmi else float(a.verify_threshold)


def _verify_on(cfg, data: str) -> bool:
    """augment.verify: null (auto) is on for user data, off on a built-in benchmark (its checker counts)."""
    if cfg.augment.verify is not None:
        return bool(cfg.augment.verify)
    return is_uri(data) or not (Path(data) / "benchmark.json").is_file()


def _fingerprint(run: Run, corpus_digest: str) -> str:
    # Beside the identity: what the run read (corpus, held-out statements, templates as resolved)
    # and the context that sized its windows and units.
    blob = json.dumps({**identity(run, run.cfg), "max_context": run.max_context, "corpus": corpus_digest,
                       **({"chain": run.chain, "upstream": run.upstream_digest} if run.chain else {}),
                       "heldout": hashlib.sha256("\n".join(run.job.records.filter.heldout).encode()).hexdigest(),
                       "templates": {k: template_hash(v) for k, v in run.templates.items()}},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _guard(run: Run, fp: str) -> None:
    store = run.job.store
    if store.exists("plan.json"):
        old = store.read_json("plan.json").get("fingerprint")
        if old != fp:
            raise AugftError(f"{run.out}: holds units from a different config or corpus "
                             f"(fingerprint {old} != {fp}); use a new --out or remove it")
        return
    store.write_json("plan.json", {"fingerprint": fp})


def keep_engines():
    """A context manager: every augment run inside it that needs the same engines shares them (a
    study's strategies start the vLLM teacher once); they close when it ends."""
    return hosts.keep_engines()


def augment(cfg, data_dir, out_dir, engine_factory=None) -> Manifest:
    """Run every strategy of a loaded config (`augment.strategies`); returns the manifest (also
    written to `out_dir`). `data_dir` and `out_dir` are folders or URIs."""
    return augment_request(AugmentRequest.from_config(cfg, data_dir, out_dir), AugmentSettings.of(cfg),
                           engine_factory)


def augment_request(req: AugmentRequest, settings: AugmentSettings, engine_factory=None) -> Manifest:
    """Run the request's strategies with these settings; returns the manifest (also written to
    `req.out`). `engine_factory` builds the engine instead of the settings (benchmarks and tests);
    in plain-loop runs the engine it returns stays open."""
    t_start = time.perf_counter()
    cfg, choice = resolve_engine(settings, req.data, [chains.base(s) for s in req.strategies], engine_factory)
    # Ray started here is shut down here: an in-process caller (a notebook, a test, the
    # study) is left as it was, with no idle Ray holding cores and memory. A chain's input is
    # derived on Ray's workers, so Ray starts before the run is prepared.
    with executor.ray_for_run(cfg, bool(cfg.augment.use_ray)):
        run = _prepare(cfg, req, engine_factory)
        with run_engines(cfg, engine_factory) as run.engines:
            manifest = _augment_all(run)
    manifest.engine_choice = choice
    manifest.timings.total_s = round(time.perf_counter() - t_start, 3)
    from augft.augment.report import summary_table

    manifest.summary_table = summary_table(manifest)
    _write_manifest(run, manifest)
    return manifest


def _augment_all(run: Run) -> Manifest:
    """Every requested strategy, with the run's engines open; the manifest (not yet written)."""
    strategies = list(run.strategies)
    if run.upstream_kept == 0:  # the upstream kept nothing: an empty output, flagged like any other
        return _empty_chain(run)
    if run.use_ray:
        executor.ensure_ray(run.cfg)
    scan = scan_corpus(run.corpus, run.counter if "global" in strategies else None, run.use_ray)
    _guard(run, _fingerprint(run, combine_digests(run.corpus, scan.digests)))
    aggs: Dict[str, Aggregate] = {}
    plan = passes.shard_plan(run, scan)
    passes.run_first_pass(run, plan, scan, aggs)
    if "global" in strategies:
        passes.run_global(run, scan, aggs)
    if "entity" in strategies:
        passes.run_entity_pairs(run, plan, scan, aggs)
    if "reverse" in strategies:
        passes.run_reverse(run, plan, aggs)
    if "compose" in strategies:
        passes.run_compose(run, scan, aggs)
    return _manifest(run, strategies, aggs, scan.documents(run.limit))


def _empty_chain(run: Run) -> Manifest:
    """A chain whose upstream kept nothing: one empty shard (so training finds the strategy and
    the study flags it as keeping nothing), no prompt."""
    base = chains.base(run.chain)
    run.job.store.write_parquet(f"{base}/part-empty.parquet", [])
    run.entries[base] = StrategyEntry(shards=["part-empty.parquet"])
    return _manifest(run, [base], {}, 0)


def _entry(run: Run, strat: str, aggs: Dict[str, Aggregate]) -> StrategyEntry:
    """A strategy's manifest entry, from its summed unit stats and planning counts."""
    agg = aggs.get(strat, Aggregate())
    entry = run.entries[strat] if strat in run.entries else agg.manifest_entry()
    entry.writer = spec(strat).writer
    if strat in run.plans:  # planned on the driver's counts (global windows, compose)
        entry.documents = run.plans[strat].documents
        entry.long_documents = dict(run.plans[strat].long_documents)
    else:  # planned per shard: the shards' counts came with their units' stats
        entry.documents = int(agg.plan.get("documents", 0))
        entry.long_documents = {k: int(v) for k, v in agg.plan.items()
                                if k != "documents" and k not in ENTITY_COUNTS and v}
    entry.entities = {k: int(agg.plan[k]) for k in ENTITY_COUNTS if k in agg.plan}
    entry.template = "entity_pair" if strat == "entity" else strat
    if run.job.records.verify_threshold is not None and entry.writer == "model":
        entry.unsupported_rate = unsupported_rate(entry)
    if strat == "entity":
        entry.extract = aggs.get("_extract", Aggregate()).phase_counts()
    return entry


def _manifest(run: Run, strategies: List[str], aggs: Dict[str, Aggregate], n_docs: int) -> Manifest:
    from augft.augment.hosts import engine_resources
    from augft.augment.oracle import copy_oracle

    out: Dict[str, StrategyEntry] = {}
    for strat in strategies:
        if spec(strat).writer == "benchmark":  # a benchmark's small ground-truth file, copied
            out[strat], _ = copy_oracle(Path(run.data), Path(run.out), n_docs, strat)
        else:
            out[strat] = _entry(run, strat, aggs)
    if run.chain:  # the chain's name is what a training mix and the quality checker ask for
        entry = out.pop(chains.base(run.chain))
        entry.chain, entry.folder = chains.run_order(run.chain), chains.base(run.chain)
        out[run.chain] = entry
    gen_s = sum(s.gen_s for s in out.values())
    toks = sum(s.completion_tokens for s in out.values())
    a, rec = run.cfg.augment, run.job.records
    s = sampling(run.cfg)
    return Manifest(
        strategies=out, model=rec.model_name, model_params=generator_params(run.cfg),
        student=str(run.cfg.model.name), engine=str(a.engine),
        sampling=SamplingParams(s.temperature, s.top_p, s.max_new_tokens, s.n, list(s.stop)),
        prompt_set=str(a.prompt_set), prompt_hashes={k: template_hash(v) for k, v in run.templates.items()},
        timings=Timings(round(gen_s, 3), round(toks / gen_s, 2) if gen_s else 0.0),
        verify=VerifyInfo(rec.verify_threshold is not None, rec.verify_method, rec.verify_threshold),
        heldout_statements=len(rec.filter.heldout), seed=int(run.cfg.seed),
        resources=engine_resources(run.cfg, run.engines is not None and run.engines.hosted))


def _write_manifest(run: Run, manifest: Manifest) -> None:
    if is_uri(run.out):
        run.job.store.write_bytes("manifest.json", (artifact_json(manifest) + "\n").encode("utf-8"))
    else:
        AugmentOutput(Path(run.out)).write_manifest(manifest)
