"""Every shipped YAML in configs/ loads and validates against the schema."""
from pathlib import Path

import pytest

from augft.core.config import load_config
from augft.core.config.load import to_flat_dict

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


def test_the_shipped_configs_exist():
    assert {p.name for p in CONFIGS} >= {"quickstart.yaml", "paper.yaml", "tiny.yaml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads_and_its_conditions_parse(path):
    from augft.core.conditions import parse_all

    cfg = load_config(path)
    assert to_flat_dict(cfg)  # resolvable, no missing values
    conds = parse_all(cfg.pipeline.conditions, cfg.augment.strategies)  # raises on a bad label
    # Each study compares against both baselines of the paper.
    assert {"base", "icl"} <= {c.label for c in conds}


def test_quickstart_is_the_people_benchmark_on_the_embedded_model():
    cfg = load_config(Path(CONFIGS[0]).parent / "quickstart.yaml")
    assert cfg.benchmark.name == "people" and cfg.model.name == "smollm2-135m-instruct"
    tiny = load_config(Path(CONFIGS[0]).parent / "tiny.yaml")
    assert tiny.model.name == "tiny-random-llama"
