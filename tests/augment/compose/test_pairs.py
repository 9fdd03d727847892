"""augment.compose: keys and pair selection (bounded per entity, spread, deterministic, rounds)."""
from collections import Counter

from augft.augment.compose.keys import Sentence, composition_check, corpus_sentences, fact_id, sentence_keys
from augft.augment.compose.pairs import Limits, select_pairs
from augft.core.records import Document

LIMITS = Limits(max_pairs=4, max_candidates=64, seed=0)


def _s(sid: str, text: str, rnd: int = 0, docs=None, facts=None) -> Sentence:
    keys = sentence_keys(text)
    return Sentence(sid, text, keys, tuple(facts or (fact_id(keys),)), tuple(docs or (sid.split("#")[0],)), rnd)


def test_keys_fold_forms_and_keep_invented_words_the_loose_english_test_missed():
    assert sentence_keys("Drarns are a type of brors.") == ("drarn", "bror")
    assert sentence_keys("The klot glorbed the trabs.") == ("klot", "glorb", "trab")
    # "pland" (plan + d) and "tred" (tree - e + d) pass for English under the loose reading.
    assert sentence_keys("All pland are tred.") == ("pland", "tred")
    assert sentence_keys("Everyone in the village knows that Thafok is a parent of Ketra.") == ("thafok", "ketra")
    assert [s.sid for s in corpus_sentences(Document("d", "KORRIM. Much is written. Korrims swim."))] == ["d#0", "d#2"]


def test_composition_check_wants_both_ends_and_no_invented_entity():
    check = composition_check("A bror is a drarn.", "All drarns are trilb.")
    assert check("A bror is a trilb.") is None
    assert check("All drarns are trilb.") == "not_composed"  # a restatement
    assert check("Brors are drarns.") == "not_composed"
    assert check("A bror is a trilk.") == "invented"  # misspelt
    fam = composition_check("Zitrik became a parent of Muti long ago.", "Muti is a parent of Kolan.")
    assert fam("Zitrik is a grandparent of Kolan.") is None
    assert fam("Muti became a parent of Kolan long ago.") == "not_composed"  # English filler is not an end


def test_pairs_are_bounded_per_entity_so_hubs_do_not_dominate():
    hub = [_s(f"h{i}#0", f"Glon{'abcdefghijklmnopqrstuvwxyz'[i % 26]}{i // 26} is a kind of zorvax.") for i in range(40)]
    hub += [_s("p#0", "Zorvaxes can florp.")]
    rare = [_s("a#0", "The vorp is a kind of zib."), _s("b#0", "Zibs can krell.")]
    assert len(select_pairs("zorvax", hub, 1, LIMITS)) == LIMITS.max_pairs
    assert len(select_pairs("zib", rare, 1, LIMITS)) == 1
    wide = select_pairs("zorvax", hub, 1, Limits(max_pairs=100, max_candidates=10, seed=0))
    assert len({s.sid for p in wide for s in (p.first, p.second)}) <= 10  # max_candidates bounds the work


def test_pairs_are_spread_over_the_entity_facts_and_chains_come_first():
    sents = [_s(f"c{i}#0", f"The kid{'abcdef'[i]}o is a kind of vexmo.") for i in range(4)]
    sents += [_s(f"m{i}#0", f"Vexmos can {w}.") for i, w in enumerate(("blorp", "drimble", "trelk", "quorn"))]
    pairs = select_pairs("vexmo", sents, 1, LIMITS)
    assert all(p.kind == "chain" for p in pairs)
    degree = Counter(s.sid for p in pairs for s in (p.first, p.second))
    assert max(degree.values()) == 1  # 4 pairs over 8 facts: nobody twice
    assert all(p.first.keys[0] != "vexmo" and p.second.keys[0] == "vexmo" for p in pairs)  # reads as a chain


def test_selection_is_deterministic_by_seed_and_ignores_input_order():
    sents = [_s(f"c{i}#0", f"The kid{'abcdefgh'[i]}o is a kind of vexmo.") for i in range(8)]
    sents += [_s(f"m{i}#0", f"Vexmos can {w}.") for i, w in enumerate(("blorp", "drimble", "trelk", "quorn"))]
    ids = lambda ps: [(p.first.sid, p.second.sid) for p in ps]  # noqa: E731
    a = select_pairs("vexmo", sents, 1, LIMITS)
    assert ids(a) == ids(select_pairs("vexmo", list(reversed(sents)), 1, LIMITS))
    assert ids(a) != ids(select_pairs("vexmo", sents, 1, Limits(4, 64, seed=7)))


def test_phrasings_of_one_fact_make_one_candidate_and_costated_facts_come_last():
    sents = [_s("d1#0", "Zitrik is a parent of Muti."), _s("d2#0", "Zitrik, a parent of Muti, lives nearby."),
             _s("d3#0", "Muti is a parent of Kolan."), _s("d4#0", "Muti is a parent of Dosim.")]
    pairs = select_pairs("muti", sents, 1, Limits(10, 64, 0))
    assert len(pairs) == 3  # {zitrik-muti} x {muti-kolan}, x {muti-dosim}, kolan x dosim
    assert Counter(p.kind for p in pairs) == Counter(chain=2, joint=1)
    same_doc = [_s("x#0", "Snonds have frelks.", docs=("x", "y")), _s("x#1", "Snonds can krond.", docs=("x", "y")),
                _s("z#0", "Every spurp is a sort of snond.")]
    got = select_pairs("snond", same_doc, 1, Limits(10, 64, 0))
    assert {p.first.sid for p in got[:2]} == {"z#0"} and got[-1].kind == "joint"


def test_a_later_round_pairs_a_new_statement_and_never_its_own_sources():
    old = [_s("a#0", "The vorp is a kind of zib."), _s("b#0", "Zibs are a kind of quorzel."),
           _s("c#0", "Quorzels can krell.")]
    new = _s("c1-x:compose:h:0", "The vorp is a kind of quorzel.", rnd=1, docs=("a", "b"),
             facts=(fact_id(("vorp", "zib")), fact_id(("zib", "quorzel"))))
    pairs = [p for e in ("quorzel", "vorp", "zib") for p in select_pairs(e, [s for s in old + [new] if e in s.keys], 2,
                                                                      Limits(10, 64, 0))]
    assert pairs and all(new in (p.first, p.second) for p in pairs)
    assert {(p.first.sid, p.second.sid) for p in pairs} == {("c1-x:compose:h:0", "c#0")}  # not with a#0 or b#0


def test_real_names_pair_and_filter_like_invented_ones():
    # The old keys ("not an English word") found no entity in either sentence: nothing to pair.
    assert sentence_keys("Marie Curie was born in Warsaw.") == ("marie", "warsaw")
    check = composition_check("Marie Curie was born in Warsaw.", "Warsaw is the capital of Poland.")
    assert check("Marie Curie was born in the capital of Poland.") is None
    assert check("Pierre Dupont was born in the capital of Poland.") == "invented"
    assert check("Marie Curie was born in Warsaw.") == "not_composed"
