"""What composition pairs on: a sentence's entity keys and terms, the sentences pairs are made
of (with their derivation), and the check that a statement joins the two sentences of its pair.

Keys are the parts of a sentence's entity mentions (augment.entities, with inflections read
narrowly: names, code identifiers, invented words), as the global consistency filter links
documents by them, folded so that the
forms one word takes meet: lower case, a plural -s and a past -ed dropped ("Drarns", "drarn";
"glorbed", "glorb"). Terms are the keys plus the content words (so a sentence whose predicate is
English still differs from its partner). A sentence's fact id is its sorted keys: phrasings of
one fact ("Zitrik is a parent of Muti.", "Zitrik, a parent of Muti, lives nearby.") share it, and
a pair is made from one of them only.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from augft.augment.entities import link_keys, mentions
from augft.augment.filters import content_words, normalize
from augft.core.records import Document
from augft.core.text import split_sentences


def fold(word: str) -> str:
    """One key for the forms of a word: plural -s and past -ed dropped (never -ss)."""
    w = word.lower()
    if len(w) >= 6 and w.endswith("ed"):
        return w[:-2]
    if len(w) >= 4 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def sentence_keys(text: str) -> Tuple[str, ...]:
    """The folded entity keys of `text`, in the order they first occur (the subject usually first)."""
    out: List[str] = []
    for k in link_keys(text, strict=True):
        f = fold(k)
        if f not in out:
            out.append(f)
    return tuple(out)


def sentence_terms(text: str) -> Set[str]:
    """Keys and content words, folded: what a sentence says something about."""
    return set(sentence_keys(text)) | {fold(w) for w in content_words(normalize(text).split())}


def surface(key: str, text: str) -> str:
    """How `text` writes the entity `key` ("Drarns" for drarn), for a prompt to name it: the
    word of the mention it is a part of ("Krell" for krell in "Dafna Krell"), or the whole
    mention when the key is all of it ("Acme Corp")."""
    for m in mentions(text, strict=True):
        if fold(m.key) == key:
            return m.text
        for w in re.findall(r"[\w.:'-]+", m.text):
            if fold(w.split("'")[0]) == key:
                return w.split("'")[0]
    return key


def fact_id(keys: Sequence[str]) -> str:
    return "|".join(sorted(set(keys)))


@dataclass(frozen=True)
class Sentence:
    """A sentence a pair can be made of: from the corpus (round 0) or kept in a round."""
    sid: str
    """A corpus sentence: `<document id>#<index>`; a kept statement: its record id."""
    text: str
    keys: Tuple[str, ...]
    facts: Tuple[str, ...]
    """Fact ids of the corpus sentences it derives from (its own, for a corpus sentence)."""
    docs: Tuple[str, ...]
    """The source documents of its derivation, in chain order."""
    round: int = 0
    ntok: int = 0
    """Its length in the generating model's tokens (0: not counted)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Sentence":
        fields: Dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}
        return cls(**fields)


def corpus_sentences(doc: Document, count: Optional[Callable[[List[str]], List[int]]] = None) -> List[Sentence]:
    """The sentences of a document that name an entity (the others cannot be paired)."""
    parts = [(j, s, sentence_keys(s)) for j, s in enumerate(split_sentences(doc.text))]
    parts = [(j, s, k) for j, s, k in parts if k]
    ntoks = count([s for _, s, _ in parts]) if count and parts else [0] * len(parts)
    return [Sentence(f"{doc.id}#{j}", s, k, (fact_id(k),), (doc.id,), 0, int(n))
            for (j, s, k), n in zip(parts, ntoks)]


def statement_sentence(rec: Dict, ntok: int = 0) -> Optional[Sentence]:
    """A kept compose record (as a row of its shard) as a sentence of the next round."""
    meta = rec["meta"] if isinstance(rec["meta"], dict) else json.loads(rec["meta"] or "{}")
    comp = meta.get("compose", {})
    keys = sentence_keys(rec["text"])
    if not keys:
        return None
    return Sentence(rec["id"], rec["text"], keys, tuple(comp.get("facts", ())), tuple(rec["source_ids"]),
                    int(comp.get("round", 0)), ntok)


def composition_check(first: str, second: str) -> Callable[[str], Optional[str]]:
    """The reason a statement does not compose `first` and `second`, None when it does.

    `invented`: it names an entity neither sentence names (a misspelt or made-up name).
    `not_composed`: it does not join the two: it must name something only the first names and
    something only the second names (their own entities when each has one, else their terms), so a
    restatement of either sentence, or a claim about the shared entity alone, is dropped.
    """
    ka, kb = set(sentence_keys(first)), set(sentence_keys(second))
    ta, tb = sentence_terms(first), sentence_terms(second)
    only_a = (ka - kb) or (ta - tb)
    only_b = (kb - ka) or (tb - ta)

    def check(statement: str) -> Optional[str]:
        keys = set(sentence_keys(statement))
        if keys - ka - kb:
            return "invented"
        terms = sentence_terms(statement)
        if not terms & only_a or not terms & only_b:
            return "not_composed"
        return None
    return check
