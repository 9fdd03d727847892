"""Self-verification: the generating model checks each kept statement against its source.

Each statement that passed the other filters is scored against its source text (the document
for local-style strategies, the documents its global prompt showed), by `augment.verify_method`:
- pmi (default): the mean per-token log-probability of the statement after "Text: <source>"
  minus after "Text: (none)": how much the source makes the statement more likely. Measured on
  the embedded model, statements the source supports gain several nats per token, another
  document's statements about one; kept at or above `augment.verify_min_pmi`.
- yes_no: the `verify` template asks whether the text states or implies the statement; the
  next-token P(Yes) / (P(Yes) + P(No)), kept at or above `augment.verify_threshold`.
Dropped statements are counted as `unsupported` in the filter table like every other reason,
so ok + filtered + failed = inputs still holds. Kept records carry their score in `meta.verify`.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from augft.augment.prompts import render
from augft.augment.units import Processed
from augft.core.artifacts import StrategyEntry

REASON = "unsupported"


def _sources(p: Processed) -> Dict[str, str]:
    """Source key -> the text its statements are checked against."""
    return {it.key: p.unit.source_text(it) for it in p.unit.items}


_CONTEXT = "Text: {source}\nStatement:"
_NO_SOURCE = "(none)"


def pmi_scores(engine, pairs: Sequence[Tuple[str, str]]) -> List[float]:
    """Per (source, statement): mean per-token log P(statement | source) - log P(statement | none)."""
    conts = [" " + stmt for _, stmt in pairs]
    with_src = engine.continuation_logprobs([(_CONTEXT.format(source=src), c) for (src, _), c in zip(pairs, conts)])
    without = engine.continuation_logprobs([(_CONTEXT.format(source=_NO_SOURCE), c) for c in conts])
    return [sum(a) / max(1, len(a)) - sum(b) / max(1, len(b)) for a, b in zip(with_src, without)]


def support_scores(engine, method: str, template: str, pairs: Sequence[Tuple[str, str]]) -> List[float]:
    if method == "pmi":
        return pmi_scores(engine, pairs)
    return engine.yes_probability(["".join(render(template, source=src, statement=stmt)) for src, stmt in pairs])


def verify(engine, p: Processed, template: str, threshold: float, method: str) -> Processed:
    """Score every record of a processed unit; drop the unsupported ones (counted)."""
    if not p.records:
        return p
    sources = _sources(p)
    # A record's id starts with its item's key (`<key>:<strategy>:<hash>:<index>`): the key names
    # the source even where the first source id does not (a compose pair's key is the pair).
    scores = support_scores(engine, method, template,
                            [(sources.get(r["id"].rsplit(":", 3)[0], ""), r["text"]) for r in p.records])
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


def unsupported_rate(entry: StrategyEntry) -> float:
    """Estimated share of unsupported statements among those that reached verification."""
    dropped = entry.filtered.get(REASON, 0)
    seen = entry.ok + dropped
    return round(dropped / seen, 4) if seen else 0.0
