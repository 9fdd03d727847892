"""Two processes that need the same stage at once: it runs once, the second waits then reuses it."""
import json
import multiprocessing as mp
import time
from pathlib import Path

from augft.cluster import stage_cache as cache


def _one(out: str, log: str) -> None:
    from augft.cluster.stages import run_cached

    def body(folder: Path) -> None:
        start = time.time()
        time.sleep(1.5)  # long enough that the other process arrives while this one runs
        (folder / "result.txt").write_text("ok")
        with open(log, "a") as f:
            f.write(json.dumps({"start": start, "end": time.time()}) + "\n")

    res = run_cached(Path(out), "augment", "local", {"temperature": 0.8}, {"data": "k"}, body)
    with open(log, "a") as f:
        f.write(json.dumps({"cached": res.cached, "dir": str(res.dir)}) + "\n")


def test_two_processes_run_one_stage_once(tmp_path):
    log = tmp_path / "log.jsonl"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_one, args=(str(tmp_path / "out"), str(log))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    runs = [r for r in rows if "start" in r]
    ends = [r for r in rows if "cached" in r]
    assert len(runs) == 1  # the body ran once
    assert sorted(r["cached"] for r in ends) == [False, True]  # the second reused the done stage
    assert len({r["dir"] for r in ends}) == 1
    folder = Path(ends[0]["dir"])
    assert (folder / "result.txt").read_text() == "ok" and cache.is_done(folder, folder.name.rsplit("-", 1)[1])


def test_the_lock_is_held_across_processes(tmp_path):
    folder = tmp_path / "augment" / "local-abc"
    lock = cache.locked(folder)
    with lock:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        p = ctx.Process(target=_try_lock, args=(str(folder), q))
        p.start()
        assert q.get(timeout=60) is False  # another process cannot take it while held
        p.join(60)


def _try_lock(folder: str, q) -> None:
    from filelock import Timeout

    try:
        with cache.locked(Path(folder)).acquire(timeout=0.5):
            q.put(True)
    except Timeout:
        q.put(False)
