"""Text helpers shared by the stages (benchmarks, augmentation, training data)."""
from __future__ import annotations

import re
from typing import List

# "?" does not end a statement: in "Ever heard of X? They're Y." the claim spans both,
# and splitting there would leave "They're Y." with no subject.
_SENT_SPLIT = re.compile(r"(?<=[.!;])\s+|\n+")


def split_sentences(text: str) -> List[str]:
    """Statements of `text`, split after . ! ; and at line breaks, stripped, none empty."""
    return [s for s in (p.strip() for p in _SENT_SPLIT.split(text)) if s]
