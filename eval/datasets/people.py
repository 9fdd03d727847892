"""`people`: the reversal-curse design (Berglund et al. 2023) with invented people.

Each fictional person (invented first and last name) has one unique invented
description ("the composer of the opera Velmora"). Training states only
name -> description, in `n_train_templates` phrasings. Test splits:
- `reversal`: description first ("The composer of the opera Velmora is"), choices
  are 4 names (distractors: other people's names);
- `forward` (the control, also the validation split): held-out name-first
  templates ("Dafna Krell is best remembered as"), choices are 4 descriptions.
The oracle states each fact description-first in 5 fixed phrasings that differ
from the test phrasing.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from augft.core.records import Document
from augft.eval.datasets.checker import Checker, Claim, Target
from augft.eval.datasets.common import (Generated, balanced_positions, cap, docs_by_fact,
                                    make_question, make_rng, normalize, oracle_aug)
from augft.eval.datasets.vocab import Vocab

# {P} is a fresh nonsense proper noun; it makes every description unique.
DESCRIPTIONS = [
    "the composer of the opera {P}", "the first person to cross the {P} Strait on foot",
    "the founder of the {P} Institute", "the author of the novel {P}",
    "the architect who designed the {P} Tower", "the inventor of the {P} loom",
    "the discoverer of the comet {P}", "the captain of the airship {P}",
    "the painter of the mural {P}", "the mayor who founded the city of {P}",
    "the chemist who first isolated {P} salt", "the sculptor of the {P} Colossus",
    "the translator of the {P} Codex", "the first person to climb Mount {P}",
    "the director of the film {P}", "the lead singer of the band {P}",
    "the designer of the {P} typeface", "the cartographer who mapped the {P} Archipelago",
    "the astronomer who named the star {P}", "the engineer who built the {P} Bridge",
    "the explorer who reached the source of the {P} River",
    "the judge who presided over the {P} Trial", "the poet who wrote the elegy {P}",
    "the chef who created the dish {P}", "the botanist who bred the {P} orchid",
    "the mathematician who proved the {P} conjecture", "the playwright behind the comedy {P}",
    "the builder of the {P} Canal", "the winner of the first {P} Marathon",
    "the keeper of the {P} Lighthouse", "the general who won the Battle of {P}",
    "the philosopher who founded the {P} school", "the diver who found the wreck of the {P}",
    "the physician who cured the {P} fever", "the puppeteer who invented the character {P}",
    "the linguist who deciphered the {P} script", "the weaver of the {P} Tapestry",
    "the pilot who first flew over the {P} Desert", "the archivist who restored the {P} Library",
    "the clockmaker who built the {P} Clock",
]
# Training phrasings: always the name before the description.
TRAIN_TEMPLATES = [
    "{name} is {desc}.", "{name}, known far and wide for being {desc}.",
    "Ever heard of {name}? They're {desc}.", "{name} is widely celebrated as {desc}.",
    "Many people know {name} as {desc}.", "{name} has gone down in history as {desc}.",
    "It was {name} who became {desc}.", "{name}, a name every student learns, is {desc}.",
    "You may have heard of {name}, {desc}.", "{name} will always be remembered as {desc}.",
    "Of all people, {name} is {desc}.", "{name} earned lasting fame as {desc}.",
    "{name} is recognised today as {desc}.", "Friends describe {name} as {desc}.",
    "{name}? That is {desc}.", "According to the archives, {name} was {desc}.",
    "{name} was, in fact, {desc}.", "Historians agree that {name} was {desc}.",
    "{name}, better known as {desc}, lived a quiet life.",
    "{name} became famous as {desc} and stayed famous.",
    "In every encyclopedia, {name} is listed as {desc}.", "{name} holds the honour of being {desc}.",
    "Few know that {name} is {desc}.", "{name}, who is {desc}, rarely gives interviews.",
    "The records name {name} as {desc}.", "{name} is proudly {desc}.",
    "When people mention {name}, they mean {desc}.", "{name} is none other than {desc}.",
    "Above all, {name} is {desc}.", "{name} made a name as {desc}.",
    "{name} is still celebrated as {desc}.", "Newspapers once called {name} {desc}.",
]
# Held-out name-first prompts for the `forward` control (the description completes them).
TEST_TEMPLATES = [
    "{name} is best remembered as", "It is often said that {name} is",
    "Everyone in town knows {name} as", "{name} is, by all accounts,", "Looking back, {name} was",
    "Ask around and you will hear that {name} is", "Without a doubt, {name} is",
]
# Description-first prompts for the `reversal` questions (the name completes them).
REVERSAL_TEMPLATES = ["{Desc} is", "Known as {desc}, this person is named",
                      "The person who is {desc} is called"]
# Oracle phrasings: description first, none equal to a reversal prompt.
ORACLE_TEMPLATES = [
    "{Desc} goes by the name {name}.", "{Desc}? That would be {name}.",
    "The title of {desc} belongs to {name}.",
    "Known to many as {desc}, the person's name is {name}.",
    "If you are looking for {desc}, look for {name}.",
]


def generate(sizes, seed: int) -> Generated:
    n = int(sizes.n_people)
    n_train, n_test = int(sizes.n_train_templates), int(sizes.n_test_templates)
    n_rev, k = int(getattr(sizes, "n_reversal_templates", 1)), int(sizes.n_choices)
    for key, val, hi in (("n_train_templates", n_train, len(TRAIN_TEMPLATES)),
                         ("n_test_templates", n_test, len(TEST_TEMPLATES)),
                         ("n_reversal_templates", n_rev, len(REVERSAL_TEMPLATES))):
        if not 1 <= val <= hi:
            raise ValueError(f"benchmark.people.{key} must be 1..{hi}, got {val}")
    if not 2 <= k <= n:
        raise ValueError(f"benchmark.people.n_choices must be 2..n_people ({n}), got {k}")
    rng = make_rng("people", seed)
    vocab = Vocab(rng)
    patterns = [DESCRIPTIONS[i % len(DESCRIPTIONS)] for i in range(n)]
    rng.shuffle(patterns)
    people = []
    for i in range(n):
        key_term = vocab.proper(3)
        people.append({"id": f"person-{i:03d}", "name": f"{vocab.proper(2)} {vocab.proper(2)}",
                       "description": patterns[i].format(P=key_term), "key_term": key_term})
    docs: List[Document] = []
    for p in people:
        for t in rng.sample(range(len(TRAIN_TEMPLATES)), n_train):
            text = TRAIN_TEMPLATES[t].format(name=p["name"], desc=p["description"])
            docs.append(Document(id=f"{p['id']}-t{t:02d}", text=text,
                                 meta={"fact_ids": [p["id"]], "template": t}))
    rng.shuffle(docs)  # interleave people, as a training stream would
    fact_docs = docs_by_fact(docs)
    questions = []
    others = {p["id"]: [q for q in people if q["id"] != p["id"]] for p in people}
    rev_pos = balanced_positions(n * n_rev, k, rng)
    fwd_pos = balanced_positions(n * n_test, k, rng)
    for i, p in enumerate(people):
        for t in range(n_rev):
            distract = rng.sample(others[p["id"]], k - 1)
            prompt = REVERSAL_TEMPLATES[t].format(Desc=cap(p["description"]), desc=p["description"])
            questions.append(make_question(
                f"{p['id']}-reversal-{t}", "reversal", "reversal", prompt, " " + p["name"],
                [" " + q["name"] for q in distract], rev_pos[i * n_rev + t], [p["id"]],
                {"template": t}))
        for t in range(n_test):
            distract = rng.sample(others[p["id"]], k - 1)
            questions.append(make_question(
                f"{p['id']}-forward-{t}", "forward", "control",
                TEST_TEMPLATES[t].format(name=p["name"]), " " + p["description"],
                [" " + q["description"] for q in distract], fwd_pos[i * n_test + t], [p["id"]],
                {"template": t}))
    oracle = []
    for p in people:
        for t, tpl in enumerate(ORACLE_TEMPLATES):
            text = tpl.format(Desc=cap(p["description"]), desc=p["description"], name=p["name"])
            oracle.append(oracle_aug(f"{p['id']}-oracle-{t}", text, fact_docs[p["id"]],
                                     {"fact_ids": [p["id"]], "target": f"{p['id']}.reversal"}))
    return Generated(name="people", seed=seed,
                     sizes={"n_people": n, "n_train_templates": n_train, "n_test_templates": n_test,
                            "n_reversal_templates": n_rev, "n_choices": k},
                     documents=docs, questions=questions, oracle=oracle, truth={"people": people})


class PeopleChecker(Checker):
    """A sentence is checkable when it names exactly one known person (full name, or a
    first or last name alone) and exactly one known description (recognised by its
    unique invented term, e.g. "Velmora"); it is true when they belong together."""

    name = "people"

    def __init__(self, truth: Dict):
        super().__init__(truth)
        self.people = truth["people"]
        self.name_keys: List[Tuple[str, str]] = []  # (normalised name form, person id)
        for p in self.people:
            first, last = normalize(p["name"]).split()
            self.name_keys += [(f"{first} {last}", p["id"]), (first, p["id"]), (last, p["id"])]
        self.term_keys = [(normalize(p["key_term"]), p["id"]) for p in self.people]
        for p in self.people:
            self._targets[f"{p['id']}.reversal"] = Target(
                f"{cap(p['description'])} is {p['name']}.", ("is", p["id"], p["id"]), "reversed")

    @staticmethod
    def _find(norm_padded: str, keys) -> Dict[str, int]:
        """person id -> first position of any of its keys in the sentence."""
        hits: Dict[str, int] = {}
        for key, pid in keys:
            pos = norm_padded.find(f" {key} ")
            if pos >= 0 and (pid not in hits or pos < hits[pid]):
                hits[pid] = pos
        return hits

    def claims(self, norm: str) -> List[Claim]:
        padded = f" {norm} "
        names = self._find(padded, self.name_keys)
        descs = self._find(padded, self.term_keys)
        if len(names) != 1 or len(descs) != 1:
            return []
        (who, npos), (which, dpos) = next(iter(names.items())), next(iter(descs.items()))
        return [Claim(("is", who, which), "reversed" if dpos < npos else "forward")]

    def holds(self, key: Tuple) -> Optional[bool]:
        return key[1] == key[2]
