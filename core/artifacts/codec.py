"""Typed values to JSON and back, for the files stages hand each other.

`encode` turns a dataclass (nested dataclasses, lists, dicts, enums) into plain JSON values;
`decode(cls, value, where)` checks a parsed JSON value against `cls`'s type hints and builds
it, and a wrong or missing field fails with the file and the field's path, e.g.
`out/manifest.json: field 'strategies.local.ok': expected an integer, got "3"`.
"""
from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from typing import Any, Dict, Tuple, Union

from augft.core.errors import AugftError


class ArtifactError(AugftError):
    """A stage output folder is missing a file or holds a malformed one."""


def encode(obj: Any) -> Any:
    """Plain JSON values of a typed value (field order kept; None kept as null)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    return obj


def _fail(where: str, path: str, msg: str) -> ArtifactError:
    at = f"field '{path}'" if path else "top level"
    return ArtifactError(f"{where}: {at}: {msg}")


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _scalar(hint: type, value: Any, where: str, path: str) -> Any:
    ok = {int: isinstance(value, int) and not isinstance(value, bool),
          float: isinstance(value, (int, float)) and not isinstance(value, bool),
          str: isinstance(value, str), bool: isinstance(value, bool)}[hint]
    if not ok:
        raise _fail(where, path, f"expected {_NAMES[hint]}, got {value!r:.60}")
    return float(value) if hint is float else value


def _container(origin, args: Tuple, value: Any, where: str, path: str) -> Any:
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise _fail(where, path, f"expected a list, got {type(value).__name__}")
        item = args[0] if args else Any
        out = [decode(item, v, where, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if not isinstance(value, dict):
        raise _fail(where, path, f"expected an object, got {type(value).__name__}")
    item = args[1] if len(args) == 2 else Any
    return {k: decode(item, v, where, f"{path}.{k}" if path else k) for k, v in value.items()}


def _dataclass(cls: type, value: Any, where: str, path: str) -> Any:
    if not isinstance(value, dict):
        raise _fail(where, path, f"expected an object ({cls.__name__}), got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _fail(where, f"{path}.{unknown[0]}" if path else unknown[0], f"unknown field in {cls.__name__}")
    kwargs: Dict[str, Any] = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in value:
            kwargs[name] = decode(hints[name], value[name], where, sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _fail(where, sub, f"missing (required in {cls.__name__})")
    return cls(**kwargs)


def decode(hint: Any, value: Any, where: str, path: str = "") -> Any:
    """`value` (parsed JSON) as the type `hint`; errors name `where` and the field path."""
    if hint is Any:
        return value
    if hint in (dict, list):  # an untyped container: its shape only
        if not isinstance(value, hint):
            raise _fail(where, path, f"expected {'an object' if hint is dict else 'a list'}, got {value!r:.60}")
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union:
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return decode(rest[0], value, where, path)
        for a in rest:  # a union of scalars: the first that fits
            try:
                return decode(a, value, where, path)
            except ArtifactError:
                continue
        raise _fail(where, path, f"expected one of {rest}, got {value!r:.60}")
    if origin is not None:
        return _container(origin, args, value, where, path)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint, value, where, path)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise _fail(where, path, f"expected one of {[m.value for m in hint]}, got {value!r:.60}") from None
    if hint in _NAMES:
        return _scalar(hint, value, where, path)
    raise TypeError(f"codec: unsupported type {hint!r} at {path}")


def read_typed(path, cls: type, what: str) -> Any:
    """The artifact `cls` from the JSON file `path`; errors name the file (and line or field).
    A file of another schema version fails naming both versions."""
    import json
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"{p}: no {what} here (the stage has not finished, or the folder is wrong)")
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{p}:{exc.lineno}: not valid JSON ({exc.msg}); expected {what}") from None
    return from_json(cls, obj, str(p), what)


def from_json(cls: type, obj: Any, where: str, what: str) -> Any:
    """A parsed JSON value as the artifact `cls`, after checking its schema version."""
    if not isinstance(obj, dict):
        raise ArtifactError(f"{where}: expected a JSON object ({what})")
    want = getattr(cls, "SCHEMA", None)
    if want is not None and obj.get("schema") != want:
        raise ArtifactError(f"{where}: {what} of schema {obj.get('schema')!r}, this augft reads schema {want} "
                            "(written by another version: rerun the stage that wrote it)")
    return decode(cls, obj, where)
