"""The augment estimate counts what the run prompts: the same units, rendered the same way."""
from augft.augment.api import augment
from augft.augment.estimate import estimate
from augft.augment.request import AugmentRequest
from augft.core.config import load_config
from augft.core.config.settings import AugmentSettings


def test_estimate_equals_the_runs_prompts_and_bounds_its_output(corpus_dir, tiny_model, tmp_path):
    cfg = load_config(None, [f"model.name={tiny_model}", "augment.strategies=[local,global,entity]",
                             "augment.num_candidates=2", "augment.max_new_tokens=4", "augment.use_ray=false",
                             "augment.engine=hf", "augment.entity_max_pairs=2"])
    est = estimate(AugmentRequest(str(corpus_dir), "", ("local", "global", "entity")), AugmentSettings.of(cfg))
    ran = augment(cfg, corpus_dir, tmp_path / "aug")
    assert est.documents == 12 and est.corpus_tokens > 12
    for s in ("local", "global"):
        e, m = est.strategies[s], ran.strategies[s]
        assert (e.prompts, e.prompt_tokens) == (m.prompts, m.prompt_tokens), s
        assert m.completion_tokens <= e.max_completion_tokens == e.prompts * 2 * 4
    # Entity: extraction is planned exactly; the pairs it finds are bounded by entity_max_pairs.
    ent = est.strategies["entity"]
    assert ent.basis == "bound" and ran.strategies["entity"].prompts <= ent.prompts
    assert est.phases["entity_extract"].prompts == 12 and est.phases["entity_extract"].candidates == 1
