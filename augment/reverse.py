"""The `reverse` strategy: entity-preserving reversal of every training sentence, no model.

Reverse training (Golovneva et al. 2024) shows a model reversed text so that what it reads
left-to-right also appears right-to-left: the word order of each sentence is reversed, but
entity mentions (augment.entities: names, code identifiers, invented terms) keep their inner
order, so "Dafna Krell is the
composer of the opera Velmora." becomes "Velmora opera the of composer the is Dafna Krell."
It is a cheap mechanical control: what model-written augmentation adds over it is what the
model's own reasoning contributes.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence

from augft.augment.chain import META, provenance
from augft.augment.entities import mentions
from augft.core.records import Document
from augft.core.text import split_sentences

PROMPT_HASH = "reverse-v1"
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")


def _units(sentence: str) -> List[str]:
    """Words (punctuation dropped), the words of one entity mention (augment.entities) joined."""
    spans = [(m.start, m.end) for m in mentions(sentence)]
    out: List[str] = []
    prev = None
    for match in _TOKEN.finditer(sentence):
        tok = match.group()
        if not (tok[0].isalnum() or tok[0] == "_"):
            prev = None
            continue
        span = next((s for s in spans if s[0] <= match.start() < s[1]), None)
        if span is not None and span == prev:
            out[-1] = f"{out[-1]} {tok}"
        else:
            out.append(tok)
        prev = span
    return out


def reverse_sentence(sentence: str) -> str:
    units = _units(sentence)
    if len(units) < 2:
        return ""
    text = " ".join(reversed(units))
    return text[:1].upper() + text[1:] + "."


def reverse_records(docs: Sequence[Document]) -> List[Dict]:
    """One reversed sentence per training sentence, as Augmentation records (model "none"); a
    document derived from another strategy's record (augment/chain.py) passes on its chain."""
    out = []
    for d in docs:
        up = d.meta.get(META) if isinstance(d.meta.get(META), dict) else None
        sources = list(up.get("source_ids") or [d.id]) if up else [d.id]
        chained = provenance(up, d.id, "reverse") if up else {}
        for i, sent in enumerate(split_sentences(d.text)):
            text = reverse_sentence(sent)
            if text:
                out.append({"id": f"{d.id}:reverse:{PROMPT_HASH}:{i}", "text": text, "strategy": "reverse",
                            "source_ids": sources, "prompt_hash": PROMPT_HASH, "model": "none",
                            "sampling": {}, "meta": {"sentence": i, **chained}})
    return out
