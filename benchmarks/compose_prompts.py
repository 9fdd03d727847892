"""Compose prompts against the benchmarks' exact checkers: for a seeded sample of round-1 pairs of
`semantic`, `family` and `syllogism` (the compose studies' sizes), what the embedded model writes
greedily with the built-in compose template (the baseline) and with each template file given,
after the pair filters (invented, not_composed), by the exact checker. How the built-in
demonstrations were chosen (docs/augment.md, "Composition"); writes
benchmarks/results/compose_prompts.json.

    .venv/bin/python benchmarks/compose_prompts.py [--pairs 60] [variant.txt ...]   # ~2 min per template
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strategy_study import _FAMILY, _SEMANTIC, _SYLLOGISM  # noqa: E402  (the studies' sizes)

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = {"semantic": _SEMANTIC, "family": _FAMILY, "syllogism": _SYLLOGISM}


def _pairs(name: str, root: Path, n: int, templates: Dict[str, str]):
    """A seeded sample of the benchmark's round-1 compose items, and its checker."""
    from augft.augment.api import _token_counter
    from augft.augment.compose.plan import plan_round
    from augft.augment.compose.rounds import round_plan
    from augft.augment.corpus_scan import scan_corpus
    from augft.augment.run import Run
    from augft.core.config import load_config
    from augft.core.config.settings import AugmentSettings
    from augft.core.corpus import discover
    from augft.eval.datasets.api import generate, load_checker

    cfg = load_config(None, ["model.name=smollm2-135m-instruct", *SIZES[name]])
    data = root / name
    generate(name, cfg, data)
    counter, max_context = _token_counter(cfg)
    corpus = discover(str(data))
    # Planning only: no engine, no job (nothing is run or written).
    run = Run(AugmentSettings.of(cfg), str(data), str(root / "unused"), ("compose",), corpus, templates, counter,
              max_context, job=None)
    scan = scan_corpus(corpus, None, False)
    items = [it for u in plan_round(corpus, round_plan(run, 1, scan, []), False) for it in u.items]
    return random.Random(0).sample(items, min(n, len(items))), load_checker(data)


def _score(engine, items, template: str, checker) -> dict:
    from augft.augment.compose.keys import composition_check
    from augft.augment.engines.base import GenRequest, Sampling
    from augft.augment.filters import parse_statements
    from augft.augment.prompts import STOP, render

    reqs = [GenRequest(it.id, render(template, **it.values)[1], render(template, **it.values)[0], it.seed)
            for it in items]
    t0 = time.perf_counter()
    results = engine.generate(reqs, Sampling(temperature=0.0, max_new_tokens=32, n=1, stop=[*STOP, "\n"]))
    counts, kept = Counter(), []
    for it, r in zip(items, results):
        stmt = next(iter(parse_statements(r.texts[0] if r.texts else "")), "")
        why = composition_check(it.values["first"], it.values["second"])(stmt) if stmt else "empty"
        if why is None:
            kept.append(stmt)
            counts[checker.check(stmt)] += 1
        else:
            counts[why] += 1
    covered = checker.covered(kept) & set(checker.targets())
    return {"pairs": len(items), "kept": len(kept), "true": counts["true"], "false": counts["false"],
            "uncheckable": counts["uncheckable"], "not_composed": counts["not_composed"],
            "invented": counts["invented"], "targets_covered": len(covered), "gen_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="*", help="compose template files to compare with the built-in one")
    ap.add_argument("--pairs", type=int, default=60)
    ap.add_argument("--work", default="out/compose-prompts")
    args = ap.parse_args()
    from augft.augment.engines.hf import HFEngine
    from augft.augment.prompts import resolve_templates
    from augft.core.config import load_config

    builtin = resolve_templates("fewshot-v1", {})
    templates = {"built-in": builtin["compose"], **{v: Path(v).read_text().rstrip("\n") for v in args.variants}}
    engine = HFEngine(load_config(None, ["model.name=smollm2-135m-instruct"]).model, batch_size=8)
    res: Dict[str, Dict[str, dict]] = {}
    for bench in SIZES:
        items, checker = _pairs(bench, Path(args.work), args.pairs, builtin)
        res[bench] = {name: _score(engine, items, t, checker) for name, t in templates.items()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compose_prompts.json").write_text(json.dumps(res, indent=2) + "\n")
    rows: List[str] = ["| benchmark | template | kept | true | false | uncheckable | not_composed | invented | "
                       "targets | ratio true vs built-in |", "|---|---|---|---|---|---|---|---|---|---|"]
    for bench, by_t in res.items():
        base = max(1, by_t["built-in"]["true"])
        for name, r in by_t.items():
            rows.append(f"| {bench} | {name} | {r['kept']} | {r['true']} | {r['false']} | {r['uncheckable']} | "
                        f"{r['not_composed']} | {r['invented']} | {r['targets_covered']} | {r['true'] / base:.2f} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
