"""augment.registry: one declaration per strategy, and the identity it gives a run and a stage."""
import pytest

from augft.augment.registry import REGISTRY, covers_every_member, not_in_identity, spec, with_planner
from augft.augment.prompts import resolve_templates
from augft.core.config.augment import AugmentConfig, Strategy
from augft.core.errors import AugftError


def test_registry_covers_every_strategy_and_its_templates_exist():
    assert covers_every_member()
    templates = resolve_templates("fewshot-v1", {})
    for s in REGISTRY.values():
        assert all(t in templates for t in s.templates), s.name
        assert s.needs_model == bool(s.templates), s.name  # a model is prompted through templates
        fields = set(AugmentConfig.__dataclass_fields__)
        assert set(s.own_keys) <= fields, s.name
    assert with_planner("local") == ("local", "rephrase", "qa")
    with pytest.raises(AugftError, match="augment.strategies: unknown strategy 'magic'"):
        spec("magic")
    assert spec(Strategy.oracle).data_file == "oracle.jsonl"


def test_config_explain_names_every_strategy():
    from augft.core.config import field_docs

    doc = field_docs()["augment.strategies"]
    assert all(name in doc for name in REGISTRY), doc


def test_a_strategy_identity_leaves_out_only_other_strategies_keys():
    local = set(not_in_identity(["local"]))
    assert {"window_tokens", "entity_max_pairs"} <= local and "local_unit" not in local
    assert "local_unit" in not_in_identity(["global"])  # changing it must not redo global
    assert "local_unit" not in not_in_identity(["global", "qa"])


def test_compose_has_its_own_keys_and_ignores_the_shared_sampling_ones():
    alone = set(not_in_identity(["compose"]))
    assert {"temperature", "max_new_tokens", "local_unit"} <= alone and "compose" not in alone
    assert "compose" in not_in_identity(["local"])  # tuning compose does not redo local
    assert "temperature" not in not_in_identity(["local", "compose"])  # local still samples with it
