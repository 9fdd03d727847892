"""`syllogism`: two premises over three nonsense terms, with a context line.

Training item: "This is about troff, glon and yomp. All glon are yomp. All troff are glon."
Test: prompt "This is about troff, glon and yomp. Therefore," and 6 candidate
conclusions about the two end terms S and P: all/some/no/some-not S->P and
all/some-not P->S. ("some" and "no" are symmetric, so their converses would be
second correct answers; the converse some-not and all take their place.)

Validity is decided by an exact reasoner: enumerate every Venn model of the three
terms (which of the 8 regions are non-empty; no existential import) and keep the
conclusions true in all models of the premises. Items use only forms with exactly
one valid candidate, balanced over the conclusion's quantifier (all/no/some/some-not),
with premise order and the entity order in the context line randomised.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from augft.core.records import Document
from augft.eval.datasets.checker import Checker, Claim, Target
from augft.eval.datasets.common import (Generated, balanced_positions, cap, docs_by_fact,
                                    make_question, make_rng, normalize, oracle_aug)
from augft.eval.datasets.vocab import Vocab

QUANTS = ("all", "some", "no", "somenot")
TERMS = ("S", "M", "P")
Prop = Tuple[str, str, str]  # (quantifier, subject term, predicate term)


def render(q: str, x: str, y: str) -> str:
    if q == "somenot":
        return f"some {x} are not {y}"
    return f"{q} {x} are {y}"


def _holds_in(model: int, prop: Prop, index: Dict[str, int]) -> bool:
    q, x, y = prop
    bx, by = 1 << index[x], 1 << index[y]
    regions = [r for r in range(8) if model >> r & 1]
    if q == "all":
        return not any(r & bx and not r & by for r in regions)
    if q == "some":
        return any(r & bx and r & by for r in regions)
    if q == "no":
        return not any(r & bx and r & by for r in regions)
    return any(r & bx and not r & by for r in regions)  # somenot


def entails(premises: Sequence[Prop], prop: Prop) -> Optional[bool]:
    """True if the premises entail prop, False if they contradict it, None otherwise.

    Terms are any three strings; models are all 2^8 choices of non-empty Venn regions."""
    names = sorted({t for p in list(premises) + [prop] for t in p[1:]})
    if len(names) > 3:
        return None
    index = {t: i for i, t in enumerate(names)}
    models = [m for m in range(256) if all(_holds_in(m, p, index) for p in premises)]
    vals = {_holds_in(m, prop, index) for m in models}
    if vals == {True}:
        return True
    if vals == {False}:
        return False
    return None


def candidates(io_flip: bool) -> List[Prop]:
    """The 6 candidate conclusions over S and P (I and E written P->S when io_flip)."""
    xy = ("P", "S") if io_flip else ("S", "P")
    return [("all", "S", "P"), ("some",) + xy, ("no",) + xy, ("somenot", "S", "P"),
            ("all", "P", "S"), ("somenot", "P", "S")]


@lru_cache(maxsize=1)
def valid_forms() -> Dict[str, List[Tuple[Prop, Prop]]]:
    """conclusion quantifier -> [(major premise, minor premise)] with exactly one
    valid candidate conclusion (the same one for either I/E orientation)."""
    out: Dict[str, List[Tuple[Prop, Prop]]] = {q: [] for q in QUANTS}
    for q1, q2 in itertools.product(QUANTS, repeat=2):
        for major in ((q1, "M", "P"), (q1, "P", "M")):
            for minor in ((q2, "S", "M"), (q2, "M", "S")):
                valid = [c for c in candidates(False) if entails([major, minor], c) is True]
                if len(valid) == 1 and valid[0][1] == "S":
                    out[valid[0][0]].append((major, minor))
    return out


def generate(sizes, seed: int) -> Generated:
    n = int(sizes.n_items)
    if n < 4:
        raise ValueError("benchmark.syllogism.n_items must be at least 4")
    rng = make_rng("syllogism", seed)
    vocab = Vocab(rng)
    forms = valid_forms()
    quants = [QUANTS[i % 4] for i in range(n)]
    rng.shuffle(quants)
    major_first = [i % 2 == 0 for i in range(n)]
    rng.shuffle(major_first)
    io_flips = [i % 2 == 0 for i in range(n)]
    rng.shuffle(io_flips)
    positions = balanced_positions(n, 6, rng)
    items: List[Dict[str, Any]] = []
    docs, questions, oracle = [], [], []
    for i in range(n):
        major, minor = rng.choice(forms[quants[i]])
        words = dict(zip(TERMS, vocab.words(3)))
        named = lambda p: (p[0], words[p[1]], words[p[2]])
        prem = [named(major), named(minor)] if major_first[i] else [named(minor), named(major)]
        shown = list(words.values())
        rng.shuffle(shown)
        context = f"This is about {shown[0]}, {shown[1]} and {shown[2]}."
        cands = [named(c) for c in candidates(io_flips[i])]
        answer = next(c for c in cands if entails(prem, c) is True)
        iid = f"syl-{i:03d}"
        item = {"id": iid, "terms": words, "premises": [list(p) for p in prem],
                "answer": list(answer), "context": context,
                "form": [list(major), list(minor)], "major_first": major_first[i]}
        items.append(item)
        text = " ".join([context] + [cap(render(*p)) + "." for p in prem])
        docs.append(Document(id=f"{iid}-d0", text=text, meta={"fact_ids": [iid], "quantifier": quants[i]}))
        choices = [" " + render(*c) for c in cands]
        distractors = [c for c in choices if c != " " + render(*answer)]
        rng.shuffle(distractors)
        questions.append(make_question(
            f"{iid}-syllogism", "syllogism", "syllogism", f"{context} Therefore,",
            " " + render(*answer), distractors, positions[i], [iid],
            {"quantifier": answer[0], "major_first": major_first[i]}))
    fact_docs = docs_by_fact(docs)
    for it in items:
        concl = render(*it["answer"])
        for k, text in enumerate([cap(concl) + ".", f"{it['context']} Therefore, {concl}."]):
            oracle.append(oracle_aug(f"{it['id']}-oracle-{k}", text, fact_docs[it["id"]],
                                     {"fact_ids": [it["id"]], "target": f"{it['id']}.conclusion"}))
    return Generated(name="syllogism", seed=seed, sizes={"n_items": n}, documents=docs,
                     questions=questions, oracle=oracle, truth={"items": items})


_PROP = re.compile(r"(?:^| )(all|every|each|some|no) (\w+?)s? (?:are|is) (not )?(?:a |an )?(\w+?)s?(?= |$)")


class SyllogismChecker(Checker):
    """Statements "all/some/no X are (not) Y" about the terms of one item; true when the
    item's premises entail them, false when they contradict them, else uncheckable
    (consistent with the premises but not derivable)."""

    name = "syllogism"

    def __init__(self, truth: Dict):
        super().__init__(truth)
        self.items = truth["items"]
        self.item_of: Dict[str, Dict[str, Any]] = {w: it for it in self.items for w in it["terms"].values()}
        for it in self.items:
            self._targets[f"{it['id']}.conclusion"] = Target(
                cap(render(*it["answer"])) + ".", self._canon(tuple(it["answer"])))

    @staticmethod
    def _canon(p: Prop) -> Tuple:
        q, x, y = p
        if q in ("some", "no") and y < x:  # symmetric quantifiers
            x, y = y, x
        return ("syl", q, x, y)

    def target_steps(self) -> Dict[str, int]:
        """Every conclusion combines the item's two premises."""
        return {tid: 2 for tid in self._targets}

    def sentence_claims(self, sentence: str) -> List[Claim]:
        # "not" is part of the form here ("some X are not Y"), so negation is parsed,
        # not applied generically.
        out = []
        for m in _PROP.finditer(normalize(sentence)):
            q, x, neg, y = m.groups()
            if x not in self.item_of or y not in self.item_of:
                continue
            q = {"every": "all", "each": "all"}.get(q, q)
            if neg:
                q = {"all": "no", "some": "somenot", "no": "all"}[q]
            out.append(Claim(self._canon((q, x, y))))
        return out

    def claims(self, norm: str) -> List[Claim]:  # pragma: no cover - sentence_claims overrides
        return []

    def holds(self, key: Tuple) -> Optional[bool]:
        _, q, x, y = key
        it = self.item_of.get(x)
        if it is None or self.item_of.get(y) is not it or x == y:
            return None
        return entails([tuple(p) for p in it["premises"]], (q, x, y))
