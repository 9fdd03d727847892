"""eval.request: the typed request a study stage (or the CLI) gives an eval run."""
import pytest

from augft.core.config import load_config
from augft.core.errors import AugftError
from augft.eval.request import EvalRequest


def test_request_from_config_carries_conditions_models_splits_and_cost_files():
    cfg = load_config(None, ["eval.conditions=[base,ft]", "eval.models={ft: m/ft}", "eval.splits=[reversal]",
                             "eval.costs.train_summaries={ft: t/summary.json}",
                             "eval.costs.augment_manifests={ft: [a/manifest.json, b/manifest.json]}"])
    req = EvalRequest.from_config(cfg, "d", "o", models={"extra": "m/x"})
    assert req.conditions == ("base", "ft") and req.models == {"ft": "m/ft", "extra": "m/x"}
    assert req.splits == ("reversal",) and req.train_summaries == {"ft": "t/summary.json"}
    assert req.augment_manifests == {"ft": ("a/manifest.json", "b/manifest.json")}
    assert EvalRequest.from_config(load_config(None, []), "d", "o").splits is None
    with pytest.raises(AugftError, match="at least one condition"):
        EvalRequest("d", "o", ())


def test_teacher_targets_price_a_distilled_condition(tmp_path):
    from augft.core.config import load_config
    from augft.eval.request import EvalRequest

    from augft.core.targets import TargetsManifest, TargetsOutput

    m = tmp_path / "t" / "targets.json"
    m.parent.mkdir()
    TargetsOutput(m.parent).write_manifest(TargetsManifest(4, "m", 100, "hf", "corpus", 0, {}, 7, []))
    cfg = load_config(None, ['eval.conditions=[base,"distill[local]"]', f'eval.costs.teacher_targets={{"distill[local]": [{m}]}}'])
    req = EvalRequest.from_config(cfg, tmp_path, tmp_path / "o", {"distill[local]": "x"})
    assert req.one_off == {"distill[local]": {"teacher_flops": 1400.0}}
    bad = load_config(None, [f'eval.costs.teacher_targets={{"distill[local]": [{tmp_path}/nope/manifest.json]}}'])
    import pytest as _pytest

    with _pytest.raises(Exception, match="eval.costs.teacher_targets"):
        EvalRequest.from_config(bad, tmp_path, tmp_path / "o")
