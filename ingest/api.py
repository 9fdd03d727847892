"""`augft ingest PATH... --out DIR`: files in, `corpus.jsonl` and `ingest.json` out.

Files are processed in a process pool (a bounded window of files in flight, results taken
in order), and documents are streamed into the corpus as they come, so memory holds a few
files' text, not the corpus. The corpus is written atomically: a failed ingest leaves no
`corpus.jsonl`. `ingest.json` lists every input that gave no documents, with the reason.
"""
from __future__ import annotations

import collections
import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional, Sequence

from tqdm import tqdm

from augft.core.errors import AugftError
from augft.core.io import atomic_path, atomic_write_json
from augft.ingest.chunk import count_tokens
from augft.ingest.process import FileResult, process_file
from augft.ingest.sources import SourceFile, discover

log = logging.getLogger(__name__)
CORPUS = "corpus.jsonl"
REPORT = "ingest.json"


def _ordered_map(fn: Callable, items: Sequence, workers: int) -> Iterator:
    """fn over items in order; at most 4 x workers items in flight (bounded memory)."""
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: collections.deque = collections.deque()
        it = iter(items)
        for item in it:
            window.append(pool.submit(fn, item))
            if len(window) >= 4 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def ingest(paths: Iterable[Path], out: Path, cfg) -> dict:
    """Write `out/corpus.jsonl` and `out/ingest.json`; returns the report."""
    t0 = time.time()
    files, skipped = discover([Path(p) for p in paths], list(cfg.extensions))
    workers = int(cfg.workers) or (os.cpu_count() or 1)
    fn = partial(process_file, max_tokens=int(cfg.max_tokens), min_chars=int(cfg.min_chars))
    report = {"inputs": [str(p) for p in paths], "max_tokens": int(cfg.max_tokens),
              "token_count": "words and punctuation marks", "files_seen": len(files) + len(skipped),
              "files_read": 0, "documents": 0, "tokens": 0, "largest_document_tokens": 0,
              "documents_split": 0, "by_format": {}, "skipped": []}
    report["skipped"] = [{"path": s.rel, "reason": s.reason} for s in skipped]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(out / CORPUS) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            _write_all(_ordered_map(fn, files, workers), fh, report, len(files))
            if report["documents"] == 0:
                raise AugftError(f"no documents extracted from {len(report['inputs'])} input(s); "
                                 f"see {out / REPORT} for each file's reason")
    finally:
        report["skipped"].sort(key=lambda s: s["path"])
        report["n_skipped"] = len(report["skipped"])
        report["wall_s"] = round(time.time() - t0, 3)
        atomic_write_json(out / REPORT, report)
    return report


def _write_all(results: Iterator[FileResult], fh, report: dict, total: int) -> None:
    seen = {}
    for res in tqdm(results, total=total, desc="ingest", unit="file", disable=total < 2):
        if res.error:
            raise AugftError(res.error)
        fmt = report["by_format"].setdefault(res.format, {"files": 0, "documents": 0, "skipped": 0})
        if res.skipped:
            fmt["skipped"] += 1
            report["skipped"].append({"path": res.rel, "reason": res.skipped})
            continue
        fmt["files"] += 1
        fmt["documents"] += len(res.documents)
        report["files_read"] += 1
        for doc in res.documents:
            if doc["id"] in seen:
                raise AugftError(f"{res.rel}: document id '{doc['id']}' is also in {seen[doc['id']]}; "
                                 "ids must be unique across the corpus")
            seen[doc["id"]] = res.rel
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
            n = count_tokens(doc["text"])
            report["documents"] += 1
            report["tokens"] += n
            report["largest_document_tokens"] = max(report["largest_document_tokens"], n)
            report["documents_split"] += int((doc.get("meta") or {}).get("chunk") == 0
                                             and "split_from" in (doc.get("meta") or {}))


def run_ingest(cfg, data: Optional[Path] = None, out: Path = Path("out/ingest"),
               paths: Optional[List[str]] = None) -> int:
    """CLI entry (`augft ingest PATH... --out DIR`)."""
    report = ingest([Path(p) for p in (paths or [])], Path(out), cfg.ingest)
    print(f"ingested {report['files_read']} file(s) into {report['documents']} documents "
          f"({report['tokens']} tokens, the largest {report['largest_document_tokens']}; "
          f"limit ingest.max_tokens={report['max_tokens']}): {Path(out) / CORPUS}")
    if report["documents_split"]:
        print(f"split {report['documents_split']} Document record(s) above the limit into "
              f"<id>#<k> documents (meta.split_from names the original)")
    if report["skipped"]:
        print(f"skipped {report['n_skipped']} file(s):")
        for s in report["skipped"]:
            print(f"  {s['path']}: {s['reason']}")
    print(f"report: {Path(out) / REPORT}")
    return 0
