"""The `semantic` benchmark's world: a category hierarchy with properties and
relations, its exact reasoner, its sentence renderer and its checker.

Facts: isa(child, parent); prop(category, property) with property kinds
`adj` ("are blick"), `has` ("have dreks"), `can` ("can florp"); rel(category,
verb, target) ("yomps glorb trabs"). Properties and relations are inherited by
every descendant; isa is transitive. The world is closed: a statement about
known categories that does not follow is false.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from augft.eval.datasets.checker import Checker, Claim, Target
from augft.eval.datasets.common import cap


class World:
    def __init__(self, truth: Dict):
        self.parent: Dict[str, Optional[str]] = dict(truth["parent"])
        self.props: Dict[str, List[List[str]]] = truth["props"]  # cat -> [[kind, word]]
        self.rels: Dict[str, List[List[str]]] = truth["rels"]  # cat -> [[verb, target]]
        self.verbs: List[str] = truth["verbs"]
        self.holdout: List[str] = truth["holdout"]
        self.prop_kind = {w: k for ps in self.props.values() for k, w in ps}
        self.children: Dict[str, List[str]] = {c: [] for c in self.parent}
        for c, p in self.parent.items():
            if p is not None:
                self.children[p].append(c)

    def ancestors(self, c: str) -> List[str]:
        out, p = [], self.parent[c]
        while p is not None:
            out.append(p)
            p = self.parent[p]
        return out

    def lineage(self, c: str) -> List[str]:
        return [c] + self.ancestors(c)

    def descendants(self, c: str) -> Set[str]:
        out, todo = set(), list(self.children[c])
        while todo:
            x = todo.pop()
            out.add(x)
            todo += self.children[x]
        return out

    def all_props(self, c: str) -> Dict[str, str]:
        """property word -> the category it is inherited from (c itself included)."""
        return {w: a for a in reversed(self.lineage(c)) for _, w in self.props.get(a, [])}

    def all_rels(self, c: str) -> Dict[Tuple[str, str], str]:
        return {(v, t): a for a in reversed(self.lineage(c)) for v, t in self.rels.get(a, [])}

    def holds(self, key: Tuple) -> bool:
        if key[0] == "isa":
            return key[2] in self.ancestors(key[1])
        if key[0] == "prop":
            return key[2] in self.all_props(key[1])
        if key[0] == "rel":
            return (key[2], key[3]) in self.all_rels(key[1])
        raise ValueError(key)


# -- rendering --------------------------------------------------------------
def plural(w: str) -> str:
    return w + "s"


def prop_phrase(kind: str, word: str, singular: bool) -> str:
    if kind == "adj":
        return f"{'is' if singular else 'are'} {word}"
    if kind == "has":
        return f"{'has' if singular else 'have'} {plural(word)}"
    return f"can {word}"


def isa_sentence(c: str, p: str, style: int) -> str:
    forms = [f"The {c} is a kind of {p}.", f"{cap(plural(c))} are a type of {p}.",
             f"A {c} is a {p}.", f"Every {c} is a sort of {p}."]
    return forms[style % len(forms)]


def prop_sentence(c: str, kind: str, word: str, style: int) -> str:
    forms = [f"The {c} {prop_phrase(kind, word, True)}.", f"{cap(plural(c))} {prop_phrase(kind, word, False)}.",
             f"A {c} {prop_phrase(kind, word, True)}.", f"All {plural(c)} {prop_phrase(kind, word, False)}."]
    return forms[style % len(forms)]


def rel_sentence(c: str, verb: str, target: str, style: int) -> str:
    forms = [f"The {c} {verb}s {plural(target)}.", f"{cap(plural(c))} {verb} {plural(target)}.",
             f"A {c} {verb}s {plural(target)}.", f"All {plural(c)} {verb} {plural(target)}."]
    return forms[style % len(forms)]


# -- checker ----------------------------------------------------------------
_ISA_WORDS = {"kind", "type", "sort", "form", "kinds", "types", "sorts", "forms"}


class SemanticChecker(Checker):
    """Reads a sentence as typed tokens (category, property word, relation verb) and
    recognises: isa ("X is a kind of Y", "every X is a Y", "one kind of Y is the X"),
    properties ("Xs are blick", "the X has dreks", "Xs can florp") and relations
    ("Xs glorb Ys", "Ys are glorbed by Xs")."""

    name = "semantic"

    def __init__(self, truth: Dict):
        super().__init__(truth)
        self.world = World(truth)
        self.cats = set(self.world.parent)
        for tid, t in truth.get("targets", {}).items():
            self._targets[tid] = Target(t["text"], tuple(t["key"]), t.get("order", ""))

    def _token(self, w: str):
        for base in (w, w[:-1] if w.endswith("s") else None, w[:-2] if w.endswith("ed") else None):
            if not base:
                continue
            if base in self.cats:
                return ("cat", base)
            if base in self.world.prop_kind:
                return ("prop", base)
            if base in self.world.verbs:
                return ("verb", base, w.endswith("ed"))
        return None

    def claims(self, norm: str) -> List[Claim]:
        words = norm.split()
        typed = [(i, self._token(w)) for i, w in enumerate(words)]
        typed = [(i, t) for i, t in typed if t]
        cats = [(i, t[1]) for i, t in typed if t[0] == "cat"]
        props = [t[1] for _, t in typed if t[0] == "prop"]
        verbs = [(i, t) for i, t in typed if t[0] == "verb"]
        if len(cats) == 1 and len(props) == 1 and not verbs:
            return [Claim(("prop", cats[0][1], props[0]))]
        if len(cats) != 2 or props:
            return []
        (i1, c1), (i2, c2) = cats
        if c1 == c2:
            return []
        if verbs:
            _, (_, verb, passive) = verbs[0]
            by = "by" in words[verbs[0][0]:]
            if passive and by:  # "Ys are glorbed by Xs"
                return [Claim(("rel", c2, verb, c1), "reversed")]
            return [Claim(("rel", c1, verb, c2), "forward")]
        between = set(words[i1 + 1:i2])
        if between & _ISA_WORDS and "of" in between:  # "X is a kind of Y"
            return [Claim(("isa", c1, c2), "forward")]
        if "of" in words[:i1] and set(words[:i1]) & _ISA_WORDS:  # "one kind of Y is the X"
            return [Claim(("isa", c2, c1), "reversed")]
        if "include" in between or "includes" in between:  # "Ys include Xs"
            return [Claim(("isa", c2, c1), "reversed")]
        if between & {"is", "are"}:  # "every X is a Y", "Xs are Ys"
            return [Claim(("isa", c1, c2), "forward")]
        return []

    def target_steps(self) -> Dict[str, int]:
        """The facts each target's derivation uses: the isa chain up to its source, plus the
        property or relation there (a reversal: its one fact)."""
        return {tid: len(t.get("fact_ids", ())) or 1 for tid, t in self.truth.get("targets", {}).items()}

    def holds(self, key: Tuple) -> Optional[bool]:
        if key[1] not in self.cats:
            return None
        return self.world.holds(key)
