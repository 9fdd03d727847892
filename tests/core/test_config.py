import dataclasses
import typing

import pytest

from augft.core.config import AugftConfig, ConfigError, field_docs, load_config
from augft.core.config.load import to_flat_dict


def test_defaults_load_and_are_typed():
    cfg = load_config()
    assert cfg.model.name == "smollm2-135m-instruct"
    assert isinstance(cfg.train.lr, float)


def test_override_applies():
    cfg = load_config(None, ["train.lr=1e-4", "augment.strategies=[local,global]"])
    assert cfg.train.lr == pytest.approx(1e-4)
    assert list(cfg.augment.strategies) == ["local", "global"]


@pytest.mark.parametrize("override,key", [
    ("train.nope=1", "train.nope"),
    ("nosection.x=1", "nosection"),
    ("train.lr=fast", "train.lr"),
    ("seed=[1,2]", "seed"),
])
def test_bad_override_names_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert key in str(err.value)


def test_yaml_unknown_key_names_file_and_key(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("train:\n  lr: 0.001\n  bogus: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "train.bogus" in str(err.value) and "x.yaml" in str(err.value)


def test_yaml_wrong_type(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("train:\n  zero_stage: three\n")
    with pytest.raises(ConfigError, match="train.zero_stage"):
        load_config(p)


def test_missing_required_value_names_key(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("model:\n  name: ???\n")
    with pytest.raises(ConfigError, match="model.name"):
        load_config(p)


def test_broken_yaml_and_missing_file(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="x.yaml"):
        load_config(p)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_override_without_equals_is_rejected():
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["train.lr"])


def _all_dataclasses(cls, seen=None):
    seen = seen if seen is not None else []
    seen.append(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints.get(f.name)) and hints[f.name] not in seen:
            _all_dataclasses(hints[f.name], seen)
    return seen


def test_every_config_field_has_a_docstring():
    docs = field_docs()
    missing = [k for k, v in docs.items() if not v.strip()]
    assert not missing, f"config fields without a docstring: {missing}"
    # every section is reached
    assert {"model.name", "train.lr", "augment.engine", "eval.conditions", "tracking.uri",
            "cluster.address", "benchmark.name"} <= set(docs)
    n_fields = sum(len(dataclasses.fields(c)) for c in _all_dataclasses(AugftConfig))
    assert len(docs) == n_fields


def test_flat_dict_has_dotted_keys():
    flat = to_flat_dict(load_config())
    assert flat["train.lr"] == load_config().train.lr
    assert all(not isinstance(v, dict) for v in flat.values())


def test_required_value_supplied_on_command_line(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("cluster:\n  address: ???\n")
    assert load_config(p, ["cluster.address=ray://head:10001"]).cluster.address == "ray://head:10001"


@pytest.mark.parametrize("override", ["train.zero_stage=7", "augment.temperature=-1",
                                      "train.epochs=0", "train.eval_fraction=2"])
def test_bad_value_typed_on_command_line_is_blamed_there(tmp_path, override):
    yaml = tmp_path / "c.yaml"
    yaml.write_text("train:\n  lr: 1.0e-4\n")
    with pytest.raises(ConfigError) as err:
        load_config(yaml, [override])
    msg = str(err.value)
    assert msg.startswith(f"command line ({override})"), msg
    assert str(yaml) not in msg


def test_bad_value_in_yaml_is_blamed_on_the_file(tmp_path):
    yaml = tmp_path / "c.yaml"
    yaml.write_text("train:\n  zero_stage: 9\n")
    with pytest.raises(ConfigError) as err:
        load_config(yaml, ["train.lr=1e-4"])
    assert str(err.value).startswith(f"{yaml}: config key 'train.zero_stage'")


@pytest.mark.parametrize("override,nearest", [
    ("train.zero_stag=1", "train.zero_stage"),
    ("train.lrr=1e-4", "train.lr"),
    ("augment.stratgies=[local]", "augment.strategies"),
])
def test_unknown_key_suggests_the_nearest(override, nearest):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert f"did you mean '{nearest}'?" in str(err.value)


def test_with_augment_reruns_the_section_checks():
    # A value set in code goes through the same checks as one in YAML (it bypassed the ranges before).
    from augft.core.config.settings import AugmentSettings

    s = AugmentSettings.of(load_config())
    changed = s.with_augment(engine="hf", top_p=0.5)
    assert str(changed.augment.engine) == "hf" and changed.augment.top_p == 0.5
    assert s.augment.top_p != 0.5  # the original is untouched
    with pytest.raises(ConfigError, match=r"augment\.top_p.*must be in \(0, 1\]"):
        s.with_augment(top_p=1.5)
    with pytest.raises(ConfigError, match=r"augment\.compose\.rounds"):
        s.with_augment(compose={"rounds": 0})
    with pytest.raises(ConfigError, match="engine"):
        s.with_augment(engine="nope")
