"""What a config value may be, checked where the field is declared.

- A `Choice` subclass is an Enum whose members are strings named as their values: OmegaConf
  rejects any other value at load time with the key's name, and a member compares equal to
  its string and prints as it, so code and YAML keep reading `"cosine"`, `"global"`. They are
  written as classes (not the functional Enum API) so the type checker knows their members.
- `require(...)` is for `__post_init__` checks (ranges, combinations): `load_config`
  instantiates every section once, so a bad value fails there, naming its key, before any
  command starts its work (also `augft submit`, before it uploads anything).
"""
from __future__ import annotations

from enum import Enum
from augft.core.errors import AugftError


class ConfigError(AugftError, ValueError):
    """A config problem, with the key (and file) it concerns in the message."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key
        """The dotted config key the problem is about ('' when none): lets the loader blame
        the command line or the YAML file, whichever set it."""


class Choice(str, Enum):
    """Base of the config's string enums."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


def require(ok: bool, key: str, message: str) -> None:
    """Raise ConfigError naming `key` unless `ok`."""
    if not ok:
        raise ConfigError(f"config key '{key}': {message}", key=key)


def values(enum_cls: type[Choice]) -> list[str]:
    return [m.value for m in enum_cls]
