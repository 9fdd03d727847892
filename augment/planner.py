"""The planner: strategies turn a corpus into deterministic work units (augment.units.Unit).

These are the per-document plans (local, rephrase, qa, entity), run shard by shard where the
shards are (augment.local_plan); global windows are planned by augment.windows /
augment.global_plan. An item's `key` groups the items whose
statements are deduplicated together (one source document); a key never spans two units, so
a unit's output does not depend on other units and a resumed run writes exactly what an
uninterrupted one would.
"""
from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Sequence, Tuple

from augft.augment.engines.base import Sampling
from augft.augment.prompts import render, template_hash
from augft.augment.units import Item, Unit
from augft.core.records import Document
from augft.core.text import split_sentences

CAPS = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:of|the|de|van|von)?\s*[A-Z][\w'-]*)*")


def stable_seed(*parts) -> int:
    h = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return int(h[:8], 16)


@dataclass
class PlanStats:
    documents: int = 0
    long_documents: Counter = field(default_factory=Counter)
    entities: Dict[str, int] = field(default_factory=dict)
    """Entity coverage counts (StrategyEntry.entities)."""


@dataclass
class Planner:
    """Builds units; `count_tokens` measures prompts against `max_context`."""
    templates: Dict[str, str]
    seed: int
    max_context: int
    max_new_tokens: int
    count_tokens: Callable[[str], int]
    unit_size: int = 32
    long_documents: str = "split"

    def hash(self, name: str) -> str:
        return template_hash(self.templates[name])

    def item(self, strategy: str, tname: str, key: str, idx: int, source_ids: Sequence[str],
             source_text: str, **values) -> Item:
        rid = f"{key}:{strategy}:{self.hash(tname)}:{idx}"
        return Item(id=rid, key=key, template=tname, prompt_hash=self.hash(tname),
                    seed=stable_seed(self.seed, rid), values=dict(values),
                    source_ids=list(source_ids), source_text=source_text)

    def full(self, tname: str, **values) -> str:
        return "".join(render(self.templates[tname], **values))

    def fits(self, text: str) -> bool:
        return self.count_tokens(text) + self.max_new_tokens <= self.max_context

    def pack(self, strategy: str, phase: str, items: List[Item], sampling: Sampling,
             prefix: str = "") -> List[Unit]:
        """Group items by key, then fill units of about `unit_size` prompts in order; `prefix`
        (a shard's number) starts every unit's stem."""
        groups: Dict[str, List[Item]] = {}
        for it in items:
            groups.setdefault(it.key, []).append(it)
        units: List[List[Item]] = []
        cur: List[Item] = []
        for g in groups.values():
            if cur and len(cur) + len(g) > self.unit_size:
                units.append(cur)
                cur = []
            cur.extend(g)
        if cur:
            units.append(cur)
        return [Unit(unit_id=f"{phase}-{prefix}{i:05d}", stem=f"{prefix}{i:05d}", strategy=strategy, phase=phase,
                     sampling=sampling, items=u) for i, u in enumerate(units)]

    # -- local ---------------------------------------------------------------
    def local(self, docs: Sequence[Document], per: str, stats: PlanStats, tname: str = "local") -> List[Item]:
        """One prompt per document (or sentence) with template `tname`: local, rephrase or qa."""
        items = []
        for d in docs:
            parts = split_sentences(d.text) if per == "sentence" else [d.text]
            if per != "sentence" and not self.fits(self.full(tname, text=d.text)):
                stats.long_documents["split" if self.long_documents == "split" else "skipped"] += 1
                if self.long_documents != "split":
                    continue
                parts = _chunk(split_sentences(d.text), lambda t: self.fits(
                    self.full(tname, text=t)))
            for j, p in enumerate(parts):
                if not self.fits(self.full(tname, text=p)):
                    stats.long_documents["skipped"] += 1
                    continue
                items.append(self.item(tname, tname, d.id, j, [d.id], d.text, text=p))
        return items

    # -- entity --------------------------------------------------------------
    def entity_extract(self, docs: Sequence[Document]) -> List[Item]:
        return [self.item("entity", "entity_extract", d.id, 0, [d.id], d.text, text=d.text)
                for d in docs if self.fits(self.full("entity_extract", text=d.text))]

    def entity_pairs(self, docs: Sequence[Document], entities: Dict[str, List[str]], max_pairs: int,
                     triples: bool) -> List[Item]:
        items = []
        for d in docs:
            ents = entities.get(d.id, [])
            combos: List[Tuple[str, ...]] = list(itertools.combinations(ents, 2))
            if triples:
                combos += list(itertools.combinations(ents, 3))
            for j, combo in enumerate(combos[:max_pairs]):
                names = ", ".join(combo[:-1]) + " and " + combo[-1]
                items.append(self.item("entity", "entity_pair", d.id, j, [d.id], d.text,
                                       text=d.text, entities=names))
        return items


def _chunk(sents: List[str], fits: Callable[[str], bool]) -> List[str]:
    out, cur = [], ""
    for s in sents:
        cand = (cur + " " + s).strip()
        if cur and not fits(cand):
            out.append(cur)
            cur = s
        else:
            cur = cand
    if cur:
        out.append(cur)
    return out


def entity_sets(docs: Sequence[Document]) -> Dict[str, set]:
    """Cheap entity keys for packing: meta entities, capitalised spans and words that are
    frequent in a document but rare across the corpus (nonsense names are such words)."""
    words = {d.id: set(re.findall(r"[a-z][a-z'-]{2,}", d.text.lower())) for d in docs}
    df = Counter(w for ws in words.values() for w in ws)
    cutoff = max(2, int(0.1 * len(docs)))
    out = {}
    for d in docs:
        ents = {str(e).lower() for e in d.meta.get("entities", []) if isinstance(e, str)}
        ents |= {m.group(0).lower() for m in CAPS.finditer(d.text)}
        ents |= {w for w in words[d.id] if df[w] <= cutoff}
        out[d.id] = ents
    return out


def entities_from_generation(doc: Document, texts: Sequence[str], parse) -> List[str]:
    """Entities the model listed that occur verbatim in the document (hallucinations dropped)."""
    seen, out = set(), []
    meta = [e for e in doc.meta.get("entities", []) if isinstance(e, str)]
    low = doc.text.lower()
    for cand in list(meta) + [s.strip(" .") for t in texts for s in parse(t)]:
        k = cand.lower()
        if cand and k not in seen and len(cand) <= 80 and k in low:
            seen.add(k)
            out.append(cand)
    if len(out) < 2:  # the model found too few: fall back to capitalised spans
        for m in CAPS.finditer(doc.text):
            if m.group(0).lower() not in seen:
                seen.add(m.group(0).lower())
                out.append(m.group(0))
    return out
