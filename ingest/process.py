"""One file -> its documents (run in a worker process): extract, clean, chunk, id."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import List, Optional

from augft.core.records import Document, RecordError, read_records, to_dict
from augft.ingest.chunk import chunk_paragraphs, count_tokens
from augft.ingest.extract import EXTRACTORS, Unreadable
from augft.ingest.sources import SourceFile


@dataclass
class FileResult:
    rel: str
    format: str
    documents: List[dict] = field(default_factory=list)
    skipped: Optional[str] = None
    """Why the file gave no documents (unreadable or empty); None when it gave some."""
    error: Optional[str] = None
    """A malformed Document file (file:line message): the whole ingest stops on it."""


def doc_id(rel: str, index: int, text: str) -> str:
    """Stable across reruns: source path, chunk index, and a hash of the chunk's text."""
    return f"{rel}#{index}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]}"


def process_file(src: SourceFile, max_tokens: int, min_chars: int) -> FileResult:
    fmt = src.path.suffix.lower().lstrip(".")
    if fmt in ("jsonl", "parquet"):
        return _passthrough(src, fmt, max_tokens)
    try:
        sections = EXTRACTORS["." + fmt](src.path)
    except Unreadable as exc:
        return FileResult(src.rel, fmt, skipped=f"unreadable: {exc}")
    docs: List[dict] = []
    for sec in sections:
        for text in chunk_paragraphs(sec.paragraphs, max_tokens):
            if len(text) < min_chars:
                continue
            meta = {"source": src.rel, "format": fmt, "chunk": len(docs), **sec.meta,
                    "tokens": count_tokens(text)}
            docs.append(to_dict(Document(doc_id(src.rel, len(docs), text), text, meta)))
    if not docs:
        return FileResult(src.rel, fmt, skipped="empty: no text after extraction and cleaning")
    return FileResult(src.rel, fmt, docs)


def _passthrough(src: SourceFile, fmt: str, max_tokens: int) -> FileResult:
    """Document records are validated and kept as they are (ids and meta unchanged), except one
    above max_tokens: it is split like extracted text, into `<id>#<k>` with meta.split_from."""
    try:
        recs = read_records(src.path, Document)
    except RecordError as exc:
        return FileResult(src.rel, fmt, error=str(exc))
    if not recs:
        return FileResult(src.rel, fmt, skipped="empty: no records")
    docs: List[dict] = []
    for r in recs:
        docs.extend(_split_record(r, max_tokens))
    return FileResult(src.rel, fmt, docs)


def _split_record(rec: Document, max_tokens: int) -> List[dict]:
    if len(rec.text) <= max_tokens or count_tokens(rec.text) <= max_tokens:
        return [to_dict(rec)]
    paras = [p for p in rec.text.split("\n\n") if p.strip()]
    return [to_dict(Document(f"{rec.id}#{k}", text, {**rec.meta, "split_from": rec.id, "chunk": k,
                                                     "tokens": count_tokens(text)}))
            for k, text in enumerate(chunk_paragraphs(paras, max_tokens))]
