"""Entity detection on real text: precision and recall of entity mentions on a hand-labelled
sample of sentences people wrote (benchmarks/data/entity_sample.jsonl; how it was labelled:
benchmarks/data/README.md), for the rules of augment.entities and for the detector they replace
("a word not in an English dictionary", kept here as it was), on the same sentences.

A predicted mention counts when its span equals a labelled one (`exact`, the headline), or, in
`overlap`, when it overlaps a labelled one not matched yet. Figures per split: `test2` (the
headline: a second sample, labelled and committed before any detector ran on it, never looked at
while the rules were written), `heldout` and `dev` (the first sample: both development data now,
`heldout`'s differences having been published), `development` (the two together), `all`. Each sentence is read alone
(`rules`, the headline: as compose reads sentences), and read within its document (`rules_in_document`:
the sample's sentences of one source joined, as the window and distill consumers read whole
documents, where a name capitalised mid-sentence also marks its sentence-initial uses).

    .venv/bin/python benchmarks/entity_detection.py [--sample PATH] [--out PATH] [--limit N]

Writes benchmarks/results/entity_detection.json and prints the table.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

from augft.augment.entities import mentions

HERE = Path(__file__).resolve().parent
Span = Tuple[int, int]

_OLD_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]+")
_OLD_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers")


@lru_cache(maxsize=1)
def _old_english() -> frozenset:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2", "gcide"], lower=True, alpha=True))


def _old_is_english(k: str) -> bool:
    eng = _old_english()
    if k in eng:
        return True
    stems = [k[: -len(s)] for s in _OLD_SUFFIXES if k.endswith(s) and len(k) > len(s) + 2]
    stems += [s + "e" for s in stems]
    stems += [s.replace("is", "iz") for s in stems if "is" in s]
    return any(s in eng for s in stems)


def old_spans(text: str) -> List[Span]:
    """The replaced detector: each token of 3+ letters that is not an English word (a possessive
    names its owner), as a span."""
    out = []
    for m in _OLD_TOKEN.finditer(text):
        tok = m.group()
        k = tok.lower().strip("'-")
        if "'" in k:
            head, _, tail = k.partition("'")
            if tail != "s":
                continue
            k = head
        if len(k) >= 3 and not _old_is_english(k):
            start = m.start() + tok.lower().index(k)
            out.append((start, start + len(k)))
    return out


def new_spans(text: str) -> List[Span]:
    return [(m.start, m.end) for m in mentions(text)]


def in_document(rows: Sequence[Dict]) -> Callable[[str], List[Span]]:
    """The rules reading each sentence within its source's sentences (joined by a space)."""
    by_source: Dict[str, List[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], []).append(r["sentence"])
    spans: Dict[str, List[Span]] = {}
    for sents in by_source.values():
        doc = " ".join(sents)
        found = [(m.start, m.end) for m in mentions(doc)]
        at = 0
        for s in sents:
            spans[s] = [(a - at, b - at) for a, b in found if at <= a and b <= at + len(s)]
            at += len(s) + 1
    return lambda text: spans[text]


def _matches(pred: Sequence[Span], gold: Sequence[Span], exact: bool) -> int:
    if exact:
        return len(set(pred) & set(gold))
    free, hit = list(gold), 0
    for p in pred:
        g = next((g for g in free if p[0] < g[1] and g[0] < p[1]), None)
        if g is not None:
            free.remove(g)
            hit += 1
    return hit


def score(rows: Sequence[Dict], detect: Callable[[str], List[Span]]) -> Dict:
    counts = {"gold": 0, "predicted": 0, "exact": 0, "overlap": 0}
    misses: List[Dict] = []
    for r in rows:
        gold = [(m["start"], m["end"]) for m in r["mentions"]]
        pred = detect(r["sentence"])
        counts["gold"] += len(gold)
        counts["predicted"] += len(pred)
        counts["exact"] += _matches(pred, gold, True)
        counts["overlap"] += _matches(pred, gold, False)
        if set(pred) != set(gold):
            misses.append({"id": r["id"], "missed": [r["sentence"][a:b] for a, b in gold if (a, b) not in pred],
                           "extra": [r["sentence"][a:b] for a, b in pred if (a, b) not in gold]})
    out: Dict = {"sentences": len(rows), **counts}
    for how in ("exact", "overlap"):
        p = counts[how] / counts["predicted"] if counts["predicted"] else 0.0
        r_ = counts[how] / counts["gold"] if counts["gold"] else 0.0
        out[how] = {"precision": round(p, 3), "recall": round(r_, 3),
                    "f1": round(2 * p * r_ / (p + r_), 3) if p + r_ else 0.0}
    out["differences"] = misses
    return out


def throughput(rows: Sequence[Dict], detect: Callable[[str], List[Span]], repeat: int = 5) -> float:
    """Characters read per second (best of `repeat` passes over the sentences)."""
    chars, best = sum(len(r["sentence"]) for r in rows), float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for r in rows:
            detect(r["sentence"])
        best = min(best, time.perf_counter() - t)
    return round(chars / best) if best > 0 else 0.0


def run(sample: Path, limit: int = 0) -> Dict:
    rows = [json.loads(line) for line in sample.read_text().splitlines() if line.strip()]
    if limit:
        rows = rows[:limit]
    mentions("warm up: loads the dictionary")
    old_spans("warm up")
    splits = {k: [r for r in rows if r["split"] == k] for k in ("test2", "heldout", "dev")}
    splits.update(development=splits["heldout"] + splits["dev"], all=rows)

    def score_all(detect: Callable[[str], List[Span]]) -> Dict:
        out = {k: score(v, detect) for k, v in splits.items()}
        for k in ("test2", "heldout", "dev", "development"):  # the differences once, under "all"
            out[k].pop("differences")
        return out
    return {"sample": sample.name, "sentences": len(rows), "mentions": sum(len(r["mentions"]) for r in rows),
            "detectors": {"rules": score_all(new_spans), "rules_in_document": score_all(in_document(rows)),
                          "old_not_in_dictionary": score_all(old_spans)},
            "chars_per_s": {"rules": throughput(rows, new_spans), "old_not_in_dictionary": throughput(rows, old_spans)}}


def main(argv: Sequence[str] = ()) -> Dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=Path, default=HERE / "data" / "entity_sample.jsonl")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "entity_detection.json")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N sentences (a smoke run)")
    args = ap.parse_args(list(argv) or None)
    res = run(args.sample, args.limit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    print(f"{'detector':24} {'split':8} {'P exact':>8} {'R exact':>8} {'P overlap':>10} {'R overlap':>10}")
    for name, per in res["detectors"].items():
        for split, s in per.items():
            print(f"{name:24} {split:8} {s['exact']['precision']:8.3f} {s['exact']['recall']:8.3f} "
                  f"{s['overlap']['precision']:10.3f} {s['overlap']['recall']:10.3f}")
    print("characters per second, one core:", res["chars_per_s"])
    head = res["detectors"]["rules"]["test2"]["exact"]
    print(f"headline (test2, exact): precision {head['precision']:.3f}, recall {head['recall']:.3f}")
    return res


if __name__ == "__main__":
    main()
