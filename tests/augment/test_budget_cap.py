"""Augmentation stops itself at a generated-token cap mid-run, resumably (a tiny real run)."""
from pathlib import Path

import pytest

from augft.augment.api import augment_request, read_augmentations
from augft.augment.request import AugmentRequest
from augft.core.artifacts import AugmentOutput
from augft.core.config import load_config
from augft.core.config.settings import AugmentSettings
from augft.core.errors import CapReached

ARGS = ["model.name=tiny-random-llama", "augment.strategies=[local]", "augment.unit_size=2",
        "augment.max_new_tokens=12", "augment.num_candidates=1", "augment.batch_size=4", "augment.use_ray=false",
        # keep the random model's output, so the records compared below are real ones
        "augment.require_source_overlap=false", "augment.verify_min_pmi=-1000"]


def _run(data: Path, out: Path, cap: int):
    cfg = load_config(None, ARGS)
    return augment_request(AugmentRequest(str(data), str(out), ("local",), max_generated_tokens=cap),
                           AugmentSettings.of(cfg))


def _units(out: Path) -> int:
    return len(list((out / "local").glob("part-*.stats.json")))


def _ids(out: Path):
    return sorted((r.id, r.text) for r in read_augmentations(out))


def test_cap_stops_mid_stage_and_a_larger_cap_continues(tmp_path, make_corpus, tiny_model):
    data = make_corpus(tmp_path / "data", 12)
    full = _run(data, tmp_path / "reference", 0)  # no cap: the whole run, the reference
    total, units = full.strategies["local"].completion_tokens, _units(tmp_path / "reference")
    assert units >= 4 and total > 0

    out = tmp_path / "capped"
    with pytest.raises(CapReached, match="stopped at the cap of 1 generated tokens") as exc:
        _run(data, out, 1)  # reached by the first unit: no other unit is issued
    assert _units(out) == 1 and not AugmentOutput(out).finished()
    assert exc.value.spent >= 1

    cap = total // 2
    with pytest.raises(CapReached):
        _run(data, out, cap)  # a larger cap, still short of the whole: resumes, goes on, stops again
    done = _units(out)
    assert 1 < done < units and not AugmentOutput(out).finished()

    m = _run(data, out, 10 * total)  # enough: finishes
    assert _units(out) == units and m.strategies["local"].completion_tokens == total
    assert _ids(out) == _ids(tmp_path / "reference")  # nothing lost, nothing twice
