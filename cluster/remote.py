"""The CLI's bridge between object-store URIs and stages that work on local files (core/uri.py).

`augft augment` streams its --data and --out URIs itself. For every other stage command
`--data s3://...`, and for every command the config keys that name input folders, files or models (`model.name`, `augment.model`,
`train.augmentations`, `train.targets`, `train.resume`, `eval.models.<label>`,
`eval.costs.train_summaries.<label>`, `eval.costs.augment_manifests.<label>`) are mirrored into local copies
and passed on as overrides; `--out s3://...` is a local folder published when the command ends.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

from augft.core import uri
from augft.core.corpus import is_uri
from augft.core.errors import AugftError

STREAMS_URIS = ("augment",)
"""Commands that read and write URIs through pyarrow filesystems themselves."""


_STUDY = ("model", "augment", "train", "eval")
READS = {"augment": ("model", "augment"), "train": ("model", "train"), "targets": ("model", "train"), "eval": ("model", "eval"),
         "questions": ("model",), "run": _STUDY, "sweep": _STUDY}
"""Which of those keys each command loads (a model is copied only for a command that loads it)."""


def _roots(cfg) -> Tuple[str, str]:
    return str(cfg.cluster.storage), str(cfg.model.cache_dir)


def _yaml_str(path: str) -> str:
    return '"' + path.replace('"', '\\"') + '"'


def _list(key: str, values, local) -> List[str]:
    values = [str(v) for v in values]
    if not any(map(is_uri, values)):
        return []
    items = [local(v, f"{key}[{i}]") if is_uri(v) else v for i, v in enumerate(values)]
    return [f"{key}=[{','.join(map(_yaml_str, items))}]"]


def _single(key: str, value: str, local) -> List[str]:
    return [f"{key}={_yaml_str(local(value, key))}"] if is_uri(value) else []


def input_overrides(cfg, command: str) -> List[str]:
    """`key=local copy` overrides for the URI-valued keys `command` reads (empty: none)."""
    storage, cache = _roots(cfg)

    def local(value: str, key: str) -> str:
        return str(uri.local_input(value, key, storage, cache))

    reads = READS.get(command, ())
    out = _single("model.name", str(cfg.model.name), local) if "model" in reads else []
    if "augment" in reads and str(cfg.augment.engine) != "openai":  # a served teacher is not loaded here
        out += _single("augment.model", str(cfg.augment.model or ""), local)
    if "train" in reads:
        out += _list("train.augmentations", cfg.train.augmentations, local)
        out += _list("train.targets", cfg.train.targets, local)
        out += _single("train.resume", str(cfg.train.resume or ""), local)
    if "eval" not in reads:
        return out
    for label, value in dict(cfg.eval.models).items():
        out += _single(f"eval.models.{label}", str(value), local)
    for label, value in dict(cfg.eval.costs.train_summaries).items():
        out += _single(f"eval.costs.train_summaries.{label}", str(value), local)
    for label, values in dict(cfg.eval.costs.augment_manifests).items():
        out += _list(f"eval.costs.augment_manifests.{label}", values, local)
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


Location = Union[str, Path]
"""A folder or a URI: what `--data` and `--out` may name."""


@contextlib.contextmanager
def stage_locations(cfg, command: str, data: Optional[Location],
                    out: Location) -> Iterator[Tuple[Optional[Location], Location]]:
    """(data, out) as local folders for the stage (URIs as given to a command that streams them);
    a URI `out` is published when the block ends."""
    if command in STREAMS_URIS:
        yield data, out
        return
    storage, cache = _roots(cfg)
    places: Dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        local_out: Location = out
        if is_uri(str(out)):
            local_out = stack.enter_context(uri.local_output(str(out), "--out", storage, cache))
            places[str(local_out)] = str(out)
        local_data: Optional[Location] = data
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
