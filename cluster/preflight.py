"""Checks a command runs before any work, and the words for an OS error that still happens.

A non-writable or wrong `--out` is found here in milliseconds instead of after a stage's
work; an OS error later (a disk that fills up, a store that goes away) becomes one line that
names the path, through `os_error_message`, instead of a traceback.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path
from augft.core.errors import AugftError


def check_out(out, flag: str = "--out") -> None:
    """`out` is a folder this process can create or write into (URIs are checked by their store)."""
    if out is None or "://" in str(out):
        return
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise AugftError(f"{flag} {path}: exists and is not a folder; name a folder (new or existing)")
    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise AugftError(f"{flag} {path}: {existing} is a file, so no folder can be made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise AugftError(f"{flag} {path}: permission denied: cannot write in {existing}")


MODEL_COMMANDS = ("augment", "train", "eval", "questions", "run", "sweep")


def check_models(cfg, command: str) -> None:
    """The models the config names exist locally (a missing one fails now, not after a stage).

    With engine=openai the teacher lives on the server, so only the student is checked."""
    from augft.core.models import check_model_name

    if command not in MODEL_COMMANDS:
        return
    server = str(cfg.augment.engine) == "openai"
    if not (command == "augment" and server):
        check_model_name(str(cfg.model.name), "model.name")
    if cfg.augment.model and not server and command in ("augment", "run", "sweep"):
        check_model_name(str(cfg.augment.model), "augment.model")
    if command == "eval":
        for label, name in dict(cfg.eval.models).items():
            check_model_name(str(name), f"eval.models.{label}")


def os_error_message(exc: OSError) -> str:
    """One line for an OS error: what failed, on which path."""
    where = exc.filename or ""
    if exc.filename2:
        where = f"{where} -> {exc.filename2}"
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device writing {where or 'a file'}: free space or choose another --out"
    what = exc.strerror or str(exc).splitlines()[0] or type(exc).__name__
    return f"{what}: {where}" if where else what
