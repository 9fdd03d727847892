"""Object-store locations (`s3://...`, any pyarrow URI) for stages that work on local files.

augment streams its corpus and writes its shards through pyarrow filesystems. The other stages
(ingest, questions, train, eval, targets, a study) hand folders to tools that need real files
(transformers and DeepSpeed checkpoints, torchrun workers, report plots), so a URI is bridged:

- an input (`--data`, a model, an augment output a key names) is mirrored into a local work
  folder keyed by the URI (`<work>/in/<digest>`): only objects whose size or modification time
  changed since the last copy are fetched again; local files the store no longer has go.
- an output (`--out`) is written into `<work>/out/<digest>`, which first receives what the store
  already holds there (so a rerun resumes from the published checkpoints and stage folders), and
  is published when the command ends, successfully or not: the payload objects first, the
  marker files (`manifest.json`, `summary.json`, `results.json`, ...) after them, deepest first,
  and the store's old markers are deleted before any payload is replaced. A reader that trusts
  markers (as every stage's resume guard does) never sees a complete-looking half output.

The work root is `$AUGFT_WORK`, else `cluster.storage` / `$AUGFT_STORAGE` (shared, so Ray
workers on every node see the copies), else the model cache (`model.cache_dir`, `$AUGFT_CACHE`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from augft.core.corpus import is_uri, open_location, public  # noqa: F401 (public: callers' error text)
from augft.core.errors import AugftError

MARKERS = frozenset({"manifest.json", "summary.json", "results.json", "targets.json", "benchmark.json",
                     "ingest.json", "questions.json", "quality.json"})
"""Files a reader takes as "this folder is complete": published after every other object."""
log = logging.getLogger(__name__)
_STATE = ".uri-state.json"
_CHUNK = 8 << 20


def work_root(storage: str = "", cache_dir: str = "") -> Path:
    """Where local copies of URIs live (see the module docstring)."""
    from augft.core.models import cache_root

    for root in (os.environ.get("AUGFT_WORK", ""), storage, os.environ.get("AUGFT_STORAGE", "")):
        if root:
            return Path(root).expanduser() / ".augft-uri"
    return cache_root(cache_dir) / "uri"


def _digest(uri: str) -> str:
    # keyed without the query string: the same object whatever endpoint options ride along
    return hashlib.sha256(public(uri).rstrip("/").encode()).hexdigest()[:16]


def store_error(exc: BaseException, key: str, uri: str) -> AugftError:
    """A store's failure as the user can act on it, naming the flag or key and the URI."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = text.lower()
    if "nosuchbucket" in low or "bucket" in low and ("not exist" in low or "not found" in low):
        hint = "the bucket does not exist (create it, or fix the name)"
    elif any(w in low for w in ("access_denied", "accessdenied", "credential", "invalidaccesskey",
                                "signature", "forbidden", "403")):
        hint = ("access denied or no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or the store's own variables) for this process and the Ray workers")
    else:
        hint = "the store failed"
    return AugftError(f"{key} {public(uri)}: {hint} ({text})")


def _remote_files(filesystem, root: str) -> Dict[str, Tuple[int, int]]:
    """rel path -> (size, mtime ns) of every object under `root` ({} when there is none)."""
    from pyarrow import fs as pafs

    infos = filesystem.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    out = {}
    for i in infos:
        if i.type == pafs.FileType.File:
            mtime = int(i.mtime_ns or 0) if i.mtime_ns is not None else 0
            out[i.path[len(root):].lstrip("/")] = (int(i.size or 0), mtime)
    return out


def _read_state(folder: Path, name: str = _STATE) -> Dict[str, List[int]]:
    try:
        return json.loads((folder / name).read_text())
    except (OSError, ValueError):
        return {}


def _write_state(folder: Path, state: Dict, name: str = _STATE) -> None:
    from augft.core.io import atomic_write_text

    atomic_write_text(folder / name, json.dumps(state, sort_keys=True))


def _download(filesystem, src: str, dest: Path) -> None:
    from augft.core.io import atomic_path

    with atomic_path(dest) as tmp, filesystem.open_input_stream(src) as fh, open(tmp, "wb") as w:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            w.write(chunk)


def _pull(uri: str, local: Path, prune: bool) -> int:
    """Mirror the objects under `uri` into `local`; returns how many were fetched."""
    filesystem, root = open_location(uri)
    remote = _remote_files(filesystem, root)
    state = _read_state(local)
    fetched = 0
    for rel, (size, mtime) in sorted(remote.items()):
        dest = local / rel
        if dest.is_file() and state.get(rel) == [size, mtime] and dest.stat().st_size == size:
            continue
        _download(filesystem, f"{root}/{rel}", dest)
        state[rel] = [size, mtime]
        fetched += 1
    if prune:
        for rel in [r for r in state if r not in remote]:
            (local / rel).unlink(missing_ok=True)
            state.pop(rel)
    local.mkdir(parents=True, exist_ok=True)
    _write_state(local, state)
    return fetched


def local_input(uri: str, key: str, storage: str = "", cache_dir: str = "", must_exist: bool = True) -> Path:
    """A local mirror of the folder (or single object) at `uri`, for a stage that reads files."""
    local = work_root(storage, cache_dir) / "in" / _digest(uri)
    filesystem, root = open_location(uri)
    try:
        from pyarrow import fs as pafs

        kind = filesystem.get_file_info(root).type
        if kind == pafs.FileType.File:  # one object: its folder's copy holds it under its own name
            name = root.rsplit("/", 1)[-1]
            _download(filesystem, root, local / name)
            return local / name
        if must_exist and kind != pafs.FileType.Directory:
            raise AugftError(f"{key} {public(uri)}: no such object or folder in the store")
        _pull(uri, local, prune=True)
    except OSError as exc:
        raise store_error(exc, key, uri) from None
    return local


def _local_files(local: Path) -> Dict[str, Tuple[int, int]]:
    out = {}
    for p in local.rglob("*"):
        rel = p.relative_to(local).as_posix()
        if p.is_file() and not p.name.startswith((_STATE, ".uri-")) and not p.name.endswith((".tmp", ".lock")):
            st = p.stat()
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out


def _is_marker(rel: str) -> bool:
    return rel.rsplit("/", 1)[-1] in MARKERS


def _upload(filesystem, src: Path, dest: str) -> None:
    with open(src, "rb") as fh, filesystem.open_output_stream(dest) as w:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            w.write(chunk)


def publish(local: Path, uri: str, key: str = "--out") -> int:
    """Publish `local` to `uri`: changed payload, then markers deepest first, then stale objects
    go. Returns how many objects were written."""
    filesystem, root = open_location(uri)
    try:
        remote = _remote_files(filesystem, root)
        sent = _read_state(local, ".uri-published.json")
        files = _local_files(local)
        changed = [r for r, sig in files.items() if sent.get(r) != list(sig) or r not in remote]
        markers = sorted((r for r in changed if _is_marker(r)), key=lambda r: (-r.count("/"), r))
        for rel in markers:  # an old marker must not vouch for the payload replaced below
            if rel in remote:
                filesystem.delete_file(f"{root}/{rel}")
        for rel in [r for r in sorted(changed) if not _is_marker(r)] + markers:
            _upload(filesystem, local / rel, f"{root}/{rel}")
            sent[rel] = list(files[rel])
        for rel in sorted(set(remote) - set(files)):  # e.g. checkpoints the stage rotated out
            filesystem.delete_file(f"{root}/{rel}")
            sent.pop(rel, None)
    except OSError as exc:
        raise store_error(exc, key, uri) from None
    _write_state(local, sent, ".uri-published.json")
    return len(changed)


@contextlib.contextmanager
def local_output(uri: str, key: str = "--out", storage: str = "", cache_dir: str = "") -> Iterator[Path]:
    """A local folder for an output at `uri`, holding what the store has there (a rerun resumes);
    published when the block ends, also after an error (finished stage folders are kept)."""
    local = work_root(storage, cache_dir) / "out" / _digest(uri)
    filesystem, root = open_location(uri)
    try:
        bucket = root.split("/", 1)[0]
        from pyarrow import fs as pafs

        if "/" in root and filesystem.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise AugftError(f"{key} {public(uri)}: the bucket '{bucket}' does not exist (create it, "
                             "or fix the name)")
        _pull(uri, local, prune=False)
    except OSError as exc:
        raise store_error(exc, key, uri) from None
    _write_state(local, {r: list(s) for r, s in _local_files(local).items()
                         if r in _remote_files(filesystem, root)}, ".uri-published.json")
    try:
        yield local
    except BaseException:
        try:  # what finished before the failure is published; the failure itself is what to report
            publish(local, uri, key)
        except Exception as exc:  # noqa: BLE001
            log.warning("%s %s: could not publish the partial output (%s); it stays in %s",
                        key, public(uri), exc, local)
        raise
    publish(local, uri, key)


def maybe_local_input(value: str, key: str, storage: str = "", cache_dir: str = "") -> Optional[str]:
    """The local copy's path when `value` is a URI, else None."""
    return str(local_input(value, key, storage, cache_dir)) if is_uri(value) else None
