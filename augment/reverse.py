"""The `reverse` strategy: entity-preserving reversal of every training sentence, no model.

Reverse training (Golovneva et al. 2024) shows a model reversed text so that what it reads
left-to-right also appears right-to-left: the word order of each sentence is reversed, but
entity spans (names, invented terms: runs of tokens that are not English dictionary words,
with the capitalised words that join them) keep their inner order, so "Dafna Krell is the
composer of the opera Velmora." becomes "Velmora opera the of composer the is Dafna Krell."
It is a cheap mechanical control: what model-written augmentation adds over it is what the
model's own reasoning contributes.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence

from augft.augment.consistency import entity_keys
from augft.core.records import Document
from augft.core.text import split_sentences

PROMPT_HASH = "reverse-v1"
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")
_ENDS = set(".?!")


def _units(sentence: str) -> List[str]:
    """Words (punctuation dropped), with consecutive name words joined: a name word is an entity
    word (not in the dictionary) or a capitalised word that does not start a sentence."""
    out: List[str] = []
    prev_name = prev_first_cap = False
    starts = True
    for tok in _TOKEN.findall(sentence):
        if not (tok[0].isalnum() or tok[0] == "_"):
            prev_name = prev_first_cap = False
            starts = tok in _ENDS
            continue
        cap = tok[:1].isupper()
        name = bool(entity_keys(tok)) or (cap and not starts)
        # A capitalised first word joins the capitalised name after it ("Marie Curie won").
        if name and (prev_name or (cap and prev_first_cap)):
            out[-1] = f"{out[-1]} {tok}"
        else:
            out.append(tok)
        prev_name, prev_first_cap, starts = name or (cap and prev_first_cap), cap and starts, False
    return out


def reverse_sentence(sentence: str) -> str:
    units = _units(sentence)
    if len(units) < 2:
        return ""
    text = " ".join(reversed(units))
    return text[:1].upper() + text[1:] + "."


def reverse_records(docs: Sequence[Document]) -> List[Dict]:
    """One reversed sentence per training sentence, as Augmentation records (model "none")."""
    out = []
    for d in docs:
        for i, sent in enumerate(split_sentences(d.text)):
            text = reverse_sentence(sent)
            if text:
                out.append({"id": f"{d.id}:reverse:{PROMPT_HASH}:{i}", "text": text, "strategy": "reverse",
                            "source_ids": [d.id], "prompt_hash": PROMPT_HASH, "model": "none",
                            "sampling": {}, "meta": {"sentence": i}})
    return out
