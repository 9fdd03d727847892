"""Splitting sections into documents of at most N tokens, on paragraph then sentence boundaries.

Tokens are counted without a model (words and punctuation marks), so ingest needs no
tokenizer and its output does not depend on which model trains on it; a subword tokenizer
typically gives 1-1.5x that count for English prose.
"""
from __future__ import annotations

import re
from typing import Iterator, List

from augft.core.text import _TOKEN, count_tokens  # noqa: F401  (ingest's count is core's)

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before a space.
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


def sentences(paragraph: str) -> List[str]:
    return [s for s in (p.strip() for p in _SENT_END.split(paragraph)) if s]


def _words(sentence: str, max_tokens: int) -> Iterator[str]:
    """The sentence's words; a word denser than the limit ("a,b,c,...") cut between tokens."""
    for word in sentence.split():
        spans = [m.span() for m in _TOKEN.finditer(word)]
        if len(spans) <= max_tokens:
            yield word
            continue
        for i in range(0, len(spans), max_tokens):
            end = spans[min(i + max_tokens, len(spans)) - 1][1]
            yield word[spans[i][0]:end if i + max_tokens < len(spans) else len(word)]


def _split_words(sentence: str, max_tokens: int) -> Iterator[str]:
    """A sentence longer than the limit, cut between words."""
    piece: List[str] = []
    n = 0
    for word in _words(sentence, max_tokens):
        k = count_tokens(word)
        if piece and n + k > max_tokens:
            yield " ".join(piece)
            piece, n = [], 0
        piece.append(word)
        n += k
    if piece:
        yield " ".join(piece)


def _units(paragraph: str, max_tokens: int) -> Iterator[str]:
    """The paragraph whole if it fits, else its sentences (each cut between words if needed)."""
    if count_tokens(paragraph) <= max_tokens:
        yield paragraph
        return
    for sent in sentences(paragraph):
        if count_tokens(sent) <= max_tokens:
            yield sent
        else:
            yield from _split_words(sent, max_tokens)


def chunk_paragraphs(paragraphs: List[str], max_tokens: int) -> List[str]:
    """Greedy packing: paragraphs (or their sentences) joined while the total stays <= max_tokens.

    Pieces of one paragraph are joined by a space, different paragraphs by a blank line.
    """
    chunks: List[str] = []
    cur, n = "", 0
    for para in paragraphs:
        first = True
        for unit in _units(para, max_tokens):
            k = count_tokens(unit)
            sep = " " if not first else "\n\n"
            if cur and n + k <= max_tokens:
                cur, n = cur + sep + unit, n + k
            else:
                if cur:
                    chunks.append(cur)
                cur, n = unit, k
            first = False
    if cur:
        chunks.append(cur)
    return chunks
