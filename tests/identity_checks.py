"""Checks of a stage's identity contract (core/identity.py) over the config schema: every key of
the sections the stage reads is classified exactly once, every allow-listed key changes the
identity, and every other key does not."""
import copy
import enum

from omegaconf import DictConfig, ListConfig, OmegaConf

from augft.core.config import load_config
from augft.core.config.root import AugftConfig
from augft.core.identity import Contract, leaves, unclassified


def changed(value):
    """Candidates for another value of a config key's type (the first the schema accepts is used)."""
    if isinstance(value, bool):
        return [not value]
    if value is None:
        return [True, "x"]
    if isinstance(value, enum.Enum):
        return [m for m in type(value) if m != value]
    if isinstance(value, (int, float)):
        return [value + 1, value + 0.25]
    if isinstance(value, str):
        return [value + "x"]
    if isinstance(value, ListConfig):
        items = OmegaConf.to_container(value)
        return [items + items[-1:]] if items else [["x"]]
    if isinstance(value, DictConfig):
        return [{"x": v} for v in ("x", 1.0, ["x"])]
    raise TypeError(f"no other value for {value!r}")


def with_change(cfg, key: str):
    """A copy of `cfg` with `key` set to another value of its type."""
    for candidate in changed(OmegaConf.select(cfg, key)):
        out = copy.deepcopy(cfg)
        try:
            OmegaConf.update(out, key, candidate, merge=True)
        except Exception:  # the typed config refuses this candidate: try the next
            continue
        if OmegaConf.select(out, key) != OmegaConf.select(cfg, key):
            return out
    raise AssertionError(f"{key}: no other value the schema accepts")


def keys(contract: Contract):
    return [k for s in contract.sections for k in leaves(AugftConfig, s)]


def is_output(contract: Contract, key: str) -> bool:
    return any(key == e or key.startswith(e + ".") for e in contract.output)


def check(contract: Contract, identity_of, *overrides):
    """`identity_of(cfg)` is the stage's identity of a fixed request under config `cfg`."""
    bad = unclassified(contract, AugftConfig)
    assert bad == {}, f"{contract.stage}: classify each key once in its contract (key -> entries): {bad}"
    cfg = load_config(None, ["model.name=tiny-random-llama", *overrides])
    base = identity_of(cfg)
    moved = {k for k in keys(contract) if identity_of(with_change(cfg, k)) != base}
    wrong_out = [k for k in keys(contract) if is_output(contract, k) and k not in moved]
    wrong_neutral = [k for k in keys(contract) if not is_output(contract, k) and k in moved]
    assert wrong_out == [], f"allow-listed keys that change no {contract.stage} identity: {wrong_out}"
    assert wrong_neutral == [], \
        f"keys classified as changing no {contract.stage} output that change it: {wrong_neutral}"
