"""Parsing generations into statements and filtering them with counted reasons.

Accounting rule: every generation ends as exactly one of
- failed (the engine returned an error for it), or
- filtered `empty` (nothing parseable), or
- one count per parsed statement: ok or filtered with a reason.
So for every strategy ok + sum(filtered) + failed == inputs, nothing silent.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from augft.augment.prompts import DEMO_WORDS, STOP

# Bumped whenever a filter changes what is kept: part of the study's augment stage key and of
# the resume fingerprint, so cached augmentations are never reused under different filters.
# 5: entities read by augment.entities (consistency, compose's keys and filters, linked context).
VERSION = 5
_BULLET = re.compile(r"^\s*(?:[-*\u2022]+|\d+[.)]|\(\d+\))\s*")
_LABEL = re.compile(r"^(statements|inferences|entities|rewritten|rewrites|fact|answer|questions and answers)\s*:\s*$",
                    re.I)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NEGATION = re.compile(r"\b(?:not|never|no|nor|none|nobody|cannot)\b|n't\b", re.I)
_AFFIRMING = re.compile(r"\bnone other than\b", re.I)  # negation words that affirm


def negates(text: str) -> bool:
    """Whether `text` denies something (not, never, no, n't, ...; "none other than" affirms)."""
    return bool(_NEGATION.search(_AFFIRMING.sub(" ", text)))


# Words too common to show that a statement is about its source.
_COMMON = set("""that this with from have were they their there which what about more less than
known also into been only most some other because these those them then when where while
would could should every many much such very just like your fact facts true information
document documents text story""".split())


def content_words(words) -> set:
    """The words (normalised, as `normalize` gives them) that can show what a statement is about:
    four letters or more and not among the commonest."""
    return {w for w in words if len(w) >= 4 and w not in _COMMON}


def truncate_at_stop(text: str, stops: Sequence[str] = STOP) -> str:
    cut = len(text)
    for s in stops:
        i = text.find(s)
        if i != -1:
            cut = min(cut, i)
    return text[:cut]


def parse_statements(text: str, sentences: bool = True) -> List[str]:
    """Split a generation into statements: list items or lines, then (unless `sentences` is off,
    as for question-answer pairs, which stay whole) sentences."""
    text = truncate_at_stop(text)
    out: List[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line or _LABEL.match(line):
            continue
        for sent in (_SENT.split(line) if sentences else [line]):
            sent = sent.strip().strip('"').strip()
            if sent:
                out.append(sent)
    return out


def normalize(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def _is_non_text(s: str) -> bool:
    if any(unicodedata.category(c) in ("Cc", "Co", "Cs") or c == "\ufffd" for c in s):
        return True
    letters = sum(c.isalpha() for c in s)
    return letters < 0.6 * len(s.replace(" ", "")) if s.strip() else True


@functools.lru_cache(maxsize=None)
def _lsh_params(threshold: float, num_perm: int):
    """The (bands, rows) datasketch would pick for this threshold, found once: it integrates
    numerically for every new index otherwise (7 ms each, one index per source document)."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


class HeldOut:
    """Statements a held-out test set asks about (heldout.jsonl): a statement containing one,
    word for word (normalised), is dropped as `heldout_copy`, so augmentation cannot put the
    test's own sentences into the training data."""

    def __init__(self, texts: Sequence[str], min_words: int = 3):
        norms = (normalize(t) for t in texts)
        self._padded = tuple(sorted({f" {n} " for n in norms if len(n.split()) >= min_words}))

    def __len__(self) -> int:
        return len(self._padded)

    def hit(self, norm: str) -> bool:
        padded = f" {norm} "
        return any(h in padded for h in self._padded)


@functools.lru_cache(maxsize=4)
def held_out(texts: Tuple[str, ...], min_words: int) -> HeldOut:
    """One HeldOut per worker process and test set (a filter is made per unit)."""
    return HeldOut(texts, min_words)


@dataclass
class FilterConfig:
    min_words: int = 3
    max_chars: int = 400
    near_duplicate_threshold: float = 0.8
    require_source_overlap: bool = True
    global_consistency: bool = True
    num_perm: int = 64
    heldout: Tuple[str, ...] = ()
    """Held-out test statements (heldout.jsonl beside the corpus) that may not be copied."""


@dataclass
class FilterState:
    """Per-source state; a source's statements are all filtered in one unit."""
    src: str = ""
    """The normalised source text (a global window can be thousands of tokens: once per source)."""
    src_words: set = field(default_factory=set)
    src_negates: bool = False
    """Whether the source denies anything itself (else a denial is the model's invention)."""
    exact: set = field(default_factory=set)
    lsh: Any = None
    n: int = 0


class StatementFilter:
    def __init__(self, cfg: FilterConfig):
        self.cfg = cfg
        self._states: Dict[str, FilterState] = {}
        # A global window is every focal document's source: normalise it once, not per document.
        self._sources: Dict[str, tuple] = {}
        self._heldout = held_out(cfg.heldout, cfg.min_words)

    def _minhash(self, norm: str):
        from datasketch import MinHash

        words = norm.split()
        grams = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
        m = MinHash(num_perm=self.cfg.num_perm, seed=1)
        for g in grams:
            m.update(g.encode("utf-8"))
        return m

    def check(self, statement: str, source_key: str, source_text: str,
              relation: Optional[Callable[[str], Optional[str]]] = None) -> Optional[str]:
        """None when kept, else the reason it is dropped. `relation` (global and compose
        statements) gives the reason a statement's entities do not fit what its prompt showed,
        None when they do: a global window's links (`inconsistent`, augment.consistency), a
        compose pair's two sentences (augment.compose.keys.composition_check)."""
        s = statement.strip()
        if not s:
            return "empty"
        if _is_non_text(s):
            return "non_text"
        if len(s) > self.cfg.max_chars:
            return "too_long"
        norm = normalize(s)
        if len(norm.split()) < self.cfg.min_words:
            return "too_short"
        st = self._states.get(source_key)
        if st is None:
            if source_text not in self._sources:
                src = normalize(source_text)  # shared, never mutated
                self._sources[source_text] = (src, set(src.split()), negates(source_text))
            src, words, src_neg = self._sources[source_text]
            st = self._states[source_key] = FilterState(src=src, src_words=words, src_negates=src_neg)
        if norm in st.src:
            return "verbatim_copy"
        if self._heldout.hit(norm):
            return "heldout_copy"
        words, src_words = set(norm.split()), st.src_words
        # Small models copy the few-shot demonstrations into their answers.
        if any(w in words and w not in src_words for w in DEMO_WORDS):
            return "demo_leak"
        if self.cfg.require_source_overlap and not content_words(words) & src_words:
            return "unrelated"
        # Small models "infer" denials ("X is not the painter of Y") from purely affirmative
        # sources; such a statement contradicts or invents, it never follows.
        if not st.src_negates and negates(s):
            return "negation"
        why = relation(s) if relation is not None else None
        if why:
            return why
        if norm in st.exact:
            return "duplicate"
        mh = self._minhash(norm)
        if st.lsh is None:
            from datasketch import MinHashLSH

            st.lsh = MinHashLSH(threshold=self.cfg.near_duplicate_threshold, num_perm=self.cfg.num_perm,
                                params=_lsh_params(self.cfg.near_duplicate_threshold, self.cfg.num_perm))
        if st.lsh.query(mh):
            return "near_duplicate"
        st.exact.add(norm)
        st.lsh.insert(f"s{st.n}", mh)
        st.n += 1
        return None
