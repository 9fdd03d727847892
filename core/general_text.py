"""General English text that ships with Python itself (no download): the reference texts of
`pydoc_data.topics`, in a fixed order. Split in two disjoint halves by topic: the held-out
half measures what fine-tuning costs (eval's retention perplexity), the other half is the
`replay` source a training mix may draw from to limit that cost."""
from __future__ import annotations

from typing import List


def _topics() -> List[str]:
    from pydoc_data.topics import topics

    return [topics[k].strip() for k in sorted(topics) if topics[k].strip()]


def held_out() -> str:
    """Every other topic, starting with the first: never trained on."""
    return "\n\n".join(_topics()[0::2])


def replay_paragraphs() -> List[str]:
    """Paragraphs of the other topics, for the `replay` training source (none that the held-out
    half also contains: the reference repeats some paragraphs across topics)."""
    held = held_out()
    out: List[str] = []
    for text in _topics()[1::2]:
        out.extend(p for p in (q.strip() for q in text.split("\n\n")) if len(p.split()) >= 8 and p not in held)
    return out
