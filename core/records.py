"""Record types (Document, Question, Augmentation) and their JSONL/Parquet IO.

One schema per record type. Readers validate every record and raise RecordError
naming the file and line (JSONL) or row (Parquet). Writers are atomic: they
write a temporary file beside the target and rename it, so a crash never leaves
a half-written file under the real name.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Type, TypeVar, Union

from augft.core.errors import AugftError
from augft.core.io import atomic_path

PathLike = Union[str, os.PathLike]


class RecordError(AugftError, ValueError):
    """A malformed record; the message starts with `file:line` (or `file:row N`)."""


@dataclass
class Document:
    id: str
    """Stable unique id within the corpus."""
    text: str
    """The training text (one or more sentences)."""
    meta: Dict[str, Any] = field(default_factory=dict)
    """Free-form metadata (benchmark fact ids, source, style)."""


@dataclass
class Question:
    id: str
    """Stable unique id within the test set."""
    split: str
    """Test split (e.g. `reversal`, `rephrase`, `syllogism`, `forward`)."""
    kind: str
    """What the question probes (e.g. `reversal`, `control`, `grandparent`)."""
    prompt: str
    """Text the choices continue; the choices are never shown in it."""
    choices: List[str]
    """Candidate continuations; each is scored by log-likelihood after the prompt."""
    answer: int
    """Index of the correct choice."""
    source_ids: List[str] = field(default_factory=list)
    """Ids of the corpus documents or facts the answer derives from."""
    meta: Dict[str, Any] = field(default_factory=dict)
    """Free-form metadata."""


@dataclass
class Augmentation:
    id: str
    """Stable id: source id + strategy + prompt hash + index."""
    text: str
    """The generated statement."""
    strategy: str
    """local, global, entity or oracle."""
    source_ids: List[str]
    """Ids of the documents the statement was generated from."""
    prompt_hash: str
    """Hash of the prompt template that produced it (provenance)."""
    model: str
    """Model that generated it (`oracle` for ground truth)."""
    sampling: Dict[str, Any] = field(default_factory=dict)
    """Sampling parameters (temperature, top_p, seed, ...)."""
    meta: Dict[str, Any] = field(default_factory=dict)
    """Free-form metadata (filter verdicts, engine, timings)."""


R = TypeVar("R", Document, Question, Augmentation)

# Fields that must be non-empty strings (whitespace-only counts as empty).
_NONEMPTY = {"id", "text", "prompt", "strategy", "split", "kind"}


def _check_type(name: str, value: Any, tp) -> str | None:
    """Return an error message if `value` does not fit annotation `tp`."""
    origin = getattr(tp, "__origin__", None)
    if tp is str or tp == "str":
        if not isinstance(value, str):
            return f"field '{name}' must be a string, got {type(value).__name__}"
        if name in _NONEMPTY and not value.strip():
            return f"field '{name}' is empty"
    elif tp is int or tp == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"field '{name}' must be an integer, got {type(value).__name__}"
    elif origin in (list, List) or str(tp).startswith("List"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"field '{name}' must be a list of strings"
    elif origin in (dict, Dict) or str(tp).startswith("Dict"):
        if not isinstance(value, dict):
            return f"field '{name}' must be an object, got {type(value).__name__}"
    return None


def from_dict(cls: Type[R], obj: Any, where: str) -> R:
    """Validate a decoded JSON object against `cls`; errors start with `where`."""
    if not isinstance(obj, dict):
        raise RecordError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(obj) - set(fields))
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {unknown} for {cls.__name__}")
    kwargs = {}
    hints = _hints(cls)
    for name, f in fields.items():
        if name not in obj:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordError(f"{where}: missing field '{name}' for {cls.__name__}")
            continue
        err = _check_type(name, obj[name], hints[name])
        if err:
            raise RecordError(f"{where}: {err}")
        kwargs[name] = obj[name]
    rec = cls(**kwargs)
    if isinstance(rec, Question):
        if len(rec.choices) < 2:
            raise RecordError(f"{where}: field 'choices' needs at least 2 choices")
        if any(not c.strip() for c in rec.choices):
            raise RecordError(f"{where}: field 'choices' has an empty choice")
        if not 0 <= rec.answer < len(rec.choices):
            raise RecordError(
                f"{where}: field 'answer' is {rec.answer}, outside 0..{len(rec.choices) - 1}")
        _check_distinct(rec, where)
    return rec


def _check_distinct(q: Question, where: str) -> None:
    """Choices that read the same score the same, and a tie goes to the first: a question whose
    answer has a twin would count as correct (or wrong) whatever the model thinks."""
    first: Dict[str, int] = {}
    for i, c in enumerate(q.choices):
        norm = " ".join(c.split())
        if norm in first:
            raise RecordError(f"{where}: field 'choices' has the same text at {first[norm]} and {i} "
                              f"({c.strip()!r}); every choice must differ")
        first[norm] = i


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls) -> Dict[str, Any]:
    if cls not in _HINTS:
        import typing
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def to_dict(rec) -> Dict[str, Any]:
    return dataclasses.asdict(rec)


def _fmt(path: PathLike) -> str:
    return os.fspath(path)


def decode_line(raw: bytes, where: str) -> Any:
    """One JSON Lines line as a JSON value (None for a blank line); errors start with `where`."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{where}: invalid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not line.strip():
        return None
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(f"{where}: bad JSON: {exc.msg} (column {exc.colno})") from None


def iter_jsonl(path: PathLike, cls: Type[R]) -> Iterator[R]:
    """Stream validated records from a JSONL file (blank lines are skipped)."""
    seen: Dict[str, int] = {}
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{_fmt(path)}:{lineno}"
            obj = decode_line(raw, where)
            if obj is None:
                continue
            rec = from_dict(cls, obj, where)
            if rec.id in seen:
                raise RecordError(f"{where}: duplicate id '{rec.id}' (first on line {seen[rec.id]})")
            seen[rec.id] = lineno
            yield rec


def write_jsonl(path: PathLike, records: Iterable) -> int:
    """Atomically write records (dataclasses or dicts) as JSON Lines; returns the count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for rec in records:
            obj = rec if isinstance(rec, dict) else to_dict(rec)
            fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
            n += 1
    return n


# Parquet stores nested dict fields as JSON strings so one file has one flat schema
# even when `meta` differs between records.
_JSON_FIELDS = {"meta", "sampling"}


def write_parquet(path: PathLike, records: Iterable) -> int:
    """Atomically write records as a Parquet file; returns the count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for rec in records:
        obj = dict(rec) if isinstance(rec, dict) else to_dict(rec)
        for k in _JSON_FIELDS & obj.keys():
            obj[k] = json.dumps(obj[k], ensure_ascii=False, sort_keys=True)
        rows.append(obj)
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    return len(rows)


def iter_parquet(path: PathLike, cls: Type[R]) -> Iterator[R]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise RecordError(f"{_fmt(path)}: not a readable Parquet file: {exc}") from None
    seen: Dict[str, int] = {}
    for i, obj in enumerate(table.to_pylist()):
        where = f"{_fmt(path)}:row {i}"
        for k in _JSON_FIELDS & obj.keys():
            if isinstance(obj[k], str):
                try:
                    obj[k] = json.loads(obj[k])
                except json.JSONDecodeError:
                    raise RecordError(f"{where}: field '{k}' is not valid JSON") from None
        rec = from_dict(cls, obj, where)
        if rec.id in seen:
            raise RecordError(f"{where}: duplicate id '{rec.id}' (first at row {seen[rec.id]})")
        seen[rec.id] = i
        yield rec


def read_records(path: PathLike, cls: Type[R]) -> List[R]:
    """Read and validate a whole JSONL or Parquet file of `cls` records."""
    p = Path(path)
    if not p.is_file():
        raise RecordError(f"{_fmt(path)}: file not found")
    if p.suffix == ".parquet":
        return list(iter_parquet(p, cls))
    return list(iter_jsonl(p, cls))


def write_records(path: PathLike, records: Iterable) -> int:
    """Write by extension: `.parquet` as Parquet, anything else as JSONL."""
    if Path(path).suffix == ".parquet":
        return write_parquet(path, records)
    return write_jsonl(path, records)


def read_corpus(data_dir: PathLike) -> List[Document]:
    """`corpus.jsonl` (or `corpus.parquet`) of a data folder; empty is an error."""
    return _read_data_file(data_dir, "corpus", Document)


# Splits eval adds to every test set itself (eval.retention): a user's question in one would be
# merged into it, and the report's row would mean neither.
RESERVED_SPLITS = ("retention",)


def read_questions(data_dir: PathLike) -> List[Question]:
    """`questions.jsonl` (or `.parquet`) of a data folder; empty is an error, and so is a split
    named like a built-in one."""
    recs = _read_data_file(data_dir, "questions", Question)
    for q in recs:
        if q.split in RESERVED_SPLITS:
            raise RecordError(f"{_fmt(Path(data_dir))}: question '{q.id}' is in split '{q.split}', which is "
                              f"built in (eval.retention adds it); rename the split, e.g. '{q.split}_mine'")
    return recs


def _read_data_file(data_dir: PathLike, stem: str, cls):
    d = Path(data_dir)
    if (d / f"{stem}.jsonl").is_file() and (d / f"{stem}.parquet").is_file():
        raise RecordError(f"{_fmt(d)}: both {stem}.jsonl and {stem}.parquet are here, and only one would be "
                          "read; remove the other")
    for suffix in (".jsonl", ".parquet"):
        p = d / f"{stem}{suffix}"
        if p.is_file():
            recs = read_records(p, cls)
            if not recs:
                raise RecordError(f"{_fmt(p)}: no records (an empty {stem} cannot be used)")
            return recs
    raise RecordError(f"{_fmt(d)}: no {stem}.jsonl or {stem}.parquet in this folder")
