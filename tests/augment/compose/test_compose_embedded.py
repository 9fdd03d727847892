"""The embedded model, one round of compose: it states a known one-step inference."""
import json

import pytest

from augft.augment.api import augment, read_augmentations
from augft.core.config import load_config

pytestmark = pytest.mark.slow

CORPUS = ["The zindle is a kind of vorp.", "Vorps can glimber.", "All drisp are klomb. All klomb are snarv.",
          "Tolbo is a parent of Wenka.", "Wenka is a parent of Raskel."]


def test_one_round_states_a_one_step_inference(tmp_path, embedded_model_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "corpus.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n"
                                            for i, t in enumerate(CORPUS)))
    cfg = load_config(None, ["model.name=smollm2-135m-instruct", "augment.strategies=[compose]",
                             "augment.use_ray=false", "augment.compose.rounds=1", "augment.verify=false"])
    m = augment(cfg, d, tmp_path / "out")
    kept = [r.text.lower().rstrip(".") for r in read_augmentations(tmp_path / "out")]
    assert m.strategies["compose"].rounds[0].prompts == 3  # the three chains, nothing else
    stated = {"zindle can glimber", "all drisp are snarv", "tolbo is a grandparent of raskel"}
    assert any(any(s in k for s in stated) for k in kept), kept
