"""A corpus as a list of shards, read where it lies: discovery, validated streaming reads, digests.

`--data` may be
- a folder holding `corpus.jsonl` or `corpus.parquet` (one shard, the small case),
- a folder holding `corpus-*.jsonl` / `corpus-*.parquet` shards, or a `corpus/` folder of them,
- any of these behind a URI that pyarrow can open (`s3://bucket/prefix`, `gs://...`, `file://`).
  Options of the filesystem ride in the query string, e.g.
  `s3://bucket/data?endpoint_override=127.0.0.1:9000&scheme=http`.

Nothing here holds a corpus: `iter_shard` streams one shard's validated Documents with their
`file:line` (JSONL) or `file:row N` (Parquet) position for errors; `shard_digest` streams its
bytes through a hash. A `Corpus` is small and picklable, so Ray workers open shards themselves.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Type
from urllib.parse import urlsplit, urlunsplit

from augft.core.records import R, Document, RecordError, decode_line, from_dict, read_records
from augft.core.text import count_tokens

_CHUNK = 1 << 20


def is_uri(location: str) -> bool:
    return "://" in str(location)


def public(location: str) -> str:
    """A location as errors show it: without the query string (filesystem options, keys)."""
    return os.fspath(location).split("?", 1)[0]


def open_location(location: str):
    """(pyarrow filesystem, path inside it) for a local path or a URI."""
    from pyarrow import fs as pafs

    loc = os.fspath(location)
    if not is_uri(loc):
        return pafs.LocalFileSystem(), os.path.abspath(loc)
    try:
        filesystem, path = pafs.FileSystem.from_uri(loc)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError with its own words
        raise RecordError(f"{public(loc)}: cannot open this location ({exc})") from None
    return filesystem, path.rstrip("/")


def join_uri(location: str, *parts: str) -> str:
    """`location` with path parts appended, keeping a URI's query string (filesystem options)."""
    loc = os.fspath(location)
    if not is_uri(loc):
        return os.path.join(loc, *parts)
    u = urlsplit(loc)
    path = "/".join([u.path.rstrip("/")] + [p.strip("/") for p in parts])
    return urlunsplit((u.scheme, u.netloc, path, u.query, u.fragment))


@dataclass(frozen=True)
class Shard:
    path: str
    """Path inside the corpus filesystem."""
    format: str
    """jsonl or parquet."""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Corpus:
    """Where a corpus lies and its shards in reading order (sorted by name)."""
    location: str
    shards: Tuple[Shard, ...]
    max_tokens: int = 0
    """Longest document accepted (core.text.count_tokens); a longer one is an error naming its
    file:line when read, so no stage holds or prompts with it whole. 0: no limit."""

    def filesystem(self):
        return open_location(self.location)[0]

    def display(self, shard: Shard) -> str:
        """How errors name a shard: the user's location plus the shard's place in it."""
        root = open_location(self.location)[1]
        rel = shard.path[len(root):].lstrip("/") if shard.path.startswith(root) else shard.path
        return join_uri(public(self.location), rel) if rel else public(self.location)


def _format(name: str) -> Optional[str]:
    return "jsonl" if name.endswith(".jsonl") else "parquet" if name.endswith(".parquet") else None


def _shard(path: str) -> Shard:
    """A data file already filtered by `_format`."""
    fmt = _format(path.rsplit("/", 1)[-1])
    if fmt is None:
        raise ValueError(f"{path}: neither .jsonl nor .parquet")
    return Shard(path, fmt)


def _files(filesystem, folder: str) -> List[str]:
    from pyarrow import fs as pafs

    infos = filesystem.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
    return sorted(i.path for i in infos if i.type == pafs.FileType.File)


def discover(location: str, stem: str = "corpus", max_tokens: int = 0) -> Corpus:
    """The shards of `location` (see the module docstring); a clear error when there are none."""
    from pyarrow import fs as pafs

    filesystem, root = open_location(location)
    try:  # the first request to a store: an unreachable endpoint fails here
        info = filesystem.get_file_info(root)
    except OSError as exc:
        raise RecordError(f"{public(location)}: cannot reach this location: "
                          f"{str(exc).splitlines()[0]}") from None
    if info.type != pafs.FileType.Directory:
        raise RecordError(f"{public(location)}: not a folder (--data names a folder holding {stem}.jsonl, "
                          f"{stem}-*.jsonl|parquet shards or a {stem}/ folder of them)")
    files = _files(filesystem, root)
    names = {f.rsplit("/", 1)[-1]: f for f in files}
    if f"{stem}.jsonl" in names and f"{stem}.parquet" in names:
        raise RecordError(f"{public(location)}: both {stem}.jsonl and {stem}.parquet are here, and only one "
                          "would be read; remove the other")
    for single in (f"{stem}.jsonl", f"{stem}.parquet"):
        if single in names:
            return Corpus(location, (_shard(names[single]),), max_tokens)
    sharded = [f for n, f in names.items() if fnmatch.fnmatch(n, f"{stem}-*") and _format(n)]
    if not sharded:
        sub = root + "/" + stem
        if filesystem.get_file_info(sub).type == pafs.FileType.Directory:
            sharded = [f for f in _files(filesystem, sub) if _format(f.rsplit("/", 1)[-1])]
    if not sharded:
        raise RecordError(f"{public(location)}: no {stem}.jsonl, {stem}.parquet, {stem}-*.jsonl|parquet "
                          f"shards or {stem}/ folder of shards here")
    return Corpus(location, tuple(_shard(f) for f in sorted(sharded)),
                  max_tokens)


def _jsonl_objects(filesystem, shard: Shard, where: str) -> Iterator[Tuple[str, object]]:
    with filesystem.open_input_stream(shard.path) as fh:
        buf, lineno = b"", 0
        while True:
            chunk = fh.read(_CHUNK)
            lines = (buf + chunk).split(b"\n")
            buf = lines.pop() if chunk else b""
            for raw in lines:
                lineno += 1
                obj = decode_line(raw, f"{where}:{lineno}")
                if obj is not None:
                    yield f"{where}:{lineno}", obj
            if not chunk:
                return


def _parquet_objects(filesystem, shard: Shard, where: str) -> Iterator[Tuple[str, object]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(filesystem.open_input_file(shard.path))
    except Exception as exc:
        raise RecordError(f"{where}: not a readable Parquet file: {exc}") from None
    row = 0
    for batch in pf.iter_batches(batch_size=4096):
        for obj in batch.to_pylist():
            meta = obj.get("meta")
            if isinstance(meta, str):  # our writer stores nested dicts as JSON text
                try:
                    obj["meta"] = json.loads(meta)
                except json.JSONDecodeError:
                    raise RecordError(f"{where}:row {row}: field 'meta' is not valid JSON") from None
            elif meta is None:
                obj.pop("meta", None)
            yield f"{where}:row {row}", obj
            row += 1


def _check_size(doc: Document, max_tokens: int, pos: str) -> None:
    # len(text) bounds the token count from above, so short documents are never counted
    if max_tokens and len(doc.text) > max_tokens and count_tokens(doc.text) > max_tokens:
        raise RecordError(f"{pos}: document '{doc.id}' has {count_tokens(doc.text)} tokens, above "
                          f"max_document_tokens={max_tokens}; split it (augft ingest splits "
                          f"documents to ingest.max_tokens) or raise max_document_tokens")


def iter_shard_records(corpus: Corpus, shard: Shard, cls: Type[R], filesystem=None) -> Iterator[Tuple[str, R]]:
    """(`file:line` or `file:row N`, record of type `cls`) for every record of a shard, validated
    (another record type than Document: questions read where they lie)."""
    filesystem = filesystem or corpus.filesystem()
    objects = _jsonl_objects if shard.format == "jsonl" else _parquet_objects
    for pos, obj in objects(filesystem, shard, corpus.display(shard)):
        yield pos, from_dict(cls, obj, pos)


def iter_shard(corpus: Corpus, shard: Shard, filesystem=None,
               seen: Optional[Dict[str, str]] = None) -> Iterator[Tuple[int, Document]]:
    """(position in the shard, Document) for every record, validated; a duplicate id is an error
    naming both places: within the shard, or across the shards that share `seen` (id -> the
    `shard:line` of its first record)."""
    filesystem = filesystem or corpus.filesystem()
    where = corpus.display(shard)
    objects = _jsonl_objects if shard.format == "jsonl" else _parquet_objects
    seen = {} if seen is None else seen
    for i, (pos, obj) in enumerate(objects(filesystem, shard, where)):
        doc = from_dict(Document, obj, pos)
        _check_size(doc, corpus.max_tokens, pos)
        first = seen.get(doc.id)
        if first is not None:
            same = first.rsplit(":", 1)[0] == pos.rsplit(":", 1)[0]
            raise RecordError(f"{pos}: duplicate id '{doc.id}' (first at {first.rsplit(':', 1)[-1] if same else first})")
        seen[doc.id] = pos
        yield i, doc


def shard_ids(corpus: Corpus, shard: Shard, filesystem=None) -> Iterator[Tuple[int, str, str]]:
    """(position, `file:line` or `file:row N`, id) of every record of a shard already validated
    (a scan read it with iter_shard): the duplicate-id check reads only this."""
    filesystem = filesystem or corpus.filesystem()
    objects = _jsonl_objects if shard.format == "jsonl" else _parquet_objects
    for i, (pos, obj) in enumerate(objects(filesystem, shard, corpus.display(shard))):
        yield i, pos, str(obj.get("id")) if isinstance(obj, dict) else ""


def iter_corpus(corpus: Corpus, limit: int = 0) -> Iterator[Document]:
    """Every document in shard order (the first `limit` when limit > 0); ids are unique across
    the shards (this reader holds them: it serves the readers that hold the corpus anyway)."""
    filesystem = corpus.filesystem()
    n = 0
    seen: Dict[str, str] = {}
    for shard in corpus.shards:
        for _, doc in iter_shard(corpus, shard, filesystem, seen):
            if limit and n >= limit:
                return
            n += 1
            yield doc


def shard_digest(corpus: Corpus, shard: Shard, filesystem=None) -> str:
    """sha256 of a shard's bytes, read in 1 MiB chunks."""
    filesystem = filesystem or corpus.filesystem()
    h = hashlib.sha256()
    with filesystem.open_input_stream(shard.path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def combine_digests(corpus: Corpus, digests: List[str]) -> str:
    """One digest for the corpus from its shards' digests (in shard order, with their names)."""
    h = hashlib.sha256()
    for shard, d in zip(corpus.shards, digests):
        h.update(f"{shard.name}\x1f{d}\n".encode())
    return h.hexdigest()


def corpus_digest(corpus: Corpus) -> str:
    filesystem = corpus.filesystem()
    return combine_digests(corpus, [shard_digest(corpus, s, filesystem) for s in corpus.shards])


HELDOUT = "heldout.jsonl"
"""Beside a corpus: the statements a generated test set asks about (written by `augft questions`),
which augmentation must not copy verbatim."""


def heldout_texts(location: str) -> List[str]:
    """The held-out statements beside the corpus at `location` ([] when there are none)."""
    if is_uri(location) or not (Path(location) / HELDOUT).is_file():
        return []
    return [d.text for d in read_records(Path(location) / HELDOUT, Document)]


def count_records(corpus: Corpus) -> int:
    """Records in the corpus, without parsing them: Parquet footers, JSONL non-blank lines
    (streamed in blocks; only the count is held)."""
    import pyarrow.parquet as pq

    fs = corpus.filesystem()
    n = 0
    for shard in corpus.shards:
        if shard.format == "parquet":
            with fs.open_input_file(shard.path) as fh:
                n += pq.ParquetFile(fh).metadata.num_rows
            continue
        with fs.open_input_stream(shard.path) as fh:
            tail = b""
            while True:
                block = fh.read(1 << 20)
                if not block:
                    break
                lines = (tail + block).split(b"\n")
                tail = lines.pop()
                n += sum(1 for ln in lines if ln.strip())
            n += 1 if tail.strip() else 0
    return n
