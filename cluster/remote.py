"""The CLI's bridge between object-store URIs and stages that work on local files (core/uri.py).

`augft augment` streams URIs itself. For every other stage command, `--data s3://...` and the
config keys that name input folders or models (`model.name`, `augment.model`,
`train.augmentations`, `train.targets`, `eval.models.<label>`) are mirrored into local copies
and passed on as overrides; `--out s3://...` is a local folder published when the command ends.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from augft.core import uri
from augft.core.corpus import is_uri
from augft.core.errors import AugftError

STREAMS_URIS = ("augment",)
"""Commands that read and write URIs through pyarrow filesystems themselves."""


def _roots(cfg) -> Tuple[str, str]:
    return str(cfg.cluster.storage), str(cfg.model.cache_dir)


def _yaml_str(path: str) -> str:
    return '"' + path.replace('"', '\\"') + '"'


def input_overrides(cfg, command: str) -> List[str]:
    """`key=local copy` overrides for the URI-valued keys `command` reads (empty: none)."""
    if command in STREAMS_URIS:
        return []
    storage, cache = _roots(cfg)

    def local(value: str, key: str) -> str:
        return str(uri.local_input(value, key, storage, cache))

    out: List[str] = []
    for key in ("model.name", "augment.model"):
        value = str(cfg.model.name if key == "model.name" else cfg.augment.model or "")
        if is_uri(value) and not (key == "augment.model" and str(cfg.augment.engine) == "openai"):
            out.append(f"{key}={_yaml_str(local(value, key))}")
    for key in ("augmentations", "targets"):
        values = [str(v) for v in getattr(cfg.train, key)]
        if any(map(is_uri, values)):
            items = [local(v, f"train.{key}[{i}]") if is_uri(v) else v for i, v in enumerate(values)]
            out.append(f"train.{key}=[{','.join(map(_yaml_str, items))}]")
    for label, value in dict(cfg.eval.models).items():
        if is_uri(str(value)):
            out.append(f"eval.models.{label}={_yaml_str(local(str(value), f'eval.models.{label}'))}")
    return out


def local_paths(cfg, paths) -> List[str]:
    """`augft ingest PATH...`: each URI among the inputs as its local copy."""
    storage, cache = _roots(cfg)
    return [str(uri.local_input(p, f"PATH {i + 1}", storage, cache)) if is_uri(p) else p
            for i, p in enumerate(paths)]


def _named_by_uri(exc: AugftError, places: Dict[str, str]) -> AugftError:
    """`exc` with each local copy's path replaced by its URI (the user never named the copy)."""
    text = str(exc)
    for local, location in places.items():
        text = text.replace(local, uri.public(location).rstrip("/"))
    if text == str(exc):
        return exc
    return AugftError(text)


@contextlib.contextmanager
def stage_locations(cfg, command: str, data: Optional[str], out) -> Iterator[Tuple[Optional[Path], Path]]:
    """(data, out) as local folders for the stage; a URI `out` is published when the block ends."""
    if command in STREAMS_URIS:
        yield data, out
        return
    storage, cache = _roots(cfg)
    places: Dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        local_out = out
        if is_uri(str(out)):
            local_out = stack.enter_context(uri.local_output(str(out), "--out", storage, cache))
            places[str(local_out)] = str(out)
        local_data = data
        if data is not None and is_uri(str(data)):
            same = is_uri(str(out)) and uri.public(str(out)).rstrip("/") == uri.public(str(data)).rstrip("/")
            # questions writes beside its corpus: the output's copy already holds the corpus
            local_data = local_out if same else uri.local_input(str(data), "--data", storage, cache)
            places.setdefault(str(local_data), str(data))
        try:
            yield (Path(local_data) if local_data is not None else None), Path(local_out)
        except AugftError as exc:
            named = _named_by_uri(exc, places)
            if named is exc:
                raise
            raise named from None
