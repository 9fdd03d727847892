"""`reversal`: comparison facts over nonsense entities ("femp are more dangerous than glon").

Every entity appears in exactly one fact, so a reversal follows from that one fact
alone. Half the facts say "more", half "less"; each is trained in `items_per_fact`
items with different lead-ins. Test splits:
- `reversal`: prompt "glon are", choices " less dangerous than femp" (the reversal)
  and " more dangerous than femp" (its contradiction); answer positions balanced.
- `rephrase` (validation): the trained fact after a held-out lead-in, same 2-way choice.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from augft.core.records import Document
from augft.eval.datasets.checker import Checker, Claim, Target
from augft.eval.datasets.common import (LEAD_INS, Generated, balanced_positions, docs_by_fact,
                                    make_question, make_rng, oracle_aug, with_lead_in)
from augft.eval.datasets.vocab import Vocab

DIMENSIONS = [
    "dangerous", "intelligent", "colorful", "expensive", "famous", "aggressive", "beautiful",
    "curious", "patient", "generous", "careful", "friendly", "popular", "powerful", "valuable",
    "energetic", "graceful", "playful", "stubborn", "loyal", "nervous", "elegant", "fragile",
    "ancient", "common", "social", "cautious", "hostile", "flexible", "durable", "musical",
    "poisonous", "reliable", "talkative", "ambitious", "mysterious",
]
# Held out from training: used only by the `rephrase` questions.
REPHRASE_LEAD = "As a rule,"
ORACLE_LEADS = ["In other words,", "Put differently,"]
FLIP = {"more": "less", "less": "more"}


def fact_sentence(a: str, direction: str, dim: str, b: str) -> str:
    return f"{a} are {direction} {dim} than {b}"


def generate(sizes, seed: int) -> Generated:
    n, n_dims, per = int(sizes.n_facts), int(sizes.n_dimensions), int(sizes.items_per_fact)
    if not 1 <= n_dims <= len(DIMENSIONS):
        raise ValueError(f"benchmark.reversal.n_dimensions must be 1..{len(DIMENSIONS)}")
    if n < 2 or per < 1:
        raise ValueError("benchmark.reversal needs n_facts >= 2 and items_per_fact >= 1")
    rng = make_rng("reversal", seed)
    vocab = Vocab(rng)
    dims = DIMENSIONS[:n_dims]
    directions = ["more", "less"] * (n // 2) + ["more"] * (n % 2)
    rng.shuffle(directions)
    facts = []
    for i in range(n):
        facts.append({"id": f"rev-f{i:03d}", "a": vocab.word(), "b": vocab.word(),
                      "direction": directions[i], "dimension": dims[i % n_dims]})
    docs: List[Document] = []
    for f in facts:
        leads = rng.sample(LEAD_INS, min(per, len(LEAD_INS)))
        leads += [rng.choice(LEAD_INS) for _ in range(per - len(leads))]
        sent = fact_sentence(f["a"], f["direction"], f["dimension"], f["b"])
        for j, lead in enumerate(leads):
            docs.append(Document(id=f"{f['id']}-d{j:02d}", text=with_lead_in(lead, sent),
                                 meta={"fact_ids": [f["id"]], "lead_in": lead}))
    fact_docs = docs_by_fact(docs)
    questions = []
    for split, pos in (("reversal", balanced_positions(n, 2, rng)),
                       ("rephrase", balanced_positions(n, 2, rng))):
        for f, p in zip(facts, pos):
            a, b, d, dim = f["a"], f["b"], f["direction"], f["dimension"]
            if split == "reversal":
                prompt, right, wrong = f"{b} are", f" {FLIP[d]} {dim} than {a}", f" {d} {dim} than {a}"
            else:
                prompt, right, wrong = f"{REPHRASE_LEAD} {a} are", f" {d} {dim} than {b}", f" {FLIP[d]} {dim} than {b}"
            questions.append(make_question(
                f"{f['id']}-{split}", split, split, prompt, right, [wrong], p, [f["id"]],
                {"direction": d if split == "rephrase" else FLIP[d], "dimension": dim}))
    oracle = []
    for f in facts:
        rev = fact_sentence(f["b"], FLIP[f["direction"]], f["dimension"], f["a"])
        texts = [rev + "."] + [with_lead_in(lead, rev) for lead in ORACLE_LEADS]
        for k, text in enumerate(texts):
            oracle.append(oracle_aug(f"{f['id']}-oracle-{k}", text, fact_docs[f["id"]],
                                     {"fact_ids": [f["id"]], "target": f"{f['id']}.reversal"}))
    return Generated(name="reversal", seed=seed,
                     sizes={"n_facts": n, "n_dimensions": n_dims, "items_per_fact": per},
                     documents=docs, questions=questions, oracle=oracle, truth={"facts": facts})


_CMP = re.compile(r"(?:^| )(\w+) (?:are|is|were|was) (?:not |also |generally |always |usually )?"
                  r"(more|less) (\w+) than (?:the |a )?(\w+)")
_CMP_COMPARED = re.compile(r"compared (?:with|to) (?:the )?(\w+) (\w+) (?:are|is|were|was) "
                           r"(?:not |also )?(more|less) (\w+)")


class ReversalChecker(Checker):
    name = "reversal"

    def __init__(self, truth: Dict):
        super().__init__(truth)
        self.facts = truth["facts"]
        self.by_pair: Dict[frozenset, Dict] = {frozenset((f["a"], f["b"])): f for f in self.facts}
        self.entities = {w for f in self.facts for w in (f["a"], f["b"])}
        for f in self.facts:
            b, a, d, dim = f["b"], f["a"], FLIP[f["direction"]], f["dimension"]
            self._targets[f"{f['id']}.reversal"] = Target(
                fact_sentence(b, d, dim, a) + ".", self._canon(b, d, dim, a), "reversed")

    def _entity(self, w: str) -> Optional[str]:
        if w in self.entities:
            return w
        if w.endswith("s") and w[:-1] in self.entities:  # tolerate "femps"
            return w[:-1]
        return None

    @staticmethod
    def _canon(x: str, d: str, dim: str, y: str) -> Tuple:
        # "x more than y" == "y less than x": store with the smaller name first.
        return ("cmp", x, d, dim, y) if x < y else ("cmp", y, FLIP[d], dim, x)

    def claims(self, norm: str) -> List[Claim]:
        found = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _CMP.finditer(norm)]
        found += [(m.group(2), m.group(3), m.group(4), m.group(1))
                  for m in _CMP_COMPARED.finditer(norm)]
        out = []
        for x, d, dim, y in found:
            x, y = self._entity(x), self._entity(y)
            if not x or not y or x == y:
                continue
            f = self.by_pair.get(frozenset((x, y)))
            order = "" if f is None else ("forward" if x == f["a"] else "reversed")
            out.append(Claim(self._canon(x, d, dim, y), order))
        return out

    def holds(self, key: Tuple) -> Optional[bool]:
        _, x, d, dim, y = key
        f = self.by_pair.get(frozenset((x, y)))
        if f is None or f["dimension"] != dim:
            return None  # nothing is known about this pair on this dimension
        return key == self._canon(f["a"], f["direction"], f["dimension"], f["b"])
