"""Compose's settling at several round sizes: time and memory per statement stay flat.

A synthetic hierarchy of invented categories (a tree: "A zorab is a zorac."; plus properties,
"Zorabs can swim.") is the corpus; a round states the two-step kinds that follow from it, some
cycles (contradictions) and negated properties. `settle` (augment/compose/settle.py) judges the
round against the corpus and against the round's other kinds. The baseline is the same rule with
the round's other kinds rebuilt for every statement (how it was first written: quadratic in the
round), timed on the round check alone, at the sizes where it finishes in reasonable time; both
must drop the same statements. Pure Python, no model. Per size: the whole settle's seconds,
microseconds and peak traced bytes per statement, and the round check's speed-up.

    .venv/bin/python benchmarks/compose_settle.py [--sizes 2000 8000 32000] [--baseline-max 8000]
"""
from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from pathlib import Path
from typing import Dict, List

from augft.augment.compose import settle as settle_mod
from augft.augment.compose.claims import claim

RESULTS = Path(__file__).resolve().parent / "results"


def name(i: int) -> str:
    out = ""
    while True:
        out += "abcdefghijklmnopqrstuvwxyz"[i % 26]
        i //= 26
        if not i:
            return "zor" + out


def world(n: int, seed: int = 0):
    """(corpus sentences, round statements): a tree of n categories, fanout 4, and a round of n
    statements: grandparent kinds (true), cycles (false) and negated inherited properties."""
    rng = random.Random(seed)
    parent = {i: (i - 1) // 4 for i in range(1, n)}
    corpus = [f"A {name(c)} is a {name(p)}." for c, p in parent.items()]
    corpus += [f"{name(i).capitalize()}s can swim." for i in range(0, n, 50)]
    stmts: List[str] = []
    for _ in range(n):
        c = rng.randrange(5, n)
        roll = rng.random()
        if roll < 0.8:
            stmts.append(f"A {name(c)} is a {name(parent[parent[c]])}.")
        elif roll < 0.9:
            stmts.append(f"A {name(parent[c])} is a {name(c)}.")
        else:
            stmts.append(f"{name(c).capitalize()}s cannot swim.")
    return corpus, stmts


def quadratic_within_round(store, alive):
    """The baseline: each statement's other kinds rebuilt from the whole round."""
    bad = set()
    for i, c in alive:
        if c.isa:
            others = settle_mod.RoundKinds.of(c2.isa for i2, c2 in alive if i2 != i and c2.isa)
            if store.incompatible(*c.isa, extra=others):
                bad.add(i)
    return bad


def _store(corpus: List[str]) -> settle_mod.FactStore:
    store = settle_mod.FactStore(True)
    for t in corpus:
        store.add(t)
    return store


def settle_row(n: int) -> Dict:
    """The whole settle of a round of n statements: seconds and peak traced bytes per statement."""
    corpus, stmts = world(n)
    store = _store(corpus)
    tracemalloc.start()
    t0 = time.perf_counter()
    reasons = settle_mod.settle(store, stmts)
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"statements": n, "wall_s": round(wall, 4), "us_per_statement": round(1e6 * wall / n, 2),
            "peak_bytes_per_statement": round(peak / n),
            "dropped": {r: reasons.count(r) for r in sorted(set(reasons) - {None})}}


def round_check_row(n: int) -> Dict:
    """The round's kinds checked against each other: settle's check against the baseline."""
    corpus, stmts = world(n)
    store = _store(corpus)
    alive = [(i, c) for i, c in enumerate(claim(t) for t in dict.fromkeys(stmts)) if c is not None and c.isa]
    t0 = time.perf_counter()
    linear = settle_mod._within_round(store, alive)
    t1 = time.perf_counter()
    quadratic = quadratic_within_round(store, alive)
    t2 = time.perf_counter()
    assert linear == quadratic, "the two checks must drop the same statements"
    return {"kinds": len(alive), "dropped": len(linear), "linear_s": round(t1 - t0, 4),
            "quadratic_s": round(t2 - t1, 4), "speedup": round((t2 - t1) / (t1 - t0), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000, 32000])
    ap.add_argument("--baseline-max", type=int, default=8000)
    args = ap.parse_args()
    assert claim(f"A {name(5)} is a {name(1)}.").isa, "the synthetic phrasing must read as a kind"
    rows = []
    for n in args.sizes:
        row = {"settle": settle_row(n)}
        if n <= args.baseline_max:
            row["round_check"] = round_check_row(n)
        rows.append(row)
        print(json.dumps(row))
    first, last = rows[0]["settle"], rows[-1]["settle"]
    res = {"sizes": args.sizes, "rows": rows,
           "us_per_statement_ratio_largest_to_smallest": round(last["us_per_statement"] / first["us_per_statement"], 2),
           "bytes_per_statement_ratio_largest_to_smallest":
               round(last["peak_bytes_per_statement"] / first["peak_bytes_per_statement"], 2)}
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compose_settle.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
