"""Retention: what a fine-tune costs the model's general ability, measured beside the gain.

Two measures, neither tied to any corpus:
- the `retention` split: general-knowledge multiple-choice questions shipped with augft
  (`general.jsonl`, 66 questions). Reports count a condition's accuracy on the questions the
  base model answers correctly, so 1.00 means nothing it knew was forgotten;
- perplexity on held-out general text that ships with Python itself (half of the reference
  texts of `pydoc_data.topics`, core.general_text: no download), first `eval.general_text_tokens`
  tokens; the other half is what `train.mix.replay` trains on.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional

from augft.core.artifacts import Retained
from augft.core.records import RESERVED_SPLITS, Question, read_records

SPLIT = RESERVED_SPLITS[0]
BANK = Path(__file__).with_name("general.jsonl")


def questions() -> List[Question]:
    return read_records(BANK, Question)


def general_text() -> str:
    """The held-out half of the general text Python ships (core.general_text; never trained on,
    also not by the `replay` source)."""
    from augft.core.general_text import held_out

    return held_out()


def perplexity(model, tokenizer, max_tokens: int, window: int = 512) -> float:
    """Token-level perplexity of `model` on the first `max_tokens` tokens of the general text."""
    import torch

    ids = tokenizer(general_text(), add_special_tokens=False)["input_ids"][:max_tokens]
    device = next(model.parameters()).device
    nll, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(ids) - 1, window):
            chunk = ids[start:start + window + 1]
            if len(chunk) < 2:
                break
            t = torch.tensor([chunk], device=device)
            logits = model(input_ids=t[:, :-1], use_cache=False).logits.float()
            loss = torch.nn.functional.cross_entropy(logits[0], t[0, 1:], reduction="sum")
            nll += float(loss)
            count += len(chunk) - 1
    return math.exp(nll / count) if count else float("nan")


def retained(base_rows: Iterable[Mapping], rows: Iterable[Mapping]) -> Optional[Retained]:
    """Accuracy on the retention questions the base model answered correctly."""
    known = {r["id"] for r in base_rows if r["split"] == SPLIT and r["correct"]}
    mine = [bool(r["correct"]) for r in rows if r["split"] == SPLIT and r["id"] in known]
    if not mine:
        return None
    return Retained(accuracy=sum(mine) / len(mine), n=len(mine))
