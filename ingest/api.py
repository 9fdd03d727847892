"""`augft ingest PATH... --out DIR`: files in, `corpus.jsonl` and `ingest.json` out.

Files are processed in a process pool (a bounded window of files in flight, results taken
in order), and documents are streamed into the corpus as they come, so memory holds a few
files' text, not the corpus. `corpus.jsonl` and `ingest.json` are replaced together: a failed
ingest leaves the previous pair (or none) and writes its report as `ingest.failed.json`.
`ingest.json` lists every input that gave no documents, with the reason.
"""
from __future__ import annotations

import collections
import errno
import json
import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from tqdm import tqdm

from augft.core.errors import AugftError
from augft.core.io import atomic_write_json
from augft.ingest.chunk import count_tokens
from augft.ingest.process import FileResult, process_file
from augft.ingest.sources import SourceFile, discover

log = logging.getLogger(__name__)
CORPUS = "corpus.jsonl"
REPORT = "ingest.json"
FAILED = "ingest.failed.json"


def _ordered_map(fn: Callable, items: Sequence, workers: int) -> Iterator:
    """fn over items in order; at most 4 x workers items in flight (bounded memory)."""
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: collections.deque = collections.deque()
        try:
            for item in items:
                window.append(pool.submit(fn, item))
                if len(window) >= 4 * workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        except BaseException:  # an error, Ctrl-C or SIGTERM: finish only the files already being read
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _check_out(paths: Sequence[Path], out: Path) -> None:
    """Refuse an --out inside (or equal to) an input folder, or an input inside --out: a rerun would
    read the earlier corpus.jsonl as a document, so an edited one would enter twice."""
    o = out.resolve()
    for p in map(Path, paths):
        r = p.resolve()
        if r.is_dir() and (o == r or r in o.parents):
            raise AugftError(f"--out {out} is inside the input folder {p}: ingest would read its own "
                             f"{CORPUS} next time; choose an --out outside {p}")
        if o == r or o in r.parents:
            raise AugftError(f"input {p} is inside --out {out}, where ingest writes {CORPUS} and {REPORT}; "
                             "choose another --out")


def ingest(paths: Iterable[Path], out: Path, cfg) -> dict:
    """Write `out/corpus.jsonl` and `out/ingest.json`; returns the report. Both are written to a
    staging folder inside `out` and moved in only when the corpus is complete, so a failed ingest
    leaves the previous pair as it was (and its report as `ingest.failed.json`)."""
    t0 = time.time()
    paths, out = [Path(p) for p in paths], Path(out)
    _check_out(paths, out)
    files, skipped = discover(paths, list(cfg.extensions))
    workers = int(cfg.workers) or (os.cpu_count() or 1)
    fn = partial(process_file, max_tokens=int(cfg.max_tokens), min_chars=int(cfg.min_chars))
    report: Dict[str, Any] = {"inputs": [str(p) for p in paths], "max_tokens": int(cfg.max_tokens),
              "token_count": "words and punctuation marks", "files_seen": len(files) + len(skipped),
              "files_read": 0, "documents": 0, "tokens": 0, "largest_document_tokens": 0,
              "documents_split": 0, "by_format": {}, "skipped": []}
    report["skipped"] = [{"path": s.rel, "reason": s.reason} for s in skipped]
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".ingest-", dir=out))
    try:
        try:
            with open(stage / CORPUS, "w", encoding="utf-8") as fh:
                _write_all(_ordered_map(fn, files, workers), fh, report, len(files))
            if report["documents"] == 0:
                raise AugftError(f"no documents extracted from {len(report['inputs'])} input(s); "
                                 f"see {out / FAILED} for each file's reason")
        except BaseException:
            _finish(report, t0)
            atomic_write_json(out / FAILED, report)
            raise
        _finish(report, t0)
        atomic_write_json(stage / REPORT, report)
        _commit(stage, out)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise AugftError(f"no space left on the device writing {out}: free space or choose another --out; "
                             f"the previous {CORPUS} and {REPORT} there are unchanged") from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return report


def _finish(report: dict, t0: float) -> None:
    report["skipped"].sort(key=lambda s: s["path"])
    report["n_skipped"] = len(report["skipped"])
    report["wall_s"] = round(time.time() - t0, 3)


def _commit(stage: Path, out: Path) -> None:
    """Move the staged pair into `out`. The report goes first, the corpus last: a reader that
    finds the new corpus also finds its report, and a crash between the two renames leaves the
    old corpus, which the next (non-resuming) ingest replaces."""
    for name in (CORPUS, REPORT):
        with open(stage / name, "rb") as fh:
            os.fsync(fh.fileno())
    (out / FAILED).unlink(missing_ok=True)
    os.replace(stage / REPORT, out / REPORT)
    os.replace(stage / CORPUS, out / CORPUS)


def _write_all(results: Iterator[FileResult], fh, report: dict, total: int) -> None:
    seen: Dict[str, str] = {}
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
