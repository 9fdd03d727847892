"""core/conditions.py: a condition's family comes from one table (FAMILIES)."""
from augft.core.conditions import FAMILIES, Condition, family_of, known_labels
from augft.core.tables import condition_order


def test_every_label_the_grammar_knows_has_a_family_of_the_table():
    for label in known_labels(names=["mine"]):
        family = family_of(label)
        assert family in FAMILIES, label
        assert Condition.parse(label, ("local",), names=["mine"]).family == family, label
    assert family_of("mine+icl") == "custom" and family_of("mine") == "custom"


def test_families_of_each_shape():
    cases = {"base": "base", "icl": "base", "rag[dense]": "base", "ft": "ft", "ft+rag": "ft",
             "aug_ft[local+global]+icl": "aug_ft", "aug_ft": "aug_ft", "distill[local]": "distill",
             "distill": "distill"}
    assert {label: family_of(label) for label in cases} == cases
    assert Condition.parse("distill[local]+icl").distill and not Condition.parse("aug_ft[local]").distill


def test_report_order_follows_the_family():
    labels = ["ft+icl", "aug_ft[local]", "icl", "base", "ft", "aug_ft[global]+icl"]
    assert sorted(labels, key=condition_order) == ["base", "icl", "ft", "aug_ft[global]+icl", "aug_ft[local]",
                                                   "ft+icl"]
