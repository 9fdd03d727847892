"""`augft augment`: corpus -> augmentation shards + manifest.

Layout of the output folder:
    <strategy>/part-NNNNN.parquet        Augmentation records of one work unit
    <strategy>/part-NNNNN.stats.json     its counts (written last: marks the unit done)
    entity/_extract/part-NNNNN.stats.json  entities extracted per document
    plan.json                            fingerprint of config + corpus (resume guard)
    manifest.json                        written last, when every unit is done
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from augft.augment import pipeline
from augft.augment.filters import parse_statements
from augft.augment.prompts import STOP, resolve_templates, template_hash
from augft.augment.strategies import Planner, PlanStats, entities_from_generation
from augft.core.artifacts import AugmentOutput
from augft.core.errors import AugftError
from augft.core.records import Augmentation, Document, read_corpus, read_records, write_jsonl

log = logging.getLogger(__name__)

STRATEGIES = ("local", "global", "entity", "oracle")
ENGINES = ("hf", "vllm", "openai")


def read_augmentations(aug_dir: Path, strategies: Optional[List[str]] = None) -> List[Augmentation]:
    """All records of an augment output folder (the strategies given, or all in the manifest)."""
    out = AugmentOutput(Path(aug_dir))
    if not out.finished():
        raise AugftError(f"{aug_dir}: no manifest.json (augmentation not finished or wrong folder)")
    return out.records(strategies)


def _validate(cfg) -> Dict[str, str]:
    a = cfg.augment
    bad = [s for s in a.strategies if s not in STRATEGIES]
    if bad or not a.strategies:
        raise AugftError(f"augment.strategies: unknown {bad or 'empty list'}; choose from {list(STRATEGIES)}")
    if a.engine not in ENGINES:
        raise AugftError(f"augment.engine: unknown engine '{a.engine}'; choose one of {list(ENGINES)}")
    for key, ok in (("num_candidates", a.num_candidates >= 1), ("batch_size", a.batch_size >= 1),
                    ("max_new_tokens", a.max_new_tokens >= 1), ("unit_size", a.unit_size >= 1),
                    ("long_documents", a.long_documents in ("split", "skip")),
                    ("local_unit", a.local_unit in ("document", "sentence")),
                    ("near_duplicate_threshold", 0 < a.near_duplicate_threshold <= 1)):
        if not ok:
            raise AugftError(f"augment.{key}: invalid value {getattr(a, key)!r}")
    return resolve_templates(a.prompt_set, a.templates)


def _token_counter(cfg):
    """(count_tokens, max_context) without loading weights."""
    from augft.core.models import ModelError, load_tokenizer, resolve_model_path

    try:
        tok = load_tokenizer(cfg.model.name, cfg.model.cache_dir, cfg.model.trust_remote_code)
        from transformers import AutoConfig

        mc = AutoConfig.from_pretrained(resolve_model_path(cfg.model.name, cfg.model.cache_dir))
        ctx = int(cfg.model.max_context or getattr(mc, "max_position_embeddings", 2048))
        return (lambda t: len(tok(t, add_special_tokens=False)["input_ids"])), ctx
    except ModelError:
        if cfg.augment.engine != "openai":
            raise
        # A remote model without a local tokenizer: estimate 4 characters per token.
        return (lambda t: len(t) // 4 + 1), int(cfg.model.max_context or 4096)


# How augmentation runs, not what it writes: changing these never changes the records (the
# generating model is hashed by its resolved name instead of the openai section).
RUNTIME_KEYS = ("use_ray", "num_actors", "actor_cpus", "openai", "vllm")


def generator_name(cfg) -> str:
    """The model that writes the augmentations (the openai engine may name its own)."""
    a = cfg.augment
    return (a.openai.model or cfg.model.name) if a.engine == "openai" else cfg.model.name


def _fingerprint(cfg, docs: List[Document], templates: Dict[str, str], model_name: str, max_context: int) -> str:
    from omegaconf import OmegaConf

    a = OmegaConf.to_container(cfg.augment, resolve=True)
    for k in RUNTIME_KEYS:
        a.pop(k, None)
    # The model that generates (the openai engine may name its own) and the context that
    # sizes windows and units decide the output as much as the augment section does.
    blob = json.dumps({"augment": a, "model": model_name, "max_context": max_context, "seed": cfg.seed,
                       "templates": {k: template_hash(v) for k, v in templates.items()},
                       "corpus": [(d.id, d.text) for d in docs]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _guard(out_dir: Path, fp: str) -> None:
    plan = out_dir / "plan.json"
    if plan.is_file():
        old = json.loads(plan.read_text()).get("fingerprint")
        if old != fp:
            raise AugftError(f"{out_dir}: holds units from a different config or corpus "
                             f"(fingerprint {old} != {fp}); use a new --out or remove it")
        return
    write_jsonl(plan, [{"fingerprint": fp}])


class _Progress:
    def __init__(self, total: int, desc: str):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="prompt", dynamic_ncols=True)
        self.t0 = time.perf_counter()
        self.tokens = 0

    def __call__(self, stats: Dict) -> None:
        self.tokens += stats["completion_tokens"]
        self.bar.update(stats["prompts"])
        dt = max(1e-9, time.perf_counter() - self.t0)
        self.bar.set_postfix(rows_s=f"{self.bar.n / dt:.1f}", tok_s=f"{self.tokens / dt:.1f}")

    def close(self):
        self.bar.close()


def _sampling(cfg, greedy: bool = False) -> Dict:
    a = cfg.augment
    return {"temperature": 0.0 if greedy else float(a.temperature), "top_p": float(a.top_p),
            "max_new_tokens": int(a.max_new_tokens), "n": 1 if greedy else int(a.num_candidates),
            "stop": list(STOP)}


def _run_phase(units, cfg, out_dir, model_name, fcfg, desc, engine_factory=None) -> None:
    pending = [u for u in units if not pipeline.is_done(out_dir, u)]
    if not pending:
        return
    prog = _Progress(sum(len(u["items"]) for u in pending), desc)
    try:
        pipeline.execute(units, cfg, out_dir, model_name, fcfg, prog, engine_factory)
    finally:
        prog.close()


def augment(cfg, data_dir: Path, out_dir: Path, engine_factory=None) -> Dict:
    """Run every configured strategy; returns the manifest (also written to out_dir).

    `engine_factory` (plain-loop runs only) supplies an already built engine, for
    benchmarks and tests that reuse one loaded model.
    """
    t_start = time.perf_counter()
    a = cfg.augment
    templates = _validate(cfg)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    docs = read_corpus(data_dir)
    if a.limit:
        docs = docs[: int(a.limit)]
    if "oracle" in a.strategies and not (data_dir / "oracle.jsonl").is_file():
        raise AugftError(f"augment.strategies has 'oracle' but {data_dir}/oracle.jsonl does not exist "
                         "(only built-in benchmarks have an oracle)")
    if a.engine == "openai":
        from augft.augment.engines.openai import check_endpoint

        check_endpoint(a.openai.url, timeout=min(5.0, float(a.openai.timeout_s)))
    model_name = generator_name(cfg)
    count_tokens, max_context = _token_counter(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    _guard(out_dir, _fingerprint(cfg, docs, templates, model_name, max_context))
    planner = Planner(templates=templates, seed=int(cfg.seed), max_context=max_context,
                      max_new_tokens=int(a.max_new_tokens), count_tokens=count_tokens,
                      unit_size=int(a.unit_size), long_documents=a.long_documents)
    fcfg = {"min_words": int(a.min_words), "max_chars": int(a.max_chars),
            "near_duplicate_threshold": float(a.near_duplicate_threshold),
            "require_source_overlap": bool(a.require_source_overlap)}
    plans: Dict[str, PlanStats] = {}
    units: Dict[str, List[Dict]] = {}
    for strat in a.strategies:
        st = plans[strat] = PlanStats(documents=len(docs))
        if strat == "local":
            units[strat] = planner.pack("local", "local", planner.local(docs, a.local_unit, st),
                                        _sampling(cfg))
        elif strat == "global":
            units[strat] = planner.pack("global", "global",
                                        planner.global_(docs, int(a.window_tokens), st), _sampling(cfg))
        elif strat == "entity":
            units["_extract"] = planner.pack("entity", "entity_extract", planner.entity_extract(docs),
                                             _sampling(cfg, greedy=True))
    phase1 = [u for k, us in units.items() for u in us]
    _run_phase(phase1, cfg, out_dir, model_name, fcfg, "augment", engine_factory)
    if "entity" in a.strategies:
        by_id = {d.id: d for d in docs}
        entities = {}
        for u in units["_extract"]:
            for key, texts in pipeline.read_unit_stats(out_dir, u)["entities"].items():
                entities[key] = entities_from_generation(by_id[key], texts, parse_statements)
        items = planner.entity_pairs(docs, entities, int(a.entity_max_pairs), bool(a.entity_triples))
        units["entity"] = planner.pack("entity", "entity", items, _sampling(cfg))
        plans["entity"].long_documents["no_entity_pairs"] = sum(
            1 for d in docs if len(entities.get(d.id, [])) < 2)
        _run_phase(units["entity"], cfg, out_dir, model_name, fcfg, "entity pairs", engine_factory)
    manifest = _manifest(cfg, a, data_dir, out_dir, docs, units, plans, templates, model_name)
    manifest["timings"]["total_s"] = round(time.perf_counter() - t_start, 3)
    from augft.augment.report import summary_table

    manifest["summary_table"] = summary_table(manifest)
    AugmentOutput(out_dir).write_manifest(manifest)
    return manifest


def _manifest(cfg, a, data_dir, out_dir, docs, units, plans, templates, model_name) -> Dict:
    from augft.augment.oracle import copy_oracle
    strategies: Dict[str, Dict] = {}
    for strat in a.strategies:
        if strat == "oracle":
            strategies["oracle"], _ = copy_oracle(data_dir, out_dir, len(docs))
            continue
        agg = {"ok": 0, "filtered": Counter(), "failed": 0, "inputs": 0, "prompts": 0, "shards": [],
               "prompt_tokens": 0, "completion_tokens": 0, "gen_s": 0.0, "errors": []}
        for u in units[strat]:
            s = pipeline.read_unit_stats(out_dir, u)
            for k in ("ok", "failed", "inputs", "prompts", "prompt_tokens", "completion_tokens", "gen_s"):
                agg[k] += s[k]
            agg["filtered"].update(s["filtered"])
            agg["shards"].append(s["shard"])
            agg["errors"].extend(s["errors"][: max(0, 5 - len(agg["errors"]))])
        agg["filtered"] = dict(agg["filtered"])
        agg["documents"] = plans[strat].documents
        agg["long_documents"] = dict(plans[strat].long_documents)
        agg["template"] = "entity_pair" if strat == "entity" else strat
        if strat == "entity":
            agg["extract"] = _extract_stats(out_dir, units["_extract"])
        strategies[strat] = agg
    gen_s = sum(s.get("gen_s", 0.0) for s in strategies.values())
    toks = sum(s.get("completion_tokens", 0) for s in strategies.values())
    return {
        "strategies": strategies,
        "model": model_name,
        "engine": a.engine,
        "sampling": {k: v for k, v in _sampling(cfg).items()},
        "prompt_set": a.prompt_set,
        "prompt_hashes": {k: template_hash(v) for k, v in templates.items()},
        "timings": {"gen_s": round(gen_s, 3), "tokens_per_s": round(toks / gen_s, 2) if gen_s else 0.0},
        "seed": int(cfg.seed),
    }


def _extract_stats(out_dir: Path, units) -> Dict:
    s = [pipeline.read_unit_stats(out_dir, u) for u in units]
    return {"prompts": sum(x["prompts"] for x in s), "failed": sum(x["failed"] for x in s),
            "prompt_tokens": sum(x["prompt_tokens"] for x in s),
            "completion_tokens": sum(x["completion_tokens"] for x in s),
            "gen_s": round(sum(x["gen_s"] for x in s), 3)}
