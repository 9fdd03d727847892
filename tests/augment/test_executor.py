"""End-to-end `augft augment` runs: resume after SIGKILL of the driver, a killed engine actor, bad input."""
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from augft.augment.api import augment, read_augmentations
from augft.core.artifacts import AugmentOutput, Manifest, from_json
from augft.core.config import load_config
from augft.core.errors import AugftError
from helpers import BIN

ARGS = ["model.name=tiny-random-llama", "augment.strategies=[local]", "augment.unit_size=2",
        "augment.max_new_tokens=12", "augment.num_candidates=2", "augment.batch_size=4",
        "cluster.num_cpus=2",
        # The random model writes nothing related to its source; keep its output so the
        # comparisons below are over real records (verification still runs, keeping all).
        "augment.require_source_overlap=false", "augment.verify_min_pmi=-1000"]


def _records(out: Path):
    return sorted((r.id, r.text, r.source_ids[0]) for r in read_augmentations(out))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, make_corpus):
    """An uninterrupted plain-loop run (the reference the Ray runs must reproduce)."""
    d = make_corpus(tmp_path_factory.mktemp("resume") / "data", 24)
    out = d.parent / "reference"
    cfg = load_config(None, ARGS + ["augment.use_ray=false"])
    manifest = augment(cfg, d, out)
    return d, out, manifest


def _done(out: Path) -> int:
    return len(list((out / "local").glob("part-*.stats.json"))) if (out / "local").is_dir() else 0


def _as_terminal_job() -> None:
    """SIGINT as a terminal's foreground job has it: a test run started in the background
    (`make test &`, a CI runner) ignores SIGINT, and every child it starts would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def _augment_running(cmd, log: Path, out: Path, units: int):
    """`augft augment` in a session of its own, yielded once `units` units are written; the
    session (the driver and every process it started) is SIGKILLed on the way out."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_as_terminal_job)
    try:
        deadline = time.time() + 240
        while _done(out) < units and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, f"augft augment exited {proc.returncode} early:\n" + log.read_text()[-3000:]
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_equals_uninterrupted(baseline, tmp_path):
    data, ref, ref_manifest = baseline
    out = tmp_path / "killed"
    cmd = [str(BIN / "augft"), "augment", "--data", str(data), "--out", str(out), *ARGS]
    with _augment_running(cmd, tmp_path / "killed.log", out, units=2):
        pass  # leaving the block SIGKILLs the driver and everything it started
    n_units = len(ref_manifest.strategies["local"].shards)
    done = _done(out)
    assert 2 <= done < n_units, f"kill landed at {done}/{n_units} units"
    assert not (out / "manifest.json").exists()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "augft augment" in res.stdout and "local" in res.stdout  # the summary table
    got = _records(out)
    assert got == _records(ref) and len(got) > 0
    m = AugmentOutput(out).manifest().strategies["local"]
    r = ref_manifest.strategies["local"]
    assert (m.ok, m.filtered, m.failed, m.inputs) == (r.ok, r.filtered, r.failed, r.inputs)
    assert m.ok + sum(m.filtered.values()) + m.failed == m.inputs


@pytest.mark.slow
def test_ctrl_c_stops_within_seconds_and_rerun_resumes(baseline, tmp_path):
    """Ctrl-C in a terminal sends SIGINT to the whole foreground group (the driver and the
    Ray processes it started): the command stops within seconds, says how to resume, and a
    rerun ends with the uninterrupted run's records."""
    data, ref, ref_manifest = baseline
    out = tmp_path / "interrupted"
    cmd = [str(BIN / "augft"), "augment", "--data", str(data), "--out", str(out), *ARGS]
    log = tmp_path / "interrupted.log"
    with _augment_running(cmd, log, out, units=1) as proc:
        os.killpg(proc.pid, signal.SIGINT)
        t0 = time.monotonic()
        rc = proc.wait(timeout=30)
        stopped_s = time.monotonic() - t0
    text = log.read_text()
    assert rc == 130 and "rerun the same command to resume" in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert stopped_s < 15, stopped_s
    assert _done(out) < len(ref_manifest.strategies["local"].shards)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert res.returncode == 0, res.stderr[-3000:]
    assert _records(out) == _records(ref) and len(_records(ref)) > 0


def _kill_engine_actor_when(out: Path, units_done: int, killed: list) -> None:
    """SIGKILL the engine actor's process, found by the Ray state API, once `units_done` units
    are written (the actor then dies between or inside batches, as a lost worker does)."""
    from ray.util.state import list_actors

    deadline = time.time() + 300
    while time.time() < deadline:
        if _done(out) >= units_done:
            for a in list_actors(filters=[("state", "=", "ALIVE")], detail=True):
                if "EngineActor" in a.class_name and a.pid:
                    killed.append((a.pid, _done(out)))
                    os.kill(a.pid, signal.SIGKILL)
                    return
        time.sleep(0.05)


@pytest.mark.slow
def test_engine_actor_killed_mid_run_is_restarted_and_retried(baseline, tmp_path):
    import ray

    data, ref, ref_manifest = baseline
    out = tmp_path / "fault"
    ray.init(address="local", num_cpus=2, include_dashboard=True, dashboard_host="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    killed: list = []
    t = threading.Thread(target=_kill_engine_actor_when, args=(out, 2, killed), daemon=True)
    t.start()
    try:
        augment(load_config(None, ARGS), data, out)
    finally:
        t.join(10)
        ray.shutdown()
    n_units = len(ref_manifest.strategies["local"].shards)
    assert killed and killed[0][1] < n_units, (killed, n_units)  # an actor really died mid-run
    assert _records(out) == _records(ref) and len(_records(ref)) > 0


def test_bad_input_fails_before_work(tmp_path, cli, make_corpus):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "corpus.jsonl").write_text("")
    res = cli("augment", "--data", empty, "--out", tmp_path / "o", "model.name=tiny-random-llama")
    assert res.returncode == 2 and "corpus.jsonl" in res.stderr and "no records" in res.stderr
    data = make_corpus(tmp_path / "d", 3)
    cases = [
        (["augment.templates.local=Say {fact}"], "augment.templates.local"),
        (["augment.strategies=[oracle]"], "oracle.jsonl"),
        (["augment.engine=openai", "augment.openai.url=http://127.0.0.1:9"], "cannot reach"),
    ]
    for extra, needle in cases:
        cfg = load_config(None, ["model.name=tiny-random-llama"] + extra)
        with pytest.raises(AugftError, match=needle):
            augment(cfg, data, tmp_path / "o2")
    assert not (tmp_path / "o2").exists()  # nothing started
    # Allowed values and ranges fail when the config loads, naming the key.
    for bad, key in (("augment.strategies=[magic]", "augment.strategies"), ("augment.engine=gpt", "augment.engine"),
                     ("augment.num_candidates=0", "augment.num_candidates"),
                     ("augment.near_duplicate_threshold=1.5", "augment.near_duplicate_threshold"),
                     ("augment.local_unit=word", "augment.local_unit"), ("augment.strategies=[]", "augment.strategies")):
        with pytest.raises(AugftError, match=key.replace(".", r"\.")):
            load_config(None, [bad])


def test_changed_config_in_same_out_is_refused(tmp_path, make_corpus):
    data = make_corpus(tmp_path / "d", 2)
    base = ["model.name=tiny-random-llama", "augment.use_ray=false", "augment.max_new_tokens=4",
            "augment.num_candidates=1"]
    base.append("augment.strategies=[local]")
    first = augment(load_config(None, base), data, tmp_path / "o")
    records = _records(tmp_path / "o")
    with pytest.raises(AugftError, match="different config"):
        augment(load_config(None, base + ["augment.temperature=0.5"]), data, tmp_path / "o")
    # Another strategy's keys are not this folder's identity (the study's stage key agrees):
    # the local folder is reused, its units counted as done, after a global-only key changed.
    (tmp_path / "o" / "manifest.json").unlink()  # as a crash before the end leaves it
    again = augment(load_config(None, base + ["augment.window_tokens=64", "augment.global_context=window"]),
                    data, tmp_path / "o")
    assert again.strategies["local"].ok == first.strategies["local"].ok
    assert _records(tmp_path / "o") == records


def test_oracle_shard(tmp_path, make_corpus):
    from augft.core.records import write_jsonl

    data = make_corpus(tmp_path / "d", 2)
    write_jsonl(data / "oracle.jsonl", [
        {"id": f"o{i}", "text": f"Fact {i} reversed.", "strategy": "oracle", "source_ids": [f"d{i}"],
         "prompt_hash": "oracle", "model": "oracle"} for i in range(2)])
    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.use_ray=false",
                             "augment.strategies=[local,oracle]", "augment.max_new_tokens=8",
                             "augment.num_candidates=1"])
    m = augment(cfg, data, tmp_path / "o")
    assert m.strategies["oracle"].ok == 2
    recs = read_augmentations(tmp_path / "o", ["oracle"])
    assert {r.model for r in recs} == {"oracle"} and len(recs) == 2


def test_bad_record_found_on_a_ray_worker_is_one_line_naming_file_and_line(tmp_path, cli):
    """Global planning validates records where the shards are (Ray Data tasks): the error
    still reaches the user as its message, exit 2, not a worker's traceback."""
    data = tmp_path / "bad"
    data.mkdir()
    (data / "corpus-00000.jsonl").write_text('{"id": "a", "text": "Fine."}\n')
    (data / "corpus-00001.jsonl").write_text('{"id": "b", "text": "Fine too."}\n{"id": "c", "text": 3}\n')
    res = cli("augment", "--data", data, "--out", tmp_path / "o", "model.name=tiny-random-llama",
              "augment.strategies=[global]", "augment.use_ray=true", "cluster.num_cpus=2")
    assert res.returncode == 2, res.stderr[-2000:]
    err = res.stderr.strip().splitlines()
    assert err[-1].startswith("augft: error: ") and "corpus-00001.jsonl:2: field 'text'" in err[-1], err[-5:]
    assert "Traceback" not in res.stderr and "Failed to apply" not in res.stderr
    assert not (tmp_path / "o" / "manifest.json").exists()
