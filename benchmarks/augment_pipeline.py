"""Pipeline overhead: the Ray Data pipeline vs a plain loop, same engine, same work.

1,000 short documents, tiny model, zero-shot local prompt, 4 new tokens, one candidate:
the model is cheap, so the difference is the pipeline's own cost. Ray's start-up is timed
separately (it is paid once per process). Prints and writes
benchmarks/results/augment_pipeline.json.

    .venv/bin/python benchmarks/augment_pipeline.py [--docs 1000]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from augft.augment.api import augment, read_augmentations
from augft.augment.executor import ensure_ray
from augft.core.config import load_config
from augft.core.records import Document, write_records

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--unit-size", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        docs = [Document(f"d{i}", f"Person number {i} is the keeper of lighthouse {i % 37}.")
                for i in range(args.docs)]
        write_records(data / "corpus.jsonl", docs)
        common = ["model.name=tiny-random-llama", "augment.prompt_set=zeroshot-v1",
                  "augment.max_new_tokens=4", "augment.num_candidates=1", "augment.batch_size=32",
                  f"augment.unit_size={args.unit_size}", "cluster.num_cpus=2", "augment.actor_cpus=1"]
        t = time.perf_counter()
        augment(load_config(None, common + ["augment.use_ray=false"]), data, Path(tmp) / "loop")
        loop_s = time.perf_counter() - t
        t = time.perf_counter()
        ensure_ray(load_config(None, common))
        ray_init_s = time.perf_counter() - t
        t = time.perf_counter()
        augment(load_config(None, common + ["augment.use_ray=true"]), data, Path(tmp) / "ray")
        ray_s = time.perf_counter() - t
        same = ([(r.id, r.text) for r in read_augmentations(Path(tmp) / "loop")] ==
                [(r.id, r.text) for r in read_augmentations(Path(tmp) / "ray")])
    out = {"docs": args.docs, "unit_size": args.unit_size, "loop_s": round(loop_s, 2),
           "ray_s": round(ray_s, 2), "ray_init_s": round(ray_init_s, 2),
           "ratio_ray_over_loop": round(ray_s / loop_s, 3),
           "ratio_including_ray_init": round((ray_s + ray_init_s) / loop_s, 3),
           "identical_records": same}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "augment_pipeline.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
