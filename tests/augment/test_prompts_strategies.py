import pytest

from augft.augment.prompts import BUILTIN, render, resolve_templates, template_hash
from augft.augment.strategies import Planner, PlanStats, entities_from_generation, entity_sets
from augft.augment.filters import parse_statements
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
    units = p.pack("local", "local", items, {"n": 1})
    for u in units:
        keys = {it["key"] for it in u["items"]}
        assert all(sum(1 for v in units for it in v["items"] if it["key"] == k) ==
                   sum(1 for it in u["items"] if it["key"] == k) for k in keys)
    assert [it["id"] for it in items] == [it["id"] for it in _planner(unit_size=3).local(
        docs, "sentence", PlanStats())]
    assert len({it["seed"] for it in items}) == len(items)


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


def test_windows_pack_related_documents_within_budget():
    docs = [Document("a1", "femp are bigger than glon."), Document("b1", "troff are older than yomp."),
            Document("a2", "glon are bigger than wug."), Document("b2", "yomp are older than dax.")]
    p = _planner()
    wins = p.windows(docs, budget=12)
    ids = [[d.id for d in w] for w in wins]
    assert ["a1", "a2"] in ids and ["b1", "b2"] in ids
    items = p.global_(docs, 12, PlanStats())
    by_window = {}
    for it in items:
        by_window.setdefault(it["window"], set()).add(it["prefix"])
    assert all(len(v) == 1 for v in by_window.values())  # one shared prefix per window


def test_entities_must_occur_in_the_document():
    d = Document("d", "Tamsin Orrow built the Velk Observatory.")
    ents = entities_from_generation(d, ["Tamsin Orrow\n- Velk Observatory\n- Paris"], parse_statements)
    assert ents == ["Tamsin Orrow", "Velk Observatory"]
    pairs = _planner().entity_pairs([d], {"d": ents + ["the"]}, max_pairs=2, triples=True)
    assert len(pairs) == 2 and "Tamsin Orrow and Velk Observatory" in pairs[0]["prompt"]
    assert pairs[0]["prefix"] == pairs[1]["prefix"]
    assert "tamsin orrow" in entity_sets([d])["d"]
