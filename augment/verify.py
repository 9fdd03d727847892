"""Self-verification: the generating model checks each kept statement against its source.

Each statement that passed the other filters is put to the model with its source text (the
document for local-style strategies, the documents its global prompt showed) in the `verify` template, which
asks whether the text states or implies it. The next-token P(Yes) / (P(Yes) + P(No)) is the
statement's support; below `augment.verify_threshold` it is dropped and counted as
`unsupported` in the filter table like every other reason, so ok + filtered + failed = inputs
still holds. Kept records carry their score in `meta.verify`.
"""
from __future__ import annotations

from typing import Dict, List

from augft.augment.prompts import render
from augft.augment.units import Processed

REASON = "unsupported"


def _sources(p: Processed) -> Dict[str, str]:
    """Source key -> the text its statements are checked against."""
    return {it.key: p.unit.source_text(it) for it in p.unit.items}


def verify(engine, p: Processed, template: str, threshold: float) -> Processed:
    """Score every record of a processed unit; drop the unsupported ones (counted)."""
    if not p.records:
        return p
    sources = _sources(p)
    prompts = ["".join(render(template, source=sources.get(r["source_ids"][0], ""), statement=r["text"]))
               for r in p.records]
    scores = engine.yes_probability(prompts)
    kept: List[Dict] = []
    for rec, score in zip(p.records, scores):
        if score < threshold:
            p.stats.filtered[REASON] += 1
            p.stats.ok -= 1
        else:
            rec["meta"]["verify"] = round(float(score), 4)
            kept.append(rec)
    p.records = kept
    return p


def unsupported_rate(entry: Dict) -> float:
    """Estimated share of unsupported statements among those that reached verification."""
    dropped = entry.get("filtered", {}).get(REASON, 0)
    seen = entry.get("ok", 0) + dropped
    return round(dropped / seen, 4) if seen else 0.0
