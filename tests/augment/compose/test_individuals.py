"""augment.compose.focus=individuals: an individual's facts meet the general statements about its
kind first, a budget per individual and round holds over every entity it shares, and round 2
goes on from round 1's conclusions about the individual. Planning without a model; the rounds
with a rule engine."""
import json
from collections import Counter

import pytest
from fake_engines import Deducing

from augft.augment.api import augment, read_augmentations
from augft.augment.compose.individuals import FOCUS, readings
from augft.augment.compose.keys import Sentence, fact_id, sentence_keys
from augft.augment.compose.pairs import Limits, select_pairs
from augft.augment.compose.plan import RoundPlan, plan_round
from augft.augment.engines.base import Sampling
from augft.core.config import load_config
from augft.core.corpus import discover

CORPUS = ["Sukir is a drarn.", "Every drarn is a trilb.", "Every drarn can swim.", "A bror is a drarn.",
          "Every trilb can climb.", "Sukir is a parent of Muti.", "Muti is a parent of Kolan."]


def _s(i: int, text: str) -> Sentence:
    keys = sentence_keys(text)
    return Sentence(f"d{i}#0", text, keys, (fact_id(keys),), (f"d{i}",))


def _data(tmp_path, texts=CORPUS):
    d = tmp_path / "data"
    d.mkdir(parents=True)
    (d / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    (d / "questions.jsonl").write_text(json.dumps({"id": "q0", "split": "s", "kind": "k", "prompt": "Sukir can",
                                                   "choices": [" swim", " fly"], "answer": 0}) + "\n")
    return d


def test_individuals_are_names_never_lower_case_kinds_or_plural_subjects():
    assert readings("Sukir is a drarn.") == (frozenset({"sukir"}), frozenset({"drarn"}))
    assert readings("Drarns are trilb.")[0] == frozenset()  # a kind as a plural subject
    assert readings("Marie Curie was born in Warsaw.")[0] == frozenset({"marie", "warsaw"})
    assert readings("Sukir and Muti are siblings.")[0] == frozenset({"sukir", "muti"})


def test_an_individuals_fact_meets_its_kinds_general_statements_before_general_pairs():
    group = [_s(i, t) for i, t in enumerate(CORPUS) if "drarn" in sentence_keys(t)]
    plain = select_pairs("drarn", group, 1, Limits(max_pairs=16, max_candidates=64, seed=0))
    focused = select_pairs("drarn", group, 1, Limits(16, 64, 0, "individuals", 8))
    assert plain[0].first.text == "A bror is a drarn."  # entities: a general chain comes first
    classes = [p.focus for p in focused]
    assert classes == sorted(classes, key=FOCUS.index) and classes[0] == "kind"
    assert {p.owner for p in focused if p.focus == "kind"} == {"sukir"}
    assert {(p.first.text, p.second.text) for p in focused if p.focus == "kind"} == {
        ("Sukir is a drarn.", "Every drarn is a trilb."), ("Sukir is a drarn.", "Every drarn can swim.")}
    assert all(p.owner == "" for p in focused if p.focus == "general")
    assert [p.focus for p in focused if p.second.text == "A bror is a drarn." or p.first.text == "A bror is a drarn."][0] == "loose"


def _plan(tmp_path, per_individual: int, max_pairs: int = 16, texts=CORPUS, seed: int = 0):
    limits = Limits(max_pairs, 64, seed, "individuals", per_individual)
    plan = RoundPlan(round=1, limits=limits, partitions=4, offsets=(0,), limit=0, counter=None,
                     max_sentence_tokens=1000, unit_size=2, prompt_hash="h", sampling=Sampling(),
                     location=str(tmp_path / "out"))
    units = plan_round(discover(str(_data(tmp_path, texts))), plan, use_ray=False)
    return [it.meta["compose"] for u in units for it in u.items]


def test_the_budget_per_individual_holds_over_every_entity_it_shares(tmp_path):
    free = Counter(m["focus"] for m in _plan(tmp_path / "a", per_individual=8) if m["individual"] == "sukir")
    # two with its kind's statements, one with "A bror is a drarn.", one with Muti (the grandparent)
    assert free == {"kind": 2, "loose": 1, "relation": 1}
    metas = _plan(tmp_path / "b", per_individual=2)
    sukir = [m for m in metas if m["individual"] == "sukir"]
    assert len(sukir) == 2 and all(m["focus"] == "kind" for m in sukir)  # its kind's statements first
    assert all(n <= 2 for o, n in Counter(m["individual"] for m in metas).items() if o)
    assert any(m["focus"] == "general" for m in metas)  # general pairs are not an individual's budget


def test_a_kind_read_as_a_name_in_one_sentence_is_a_kind_where_its_own_sentences_say_so(tmp_path):
    texts = ["Blurps skug pulbs.", "Every pulb can gind.", "The blurp can gloft.", "Sukir is a pulb."]
    metas = _plan(tmp_path, per_individual=8, texts=texts)
    by_premises = {tuple(m["premises"]): m for m in metas}
    assert by_premises[("Blurps skug pulbs.", "Every pulb can gind.")]["individual"] == ""  # blurp: a kind
    assert by_premises[("Sukir is a pulb.", "Every pulb can gind.")]["individual"] == "sukir"


ARGS = ["model.name=tiny-random-llama", "augment.strategies=[compose]", "augment.use_ray=false",
        "augment.compose.rounds=2", "augment.unit_size=2", "augment.verify=false",
        "augment.compose.focus=individuals", "augment.compose.per_individual=4"]


def _augment(data, out, *extra):
    engine = Deducing()
    return augment(load_config(None, ARGS + list(extra)), data, out, engine_factory=lambda: engine)


def test_round_two_goes_on_from_round_one_conclusions_about_the_individual(tmp_path):
    _augment(_data(tmp_path), tmp_path / "out")
    recs = {r.text: r.meta["compose"] for r in read_augmentations(tmp_path / "out")}
    assert recs["Sukir is a trilb."]["round"] == 1 and recs["Sukir is a trilb."]["individual"] == "sukir"
    two = recs["Sukir can climb."]
    assert two["round"] == 2 and two["individual"] == "sukir" and two["focus"] == "kind"
    assert two["pair"][0].startswith("c1-")  # a round-1 statement about Sukir, joined with its new kind


@pytest.mark.slow
def test_ray_budgets_individuals_like_the_plain_loop(tmp_path):
    data = _data(tmp_path)
    _augment(data, tmp_path / "loop", "augment.compose.per_individual=1")
    _augment(data, tmp_path / "ray", "augment.compose.per_individual=1", "augment.use_ray=true", "cluster.num_cpus=2")
    rows = lambda d: sorted((r.id, r.text, tuple(r.source_ids)) for r in read_augmentations(d))  # noqa: E731
    assert rows(tmp_path / "ray") == rows(tmp_path / "loop") != []


def test_an_individuals_fact_is_considered_first_when_max_candidates_bounds_a_hub():
    hub = [_s(i, f"Every drarn is a {w}.") for i, w in enumerate(("trilb", "vosk", "quorn", "plarg", "snerk", "zumble"))]
    hub.append(_s(9, "Sukir is a drarn."))
    for seed in range(5):
        pairs = select_pairs("drarn", hub, 1, Limits(16, 2, seed, "individuals", 8))
        assert len(pairs) == 1 and pairs[0].first.text == "Sukir is a drarn." and pairs[0].focus == "kind"
    plain = [select_pairs("drarn", hub, 1, Limits(16, 2, seed)) for seed in range(5)]
    assert any(p.first.text != "Sukir is a drarn." for ps in plain for p in ps)  # entities: a seeded sample


def test_an_individuals_budget_reaches_each_of_its_facts_before_any_gets_two(tmp_path):
    texts = ["Sukir is a drarn.", "Sukir is a vosk."] + [f"Every drarn is a {w}." for w in ("trilb", "quorn", "plarg")] \
        + [f"Every vosk is a {w}." for w in ("snerk", "zumble", "grelt")]
    for seed in range(4):
        metas = [m for m in _plan(tmp_path / str(seed), per_individual=2, texts=texts, seed=seed)
                 if m["individual"] == "sukir"]
        assert sorted(m["premises"][0] for m in metas) == ["Sukir is a drarn.", "Sukir is a vosk."]
