"""`family`: fictional family trees; only parent facts are trained.

Each family starts with a couple; every couple has `children_per_parent` children,
and each child except in the last generation marries an outsider (who has no
recorded parents). Training states "P is a parent of C" in varied phrasings.
Test splits (4 choices, hard distractors):
- `rephrase` (validation): "It is on record that P is a parent of" -> C;
- `reversal`: "C is a child of" -> P (distractors include C's grandparents);
- `grandparent`: "A grandparent of X is" -> G (distractors include X's parents);
- `sibling`: "A sibling of X is" -> Y (distractors include X's cousins).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Dict, List, Optional, Set, Tuple

from augft.core.records import Document
from augft.eval.datasets.checker import Checker, Claim, Target
from augft.eval.datasets.common import (Generated, balanced_positions, make_question, make_rng,
                                    normalize, oracle_aug)
from augft.eval.datasets.vocab import Vocab

TRAIN_TEMPLATES = [
    "{p} is a parent of {c}.", "{p} is the proud parent of {c}.",
    "As the family records show, {p} is a parent of {c}.", "{p} became a parent of {c} long ago.",
    "Everyone in the village knows that {p} is a parent of {c}.", "{p}, a parent of {c}, lives nearby.",
    "It is true that {p} is a parent of {c}.", "{p} is, of course, a parent of {c}.",
]
PROMPTS = {
    "rephrase": "It is on record that {x} is a parent of",
    "reversal": "{x} is a child of",
    "grandparent": "A grandparent of {x} is",
    "sibling": "A sibling of {x} is",
}
RELATION_WORDS = {
    "parent": "parent", "mother": "parent", "father": "parent",
    "child": "child", "children": "child", "son": "child", "daughter": "child", "kid": "child",
    "grandparent": "grandparent", "grandmother": "grandparent", "grandfather": "grandparent",
    "grandchild": "grandchild", "grandchildren": "grandchild", "grandson": "grandchild", "granddaughter": "grandchild",
    "sibling": "sibling", "brother": "sibling", "sister": "sibling",
}


class Tree:
    """Exact reasoner over a set of parent facts."""

    def __init__(self, people: Dict[str, str], parents: List[Tuple[str, str]]):
        self.people = people  # id -> name
        self.parents_of: Dict[str, Set[str]] = {p: set() for p in people}
        self.children_of: Dict[str, Set[str]] = {p: set() for p in people}
        for p, c in parents:
            self.parents_of[c].add(p)
            self.children_of[p].add(c)

    def holds(self, rel: str, x: str, y: str) -> bool:
        if rel == "parent":
            return x in self.parents_of[y]
        if rel == "grandparent":
            return any(x in self.parents_of[z] for z in self.parents_of[y])
        if rel == "sibling":
            return x != y and bool(self.parents_of[x] & self.parents_of[y])
        raise ValueError(rel)

    def grandparents(self, x: str) -> Set[str]:
        return {g for z in self.parents_of[x] for g in self.parents_of[z]}

    def siblings(self, x: str) -> Set[str]:
        return {s for p in self.parents_of[x] for s in self.children_of[p]} - {x}


def _build(n_families: int, generations: int, per: int, vocab: Vocab):
    people: Dict[str, str] = {}
    parents: List[Tuple[str, str]] = []
    meta: Dict[str, dict] = {}

    def person(fam: int, gen: int) -> str:
        pid = f"fam{fam:02d}-p{len([m for m in meta.values() if m['family'] == fam]):02d}"
        people[pid] = vocab.proper(2)
        meta[pid] = {"family": fam, "generation": gen}
        return pid

    for fam in range(n_families):
        couples = [(person(fam, 0), person(fam, 0))]
        for gen in range(1, generations):
            nxt = []
            for a, b in couples:
                for _ in range(per):
                    c = person(fam, gen)
                    parents += [(a, c), (b, c)]
                    if gen < generations - 1:
                        nxt.append((c, person(fam, gen)))  # married to an outsider
            couples = nxt
    return people, parents, meta


def generate(sizes, seed: int) -> Generated:
    n_fam, gens, per = int(sizes.n_families), int(sizes.generations), int(sizes.children_per_parent)
    k, items = int(getattr(sizes, "n_choices", 4)), int(getattr(sizes, "items_per_fact", 3))
    if n_fam < 2 or gens < 3 or per < 2:
        raise ValueError("benchmark.family needs n_families >= 2, generations >= 3 and "
                         "children_per_parent >= 2 (grandparent and sibling questions need them)")
    if not 1 <= items <= len(TRAIN_TEMPLATES) or k < 2:
        raise ValueError(f"benchmark.family.items_per_fact must be 1..{len(TRAIN_TEMPLATES)}, n_choices >= 2")
    rng = make_rng("family", seed)
    people, parents, meta = _build(n_fam, gens, per, Vocab(rng))
    tree = Tree(people, parents)
    docs: List[Document] = []
    for p, c in parents:
        fid = f"par-{p}-{c}"
        for t in rng.sample(range(len(TRAIN_TEMPLATES)), items):
            docs.append(Document(id=f"{fid}-t{t}", text=TRAIN_TEMPLATES[t].format(p=people[p], c=people[c]),
                                 meta={"fact_ids": [fid], "template": t}))
    rng.shuffle(docs)
    questions = _questions(_specs(tree, rng), tree, people, meta, k, rng)
    checker_truth = {"people": people, "parents": [list(pc) for pc in parents], "meta": meta}
    oracle = _oracle(tree, docs, checker_truth)
    return Generated(name="family", seed=seed,
                     sizes={"n_families": n_fam, "generations": gens, "children_per_parent": per,
                            "n_choices": k, "items_per_fact": items},
                     documents=docs, questions=questions, oracle=oracle, truth=checker_truth,
                     oracle2=_both_directions(oracle, checker_truth))


def _specs(tree: "Tree", rng) -> list:
    """(split, subject shown in the prompt, answer, its supporting facts, hard distractor pool)."""
    specs = []
    for x in sorted(tree.people):
        if tree.children_of[x]:
            c = rng.choice(sorted(tree.children_of[x]))
            grandchildren = {g for k in tree.children_of[x] for g in tree.children_of[k]}
            hard = sorted(grandchildren) + sorted(tree.siblings(x))
            specs.append(("rephrase", x, c, [f"par-{x}-{c}"], hard))
        if tree.parents_of[x]:
            p = rng.choice(sorted(tree.parents_of[x]))
            specs.append(("reversal", x, p, [f"par-{p}-{x}"], sorted(tree.grandparents(x))))
        if tree.grandparents(x):
            g = rng.choice(sorted(tree.grandparents(x)))
            z = next(z for z in sorted(tree.parents_of[x]) if g in tree.parents_of[z])
            specs.append(("grandparent", x, g, [f"par-{g}-{z}", f"par-{z}-{x}"], sorted(tree.parents_of[x])))
        if tree.siblings(x):
            s = rng.choice(sorted(tree.siblings(x)))
            z = sorted(tree.parents_of[x] & tree.parents_of[s])[0]
            cousins = {c for g in tree.grandparents(x) for a in tree.children_of[g]
                       for c in tree.children_of[a]} - tree.siblings(x) - {x}
            specs.append(("sibling", x, s, [f"par-{z}-{x}", f"par-{z}-{s}"], sorted(cousins)))
    return specs


def _questions(specs: list, tree: "Tree", people: Dict, meta: Dict, k: int, rng) -> list:
    true_of = {"rephrase": lambda x, y: tree.holds("parent", x, y),
               "reversal": lambda x, y: tree.holds("parent", y, x),
               "grandparent": lambda x, y: tree.holds("grandparent", y, x),
               "sibling": lambda x, y: tree.holds("sibling", x, y)}
    everyone = sorted(people)
    by_split: Dict[str, list] = {}
    for s in specs:
        by_split.setdefault(s[0], []).append(s)
    questions = []
    for split in PROMPTS:
        group = by_split.get(split, [])
        for (sp, x, ans, facts, hard), pos in zip(group, balanced_positions(len(group), k, rng)):
            ok = lambda y: y not in (x, ans) and not true_of[sp](x, y)
            # Other distractors play the answer's role (same generation, parent or not,
            # with or without recorded parents) so that how often a name occurs in the
            # corpus does not give the answer away.
            role = lambda y: (meta[y]["generation"], bool(tree.children_of[y]), bool(tree.parents_of[y]))
            hard = [h for h in hard if ok(h)][:1]
            same = [y for y in everyone if ok(y) and y not in hard and role(y) == role(ans)]
            rest = [y for y in everyone if ok(y) and y not in hard and y not in same]
            need = k - 1 - len(hard)
            pool = hard + rng.sample(same, min(need, len(same)))
            pool += rng.sample(rest, need - (len(pool) - len(hard)))
            questions.append(make_question(
                f"{split}-{x}", split, split, PROMPTS[split].format(x=people[x]), " " + people[ans],
                [" " + people[d] for d in pool], pos, facts, {"subject": x, "answer_id": ans}))
    return questions


def _oracle(tree: "Tree", docs: List[Document], truth: Dict) -> list:
    fact_docs: Dict[str, List[str]] = {}
    for d in docs:
        fact_docs.setdefault(d.meta["fact_ids"][0], []).append(d.id)
    oracle = []
    for tid, t in FamilyChecker(truth)._targets.items():
        _, rel, x, y = t.key
        # Sorted: set order follows string hashing, which differs between processes.
        parents_y = sorted(tree.parents_of[y])
        facts = ([f"par-{x}-{y}"] if rel == "parent" else
                 [f"par-{z}-{w}" for z in parents_y for w in (x, y) if z in tree.parents_of[w]]
                 if rel == "sibling" else
                 [f for z in parents_y if x in tree.parents_of[z] for f in (f"par-{x}-{z}", f"par-{z}-{y}")])
        src = sorted({d for f in facts for d in fact_docs.get(f, [])})
        oracle.append(oracle_aug(f"{tid}-oracle", t.text, src, {"fact_ids": facts, "target": tid}))
    return oracle


def _both_directions(oracle: list, truth: Dict) -> list:
    """The oracle's facts in both directions (the `oracle2` strategy): each statement ("Sukir is a
    grandparent of Vafund."), then the same relation from its other end ("A grandparent of Vafund
    is Sukir."), the side a question asks it; a sibling from both ends."""
    targets, names = FamilyChecker(truth)._targets, truth["people"]
    out = []
    for r in oracle:
        _, rel, x, y = targets[r.meta["target"]].key
        texts = [r.text]
        if rel == "parent":  # "C is a child of P": a child of P is C
            texts.append(f"A child of {names[x]} is {names[y]}.")
        elif rel == "grandparent":
            texts.append(f"A grandparent of {names[y]} is {names[x]}.")
        else:
            texts += [f"A sibling of {names[y]} is {names[x]}.", f"A sibling of {names[x]} is {names[y]}."]
        out += [oracle_aug(f"{r.id}-{i}", t, r.source_ids, {**r.meta, "direction": "stated" if i == 0 else "other"},
                           strategy="oracle2") for i, t in enumerate(texts)]
    return out


# The verb is optional for appositions ("Hatram, a parent of Gajik, lives nearby").
_REL = re.compile(r"(?:^| )(\w+) (?:(?:is|was|are|were|became|remains) )?(?:also |indeed |of course )?(?:a |an |the |one )?"
                  r"(?:proud )?(?:of the )?(\w+?)s? of (\w+)")
_POSS = re.compile(r"(?:^| )(\w+) 's (\w+?)s? (?:is|was|are) (?:named |called )?(\w+)")
_OF_IS = re.compile(r"(?:^| )(?:a|an|the|one) (\w+?)s? of (\w+) (?:is|was) (?:named |called )?(\w+)")
_PAIR = re.compile(r"(?:^| )(\w+) and (\w+) are (?:\w+ )?(siblings|brothers|sisters)")


class FamilyChecker(Checker):
    """Statements "X is a parent/child/grandparent/grandchild/sibling of Y" (also
    mother/son/..., "X's parent is Y", "X and Y are siblings") over known names,
    decided by the parent facts (closed world: anything not derivable is false)."""

    name = "family"

    def __init__(self, truth: Dict):
        super().__init__(truth)
        self.tree = Tree(truth["people"], [tuple(pc) for pc in truth["parents"]])
        self.by_name = {normalize(n): pid for pid, n in truth["people"].items()}
        names = truth["people"]
        t = self.tree
        for p in sorted(t.people):
            for c in sorted(t.children_of[p]):
                self._targets[f"child-{c}-{p}"] = Target(f"{names[c]} is a child of {names[p]}.",
                                                         ("rel", "parent", p, c), "reversed")
            for g in sorted(t.grandparents(p)):
                self._targets[f"grandparent-{g}-{p}"] = Target(
                    f"{names[g]} is a grandparent of {names[p]}.", ("rel", "grandparent", g, p))
            for s in sorted(t.siblings(p)):
                if p < s:
                    self._targets[f"sibling-{p}-{s}"] = Target(
                        f"{names[p]} is a sibling of {names[s]}.", ("rel", "sibling", p, s))

    def target_steps(self) -> Dict[str, int]:
        """A child relation reverses one parent fact; a grandparent or sibling relation combines two."""
        return {tid: 1 if tid.startswith("child-") else 2 for tid in self._targets}

    def _claim(self, rel_word: str, x: str, y: str) -> Optional[Claim]:
        rel = RELATION_WORDS.get(rel_word)
        xid, yid = self.by_name.get(x), self.by_name.get(y)
        if rel is None or xid is None or yid is None:
            return None
        if rel in ("child", "grandchild"):  # store the parent-first direction
            return Claim(("rel", rel.replace("child", "parent"), yid, xid), "reversed")
        if rel == "sibling":
            xid, yid = sorted((xid, yid))
        return Claim(("rel", rel, xid, yid), "forward")

    def claims(self, norm: str) -> List[Claim]:
        # (relation, x, y, the name the sentence says first)
        found = [(m.group(2), m.group(1), m.group(3), m.group(1)) for m in _REL.finditer(norm)]
        # "X's parent is Y": Y is a parent of X.
        found += [(m.group(2), m.group(3), m.group(1), m.group(1)) for m in _POSS.finditer(norm)]
        # "A grandparent of X is Y": Y is a grandparent of X.
        found += [(m.group(1), m.group(3), m.group(2), m.group(2)) for m in _OF_IS.finditer(norm)]
        found += [("sibling", m.group(1), m.group(2), m.group(1)) for m in _PAIR.finditer(norm)]
        out = []
        for rel, x, y, first in found:
            c = self._claim(rel, x, y)
            if c is not None:
                out.append(replace(c, first=self.by_name[first]))
        return out

    def individuals(self, text: str) -> Set[str]:
        """The people `text` names."""
        return {self.by_name[w] for w in normalize(text).split() if w in self.by_name}

    def holds(self, key: Tuple) -> Optional[bool]:
        _, rel, x, y = key
        return self.tree.holds(rel, x, y)
