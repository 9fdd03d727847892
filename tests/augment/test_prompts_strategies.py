import json

import pytest

from augft.augment.prompts import BUILTIN, render, resolve_templates, template_hash
from augft.augment.planner import Planner, PlanStats, entities_from_generation, entity_sets
from augft.augment.engines.base import Sampling
from augft.augment.filters import parse_statements
from augft.augment.units import Unit, render_requests
from augft.augment.windows import Row, pack, related_share
from augft.core.errors import AugftError
from augft.core.records import Document


def test_template_missing_required_field_is_a_config_error():
    with pytest.raises(AugftError, match=r"augment.templates.local.*\{text\}"):
        resolve_templates("fewshot-v1", {"local": "Rewrite this: {fact}"})
    with pytest.raises(AugftError, match="augment.prompt_set"):
        resolve_templates("nope", {})
    with pytest.raises(AugftError, match="augment.templates.bogus"):
        resolve_templates("fewshot-v1", {"bogus": "{text}"})
    # Only the global template is rendered with the corpus context.
    with pytest.raises(AugftError, match=r"augment.templates.local: .*unknown field.*context"):
        resolve_templates("fewshot-v1", {"local": "{context} {text}"})


def test_hash_is_provenance_and_global_has_shared_prefix():
    t = resolve_templates("fewshot-v1", {})
    assert template_hash(t["local"]) != template_hash(BUILTIN["zeroshot-v1"]["local"])
    prefix, rest = render(t["global"], context="A is B.\nC is D.", text="A is B.")
    assert "C is D." in prefix and prefix.endswith("\n") and rest.startswith("Focal document: A is B.")
    # few-shot demos never use test names
    assert "Zeb" not in t["local"]


def _planner(templates=None, ctx=4096, unit_size=4, long="split"):
    return Planner(templates=templates or resolve_templates("fewshot-v1", {}), seed=0,
                   max_context=ctx, max_new_tokens=16, count_tokens=lambda s: len(s.split()),
                   unit_size=unit_size, long_documents=long)


def test_units_keep_a_source_together_and_ids_are_stable():
    docs = [Document(f"d{i}", f"Ab Cd{i} is good. It is fine.") for i in range(5)]
    p = _planner(unit_size=3)
    items = p.local(docs, "sentence", PlanStats())
    units = p.pack("local", "local", items, Sampling(n=1))
    for u in units:
        keys = {it.key for it in u.items}
        assert all(sum(1 for v in units for it in v.items if it.key == k) ==
                   sum(1 for it in u.items if it.key == k) for k in keys)
    assert [it.id for it in items] == [it.id for it in _planner(unit_size=3).local(
        docs, "sentence", PlanStats())]
    assert len({it.seed for it in items}) == len(items)
    # A unit survives its JSON trip (how it travels through Ray) unchanged.
    assert Unit.from_json(units[0].to_json()) == units[0]


def test_long_documents_split_or_skipped_with_a_count():
    big = Document("big", " ".join(f"Sentence number {i} is here." for i in range(40)))
    t = resolve_templates("fewshot-v1", {})
    overhead = len("".join(render(t["local"], text="")).split())
    st = PlanStats()
    items = _planner(ctx=overhead + 16 + 60).local([big], "document", st)
    assert st.long_documents["split"] == 1 and len(items) > 1
    st2 = PlanStats()
    assert _planner(ctx=overhead + 16 + 60, long="skip").local([big], "document", st2) == []
    assert st2.long_documents["skipped"] == 1


def _global_plan(tmp_path, docs, budget, use_ray=False, linked=False):
    from augft.augment.corpus_scan import scan_corpus
    from augft.augment.global_plan import GlobalSpec, plan_global
    from augft.augment.tokens import TokenCounter
    from augft.augment.windows import UnitPlan
    from augft.core.corpus import discover
    from augft.core.records import write_jsonl

    write_jsonl(tmp_path / "corpus.jsonl", docs)
    words = TokenCounter("words", estimate=True)
    spec = GlobalSpec(counter=words, max_context=4096, max_new_tokens=16, window_tokens=budget,
                      focal_overhead=4, prefix_overhead=10, seed=0, limit=0,
                      units=UnitPlan(sampling=Sampling(n=1), prompt_hash="h", seed=0, linked=linked))
    corpus = discover(str(tmp_path))
    return plan_global(corpus, spec, use_ray, scan_corpus(corpus, words, use_ray))


def test_windows_pack_related_documents_within_budget(tmp_path):
    docs = [Document("a1", "femp are bigger than glon."), Document("b1", "troff are older than yomp."),
            Document("a2", "glon are bigger than wug."), Document("b2", "yomp are older than dax."),
            Document("c1", "zorp is alone here.")]
    plan = _global_plan(tmp_path, docs, budget=16)
    wins = [[d.id for d in u.docs] for u in plan.units]
    assert ["a1", "a2"] in wins and ["b1", "b2"] in wins and ["c1"] in wins
    assert plan.documents == 5 and plan.fit == 5 and plan.budget == 16
    u = next(u for u in plan.units if len(u.docs) == 2)
    reqs = render_requests(u, resolve_templates("fewshot-v1", {}))
    # One window per unit, carried once: every prompt of the unit shares one prefix holding it.
    assert len({r.prefix for r in reqs}) == 1 and all(d.text in reqs[0].prefix for d in u.docs)
    assert [it.key for it in u.items] == [d.id for d in u.docs]
    assert u.source_ids(u.items[0]) == [u.docs[0].id, u.docs[1].id]


def test_linked_context_shows_only_documents_linked_to_the_focal_one(tmp_path):
    people = [Document("k1", "Dafna Krell is the composer of the opera Velmora."),
              Document("t1", "Omri Task is the first person to cross the Quillan Strait."),
              Document("k2", "The composer of Velmora was born in a small town."),
              Document("t2", "Omri Task was born by the sea."),
              Document("n1", "Crossing a strait is brave.")]
    # One window holds all five (a large budget); the prompts differ in what they show.
    linked = _global_plan(tmp_path / "l", people, budget=400, linked=True).units
    window = _global_plan(tmp_path / "w", people, budget=400).units
    assert len(linked) == len(window) == 1
    u = linked[0]
    reqs = {it.key: r for it, r in zip(u.items, render_requests(u, resolve_templates("fewshot-v1", {})))}
    # Krell's documents are linked through "velmora"; Task's through "omri task".
    assert "Velmora was born" in reqs["k1"].prefix and "Omri" not in reqs["k1"].prefix
    assert "Quillan" in reqs["t2"].prefix and "Velmora" not in reqs["t2"].prefix
    assert reqs["n1"].prefix == render_requests(window[0], resolve_templates("fewshot-v1", {}))[0].prefix
    by_key = {it.key: it for it in u.items}
    assert sorted(u.source_ids(by_key["t1"])) == ["t1", "t2"]  # provenance names what was shown
    assert "Omri" not in u.source_text(by_key["k2"])  # and statements are checked against it
    assert len(u.source_ids(by_key["n1"])) == 5  # names no entity: the whole window
    w = window[0]
    assert all(len(w.source_ids(it)) == 5 for it in w.items)
    # The manifest's coverage counts: n1 names nothing and falls back; the window mode shows all.
    assert u.plan == {"documents_with_entities": 4, "whole_window": 1, "linked": 4}
    assert w.plan == {"documents_with_entities": 4, "whole_window": 5, "linked": 0}


def test_pack_keeps_groups_whole_and_never_exceeds_budget():
    rows = [Row(f"k{k}-{i}", "t", pos=10 * k + i, ntok=3, key=f"k{k}") for k in range(5) for i in range(3)]
    rows += [Row(f"big-{i}", "t", pos=100 + i, ntok=4, key="big") for i in range(9)]
    rows += [Row(f"left-{i}", "t", pos=200 + i, ntok=2, key="") for i in range(7)]
    rows.sort(key=lambda r: (r.key, r.pos))
    wins = pack(rows, budget=20)
    assert sorted(r.id for w in wins for r in w) == sorted(r.id for r in rows)
    assert all(sum(r.ntok + 1 for r in w) <= 20 for w in wins)
    for k in range(5):  # a 12-token group fits, so it is never split
        assert sum(1 for w in wins if any(r.key == f"k{k}" for r in w)) == 1
    left = [r.pos for w in wins for r in w if not r.key]
    assert left == sorted(left)  # leftovers in corpus order


def test_global_plan_is_deterministic_and_keeps_related_documents_together(tmp_path):
    import random

    rng = random.Random(3)
    names = [f"zq{chr(97 + i)}{chr(97 + j)}" for i in range(6) for j in range(6)]
    docs = [Document(f"d{i}", f"{rng.choice(names)} are older than {rng.choice(names)} and the sky.")
            for i in range(300)]
    a = _global_plan(tmp_path / "a", docs, budget=60)
    b = _global_plan(tmp_path / "b", docs, budget=60)
    assert [u.to_json() for u in a.units] == [u.to_json() for u in b.units]
    assert sorted(it.key for u in a.units for it in u.items) == sorted(d.id for d in docs)
    ents = entity_sets(docs)
    share = related_share([[d.id for d in u.docs] for u in a.units], ents)
    assert share > 0.9, share
def test_entities_must_occur_in_the_document():
    d = Document("d", "Tamsin Orrow built the Velk Observatory.")
    ents = entities_from_generation(d, ["Tamsin Orrow\n- Velk Observatory\n- Paris"], parse_statements)
    assert ents == ["Tamsin Orrow", "Velk Observatory"]
    pairs = _planner().entity_pairs([d], {"d": ents + ["the"]}, max_pairs=2, triples=True)
    assert len(pairs) == 2 and pairs[0].values["entities"] == "Tamsin Orrow and Velk Observatory"
    t = resolve_templates("fewshot-v1", {})
    (p0, q0), (p1, _) = (render(t["entity_pair"], **it.values) for it in pairs)
    assert p0 == p1 and "Tamsin Orrow and Velk Observatory" in q0
    assert "tamsin orrow" in entity_sets([d])["d"]


def test_rephrase_qa_and_reverse_strategies(tmp_path, make_corpus):
    """The trust controls: rephrase-only and question-answer prompts (model-written) and the
    model-free entity-preserving reversal, through augment, conditions and the cost model."""
    from augft.augment.api import augment
    from augft.core.artifacts import AugmentOutput
    from augft.core.conditions import parse_all
    from augft.core.config import load_config
    from augft.core.text import split_sentences
    from augft.eval.costs import augment_flops

    data = make_corpus(tmp_path / "d", 3)
    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.use_ray=false", "augment.max_new_tokens=8",
                             "augment.num_candidates=1", "augment.require_source_overlap=false",
                             "augment.strategies=[rephrase,qa,reverse]"])
    m = augment(cfg, data, tmp_path / "o")
    out = AugmentOutput(tmp_path / "o")
    for s in ("rephrase", "qa", "reverse"):
        e = m.strategies[s]
        assert e.ok + sum(e.filtered.values()) + e.failed == e.inputs, s
    assert m.strategies["rephrase"].prompts == m.strategies["qa"].prompts == 3
    rev = out.records(["reverse"])
    docs = [json.loads(line) for line in (data / "corpus.jsonl").read_text().splitlines()]
    assert len(rev) == sum(len(split_sentences(d["text"])) for d in docs)
    assert {r.model for r in rev} == {"none"} and m.strategies["reverse"].model_free
    assert {r.prompt_hash for r in out.records(["qa"])} <= {m.prompt_hashes["qa"]}
    labels = [c.label for c in parse_all(["aug_ft[qa]", "aug_ft[reverse]", "aug_ft[local+qa]"])]
    assert labels == ["aug_ft[qa]", "aug_ft[reverse]", "aug_ft[local+qa]"]
    # A reverse-only output costs nothing to make.
    cfg2 = load_config(None, ["model.name=tiny-random-llama", "augment.use_ray=false",
                              "augment.strategies=[reverse]"])
    augment(cfg2, data, tmp_path / "r")
    assert augment_flops(str(AugmentOutput(tmp_path / "r").manifest_path), "k", 10) == 0.0


def test_reverse_keeps_entity_spans_in_order():
    from augft.augment.reverse import reverse_sentence

    assert reverse_sentence("Dafna Krell is the composer of the opera Velmora.") == \
        "Velmora opera the of composer the is Dafna Krell."
    assert reverse_sentence("Marie Curie won the Nobel Prize in Physics.") == \
        "Physics in Nobel Prize the won Marie Curie."
    assert reverse_sentence("Hello.") == ""


def test_qa_pairs_stay_whole():
    from augft.augment.filters import parse_statements

    text = " Who is Dafna Krell? Dafna Krell is the composer.\n- Who composed Velmora? It was Dafna Krell."
    assert parse_statements(text, sentences=False) == [
        "Who is Dafna Krell? Dafna Krell is the composer.", "Who composed Velmora? It was Dafna Krell."]
    assert len(parse_statements(text)) == 4


def test_config_prompt_sets_are_the_builtin_ones():
    from augft.core.config.augment import PromptSet
    from augft.core.config.checks import values

    assert sorted(values(PromptSet)) == sorted(BUILTIN)
