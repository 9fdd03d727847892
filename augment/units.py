"""Work units: what one engine call gets, how its prompts are rendered, how its output is kept.

A `Unit` travels through Ray as one JSON string. A global unit carries its window once
(`docs`, the window's documents in order); its items point into it, and the prompts are
rendered on the worker that runs the engine, so a window's shared prefix is built and cached
there. Local and entity units carry each prompt's template values instead.

Running and processing are pure functions of the unit (and the engine's deterministic
sampling), which is what makes retries and resumed runs reproduce the same rows.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

from augft.augment.consistency import WindowEntities
from augft.augment.engines.base import EngineUnavailable, GenRequest, GenResult, Sampling
from augft.augment.filters import FilterConfig, StatementFilter, parse_statements
from augft.augment.prompts import render


@dataclass
class Item:
    """One prompt of a unit."""
    id: str
    key: str
    """The source document; a key's statements are deduplicated together and never span units."""
    template: str
    """Template name (local, global, entity_extract, entity_pair)."""
    prompt_hash: str
    seed: int
    values: Dict[str, str] = field(default_factory=dict)
    """Template values; a global item's `text` and `context` come from its unit's window."""
    source_ids: List[str] = field(default_factory=list)
    source_text: str = ""
    """What statements are checked against (empty: the unit's window)."""
    doc: int = -1
    """Index of the focal document in the unit's window (global), else -1."""
    group: int = -1
    """Global: the unit's `groups` entry this item's prompt shows (-1: the whole window)."""
    meta: Dict = field(default_factory=dict)
    """Provenance copied into the meta of each record it yields (compose: its pair and round)."""


@dataclass
class WindowDoc:
    id: str
    text: str


@dataclass
class Unit:
    unit_id: str
    stem: str
    """Names the unit's files: part-<stem>.parquet and part-<stem>.stats.json."""
    strategy: str
    phase: str
    sampling: Sampling
    items: List[Item]
    docs: List[WindowDoc] = field(default_factory=list)
    """A global unit's window, once."""
    window: str = ""
    groups: List[List[int]] = field(default_factory=list)
    """Global, linked context: groups of the window's document indices, each listed once."""
    plan: Dict[str, int] = field(default_factory=dict)
    """Planning counts of the unit's shard (documents, long documents split or skipped), carried by
    the shard's first unit of each strategy into its stats, so the driver sums them like the rest."""

    @property
    def context(self) -> str:
        return "\n".join(d.text for d in self.docs)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Unit":
        d = json.loads(text)
        d["sampling"] = Sampling(**d["sampling"])
        d["items"] = [Item(**it) for it in d["items"]]
        d["docs"] = [WindowDoc(**w) for w in d.get("docs", [])]
        return cls(**d)

    def _context_docs(self, item: Item) -> List[WindowDoc]:
        return [self.docs[i] for i in self.groups[item.group]] if item.group >= 0 else self.docs

    def item_context(self, item: Item) -> str:
        """What a global item's prompt shows as its documents ("" for other items)."""
        if item.doc < 0:
            return ""
        return self.context if item.group < 0 else "\n".join(d.text for d in self._context_docs(item))

    def source_ids(self, item: Item) -> List[str]:
        if item.doc < 0:
            return list(item.source_ids)
        return [item.key] + [d.id for d in self._context_docs(item) if d.id != item.key]

    def source_text(self, item: Item) -> str:
        """What the item's statements are checked against: its source, or its prompt's documents."""
        return item.source_text or self.item_context(item)


def render_requests(unit: Unit, templates: Mapping[str, str]) -> List[GenRequest]:
    """The unit's prompts, rendered here (on the engine's worker); the window joins once."""
    reqs = []
    for it in unit.items:
        values = dict(it.values)
        if it.doc >= 0:
            values["text"] = unit.docs[it.doc].text
            values["context"] = unit.item_context(it)
        prefix, prompt = render(templates[it.template], **values)
        reqs.append(GenRequest(id=it.id, prompt=prompt, prefix=prefix, seed=it.seed))
    return reqs


@dataclass
class UnitOutput:
    results: List[GenResult]
    gen_s: float


def run_unit(engine, unit: Unit, templates: Mapping[str, str]) -> UnitOutput:
    return run_units([unit], engine, templates)[0]


def run_units(units: List[Unit], engine, templates: Mapping[str, str]) -> List[UnitOutput]:
    """Each unit's output, the prompts of units with equal sampling generated in one engine
    call: an engine's throughput comes from many sequences in flight, and a unit of a few dozen
    prompts leaves a GPU replica's batch mostly empty. A call's time is shared among its units
    by prompt count."""
    reqs = [render_requests(u, templates) for u in units]
    groups: Dict[str, List[int]] = {}
    for i, u in enumerate(units):
        groups.setdefault(json.dumps(asdict(u.sampling), sort_keys=True), []).append(i)
    outs: List[Optional[UnitOutput]] = [None] * len(units)
    for idx in groups.values():
        flat = [r for i in idx for r in reqs[i]]
        results, gen_s = _generate(engine, flat, units[idx[0]].sampling)
        at = 0
        for i in idx:
            n = len(reqs[i])
            outs[i] = UnitOutput(results=results[at:at + n], gen_s=gen_s * n / max(1, len(flat)))
            at += n
    return [o for o in outs if o is not None]


def _generate(engine, reqs: List[GenRequest], sampling: Sampling) -> Tuple[List[GenResult], float]:
    t = time.perf_counter()
    try:
        results = list(engine.generate(reqs, sampling))
    except EngineUnavailable:
        raise  # nothing of the units is written: a rerun generates them
    except Exception as exc:  # a whole-batch failure is recorded per row, never dropped
        results = [GenResult(id=r.id, texts=[], error=f"{type(exc).__name__}: {exc}") for r in reqs]
    return results, time.perf_counter() - t


@dataclass
class UnitStats:
    prompts: int = 0
    inputs: int = 0
    ok: int = 0
    filtered: Counter = field(default_factory=Counter)
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    gen_s: float = 0.0
    errors: List[str] = field(default_factory=list)
    failed_prompts: int = 0

    def to_dict(self) -> Dict:
        d = asdict(self)
        d["filtered"] = dict(self.filtered)
        return d


@dataclass
class Processed:
    unit: Unit
    records: List[Dict]
    entities: Dict[str, List[str]]
    stats: UnitStats
    failures: List[Dict] = field(default_factory=list)
    """One row per prompt whose generation failed: its id, sources and reason."""


@dataclass(frozen=True)
class RecordContext:
    """What every record of a run says about how it was made."""
    model_name: str
    engine_name: str
    filter: FilterConfig
    verify_threshold: Optional[float] = None
    """Self-verification (augment.verify) at this threshold; None: off."""
    verify_method: str = "pmi"
    """How support is scored (augment.verify_method)."""


def process_unit(unit: Unit, out: UnitOutput, ctx: RecordContext) -> Processed:
    """Parse generations into statements, filter with counted reasons, build records."""
    filt = StatementFilter(ctx.filter)
    st = UnitStats(prompts=len(unit.items), gen_s=out.gen_s)
    records: List[Dict] = []
    entities: Dict[str, List[str]] = {}
    failures: List[Dict] = []
    counters: Dict[str, int] = {}
    # Once per item, not per statement: a global source is thousands of tokens.
    sources = {it.id: unit.source_text(it) for it in unit.items}
    window_check = None
    if unit.docs and ctx.filter.global_consistency:
        linked = WindowEntities(d.text for d in unit.docs).consistent
        window_check = lambda s: None if linked(s) else "inconsistent"  # noqa: E731
    for it, res in zip(unit.items, out.results):
        st.prompt_tokens += res.prompt_tokens
        st.completion_tokens += res.completion_tokens
        if res.error:
            _failed(st, failures, unit, it, res.error)
        elif unit.phase == "entity_extract":
            entities[it.key] = list(res.texts)
            st.inputs += len(res.texts)
            st.ok += len(res.texts)
        else:
            relation = _pair_check(it) if unit.phase == "compose" else window_check
            for c, text in enumerate(res.texts):
                for stmt, idx in _statements(text, it.key, counters, st, unit.strategy != "qa"):
                    reason = filt.check(stmt, it.key, sources[it.id], relation)
                    if reason:
                        st.filtered[reason] += 1
                    else:
                        st.ok += 1
                        records.append(_record(unit, it, stmt, idx, c, ctx))
    assert st.ok + sum(st.filtered.values()) + st.failed == st.inputs  # the accounting invariant
    return Processed(unit=unit, records=records, entities=entities, stats=st, failures=failures)


def _failed(st: UnitStats, failures: List[Dict], unit: Unit, it: Item, error: str) -> None:
    """A prompt the engine could not answer: its candidates count as failed inputs, and it is
    kept (id, sources, reason) for the failed shard."""
    n_fail = max(1, int(unit.sampling.n))
    st.failed += n_fail
    st.inputs += n_fail
    st.failed_prompts += 1
    if len(st.errors) < 5:
        st.errors.append(f"{it.id}: {error}")
    failures.append({"id": it.id, "key": it.key, "source_ids": unit.source_ids(it), "strategy": unit.strategy,
                     "phase": unit.phase, "unit": unit.unit_id, "error": str(error)})


def _pair_check(it: Item):
    """A compose item's statements must join its two sentences (augment.compose.keys)."""
    from augft.augment.compose.keys import composition_check

    return composition_check(it.values["first"], it.values["second"])


def _statements(text: str, key: str, counters: Dict[str, int], st: UnitStats, sentences: bool = True):
    """(statement, index) pairs; the index counts every parsed statement of the source, so
    record ids stay stable when filter settings change."""
    stmts = parse_statements(text, sentences)
    if not stmts:
        st.inputs += 1
        st.filtered["empty"] += 1
    for stmt in stmts:
        st.inputs += 1
        idx = counters.get(key, 0)
        counters[key] = idx + 1
        yield stmt, idx


def _record(unit: Unit, it: Item, stmt: str, idx: int, candidate: int, ctx: RecordContext) -> Dict:
    s = unit.sampling
    meta: Dict = {"candidate": candidate, "engine": ctx.engine_name, "unit": unit.unit_id, **it.meta}
    if unit.window:
        meta["window"] = unit.window
    return {"id": f"{it.key}:{unit.strategy}:{it.prompt_hash}:{idx}", "text": stmt,
            "strategy": unit.strategy, "source_ids": unit.source_ids(it),
            "prompt_hash": it.prompt_hash, "model": ctx.model_name,
            "sampling": {"temperature": s.temperature, "top_p": s.top_p,
                         "max_new_tokens": s.max_new_tokens, "n": s.n, "seed": it.seed},
            "meta": meta}

