"""Eval scoring at scale: 10k / 100k multiple-choice questions, on Ray and in one process.

Synthetic 4-choice questions over nonsense names (no corpus needed: condition `base`), scored by
the tiny random test model, so what is measured is the scoring data plane: reading the test set,
streaming it through the actor pool, writing prediction parts and summing counts on the driver
(`eval.use_ray=true`), against the single-process scorer that holds every question and row
(`eval.use_ray=false`). Each run is its own process, so its peak RSS is its own. Per size and
mode: end-to-end seconds, questions/s, driver peak RSS. Writes benchmarks/results/scale_eval.json.

    .venv/bin/python benchmarks/scale_eval.py [--sizes 10000 100000] [--cpus 2]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "tiny-random-llama"


def write_questions(folder: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    c, v = "bdfgklmnprstvz", "aeiou"
    names = sorted({"".join(rng.choice(c) + rng.choice(v) for _ in range(3)).capitalize() for _ in range(4000)})
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "questions.jsonl", "w") as fh:
        for i in range(n):
            a, *choices = rng.sample(names, 5)
            fh.write(json.dumps({"id": f"q{i}", "split": rng.choice(["forward", "reversal"]), "kind": "synthetic",
                                 "prompt": f"The keeper of the {a.lower()} lantern is",
                                 "choices": [f" {x}" for x in choices[:4]], "answer": rng.randrange(4)}) + "\n")
    (folder / "corpus.jsonl").write_text(json.dumps({"id": "d0", "text": "Unused."}) + "\n")


def one_run(data: Path, out: Path, cpus: int, use_ray: bool) -> Dict:
    from augft.core.config import load_config
    from augft.eval.api import evaluate

    cfg = load_config(None, [f"model.name={MODEL}", "eval.conditions=[base]", "eval.retention=false",
                             f"eval.use_ray={str(use_ray).lower()}", f"cluster.num_cpus={cpus}",
                             f"eval.num_actors={cpus}", "eval.actor_cpus=0.5", "eval.batch_size=32",
                             "eval.ray_batch_size=1024"])
    t = time.perf_counter()
    res = evaluate(cfg, data, out)
    wall = time.perf_counter() - t
    return {"questions": res.n_questions, "end_to_end_s": round(wall, 2),
            "questions_per_s": round(res.n_questions / wall, 1),
            "accuracy": {s: round(m.accuracy, 4) for s, m in res.conditions["base"].splits.items()},
            "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _child(data: Path, out: Path, cpus: int, use_ray: bool) -> Dict:
    res = subprocess.run([sys.executable, __file__, "--one", str(data), "--out", str(out), "--cpus", str(cpus),
                          "--ray" if use_ray else "--no-ray"], capture_output=True, text=True)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode or not line:
        raise SystemExit(f"{data} ({'ray' if use_ray else 'one process'}) failed:\n{res.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--one", default="", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    ap.add_argument("--ray", dest="ray", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-ray", dest="ray", action="store_false", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one_run(Path(args.one), Path(args.out), args.cpus, args.ray)), flush=True)
        return
    results: Dict = {"model": MODEL, "cpus": args.cpus, "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = Path(tmp) / f"data-{n}"
            write_questions(data, n)
            r = results["sizes"][str(n)] = {mode: _child(data, Path(tmp) / f"out-{n}-{mode}", args.cpus, mode == "ray")
                                            for mode in ("ray", "one_process")}
            r["same_accuracy"] = r["ray"]["accuracy"] == r["one_process"]["accuracy"]
            print(json.dumps({"questions": n, **r}), flush=True)
            _write(results)
    sizes = results["sizes"]
    small, large = sizes[min(sizes, key=int)]["ray"], sizes[max(sizes, key=int)]["ray"]
    results["ratios"] = {
        "questions_per_s_smallest_over_largest": round(small["questions_per_s"] / large["questions_per_s"], 3),
        "rss_largest_over_smallest": round(large["driver_peak_rss_mb"] / small["driver_peak_rss_mb"], 3),
        "largest_rss_mb": large["driver_peak_rss_mb"],
        "targets": "questions/s at the largest within 1.5x of the smallest (ratio <= 1.5); largest RSS <= 2048 MB "
                   "and <= 1.5x the smallest"}
    _write(results)
    print(json.dumps(results, indent=2))


def _write(results: Dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale_eval.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
