"""Augmentation at scale, global and local: the data plane alone, 10k / 100k / 1M short documents.

A benchmark-only engine (FixedStatementEngine, defined here and passed as `engine_factory`,
never selectable from a config) returns one fixed statement per prompt at zero cost, so what
is timed is the data plane: reading the shards where they are, planning (global: grouping and
packing windows; local: one prompt per document, per shard), rendering prompts on the workers,
parsing, filtering, and workers writing shards and stats. Each size runs in its
own driver process (so its peak RSS is its own) on a local Ray of `--cpus` CPUs. Per size:
planning time (scan + grouping + packing, units counted, nothing generated), end-to-end time of
`augment` (which plans again), documents/s, driver peak RSS; and the old greedy planner's time
where it finishes within `--old-limit-s`. Also the share of documents whose window holds another
document sharing an entity, old packer against new, on the `semantic` benchmark and on a
synthetic corpus. Prints and writes benchmarks/results/scale_augment.json.

    .venv/bin/python benchmarks/scale_augment.py [--sizes 10000 100000 1000000] [--strategies global local]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "smollm2-135m-instruct"  # its tokenizer sizes the windows, as in the measurements
SHARD_DOCS = 25_000
STATEMENT = "Every zorvat keeps a lantern."


class FixedStatementEngine:
    """Benchmark-only: one fixed statement per prompt, no model. Measures the data plane."""
    name = "fixed"
    model_name = "fixed"

    def generate(self, requests, sampling):
        from augft.augment.engines.base import GenResult

        return [GenResult(id=r.id, texts=[STATEMENT] * sampling.n, prompt_tokens=0, completion_tokens=6)
                for r in requests]

    def close(self):
        pass


def _names(n: int, rng: random.Random) -> List[str]:
    c, v = "bdfgklmnprstvz", "aeiou"
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(c) + rng.choice(v) for _ in range(rng.choice((2, 3)))))
    return sorted(out)


def synthetic_docs(n: int, seed: int = 0, docs_per_name: int = 30):
    """Short four-sentence documents over nonsense names; a name appears in about
    `docs_per_name` documents (3 names per document)."""
    rng = random.Random(seed)
    names = _names(max(50, 3 * n // docs_per_name), rng)
    adjs = ["larger", "older", "faster", "heavier", "brighter", "louder"]
    for i in range(n):
        a, b, c = rng.sample(names, 3)
        # Only names start sentences: a capitalised common word would count as an entity.
        yield {"id": f"s{i}", "text": f"{a.capitalize()} are {rng.choice(adjs)} than {b}. {a.capitalize()} "
                                     f"live near {c}. {b.capitalize()} eat berries. {c.capitalize()} sing at night."}


def write_shards(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fh, shard = None, -1
    for i, d in enumerate(synthetic_docs(n)):
        if i % SHARD_DOCS == 0:
            if fh:
                fh.close()
            shard += 1
            fh = open(folder / f"corpus-{shard:05d}.jsonl", "w")
        fh.write(json.dumps(d) + "\n")
    fh.close()


def _cfg(cpus: int, strategy: str, extra=()):
    from augft.core.config import load_config

    return load_config(None, [f"model.name={MODEL}", f"augment.strategies=[{strategy}]", "augment.num_candidates=1",
                              "augment.max_new_tokens=32", f"cluster.num_cpus={cpus}", "augment.num_actors=2",
                              "augment.actor_cpus=0.5",
                              # the fixed statement shares no word with most windows: keep it, so
                              # every prompt yields one record and the shards hold real rows
                              "augment.require_source_overlap=false",
                              # self-verification asks the model a question per statement: no model here
                              "augment.verify=false", *extra])


def plan_only(run, strategy: str):
    """(units, window budget or None): the scan and the units' planning, nothing generated."""
    from augft.augment import passes
    from augft.augment.corpus_scan import scan_corpus
    from augft.augment.global_plan import plan_global
    from augft.augment.local_plan import first_pass_units, units_ds

    scan = scan_corpus(run.corpus, run.counter if strategy == "global" else None, True)
    if strategy == "global":
        plan = plan_global(run.corpus, passes.global_spec(run), True, scan)
        return plan.units.count(), plan.budget
    return units_ds(run.corpus, first_pass_units, plan=passes.shard_plan(run, scan)).count(), None


def one_size(n: int, data: Path, out: Path, cpus: int, strategy: str) -> Dict:
    """One driver process: plan-only timing, then the whole run (the child side of main)."""
    import ray

    from augft.augment import api
    from augft.augment.api import augment
    from augft.augment.executor import ensure_ray
    from augft.augment.request import AugmentRequest
    from augft.core.config.settings import AugmentSettings

    cfg = _cfg(cpus, strategy)
    t = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, configure_logging=False,
             object_store_memory=2 << 30)
    ensure_ray(cfg)
    ray_init_s = time.perf_counter() - t
    t = time.perf_counter()
    run = api._prepare(AugmentSettings.of(cfg), AugmentRequest(str(data), str(out / "plan-only"), (strategy,)), None)
    units, budget = plan_only(run, strategy)
    plan_s = time.perf_counter() - t
    t = time.perf_counter()
    m = augment(cfg, data, out / "run", engine_factory=FixedStatementEngine)
    e2e_s = time.perf_counter() - t
    g = m.strategies[strategy]
    return {"docs": n, "shards": len(run.corpus.shards), "ray_init_s": round(ray_init_s, 2),
            "plan_s": round(plan_s, 2), "units": units, "budget_tokens": budget,
            "end_to_end_s": round(e2e_s, 2), "docs_per_s": round(n / e2e_s, 1),
            "prompts": g.prompts, "records": g.ok, "record_shards": len(g.shards),
            "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


# -- the old planner (what augment.planner.Planner.windows/global_ did), for comparison ----------
def old_windows(docs, sizes: Dict[str, int], budget: int, ents: Dict[str, set]) -> List[List]:
    index: Dict[str, List[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for e in ents[d.id]:
            index[e].append(i)
    left = set(range(len(docs)))
    out = []
    for start in range(len(docs)):
        if start not in left:
            continue
        left.discard(start)
        win, used, wents = [start], sizes[docs[start].id], set(ents[docs[start].id])
        while True:
            score: Counter = Counter()
            for e in wents:
                for j in index[e]:
                    if j in left:
                        score[j] += 1
            cands = sorted(score, key=lambda j: (-score[j], j)) + sorted(left - set(score))
            nxt = next((j for j in cands if used + sizes[docs[j].id] <= budget), None)
            if nxt is None:
                break
            left.discard(nxt)
            win.append(nxt)
            used += sizes[docs[nxt].id]
            wents |= ents[docs[nxt].id]
        out.append([docs[i] for i in sorted(win)])
    return out


def old_plan(docs, budget: int, count) -> List[List]:
    """The old planner end to end: entity sets, token sizes, greedy windows."""
    from augft.augment.planner import entity_sets

    sizes = dict(zip([d.id for d in docs], (c + 1 for c in count.many([d.text for d in docs]))))
    return old_windows(docs, sizes, budget, entity_sets(docs))


def new_windows(docs, budget: int, tmp: Path) -> List[List[str]]:
    """The new planner in one process (the same windows as on Ray)."""
    from augft.augment import api
    from augft.core.records import write_jsonl

    from augft.augment import passes
    from augft.augment.corpus_scan import scan_corpus
    from augft.augment.global_plan import plan_global
    from augft.augment.request import AugmentRequest
    from augft.core.config.settings import AugmentSettings

    write_jsonl(tmp / "corpus.jsonl", docs)
    cfg = _cfg(1, "global", ["augment.use_ray=false", f"augment.window_tokens={budget}"])
    run = api._prepare(AugmentSettings.of(cfg), AugmentRequest(str(tmp), str(tmp / "unused"), ("global",)), None)
    scan = scan_corpus(run.corpus, run.counter, False)
    return [[d.id for d in u.docs] for u in plan_global(run.corpus, passes.global_spec(run), False, scan).units]


def quality(tmp: Path, budget: int) -> Dict:
    """Related-document share, old packer vs new, on `semantic` and a synthetic corpus."""
    from augft.augment.planner import entity_sets
    from augft.augment.tokens import TokenCounter
    from augft.augment.windows import related_share
    from augft.core.config import load_config
    from augft.core.records import Document
    from augft.eval.datasets.api import build

    count = TokenCounter(MODEL)
    corpora = {"semantic": build("semantic", load_config(None, [])).documents,
               # sparse sharing (a name in ~3 documents): a window packed blindly rarely pairs them
               "synthetic_5k_sparse": [Document(**d) for d in synthetic_docs(5000, seed=1, docs_per_name=3)]}
    out = {}
    for name, docs in corpora.items():
        ents = entity_sets(docs)
        t = time.perf_counter()
        old = [[d.id for d in w] for w in old_plan(docs, budget, count)]
        old_s = time.perf_counter() - t
        (tmp / name).mkdir()
        t = time.perf_counter()
        new = new_windows(docs, budget, tmp / name)
        new_s = time.perf_counter() - t
        out[name] = {"docs": len(docs), "budget_tokens": budget,
                     "old": {"related_share": round(related_share(old, ents), 4), "windows": len(old),
                             "plan_s": round(old_s, 2)},
                     "new": {"related_share": round(related_share(new, ents), 4), "windows": len(new),
                             "plan_s": round(new_s, 2)}}
        print(name, json.dumps(out[name]), flush=True)
    return out


def old_planner_time(n: int, budget: int, limit_s: float) -> Dict:
    """The old planner on the first n synthetic documents, in a child killed at `limit_s`."""
    code = (f"import sys,time; sys.path.insert(0, {str(Path(__file__).parent)!r}); import scale_augment as s; "
            f"from augft.core.records import Document; from augft.augment.tokens import TokenCounter; "
            f"docs=[Document(**d) for d in s.synthetic_docs({n})]; t=time.perf_counter(); "
            f"w=s.old_plan(docs, {budget}, TokenCounter(s.MODEL)); print(time.perf_counter()-t, len(w))")
    try:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=limit_s)
        secs, wins = res.stdout.split()[-2:]
        return {"plan_s": round(float(secs), 2), "windows": int(wins)}
    except subprocess.TimeoutExpired:
        return {"plan_s": None, "note": f"did not finish within {limit_s:.0f} s"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--strategies", nargs="+", default=["global", "local"], choices=["global", "local"])
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--old-limit-s", type=float, default=600.0)
    ap.add_argument("--old-sizes", type=int, nargs="*", default=[10_000],
                    help="sizes to run the old planner on (it is quadratic: 100k is hours)")
    ap.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--data", default="", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    ap.add_argument("--strategy", default="global", help=argparse.SUPPRESS)
    ap.add_argument("--related-share", action="store_true",
                    help="also compare the old and new window packers' related-document share")
    args = ap.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one_size(args.one, Path(args.data), Path(args.out), args.cpus, args.strategy)),
              flush=True)
        return
    results: Dict = {"model_tokenizer": MODEL, "cpus": args.cpus, "engine": FixedStatementEngine.name,
                     "strategies": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in args.strategies:
            sec = results["strategies"][strategy] = {"sizes": {}}
            for n in args.sizes:
                sec["sizes"][str(n)] = r = _size(n, Path(tmp), args, strategy)
                print(json.dumps({"strategy": strategy, **r}), flush=True)
                _write(results)  # what is measured so far survives a later size's failure
            _ratios(sec)
            _write(results)
        if args.related_share and "global" in args.strategies:
            budget = next(iter(results["strategies"]["global"]["sizes"].values()))["budget_tokens"]
            results["related_share"] = quality(Path(tmp), budget)
    _write(results)
    print(json.dumps(results, indent=2))


def _size(n: int, tmp: Path, args, strategy: str) -> Dict:
    data = tmp / f"data-{n}" / "corpus"
    write_shards(data, n)
    res = subprocess.run([sys.executable, __file__, "--one", str(n), "--data", str(data.parent),
                          "--out", str(tmp / f"out-{n}"), "--cpus", str(args.cpus), "--strategy", strategy],
                         capture_output=True, text=True)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode or not line:
        raise SystemExit(f"{strategy} at {n} failed:\n{res.stderr[-3000:]}")
    r = json.loads(line[-1][7:])
    if strategy == "global" and n in args.old_sizes:  # the old window planner (global only)
        r["old_planner"] = old_planner_time(n, r["budget_tokens"], args.old_limit_s)
    shutil.rmtree(data.parent, ignore_errors=True)
    shutil.rmtree(tmp / f"out-{n}", ignore_errors=True)
    return r


def _write(results: Dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_augment.json").write_text(json.dumps(results, indent=2) + "\n")


def _ratios(results: Dict) -> None:
    """The issue's targets, against the smallest size measured in the same run."""
    sizes = results["sizes"]
    small, large = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
    results["ratios"] = {
        "docs_per_s_smallest_over_largest": round(small["docs_per_s"] / large["docs_per_s"], 3),
        "rss_largest_over_smallest": round(large["driver_peak_rss_mb"] / small["driver_peak_rss_mb"], 3),
        "largest_rss_mb": large["driver_peak_rss_mb"],
        "targets": "docs/s at the largest within 1.5x of the smallest (ratio <= 1.5); largest RSS <= 2048 MB "
                   "and <= 1.5x the smallest",
    }
    old = small.get("old_planner", {}).get("plan_s")
    if old:
        results["ratios"]["old_over_new_plan_s_smallest"] = round(old / small["plan_s"], 2)


if __name__ == "__main__":
    main()
