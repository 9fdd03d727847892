"""Running one work unit through an engine, then parsing and filtering its output.

Both steps are pure functions of the unit (and the engine's deterministic
sampling), which is what makes retries and resumed runs reproduce the same rows.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict
from typing import Dict, List

from augft.augment.engines.base import GenRequest, GenResult, Sampling
from augft.augment.filters import FilterConfig, StatementFilter, parse_statements


def run_unit(engine, unit: Dict) -> Dict:
    s = unit["sampling"]
    sampling = Sampling(temperature=s["temperature"], top_p=s["top_p"],
                        max_new_tokens=s["max_new_tokens"], n=s["n"], stop=list(s.get("stop", [])))
    reqs = [GenRequest(id=it["id"], prompt=it["prompt"], prefix=it["prefix"], seed=it["seed"])
            for it in unit["items"]]
    t = time.perf_counter()
    try:
        results = engine.generate(reqs, sampling)
    except Exception as exc:  # a whole-batch failure is recorded per row, never dropped
        results = [GenResult(id=r.id, texts=[], error=f"{type(exc).__name__}: {exc}") for r in reqs]
    return {"unit_id": unit["unit_id"], "results": [asdict(r) for r in results],
            "gen_s": time.perf_counter() - t}


def process_unit(unit: Dict, out: Dict, model_name: str, fcfg: FilterConfig, engine_name: str) -> Dict:
    """Parse generations into statements, filter with counted reasons, build records."""
    filt = StatementFilter(fcfg)
    filtered: Counter = Counter()
    ok = failed = inputs = ptok = ctok = 0
    records: List[Dict] = []
    entities: Dict[str, List[str]] = {}
    errors: List[str] = []
    counters: Dict[str, int] = {}
    s = unit["sampling"]
    for it, res in zip(unit["items"], out["results"]):
        ptok += res["prompt_tokens"]
        ctok += res["completion_tokens"]
        if res["error"]:
            n_fail = max(1, int(s["n"]))
            failed += n_fail
            inputs += n_fail
            if len(errors) < 5:
                errors.append(f"{it['id']}: {res['error']}")
            continue
        if unit["phase"] == "entity_extract":
            entities[it["key"]] = list(res["texts"])
            inputs += len(res["texts"])
            ok += len(res["texts"])
            continue
        for c, text in enumerate(res["texts"]):
            stmts = parse_statements(text)
            if not stmts:
                inputs += 1
                filtered["empty"] += 1
                continue
            for stmt in stmts:
                inputs += 1
                # Index counts every parsed statement of this source, so ids stay
                # stable when filter settings change.
                idx = counters.get(it["key"], 0)
                counters[it["key"]] = idx + 1
                reason = filt.check(stmt, it["key"], it["source_text"])
                if reason:
                    filtered[reason] += 1
                    continue
                ok += 1
                records.append({
                    "id": f"{it['key']}:{unit['strategy']}:{it['prompt_hash']}:{idx}",
                    "text": stmt, "strategy": unit["strategy"], "source_ids": it["source_ids"],
                    "prompt_hash": it["prompt_hash"], "model": model_name,
                    "sampling": {"temperature": s["temperature"], "top_p": s["top_p"],
                                 "max_new_tokens": s["max_new_tokens"], "n": s["n"],
                                 "seed": it["seed"]},
                    "meta": {"candidate": c, "engine": engine_name, "unit": unit["unit_id"],
                             **({"window": it["window"]} if "window" in it else {})},
                })
    assert ok + sum(filtered.values()) + failed == inputs  # the accounting invariant
    stats = {"prompts": len(unit["items"]), "inputs": inputs, "ok": ok, "filtered": dict(filtered),
             "failed": failed, "prompt_tokens": ptok, "completion_tokens": ctok,
             "gen_s": out["gen_s"], "errors": errors}
    return {"unit_id": unit["unit_id"], "strategy": unit["strategy"], "phase": unit["phase"],
            "records": records, "entities": entities, "stats": stats}
