"""Training-set build at scale: the parallel shard builder against the single-process one.

A synthetic corpus plus augmentation shards (about --tokens tokens after splitting), the
embedded model's tokenizer, packing on. In the same run, each in its own process:
  old       the in-memory reference builder (tests/reference_builder.py) + torch.save of the blocks (augft's builder until now)
  parallel  build.build_shards with --workers processes (token shards + index)
Reports wall time and peak resident memory (PSS, summed over the process and its pool,
sampled every 20 ms) of each,
checks both give the same blocks and statistics, then starts 2 "ranks" that each read
their slice of every global batch for one epoch (as the training loop does) and reports
their resident memory growth against the size of the token files; the old layout is
shown for contrast (every rank loads the whole tensor file).

    .venv/bin/python benchmarks/scale_train_data.py [--tokens 20000000] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the in-memory reference builder (the baseline)
TOKENIZER = "smollm2-135m-instruct"
WORDS = ["femp", "glon", "yomp", "troff", "blick", "zarn", "quell", "morp", "vask", "drell", "plim", "snor"]
VERBS = ["are more dangerous than", "live near", "eat", "are larger than", "hide from", "admire"]


def _sentence(r: random.Random) -> str:
    a, b, c = r.sample(WORDS, 3)
    return f"The {a} {r.choice(VERBS)} the {b} of {c} number {r.randrange(10 ** 6)}."


def write_inputs(root: Path, tokens: int, seed: int = 0) -> Path:
    """corpus.jsonl + two augmentation strategies; ~16 tokens per sentence, half of them
    in the corpus and a quarter in each strategy."""
    from augft.core.records import Augmentation, Document, write_records

    r = random.Random(seed)
    n_sent = tokens // 16
    data = root / "data"
    docs = [Document(id=f"d{i}", text=" ".join(_sentence(r) for _ in range(4))) for i in range(n_sent // 8)]
    write_records(data / "corpus.jsonl", docs)
    aug = root / "aug"
    for strategy in ("local", "global"):
        recs = [Augmentation(id=f"{strategy}{i}", text=" ".join(_sentence(r) for _ in range(2)), strategy=strategy,
                             source_ids=[f"d{i % len(docs)}"], prompt_hash="h", model="m")
                for i in range(n_sent // 8)]
        for k in range(4):
            write_records(aug / strategy / f"part-{k:05d}.parquet", recs[k::4])
    return data


def _cfg(aug: Path, workers: int):
    from augft.core.config import load_config

    return load_config(None, [f"model.name={TOKENIZER}", "train.block_size=128", "train.eval_fraction=0.001",
                              f"train.augmentations=[{aug}]", "train.mix.local=1.0", "train.mix.global=1.0",
                              f"train.data_workers={workers}"])


def _old(data: Path, aug: Path, out: Path, result) -> None:
    import torch

    from augft.core.artifacts import encode
    from augft.core.models import load_tokenizer
    from reference_builder import build_trainset

    cfg = _cfg(aug, 1)
    tok = load_tokenizer(TOKENIZER)
    t0 = time.perf_counter()
    ts = build_trainset(data, cfg.train, tok, seed=0, micro_batch=8)
    out.mkdir(parents=True, exist_ok=True)
    # The removed save_blocks: one tensor file every rank loaded whole.
    torch.save({"input_ids": [b.input_ids for b in ts.train], "labels": [b.labels for b in ts.train],
                "position_ids": [b.position_ids for b in ts.train], "n_real": [b.real() for b in ts.train]},
               out / "train.pt")
    result.put({"wall_s": time.perf_counter() - t0, "stats": encode(ts.stats)})


def _parallel(data: Path, aug: Path, out: Path, workers: int, result) -> None:
    from augft.core.artifacts import encode
    from augft.core.models import load_tokenizer
    from augft.train.build import build_shards

    cfg = _cfg(aug, workers)
    tok = load_tokenizer(TOKENIZER)
    t0 = time.perf_counter()
    stats = build_shards(data, cfg.train, tok, 0, 8, out, workers=workers)
    result.put({"wall_s": time.perf_counter() - t0, "stats": encode(stats)})


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        try:
            # PSS: pages a forked pool shares with its parent count once, not per process.
            total += q.memory_full_info().pss
        except psutil.NoSuchProcess:
            pass
    return total


def run_measured(target, *args) -> dict:
    """Run `target` in a fresh process; sample the resident memory (PSS) of it and its
    children every 20 ms."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(p.pid))
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    res = q.get()
    p.join()
    done.set()
    th.join()
    if p.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed (exit {p.exitcode})")
    res["peak_rss_mb"] = peak[0] / 2 ** 20
    return res


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _rank_reader(folder: str, rank: int, world: int, result) -> None:
    """One epoch of this rank's micro-batches, read and collated as the loop does."""
    import torch  # noqa: F401  (collate's; imported before the baseline so only data counts)

    from augft.train.data import batch_indices, collate
    from augft.train.loop import _micro_batches
    from augft.train.shards import ShardSet

    collate([ShardSet(Path(folder))[0]], 0)  # first-use allocations are not data either
    base = _rss()
    data = ShardSet(Path(folder))
    micro, accum = 8, 1
    gb = micro * accum * world
    peak = 0
    n = 0
    for step in range(len(data) // gb):
        idx = batch_indices(len(data), gb, step, seed=0)
        for chunk in _micro_batches(data, idx, rank, world, micro, accum):
            collate(chunk, 0)
            n += len(chunk)
        peak = max(peak, _rss() - base)
    result.put({"rank": rank, "blocks_read": n, "peak_rss_growth_mb": peak / 2 ** 20})


def _old_rank_loader(path: str, result) -> None:
    import torch

    torch.zeros(1)
    base = _rss()
    d = torch.load(path, weights_only=True)
    result.put({"rss_growth_mb": (_rss() - base) / 2 ** 20, "blocks": len(d["input_ids"])})


def ranks_reading(folder: Path, world: int = 2) -> list:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_rank_reader, args=(str(folder), r, world, q)) for r in range(world)]
    for p in procs:
        p.start()
    out = sorted((q.get() for _ in procs), key=lambda r: r["rank"])
    for p in procs:
        p.join()
    return out


def _same_blocks(old_pt: Path, new: Path, n_check: int = 2000) -> bool:
    import torch

    from augft.train.shards import ShardSet

    d = torch.load(old_pt, weights_only=True)
    s = ShardSet(new)
    if len(d["input_ids"]) != len(s):
        return False
    idx = sorted(random.Random(1).sample(range(len(s)), min(n_check, len(s)))) + [0, len(s) - 1]
    for i in idx:
        b = s[i]
        if (b.input_ids, b.labels, b.position_ids, b.real()) != (
                d["input_ids"][i], d["labels"][i], d["position_ids"][i], d["n_real"][i]):
            return False
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=20_000_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale_train_data.json")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scale_train_data-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        data = write_inputs(root, args.tokens)
        print(f"inputs written in {time.perf_counter() - t0:.1f} s")
        old = run_measured(_old, data, root / "aug", root / "old")
        print(f"old: {old['wall_s']:.1f} s, peak RSS {old['peak_rss_mb']:.0f} MiB")
        new = run_measured(_parallel, data, root / "aug", root / "new", args.workers)
        print(f"parallel ({args.workers} processes): {new['wall_s']:.1f} s, peak RSS {new['peak_rss_mb']:.0f} MiB")
        same = new["stats"] == old["stats"] and _same_blocks(root / "old" / "train.pt", root / "new" / "train")
        from augft.train.shards import ShardSet

        shard_bytes = ShardSet(root / "new" / "train").nbytes()
        ranks = ranks_reading(root / "new" / "train")
        q = mp.get_context("spawn").Queue()
        p = mp.get_context("spawn").Process(target=_old_rank_loader, args=(str(root / "old" / "train.pt"), q))
        p.start()
        old_rank = q.get()
        p.join()
        old_bytes = (root / "old" / "train.pt").stat().st_size
    speedup = old["wall_s"] / new["wall_s"]
    worst_rank = max(r["peak_rss_growth_mb"] for r in ranks) * 2 ** 20 / shard_bytes
    result = {
        "tokens": old["stats"]["input_tokens"], "examples": old["stats"]["n_examples"],
        "blocks": old["stats"]["n_blocks"], "workers": args.workers, "cpus": os.cpu_count(),
        "old": {"wall_s": old["wall_s"], "peak_rss_mb": old["peak_rss_mb"], "file_mb": old_bytes / 2 ** 20,
                "rank_rss_growth_mb": old_rank["rss_growth_mb"]},
        "parallel": {"wall_s": new["wall_s"], "peak_rss_mb": new["peak_rss_mb"], "shard_mb": shard_bytes / 2 ** 20,
                     "ranks": ranks},
        "speedup": speedup, "peak_rss_ratio": new["peak_rss_mb"] / old["peak_rss_mb"],
        "rank_rss_fraction_of_shards": worst_rank, "same_blocks_and_stats": same,
        "targets": {"speedup >= 1.7": speedup >= 1.7, "rank RSS < 10% of token file": worst_rank < 0.10},
        "command": f"python benchmarks/scale_train_data.py --tokens {args.tokens} --workers {args.workers}",
    }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
