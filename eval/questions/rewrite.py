"""Model-written questions: the prompt a model gets and the rule that accepts what it wrote.

The model rewrites a question's prompt (the start of a sentence the answer completes) in
other words, from a few-shot demonstration. Its text is accepted only when it still names what
the question is about (every `mention` span), keeps the fact's entities in their roles (the same
names and numbers in the same order, a subject still the subject and not "the film <name>", the
same ordinals and negations: "the second mill" never becomes "the first mill"), does not give the answer away, is not the original, does not finish
the sentence itself, and copies nothing from the demonstrations.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Optional

from augft.eval.questions.build import Candidate
from augft.eval.questions.spans import spans

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
# Words that change which fact a sentence states when swapped or dropped.
_QUALIFIERS = {"first", "second", "third", "fourth", "fifth", "last", "next", "previous", "former",
               "not", "never", "no", "only", "older", "younger", "eldest", "youngest"}


def render(c: Candidate) -> str:
    return TEMPLATE.format(prompt=c.prompt)


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


# Words after which a name is still what the sentence is about ("Most people know X as",
# "Historians agree that X was"), not the object of a new verb or noun ("the film X").
_SUBJECT_INTRO = {"^", "as", "know", "knows", "known", "describe", "describes", "described", "call",
                  "calls", "called", "named", "that", "remember", "remembers", "recognise", "recognize"}


def entities(text: str) -> tuple:
    """(names and numbers in order, the qualifier words): what a faithful rewrite keeps."""
    names = tuple(_norm(s.text) for s in spans(text, set()) if s.type != "np")
    return names, sorted(w for w in _norm(text).split() if w in _QUALIFIERS)


def _roles_kept(prompt: str, out: str) -> bool:
    """Each name keeps its role: a subject stays the subject (or is introduced by a naming word),
    any other name keeps the word before it ("the opera Velmora")."""
    before = [s.role for s in spans(prompt, set()) if s.type != "np"]
    after = [s.role for s in spans(out, set()) if s.type != "np"]
    return all(b == a or (b == "^" and a in _SUBJECT_INTRO) for b, a in zip(before, after))


def _word_before(norm: str, mention: str) -> str:
    head = norm[:norm.find(mention)].split()
    return head[-1] if head else "^"


def _mentions_placed(c: Candidate, out: str) -> bool:
    """What the question is about keeps its place: after the same word as in the prompt or after
    a naming word, never inside a new clause ("The comet that was discovered by <description>")."""
    prompt, norm = _norm(c.prompt), _norm(out)
    for m in map(_norm, c.mention):
        after = _word_before(norm, m)
        if after != _word_before(prompt, m) and after not in _SUBJECT_INTRO:
            return False
    return True


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
    if entities(out) != entities(c.prompt) or not _roles_kept(c.prompt, out) or not _mentions_placed(c, out):
        return "changed_entities"
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
