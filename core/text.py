"""Text helpers shared by the stages (benchmarks, augmentation, training data)."""
from __future__ import annotations

import re
from typing import List

# "?" does not end a statement: in "Ever heard of X? They're Y." the claim spans both,
# and splitting there would leave "They're Y." with no subject.
_SENT_SPLIT = re.compile(r"(?<=[.!;])\s+|\n+")


_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Tokens counted without a model: words and punctuation marks (a subword tokenizer gives
    about 1-1.5x this for English prose)."""
    return len(_TOKEN.findall(text))


def split_sentences(text: str) -> List[str]:
    """Statements of `text`, split after . ! ; and at line breaks, stripped, none empty."""
    return [s for s in (p.strip() for p in _SENT_SPLIT.split(text)) if s]
