"""The keep rules: `fair` (validity by text, prior knowledge by the base model's confidence) and
`icl_checked` (the rule before, kept for comparison)."""
import dataclasses

import pytest

from augft.core.config import load_config
from augft.core.config.checks import ConfigError
from augft.core.records import Document
from augft.eval.datasets import people
from augft.eval.questions.build import mechanical
from augft.eval.questions.keep import Verdict, decide, invalid

TOWNS = [("Dafna Krell", "the composer of the opera Velmora", "Orsk"),
         ("Omri Task", "the founder of the Tarsk Institute", "Pelvo"),
         ("Ilse Varn", "the mayor of the city of Brav", "Kumo"),
         ("Tomas Preel", "the winner of the Zed Marathon", "Zuvo")]


def town_corpus():
    """Who each person is, and (another document) where they live: every split, bridges too."""
    return [Document(f"{kind}-{i}", text) for i, (name, desc, town) in enumerate(TOWNS)
            for kind, text in (("who", f"Many people know {name} as {desc}."), ("where", f"{name} lives in {town}."))]


def _reversal():
    docs = {d.id: d.text for d in town_corpus()}
    c = [x for x in mechanical(town_corpus(), 4, seed=0)["reversal"] if x.source_ids == ["who-0"]][0]
    assert (c.prompt, c.answer) == ("The composer of the opera Velmora is", "Dafna Krell")
    return c, [docs[i] for i in c.source_ids]


def test_fair_keeps_a_valid_question_icl_gets_wrong():
    """The point of the rule: ICL's answer plays no part, so `icl` and `rag` are not scored on a
    set picked for them. The old rule drops the same question."""
    c, src = _reversal()
    icl_wrong = Verdict(icl_correct=False, base_correct=False, base_p=0.3)
    assert decide("fair", c, icl_wrong, src, 0.8) == "kept"
    assert decide("icl_checked", c, icl_wrong, src, 0.8) == "icl_wrong"
    # Base right by a small margin is not prior knowledge under fair (the old rule drops it).
    lucky = Verdict(icl_correct=True, base_correct=True, base_p=0.4)
    assert decide("fair", c, lucky, src, 0.8) == "kept"
    assert decide("icl_checked", c, lucky, src, 0.8) == "base_correct"
    assert decide("icl_checked", c, Verdict(True, False, 0.3), src, 0.8) == "kept"


def test_fair_drops_prior_knowledge_by_the_base_models_confidence():
    c, src = _reversal()
    assert decide("fair", c, Verdict(None, True, 0.8), src, 0.8) == "prior_knowledge"
    assert decide("fair", c, Verdict(None, True, 0.95), src, 0.8) == "prior_knowledge"
    assert decide("fair", c, Verdict(None, True, 0.79), src, 0.8) == "kept"
    assert decide("fair", c, Verdict(None, True, 0.95), src, 1.0) == "kept"


@pytest.mark.parametrize("change,why", [
    ({"answer": "Lena Brook"}, "answer_not_in_source"),  # no source document states it
    ({"distractors": ["Omri Task", "omri  task", "Ilse Varn"]}, "duplicate_choices"),
    ({"distractors": ["dafna krell", "Omri Task", "Ilse Varn"]}, "duplicate_choices"),
    ({"mention": ["the founder of the Tarsk Institute"]}, "subject_not_in_source"),
    ({"prompt": "Dafna Krell, the composer of the opera Velmora, is"}, "gives_answer"),
    ({"distractors": ["Omri Task", "Ilse Varn", "Velmora"]}, "distractor_in_source"),
])
def test_fair_drops_invalid_questions_whatever_the_model_says(change, why):
    c, src = _reversal()
    bad = dataclasses.replace(c, **change)
    assert invalid(bad, src) == why
    # Even where ICL answers it and the base model does not (the old rule keeps it).
    v = Verdict(icl_correct=True, base_correct=False, base_p=0.1)
    assert decide("fair", bad, v, src, 0.8) == why
    assert decide("icl_checked", bad, v, src, 0.8) == "kept"


def test_every_mechanical_question_is_valid_by_its_own_provenance():
    """The templates take the answer from the source sentence and distractors from documents
    that never mention the subject: all of them pass the validity check (pair answers included)."""
    cfg = load_config(None, ["benchmark.people.n_people=10", "benchmark.people.n_train_templates=8"])
    for docs in (town_corpus(), people.generate(cfg.benchmark.people, seed=0).documents):
        text = {d.id: d.text for d in docs}
        cands = [c for s in mechanical(docs, 4, seed=0).values() for c in s]
        assert {c.kind for c in cands} >= {"cloze", "reversal"}
        assert [(c.prompt, invalid(c, [text[i] for i in c.source_ids])) for c in cands
                if invalid(c, [text[i] for i in c.source_ids])] == []


def test_keep_rule_config_key():
    cfg = load_config(None, [])
    assert str(cfg.questions.keep_rule) == "fair" and cfg.questions.prior_confidence == 0.8
    assert str(load_config(None, ["questions.keep_rule=icl_checked"]).questions.keep_rule) == "icl_checked"
    with pytest.raises(Exception, match="keep_rule"):
        load_config(None, ["questions.keep_rule=rag"])
    with pytest.raises(ConfigError, match="questions.prior_confidence"):
        load_config(None, ["questions.prior_confidence=0.25"])  # chance with 4 choices
    with pytest.raises(ConfigError, match="questions.prior_confidence"):
        load_config(None, ["questions.prior_confidence=1.5"])
