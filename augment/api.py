"""`augft augment`: corpus -> augmentation shards + manifest.

Layout of the output location (a folder, or a URI such as s3://bucket/out):
    <strategy>/part-<stem>.parquet        Augmentation records of one work unit
    <strategy>/part-<stem>.stats.json     its counts (written last: marks the unit done)
    entity/_extract/part-<stem>.stats.json  entities extracted per document
    plan.json                             fingerprint of config + corpus (resume guard)
    manifest.json                         written last, when every unit is done

The corpus (`data`) is a folder or URI of shards (augft.core.corpus). Global windows are
planned and run on the workers; the driver holds counts (docs/augment.md, "Data plane").
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from augft.augment import executor
from augft.augment.engines.base import Sampling
from augft.augment.executor import Job
from augft.augment.engine_choice import resolve_engine
from augft.augment.hosts import RunEngines
from augft.augment.filters import VERSION as FILTERS_VERSION, FilterConfig, held_out, normalize, parse_statements
from augft.augment.global_plan import GlobalSpec, plan_global
from augft.augment.prompts import STOP, render, resolve_templates, template_hash
from augft.augment.storage import OutputStore
from augft.augment.registry import not_in_identity, spec, with_planner
from augft.augment.request import AugmentRequest
from augft.augment.strategies import Planner, PlanStats, entities_from_generation
from augft.augment.tokens import TokenCounter
from augft.augment.tally import Aggregate, Progress
from augft.augment.units import RecordContext
from augft.augment.verify import unsupported_rate
from augft.augment.windows import GlobalPlan, UnitPlan
from augft.core.artifacts import (AugmentOutput, Manifest, SamplingParams, StrategyEntry, Timings, VerifyInfo,
                                  artifact_json)
from augft.core.config.augment import GlobalContext, VerifyMethod
from augft.core.config.settings import AugmentSettings
from augft.core.corpus import (Corpus, combine_digests, corpus_digest, discover, heldout_texts, is_uri,
                               iter_corpus)
from augft.core.errors import AugftError
from augft.core.records import Augmentation, Document, RecordError
from augft.core.text import split_sentences



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


def generator_name(cfg) -> str:
    """The model that writes the augmentations (the openai engine may name its own)."""
    a = cfg.augment
    return (a.openai.model or teacher(cfg).name) if a.engine == "openai" else teacher(cfg).name


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


def _sampling(cfg, greedy: bool = False) -> Sampling:
    a = cfg.augment
    return Sampling(temperature=0.0 if greedy else float(a.temperature), top_p=float(a.top_p),
                    max_new_tokens=int(a.max_new_tokens), n=1 if greedy else int(a.num_candidates),
                    stop=list(STOP))


@dataclass
class Run:
    """One `augment` call's fixed inputs."""
    cfg: AugmentSettings
    data: str
    out: str
    strategies: Tuple[str, ...]
    corpus: Corpus
    templates: Dict[str, str]
    counter: TokenCounter
    max_context: int
    job: Job
    engine_factory: Optional[Callable] = None
    plans: Dict[str, PlanStats] = field(default_factory=dict)
    engines: Optional[RunEngines] = None

    @property
    def use_ray(self) -> bool:
        return bool(self.cfg.augment.use_ray)


def _location(p) -> str:
    # Absolute: engine actors write shards from their own working directory, which on a Ray
    # cluster (or inside a job that changed directory) is not the driver's.
    return str(p) if is_uri(str(p)) else str(Path(p).resolve())


def _prepare(cfg, req: AugmentRequest, engine_factory) -> Run:
    a = cfg.augment
    templates = resolve_templates(str(a.prompt_set), a.templates)
    data, out = _location(req.data), _location(req.out)
    corpus = discover(data, max_tokens=int(cfg.max_document_tokens))
    for need in (spec(st) for st in req.strategies if spec(st).data_file):
        if is_uri(data) or not (Path(data) / need.data_file).is_file():
            raise AugftError(f"augment.strategies has '{need.name}' but {data}/{need.data_file} does not "
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
    return Run(cfg, data, out, req.strategies, corpus, templates, counter, max_context, job, engine_factory)


def _verify_threshold(a) -> float:
    return float(a.verify_min_pmi) if a.verify_method == VerifyMethod.pmi else float(a.verify_threshold)


def _verify_on(cfg, data: str) -> bool:
    """augment.verify: null (auto) is on for user data, off on a built-in benchmark (its checker counts)."""
    if cfg.augment.verify is not None:
        return bool(cfg.augment.verify)
    return is_uri(data) or not (Path(data) / "benchmark.json").is_file()


def _fingerprint(run: Run, corpus_digest: str) -> str:
    from omegaconf import OmegaConf

    a = OmegaConf.to_container(run.cfg.augment, resolve=True, enum_to_str=True)
    # The study's stage key leaves out the same keys (registry.not_in_identity): one folder, one
    # identity, so a local run that crashed still resumes after a global-only key changed.
    for k in not_in_identity(run.strategies):
        a.pop(k, None)
    a["strategies"] = list(run.strategies)
    # The model that generates (the openai engine may name its own) and the context that
    # sizes windows and units decide the output as much as the augment section does.
    blob = json.dumps({"augment": a, "model": run.job.records.model_name, "max_context": run.max_context,
                       "seed": int(run.cfg.seed), "corpus": corpus_digest, "filters": FILTERS_VERSION,
                       "heldout": hashlib.sha256("\n".join(run.job.records.filter.heldout).encode()).hexdigest(),
                       "templates": {k: template_hash(v) for k, v in run.templates.items()}},
                      sort_keys=True)
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


def _run_units(run: Run, units, total: int, desc: str, into: Dict[str, Aggregate]) -> None:
    """Execute units, summing each one's stats into `into[strategy or "_extract"]`."""
    prog = Progress(total, desc)
    try:
        for s in executor.execute(units, run.cfg, run.job, run.engines):
            key = "_extract" if s["phase"] == "entity_extract" else s["strategy"]
            into.setdefault(key, Aggregate()).add(s)
            if not s.get("resumed"):
                prog(s)
            else:
                prog.resumed(s)
    finally:
        prog.close()


def _plan_global(run: Run) -> GlobalPlan:
    a, cfg = run.cfg.augment, run.cfg
    tmpl = run.templates["global"]
    prefix, focal = render(tmpl, context="", text="")
    spec = GlobalSpec(counter=run.counter, max_context=run.max_context, max_new_tokens=int(a.max_new_tokens),
                      window_tokens=int(a.window_tokens), focal_overhead=run.counter(focal) + 2,
                      prefix_overhead=run.counter(prefix), seed=int(cfg.seed), limit=int(a.limit),
                      units=UnitPlan(sampling=_sampling(cfg), prompt_hash=template_hash(tmpl),
                                     seed=int(cfg.seed), linked=a.global_context == GlobalContext.linked))
    if run.use_ray:
        executor.ensure_ray(cfg)
    return plan_global(run.corpus, spec, run.use_ray)


def _corpus_digest(run: Run) -> str:
    """The shards' sha256, streamed here: the local and entity strategies read the corpus on the
    driver anyway (the global plan gets its digests from the workers' scans instead)."""
    return corpus_digest(run.corpus)


def _driver_docs(run: Run) -> List[Document]:
    """The corpus in this process: only the local and entity strategies need it here."""
    docs = list(iter_corpus(run.corpus, int(run.cfg.augment.limit)))
    if not docs:
        raise RecordError(f"{run.corpus.display(run.corpus.shards[0])}: no records "
                          "(an empty corpus cannot be used)")
    return docs


def _planner(run: Run) -> Planner:
    a = run.cfg.augment
    return Planner(templates=run.templates, seed=int(run.cfg.seed), max_context=run.max_context,
                   max_new_tokens=int(a.max_new_tokens), count_tokens=run.counter,
                   unit_size=int(a.unit_size), long_documents=str(a.long_documents))


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
    cfg, choice = resolve_engine(settings, req.data, req.strategies, engine_factory)
    run = _prepare(cfg, req, engine_factory)
    # Ray started here is shut down here: an in-process caller (a notebook, a test, the
    # study) is left as it was, with no idle Ray holding cores and memory.
    with executor.ray_for_run(cfg, run.use_ray), RunEngines(cfg, run.job, engine_factory) as run.engines:
        manifest = _augment_all(run)
    manifest.engine_choice = choice
    manifest.timings.total_s = round(time.perf_counter() - t_start, 3)
    from augft.augment.report import summary_table

    manifest.summary_table = summary_table(manifest)
    _write_manifest(run, manifest)
    return manifest


def _augment_all(run: Run) -> Manifest:
    """Every configured strategy, with the run's engines open; the manifest (not yet written)."""
    strategies = list(run.strategies)
    gplan = _plan_global(run) if "global" in strategies else None
    digest = combine_digests(run.corpus, gplan.digests) if gplan else _corpus_digest(run)
    docs = _driver_docs(run) if any(spec(s).reads_corpus_on_driver for s in strategies) else []
    _guard(run, _fingerprint(run, digest))
    aggs: Dict[str, Aggregate] = {}
    _run_driver_strategies(run, docs, strategies, aggs)
    if gplan is not None:
        run.plans["global"] = PlanStats(documents=gplan.documents)
        run.plans["global"].long_documents.update({"skipped": gplan.skipped} if gplan.skipped else {})
        _run_units(run, gplan.units, gplan.fit, "global", aggs)
    if "entity" in strategies:
        _run_entity_pairs(run, docs, aggs)
    fixed = {"reverse": _write_reverse(run, docs)} if "reverse" in strategies else {}
    return _manifest(run, strategies, aggs, len(docs) or (gplan.documents if gplan else 0), fixed)


def _run_driver_strategies(run: Run, docs: List[Document], strategies: List[str],
                           aggs: Dict[str, Aggregate]) -> None:
    """Local units and the entity extraction phase, planned here from `docs`."""
    a, planner = run.cfg.augment, _planner(run)
    units = []
    for name in with_planner("local"):
        if name in strategies:
            st = run.plans[name] = PlanStats(documents=len(docs))
            units += planner.pack(name, name, planner.local(docs, str(a.local_unit), st, name),
                                  _sampling(run.cfg))
    if "entity" in strategies:
        run.plans["entity"] = PlanStats(documents=len(docs))
        units += planner.pack("entity", "entity_extract", planner.entity_extract(docs),
                              _sampling(run.cfg, greedy=True))
    if units:
        _run_units(run, units, sum(len(u.items) for u in units), "augment", aggs)


def _run_entity_pairs(run: Run, docs: List[Document], aggs: Dict[str, Aggregate]) -> None:
    a, planner = run.cfg.augment, _planner(run)
    found = aggs["_extract"].entities
    entities = {d.id: entities_from_generation(d, found[d.id], parse_statements)
                for d in docs if d.id in found}
    items = planner.entity_pairs(docs, entities, int(a.entity_max_pairs), bool(a.entity_triples))
    units = planner.pack("entity", "entity", items, _sampling(run.cfg))
    run.plans["entity"].long_documents["no_entity_pairs"] = sum(
        1 for d in docs if len(entities.get(d.id, [])) < 2)
    _run_units(run, units, sum(len(u.items) for u in units), "entity pairs", aggs)


def _write_reverse(run: Run, docs: List[Document]) -> StrategyEntry:
    """The model-free `reverse` strategy: one shard, written here; its manifest entry."""
    from augft.augment.reverse import reverse_records

    fcfg = run.job.records.filter
    held = held_out(fcfg.heldout, fcfg.min_words)
    recs = reverse_records(docs)
    n_sents = sum(len(split_sentences(d.text)) for d in docs)
    filtered = {"too_short": n_sents - len(recs)} if n_sents > len(recs) else {}
    kept = [r for r in recs if not held.hit(normalize(r["text"]))]
    if len(kept) < len(recs):
        filtered["heldout_copy"] = len(recs) - len(kept)
    recs, shard = kept, "part-00000.parquet"
    run.job.store.write_parquet(f"reverse/{shard}", recs)
    return StrategyEntry(writer="rule", ok=len(recs), filtered=filtered, inputs=n_sents, shards=[shard],
                         documents=len(docs), template="reverse")


def _entry(run: Run, strat: str, aggs: Dict[str, Aggregate]) -> StrategyEntry:
    """A model-written strategy's manifest entry, from its summed unit stats and its plan."""
    entry = aggs.get(strat, Aggregate()).manifest_entry()
    entry.documents = run.plans[strat].documents
    entry.long_documents = dict(run.plans[strat].long_documents)
    entry.template = "entity_pair" if strat == "entity" else strat
    if run.job.records.verify_threshold is not None:
        entry.unsupported_rate = unsupported_rate(entry)
    if strat == "entity":
        entry.extract = aggs.get("_extract", Aggregate()).phase_counts()
    return entry


def _manifest(run: Run, strategies: List[str], aggs: Dict[str, Aggregate], n_docs: int,
              fixed: Dict[str, StrategyEntry]) -> Manifest:
    from augft.augment.oracle import copy_oracle

    out: Dict[str, StrategyEntry] = {}
    for strat in strategies:
        if strat == "oracle":
            out["oracle"], _ = copy_oracle(Path(run.data), Path(run.out), n_docs)
        else:
            out[strat] = fixed[strat] if strat in fixed else _entry(run, strat, aggs)
    gen_s = sum(s.gen_s for s in out.values())
    toks = sum(s.completion_tokens for s in out.values())
    a, rec = run.cfg.augment, run.job.records
    s = _sampling(run.cfg)
    return Manifest(
        strategies=out, model=rec.model_name, model_params=generator_params(run.cfg),
        student=str(run.cfg.model.name), engine=str(a.engine),
        sampling=SamplingParams(s.temperature, s.top_p, s.max_new_tokens, s.n, list(s.stop)),
        prompt_set=str(a.prompt_set), prompt_hashes={k: template_hash(v) for k, v in run.templates.items()},
        timings=Timings(round(gen_s, 3), round(toks / gen_s, 2) if gen_s else 0.0),
        verify=VerifyInfo(rec.verify_threshold is not None, rec.verify_method, rec.verify_threshold),
        heldout_statements=len(rec.filter.heldout), seed=int(run.cfg.seed))


def _write_manifest(run: Run, manifest: Manifest) -> None:
    if is_uri(run.out):
        run.job.store.write_bytes("manifest.json", (artifact_json(manifest) + "\n").encode("utf-8"))
    else:
        AugmentOutput(Path(run.out)).write_manifest(manifest)
