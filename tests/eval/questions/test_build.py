"""Model-free question building: facts, cloze, reversal, inference, distractors, keep rule."""
import dataclasses
import random
from collections import Counter

import pytest

from augft.core.config import load_config
from augft.core.records import Document, Question, from_dict, to_dict
from augft.eval.datasets import people
from augft.eval.questions import rewrite
from augft.eval.questions.build import mechanical
from augft.eval.questions.keep import Verdict, heldout, select, to_questions
from augft.eval.questions.spans import corpus_lowercase_words, facts

TOWNS = [("Dafna Krell", "the composer of the opera Velmora", "Orsk"),
         ("Omri Task", "the founder of the Tarsk Institute", "Pelvo"),
         ("Ilse Varn", "the mayor of the city of Brav", "Kumo"),
         ("Tomas Preel", "the winner of the Zed Marathon", "Zuvo")]


def town_corpus():
    docs = []
    for i, (name, desc, town) in enumerate(TOWNS):
        docs.append(Document(f"who-{i}", f"Many people know {name} as {desc}."))
        docs.append(Document(f"where-{i}", f"{name} lives in {town}."))
    return docs


def test_facts_find_subject_and_object():
    docs = town_corpus()
    low = corpus_lowercase_words(docs)
    (f,) = facts(docs[0], low)
    assert (f.subject.text, f.object.text, f.object.type, f.reversible) == (
        "Dafna Krell", "the composer of the opera Velmora", "np", True)
    (g,) = facts(docs[1], low)
    assert (g.subject.text, g.object.text, g.object.type, g.reversible) == ("Dafna Krell", "Orsk", "name1", False)


def test_three_splits_with_same_type_distractors():
    docs = town_corpus()
    c = mechanical(docs, 4, seed=0)
    cloze = [x for x in c["forward"] if x.kind == "cloze" and x.source_ids == ["where-0"]][0]
    assert (cloze.prompt, cloze.answer) == ("Dafna Krell lives in", "Orsk")
    assert sorted(cloze.distractors) == ["Kumo", "Pelvo", "Zuvo"]  # towns, from other documents
    rev = [x for x in c["reversal"] if x.source_ids == ["who-1"]]
    assert {x.prompt for x in rev} >= {"The founder of the Tarsk Institute is"}
    assert all(x.answer == "Omri Task" and "Omri Task" not in x.distractors
               and set(x.distractors) <= {t[0] for t in TOWNS} for x in rev)
    # A bridge: who-i says who the person is, where-i where they live; neither says both.
    inf = {x.prompt: x for x in c["inference"]}
    b = inf["The composer of the opera Velmora lives in"]
    assert (b.kind, b.answer, b.source_ids) == ("bridge", "Orsk", ["who-0", "where-0"])
    assert "Orsk" not in b.distractors and len(b.distractors) == 3
    assert b.statements == ["Many people know Dafna Krell as the composer of the opera Velmora.",
                            "Dafna Krell lives in Orsk."]


def test_people_corpus_gets_all_splits_and_no_true_distractor():
    cfg = load_config(None, ["benchmark.people.n_people=10", "benchmark.people.n_train_templates=8"])
    g = people.generate(cfg.benchmark.people, seed=0)
    truth = {p["name"]: p["description"] for p in g.truth["people"]}
    c = mechanical(g.documents, 4, seed=0)
    assert all(c[s] for s in ("forward", "reversal", "inference"))
    assert {x.kind for x in c["inference"]} == {"pair"}  # no bridge: each person has one fact
    for x in c["reversal"]:
        if x.meta["template"] == 0:
            assert x.prompt == truth[x.answer][0].upper() + truth[x.answer][1:] + " is"
        assert all(truth.get(d) != truth[x.answer] for d in x.distractors)
    for x in c["forward"]:
        assert x.answer not in x.distractors and len(set(x.distractors)) == 3
    # The pair question's answer names both people in order; its distractors do not.
    p = c["inference"][0]
    assert p.answer not in p.distractors and p.distractors[0] == " and ".join(reversed(p.answer.split(" and ")))


def test_rewrite_accept_rule():
    c = mechanical(town_corpus(), 4, seed=0)["reversal"][0]
    assert c.prompt == "The composer of the opera Velmora is"
    ok = " The person who wrote the opera Velmora is"
    assert rewrite.accept(c, "The composer of the opera Velmora is known as\nmore") is None
    # "The one behind <the composer>" is someone else: what the question is about left its place.
    assert rewrite.accept(c, "The one behind the composer of the opera Velmora is called") == "changed_entities"
    assert rewrite.accept(c, ok) == "lost_subject"  # "the composer of the opera Velmora" is gone
    assert rewrite.accept(c, "The composer of the opera Velmora is Dafna Krell") == "gives_answer"
    assert rewrite.accept(c, "The composer of the opera Velmora is.") == "complete_sentence"
    assert rewrite.accept(c, "the composer of the opera Velmora  is") == "unchanged"
    assert rewrite.accept(c, "Harlo Bisk says the composer of the opera Velmora is") == "demo_leak"
    assert rewrite.accept(c, "") == "empty"
    r = rewrite.rewritten(c, "The composer of the opera Velmora is known as", "m")
    assert r.kind == "reversal_rephrased" and r.meta["writer"] == "m" and r.id != c.id
    assert "{prompt}" in rewrite.TEMPLATE and c.prompt in rewrite.render(c)


def test_keep_rule_selection_and_records():
    assert Verdict(True, False).keep and Verdict(True, False).reason == "kept"
    assert Verdict(True, True).reason == "base_correct" and Verdict(False, False).reason == "icl_wrong"
    cands = mechanical(town_corpus(), 4, seed=0)
    chosen = select(cands["forward"], 5, seed=1)
    assert len(chosen) == 5 and chosen == select(cands["forward"], 5, seed=1)
    qs = to_questions(chosen + cands["reversal"], seed=0)
    for q, c in zip(qs, chosen + cands["reversal"]):
        assert from_dict(Question, to_dict(q), "t") == q  # valid per the documented format
        assert q.choices[q.answer] == " " + c.answer and q.id == c.id
    assert max(Counter(q.answer for q in qs).values()) - min(Counter(q.answer for q in qs).values()) <= 1
    held = heldout(qs[:1], {c.id: c for c in chosen})
    assert held[0].text == qs[0].prompt + qs[0].choices[qs[0].answer] and held[0].meta["role"] == "question"
    assert [h.text for h in held[1:]] == chosen[0].statements


MIXED = ["Petra Lund is the sister of Jon Lund.", "Jon Lund is the brother of Petra Lund.",
         "Nils Ek is the brother of Sara Ek.", "Uma Pell is the sister of Kai Pell.",
         "Ada Vesk moved to Orsk.", "Ida Brom moved to Kalm.", "Tor Vesk moved to Plesk.", "Lia Dorn moved to Vamsk.",
         "Eva Lind moved to Tarsk.", "Dafna Krell wrote the opera Velmora.",
         "Mira Holt wrote the opera Sundra.", "Olf Brandt wrote the opera Tarvik."]


def test_distractors_never_contain_the_subject_or_answer_and_keep_the_answers_role():
    from augft.core.records import Document
    from augft.eval.questions.build import mechanical

    docs = [Document(f"d{i}", t) for i, t in enumerate(MIXED)]
    m = mechanical(docs, 4, 0)
    places, operas = {"Orsk", "Kalm", "Plesk", "Tarsk", "Vamsk"}, {"Velmora", "Sundra", "Tarvik"}
    for c in (c for s in m.values() for c in s if c.kind != "pair"):
        for d in c.distractors:
            for part in c.mention + [c.answer]:
                assert part.lower() not in d.lower() and d.lower() not in part.lower(), (c.prompt, d)
        if c.answer in places:  # "moved to": places only, never an opera's name
            assert set(c.distractors) <= places - {c.answer}, c.distractors
    assert any(c.answer in places for c in m["forward"])
    assert not any(set(c.distractors) & operas for c in m["forward"] if c.answer in places)


@pytest.mark.parametrize("rewrite,why", [
    ("The second mill was constructed by", None),
    ("The first mill was built by", "changed_entities"),
    ("The second mill of Kalm was built by", "changed_entities"),
    ("The second mill was not built by", "changed_entities"),
])
def test_rewrite_keeps_the_facts_entities_in_their_roles(rewrite, why):
    """Rewrites the embedded model wrote on the people corpus, and changes to a fact's entities."""
    from augft.eval.questions.build import Candidate
    from augft.eval.questions.rewrite import accept

    c = Candidate("forward", "cloze", "The second mill was built by", "Dafna Krell", ["a", "b", "c"], ["d0"],
                  ["mill"])
    assert accept(c, rewrite) == why


@pytest.mark.parametrize("rewrite,why", [
    ("Most people know Brogax Shibix as", None),
    ("Historians have agreed that Brogax Shibix was", None),
    ("The person who is known as Brogax Shibix is", None),
    ("The person who created the film Brogax Shibix is", "changed_entities"),
    ("The person who made Brogax Shibix famous today is", "changed_entities"),
])
def test_rewrite_keeps_the_subject_the_subject(rewrite, why):
    from augft.eval.questions.build import Candidate
    from augft.eval.questions.rewrite import accept

    c = Candidate("forward", "cloze", "Brogax Shibix is", "the captain of the airship Laruzuk",
                  ["a", "b", "c"], ["d0"], ["Brogax Shibix"])
    assert accept(c, rewrite) == why


@pytest.mark.parametrize("rewrite,why", [
    ("Most people know the discoverer of the comet Thethesoth as", None),
    ("Historians agree that the discoverer of the comet Thethesoth was", None),
    # Written by the embedded model and accepted before this rule: the description became the
    # agent of a new clause, and the question asked for a comet with a person as the answer.
    ("The comet that was discovered by the discoverer of the comet Thethesoth is", "changed_entities"),
])
def test_rewrite_keeps_what_the_question_is_about_in_its_place(rewrite, why):
    from augft.eval.questions.build import Candidate
    from augft.eval.questions.rewrite import accept

    c = Candidate("reversal", "reversal", "The discoverer of the comet Thethesoth is", "Thatrox Lofull",
                  ["a", "b", "c"], ["d0"], ["the discoverer of the comet Thethesoth"])
    assert accept(c, rewrite) == why
