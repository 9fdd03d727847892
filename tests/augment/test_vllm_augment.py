"""`augft augment` on the vllm engine for real (vLLM's CPU build): through Ray Data with one
long-lived engine host for every strategy and phase, and through the plain loop (chosen by
engine=auto); records equal the hf engine's at temperature 0 on the embedded model in float32
(a random model's greedy text is empty after parsing, so it would compare nothing), and the pmi
verifier's scores agree."""
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from augft.augment.api import augment, read_augmentations
from augft.core.artifacts import AugmentOutput, Manifest, from_json
from augft.core.config import load_config
from augft.core.errors import AugftError
from helpers import BIN, free_port

MODEL = "smollm2-135m-instruct"
ARGS = [f"model.name={MODEL}", "model.dtype=float32", "augment.temperature=0", "augment.num_candidates=2",
        "augment.max_new_tokens=24", "augment.unit_size=3", "augment.vllm.kv_cache_gb=0.5", "augment.vllm.max_model_len=2048",
        "cluster.num_cpus=2", "augment.require_source_overlap=false", "augment.global_consistency=false",
        # pmi verification runs on every record and keeps all of them: its scores are compared.
        "augment.verify=true", "augment.verify_min_pmi=-1000"]


def _records(out: Path, strategies=None):
    return {(r.strategy, r.text, tuple(r.source_ids)): r.meta.get("verify")
            for r in read_augmentations(out, strategies)}


def _same(hf: dict, vl: dict) -> None:
    assert set(hf) == set(vl) and len(hf) > 0
    assert max(abs(hf[k] - vl[k]) for k in hf) < 1e-2  # pmi, nats per token


def _pids(out: Path) -> set:
    return {json.loads(p.read_text())["pid"] for p in out.glob("**/part-*.stats.json")}


@pytest.mark.slow
def test_ray_vllm_runs_every_strategy_on_one_engine_and_matches_hf(tmp_path, make_corpus):
    data = make_corpus(tmp_path / "d", 6)
    strategies = "augment.strategies=[local,global,entity]"
    ref = augment(load_config(None, ARGS + [strategies, "augment.use_ray=false"]), data, tmp_path / "hf")
    got = augment(load_config(None, ARGS + [strategies, "augment.engine=vllm"]), data, tmp_path / "vllm")
    assert got.engine == "vllm" and got.engine_choice.reason == "configured"
    _same(_records(tmp_path / "hf"), _records(tmp_path / "vllm"))
    for s in ("local", "global", "entity"):
        r, g = ref.strategies[s], got.strategies[s]
        assert (g.ok, g.filtered, g.failed, g.inputs) == (r.ok, r.filtered, r.failed, r.inputs)
    # Every unit of every strategy and phase (entity extraction included) ran in one host process.
    assert len(_pids(tmp_path / "vllm")) == 1
    assert any((tmp_path / "vllm" / "entity" / "_extract").glob("*.stats.json"))


@pytest.mark.slow
def test_auto_picks_vllm_for_a_large_enough_run_in_the_plain_loop(tmp_path, make_corpus):
    data = make_corpus(tmp_path / "d", 4)
    loop = ARGS + ["augment.strategies=[local]", "augment.use_ray=false"]
    augment(load_config(None, loop), data, tmp_path / "hf")
    small = augment(load_config(None, loop + ["augment.engine=auto"]), data, tmp_path / "auto-hf")
    assert small.engine == "hf" and "fewer than augment.auto_vllm_min_prompts=25" in small.engine_choice.reason
    big = augment(load_config(None, loop + ["augment.engine=auto", "augment.auto_vllm_min_prompts=4"]),
                  data, tmp_path / "auto-vllm")
    assert big.engine == "vllm" and big.engine_choice.reason.startswith("about 4 prompts")
    _same(_records(tmp_path / "hf"), _records(tmp_path / "auto-vllm"))


class _BrokenEngine:
    name, model_name = "broken", "tiny-random-llama"

    def generate(self, requests, sampling):
        raise RuntimeError("n must be 1 when using greedy sampling, got 2")

    def close(self):
        pass


def test_a_unit_whose_every_prompt_fails_stops_the_run(tmp_path, make_corpus):
    data = make_corpus(tmp_path / "d", 4)
    cfg = load_config(None, ["model.name=tiny-random-llama", "augment.use_ray=false", "augment.unit_size=2"])
    with pytest.raises(AugftError, match="every prompt failed; first error: RuntimeError: n must be 1"):
        augment(cfg, data, tmp_path / "o", engine_factory=_BrokenEngine)
    assert not (tmp_path / "o" / "manifest.json").exists()


@contextlib.contextmanager
def _served(overrides, log: Path):
    """`augft serve` in a session of its own, yielded once it answers; SIGKILLed on the way out."""
    import requests

    url = next(o.split("=", 1)[1] for o in overrides if o.startswith("augment.openai.url="))
    with open(log, "a") as fh:
        proc = subprocess.Popen([str(BIN / "augft"), "serve", *overrides], stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.time() + 400
        while time.time() < deadline and proc.poll() is None:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/v1/models", timeout=2).ok:
                    break
            time.sleep(1)
        assert proc.poll() is None and time.time() < deadline, "server did not start:\n" + log.read_text()[-3000:]
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _units_done(out: Path) -> int:
    return len(list(out.glob("local/part-*.stats.json")))


@pytest.mark.slow
def test_served_vllm_killed_mid_run_then_rerun_matches_hf(tmp_path, make_corpus):
    """A real vLLM OpenAI server (`augft serve`) behind the openai engine: records equal the hf
    engine's; the server SIGKILLed mid-run stops the run with the resume message (exit 2), and the
    rerun against a restarted server writes the missing units, none lost or duplicated."""
    data = make_corpus(tmp_path / "d", 8)
    loop = ARGS + ["augment.strategies=[local]", "augment.use_ray=false", "augment.unit_size=2"]
    ref = augment(load_config(None, loop), data, tmp_path / "hf")
    served = loop + ["augment.engine=openai", f"augment.openai.url=http://127.0.0.1:{free_port()}",
                     "augment.openai.max_retries=2", "augment.openai.backoff_s=0.5", "augment.openai.timeout_s=300"]
    out, log = tmp_path / "served", tmp_path / "serve.log"
    cmd = [str(BIN / "augft"), "augment", "--data", str(data), "--out", str(out), *served]
    with _served(served, log) as server:
        run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while _units_done(out) < 1 and run.poll() is None:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)
        _, err = run.communicate(timeout=300)
    assert run.returncode == 2 and "rerun the same command to resume" in err, err[-2000:]
    assert 1 <= _units_done(out) < 4 and not (out / "manifest.json").exists()
    with _served(served, log):
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    _same(_records(tmp_path / "hf"), _records(out))
    r, g = ref.strategies["local"], AugmentOutput(out).manifest().strategies["local"]
    assert (g.ok, g.filtered, g.failed, g.inputs) == (r.ok, r.filtered, r.failed, r.inputs)
