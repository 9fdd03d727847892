"""Loading, merging and validating configs; errors name the key (and file)."""
from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import typing
from enum import Enum
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import (
    ConfigKeyError,
    ConfigTypeError,
    MissingMandatoryValue,
    OmegaConfBaseException,
    ValidationError,
)

from augft.core.config.checks import ConfigError
from augft.core.config.root import AugftConfig
from augft.core.mappings import flatten


def _nearest_key(key: str) -> str:
    """' (did you mean 'x.y'?)' for the known key closest to a mistyped one, else ''."""
    known = list(field_docs())
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if not close:  # a right leaf under a wrong section, or a wrong leaf: match the last part
        leaf = str(key).rsplit(".", 1)[-1]
        by_leaf = {k.rsplit(".", 1)[-1]: k for k in known}
        close = [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=1, cutoff=0.75)]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(exc: OmegaConfBaseException, where: str) -> str:
    key = getattr(exc, "full_key", None) or getattr(exc, "key", None) or "?"
    msg = str(exc).splitlines()[0]
    if isinstance(exc, (ConfigKeyError, AttributeError)) and "not in" in msg:
        return f"{where}: unknown config key '{key}'{_nearest_key(key)}"
    if isinstance(exc, MissingMandatoryValue):
        return f"{where}: missing required value for config key '{key}'"
    if isinstance(exc, (ValidationError, ConfigTypeError)):
        return f"{where}: wrong type for config key '{key}': {msg}"
    return f"{where}: invalid config at key '{key}': {msg}"


def _unparsable(override: str) -> bool:
    try:
        OmegaConf.from_dotlist([override])
        return False
    except Exception:
        return True


def _clash(base, other, prefix: str = "") -> str:
    """The first key where `other` puts a list over a mapping or the reverse ('' when none)."""
    if not (OmegaConf.is_dict(base) and OmegaConf.is_dict(other)):
        return ""
    for k in other:
        if k not in base:
            continue
        b, o = base._get_node(k), other._get_node(k)
        if (OmegaConf.is_dict(b) and OmegaConf.is_list(o)) or (OmegaConf.is_list(b) and OmegaConf.is_dict(o)):
            return f"{prefix}{k}"
        found = _clash(b, o, f"{prefix}{k}.")
        if found:
            return found
    return ""


def _merge(base: DictConfig, other, where: str) -> DictConfig:
    try:
        merged = OmegaConf.merge(base, other)
        assert isinstance(merged, DictConfig)  # a mapping merged into a mapping
        return merged
    except OmegaConfBaseException as exc:
        raise ConfigError(_describe(exc, where)) from None
    except TypeError as exc:  # OmegaConf's list-over-mapping clash names no key
        key = _clash(base, other)
        raise ConfigError(f"{where}: wrong type for config key '{key}': {exc}", key=key) from None


def load_config(
    path: Optional[str | Path] = None,
    overrides: Iterable[str] = (),
    base: Optional[DictConfig] = None,
) -> DictConfig:
    """Defaults <- YAML file <- `key=value` overrides, validated against the schema.

    Returns a structured DictConfig (attribute access, typed). Raises ConfigError.
    """
    cfg = base if base is not None else OmegaConf.structured(AugftConfig)
    required: set = set()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            loaded = OmegaConf.load(path)
        except Exception as exc:  # yaml errors carry line numbers in their text
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, DictConfig):
            raise ConfigError(f"{path}: top level must be a mapping of config sections")
        # `???` in a YAML marks a value the user must supply (merging it would
        # silently keep the default, so it is tracked and checked below).
        required = set(OmegaConf.missing_keys(loaded))
        cfg = _merge(cfg, loaded, str(path))
    overrides = list(overrides)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override '{item}' is not of the form key=value")
        key = item.split("=", 1)[0]
        if not key or key.startswith(".") or key.endswith("."):
            raise ConfigError(f"override '{item}' has an empty config key")
    given = {item.split("=", 1)[0] for item in overrides}
    unset = sorted(k for k in required if k not in given)
    if unset:
        raise ConfigError(f"{path}: missing required value for config key '{unset[0]}' "
                          f"(marked ??? in the file; set it with {unset[0]}=...)")
    if overrides:
        try:
            dot = OmegaConf.from_dotlist(overrides)
        except OmegaConfBaseException as exc:
            raise ConfigError(_describe(exc, "command line")) from None
        except Exception as exc:  # a value YAML cannot parse, e.g. an unquoted [a-b] in a list
            bad = next((o for o in overrides if _unparsable(o)), overrides[0])
            raise ConfigError(f"command line: cannot parse the override '{bad}' "
                              f"({type(exc).__name__}); quote values with special characters") from None
        cfg = _merge(cfg, dot, "command line")
    try:  # surfaces missing mandatory values (???) with their key
        OmegaConf.to_container(cfg, throw_on_missing=True)
    except OmegaConfBaseException as exc:
        raise ConfigError(_describe(exc, str(path) if path else "config")) from None
    validate(cfg, str(path) if path else "config", given=overrides)
    return cfg


def _blame(key: str, where: str, given: Iterable[str]) -> str:
    """The command line when an override set `key` (or a section above it), else `where`."""
    for item in given:
        name = item.split("=", 1)[0].lstrip("+~")
        if key and (key == name or key.startswith(name + ".")):
            return f"command line ({item})"
    return where


def validate(cfg: DictConfig, where: str = "config", given: Iterable[str] = ()) -> None:
    """Run every section's `__post_init__` checks (ranges, combinations) on `cfg`.

    `given`: the `key=value` overrides, so a bad value typed on the command line is blamed
    there and not on the YAML file."""
    try:
        OmegaConf.to_object(cfg)
    except ConfigError as exc:
        raise ConfigError(f"{_blame(exc.key, where, given)}: {exc}", key=exc.key) from None
    except OmegaConfBaseException as exc:
        raise ConfigError(_describe(exc, where)) from None


def merge_checked(section: object, changes: Mapping[str, object], where: str) -> DictConfig:
    """`section` (a config section: its DictConfig or a schema dataclass) with `changes` merged
    and every check rerun (types and choices by OmegaConf, ranges by the schema's
    `__post_init__`), so a value set in code cannot bypass what `load_config` refuses; a bad
    value fails naming its key and `where`."""
    base = section if isinstance(section, DictConfig) else OmegaConf.structured(section)
    merged = _merge(base, dict(changes), where)
    validate(merged, where)
    return merged


def to_yaml(cfg: DictConfig) -> str:
    return OmegaConf.to_yaml(cfg, resolve=True)


def to_flat_dict(cfg: DictConfig) -> Dict[str, object]:
    """Flatten to dotted keys (for MLflow params and content hashes)."""
    return flatten(OmegaConf.to_container(cfg, resolve=True))


def _attribute_docs(cls) -> Dict[str, str]:
    """Docstrings written as a string literal right under each dataclass field (a section that
    subclasses another, as augment.vllm does, inherits its base's)."""
    docs: Dict[str, str] = {}
    for klass in reversed([k for k in cls.__mro__ if isinstance(k, type) and dataclasses.is_dataclass(k)]):
        node = ast.parse(inspect.getsource(klass)).body[0]
        assert isinstance(node, ast.ClassDef)
        body = node.body
        for stmt, nxt in zip(body, [*body[1:], None]):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if (isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                        and isinstance(nxt.value.value, str)):
                    docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs


def _enum_of(hint) -> Optional[type[Enum]]:
    """The Enum a field holds (itself, or the items of a List/Optional of it), else None."""
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    for arg in typing.get_args(hint):
        found = _enum_of(arg)
        if found is not None:
            return found
    return None


def field_choices(cls=AugftConfig, prefix: str = "") -> Dict[str, list]:
    """Every choice-valued key (dotted) mapped to its allowed values, read from the schema so
    `config --explain` lists them all even where a docstring names only some."""
    out: Dict[str, list] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints.get(f.name)
        if dataclasses.is_dataclass(hint):
            out.update(field_choices(hint, f"{prefix}{f.name}."))
        elif (enum := _enum_of(hint)) is not None:
            out[f"{prefix}{f.name}"] = [m.value for m in enum]
    return out


def field_docs(cls=AugftConfig, prefix: str = "") -> Dict[str, str]:
    """Every config key (dotted) mapped to its docstring ('' when it has none)."""
    out: Dict[str, str] = {}
    docs = _attribute_docs(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        out[key] = docs.get(f.name, "")
        if dataclasses.is_dataclass(hints.get(f.name)):
            out.update(field_docs(hints[f.name], key + "."))
    return out
