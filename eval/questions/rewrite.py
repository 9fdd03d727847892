"""Model-written questions: the prompt a model gets and the rule that accepts what it wrote.

The model rewrites a question's prompt (the start of a sentence the answer completes) in
other words, from a few-shot demonstration. Its text is accepted only when it still names what
the question is about (every `mention` span), does not give the answer away, is not the
original, does not finish the sentence itself, and copies nothing from the demonstrations.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Optional

from augft.eval.questions.build import Candidate

TEMPLATE = (
    "Rewrite the start of each sentence in other words. Keep every name exactly as written.\n\n"
    "Original: The author of the novel Quenmar is\n"
    "Rewritten: The person who wrote the novel Quenmar is\n\n"
    "Original: Harlo Bisk is remembered as\n"
    "Rewritten: Most people know Harlo Bisk as\n\n"
    "Original: {prompt}\n"
    "Rewritten:")
PROMPT_HASH = hashlib.sha256(TEMPLATE.encode()).hexdigest()[:12]
DEMO_WORDS = {"quenmar", "harlo", "bisk"}
STOP = ["\n"]


def render(c: Candidate) -> str:
    return TEMPLATE.format(prompt=c.prompt)


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def accept(c: Candidate, text: str) -> Optional[str]:
    """None when `text` is a usable rewrite of `c.prompt`, else the reason it is not."""
    out = text.strip().split("\n")[0].strip().rstrip(",:;")
    norm = _norm(out)
    if not norm:
        return "empty"
    if out.endswith((".", "!", "?")):
        return "complete_sentence"
    if any(w in norm.split() and w not in _norm(c.prompt).split() for w in DEMO_WORDS):
        return "demo_leak"
    if not all(_norm(m) in norm for m in c.mention):
        return "lost_subject"
    if _norm(c.answer) in norm:
        return "gives_answer"
    if norm == _norm(c.prompt):
        return "unchanged"
    if not 2 <= len(norm.split()) <= 48:
        return "length"
    return None


def rewritten(c: Candidate, text: str, model: str) -> Candidate:
    """The accepted rewrite as a new candidate (kind `<kind>_rephrased`, provenance in meta)."""
    out = text.strip().split("\n")[0].strip().rstrip(",:;")
    return replace(c, kind=f"{c.kind}_rephrased", prompt=out,
                   meta={**c.meta, "writer": model, "prompt_hash": PROMPT_HASH, "rewrites": c.id})
